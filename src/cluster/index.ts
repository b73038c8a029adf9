/**
 * `engineio-wasm/cluster`: one machine, many cores. {@link runCluster} forks N workers on `node:cluster`; the
 * primary owns the listening socket and routes by the `sid` prefix (the worker's `nodeId`).
 *
 * ```ts
 * import { createServer } from "node:http";
 * import { Server } from "engineio-wasm";
 * import { runCluster } from "engineio-wasm/cluster";
 *
 * await runCluster({
 *   workers: 4,
 *   port: 3000,
 *   worker: ({ nodeId }) => {
 *     const engine = new Server({ nodeId });
 *     const server = createServer();
 *     engine.attach(server);
 *     engine.on("connection", (s) => s.on("message", (m) => s.send(m)));
 *     return { server, engine };
 *   },
 * });
 * ```
 * @packageDocumentation
 */
import cluster from "node:cluster";
import { createError } from "../protocol/errors.js";
import { validateNodeId } from "../server/id.js";
import { type ClusterPrimary, type ClusterRouting, runPrimary } from "./primary.js";
import { type BalanceStrategy, CLUSTER_ROUTINGS, defaultNodeIds } from "./routing.js";
import { runWorker, type WorkerApp, type WorkerContext } from "./worker.js";

export type { ClusterPrimary, ClusterRouting } from "./primary.js";
export type { BalanceStrategy } from "./routing.js";
export { sidOf } from "./routing.js";
export type { WorkerApp, WorkerContext } from "./worker.js";

/** Options of {@link runCluster}. */
export interface ClusterOptions {
  /** Builds the app in each worker; give `ctx.nodeId` to the engine as its `nodeId` option. */
  worker: (ctx: WorkerContext) => WorkerApp | Promise<WorkerApp>;
  /**
   * Number of workers.
   * @default 2
   */
  workers?: number;
  /** Node ids of the workers (same length each; default `w0`, `w1`, …). Overrides `workers`. */
  nodeIds?: string[];
  /**
   * Public port (0 picks a free one).
   * @default 3000
   */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /**
   * How handshakes are spread.
   * @default "least-connections"
   */
  balance?: BalanceStrategy;
  /**
   * How HTTP requests reach their worker. `"handover"`: the primary reads a connection's first request and
   * hands the connection to its worker (socket handle passing), which serves it from then on and forwards a
   * request of another worker's session to its owner over loopback; the primary's cost is per connection.
   * `"relay"`: the primary relays every request and response as bytes (its cost is per request). WebSocket
   * upgrades are handed over in both. `"shared"`: the primary is not on the accept path at all (it costs nothing
   * per connection): it binds the public socket and every worker accepts from it (node:cluster's SCHED_NONE
   * way); each worker routes every request by its sid and forwards one of another worker's session to its owner
   * over loopback: a client connecting anew for each request (no keep-alive), or a kept-alive connection that
   * a browser opens beside its first one, costs the workers a forwarded request (N−1) times in N. A WebSocket
   * upgrade of another worker's session is passed to its owner through the primary (once per WebSocket, never
   * tunnelled). Handshakes are served by the worker that accepted them (`balance` does not apply: the kernel
   * spreads the accepts). What each routing costs: `bench/results/scale.md`.
   * @default "handover"
   */
  routing?: ClusterRouting;
  /**
   * How long a worker waits for polling clients to fetch their `server shutting down` close on shutdown.
   * @default 5000
   */
  shutdownTimeoutMs?: number;
  /** @default 100 */
  restartDelayMs?: number;
  /** @default 5000 */
  maxRestartDelayMs?: number;
  /**
   * Shut down gracefully on SIGTERM/SIGINT in the primary (then exit 0).
   * @default true
   */
  installSignals?: boolean;
}

/** What a worker gets back from {@link runCluster}. */
export interface ClusterWorker extends WorkerContext {
  /** `"worker"`. */
  role: "worker";
  /** The app its `worker` function built. */
  app: WorkerApp;
}

function invalid(message: string): Error {
  return createError("EIO_ERR_INVALID_ARG", message, undefined, RangeError);
}

/**
 * Runs the cluster: in the primary it forks the workers and routes; in each worker (the same script, re-run by
 * `node:cluster`) it builds the app with `options.worker`. Call it from the entry script in both.
 */
export async function runCluster(options: ClusterOptions): Promise<ClusterPrimary | ClusterWorker> {
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
  if (!cluster.isPrimary) {
    const { nodeId, index, ...app } = await runWorker(options.worker, shutdownTimeoutMs);
    return { role: "worker", nodeId, index, app };
  }
  const nodeIds = options.nodeIds ?? defaultNodeIds(options.workers ?? 2);
  if (nodeIds.length === 0) throw invalid("nodeIds must not be empty");
  for (const id of nodeIds) validateNodeId(id);
  if (new Set(nodeIds).size !== nodeIds.length) throw invalid("nodeIds must be unique");
  if (nodeIds.some((id) => id.length !== nodeIds[0]!.length)) throw invalid("nodeIds must have one length");
  const balance = options.balance ?? "least-connections";
  if (balance !== "least-connections" && balance !== "round-robin")
    throw invalid(`balance must be "least-connections" or "round-robin"`);
  const routing = options.routing ?? "handover";
  if (!CLUSTER_ROUTINGS.includes(routing)) throw invalid(`routing must be "handover", "relay" or "shared"`);
  const primary = await runPrimary({
    nodeIds,
    port: options.port ?? 3000,
    host: options.host ?? "127.0.0.1",
    balance,
    shutdownTimeoutMs,
    restartDelayMs: options.restartDelayMs ?? 100,
    maxRestartDelayMs: options.maxRestartDelayMs ?? 5000,
    routing,
  });
  if (options.installSignals !== false) {
    const onSignal = (): void => {
      primary.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  return primary;
}
