/**
 * Which worker a request belongs to: the `sid` query parameter's prefix names the worker's node id; requests
 * without a sid (handshakes) are balanced.
 */
import { createError } from "../protocol/errors.js";

/** The ways the cluster primary can route (see `ClusterOptions.routing`), in one list for the API and the CLI. */
export const CLUSTER_ROUTINGS = ["handover", "relay", "shared"] as const;

/** How the primary routes HTTP requests: one of {@link CLUSTER_ROUTINGS}. */
export type ClusterRouting = (typeof CLUSTER_ROUTINGS)[number];

/** How handshakes (requests without a sid) are spread over workers. */
export type BalanceStrategy = "least-connections" | "round-robin";

/** What the router needs to know about one worker. */
export interface RouteTarget {
  /** The node id every sid of this worker starts with. */
  readonly nodeId: string;
  /** Whether it is up and accepting. */
  ready: boolean;
  /** Open sessions plus requests in flight, for least-connections. */
  load: number;
}

/** The `sid` query parameter of a request target (`/engine.io/?EIO=4&sid=…`), or `undefined`. */
export function sidOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf("?");
  if (q < 0) return undefined;
  // A scan instead of URLSearchParams: this runs for every request the primary routes.
  let i = q + 1;
  while (i < url.length) {
    let end = url.indexOf("&", i);
    if (end < 0) end = url.length;
    if (url.startsWith("sid=", i)) return decodeURIComponent(url.slice(i + 4, end));
    i = end + 1;
  }
  return undefined;
}

/** Picks the worker of `sid`, or balances when there is none (or its worker is gone). */
export class Router<T extends RouteTarget> {
  private next = 0;
  private readonly byNodeId = new Map<string, T>();
  constructor(
    private readonly targets: T[],
    private readonly strategy: BalanceStrategy,
    private readonly nodeIdLength: number,
  ) {
    for (const t of targets) this.byNodeId.set(t.nodeId, t);
  }

  /** The owner of `sid` when it is up, else a balanced pick; `undefined` when no worker is ready. */
  pick(sid: string | undefined): T | undefined {
    if (sid !== undefined) {
      const owner = this.byNodeId.get(sid.slice(0, this.nodeIdLength));
      // A sid of a dead worker still goes somewhere ready: that worker answers 400 "Session ID unknown",
      // the same answer the client would get from a single process that restarted.
      if (owner?.ready) return owner;
    }
    return this.balance();
  }

  private balance(): T | undefined {
    const n = this.targets.length;
    if (this.strategy === "round-robin") {
      for (let k = 0; k < n; k++) {
        const t = this.targets[(this.next + k) % n]!;
        if (t.ready) {
          this.next = (this.next + k + 1) % n;
          return t;
        }
      }
      return undefined;
    }
    let best: T | undefined;
    for (const t of this.targets) if (t.ready && (best === undefined || t.load < best.load)) best = t;
    return best;
  }
}

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Default node ids for `n` workers: `w0`…`wZ` (2 characters, at most 62 workers). */
export function defaultNodeIds(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > ALPHABET.length) {
    throw createError(
      "EIO_ERR_INVALID_ARG",
      `workers must be an integer in 1..${ALPHABET.length}, got ${n}`,
      { option: "workers", value: n },
      RangeError,
    );
  }
  return Array.from({ length: n }, (_, i) => `w${ALPHABET[i]}`);
}
