/**
 * The primary side of {@link runCluster}: owns the public listening socket, reads the first request of each
 * client connection, and hands the connection (its socket handle and the bytes read) to the worker that owns
 * that request's sid prefix — or, for a handshake, the balanced pick. From then on the worker serves the
 * connection itself and forwards the rare request of another worker's session to its owner (see
 * `forward.ts`), so HTTP keep-alive cannot carry a request of one session to the worker of another
 * (socket.io-sticky#8) and the primary's cost is per connection, not per request. With
 * `routing: "relay"` it relays every request as bytes instead ({@link relay}; upgrades are still handed over).
 * With `routing: "shared"` it is not on the accept path at all: it binds the public socket (and keeps it, so the
 * port outlives any worker) and passes that listening handle to every worker, which all accept from it; each
 * worker then routes every request by its sid (forwarding another worker's to its owner, `forward.ts`).
 */
import cluster, { type Worker } from "node:cluster";
import { lookup } from "node:dns/promises";
import * as net from "node:net";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  Socket as NetSocket,
} from "node:net";
import { getSystemErrorName } from "node:util";
import { createDebug } from "../debug.js";
import {
  ENV_BALANCE,
  ENV_INDEX,
  ENV_NODE_ID,
  ENV_ROUTING,
  isClusterMessage,
  type PeerInfo,
} from "./messages.js";
import { type RelayContext, relay } from "./relay.js";
import { type BalanceStrategy, type ClusterRouting, Router, type RouteTarget } from "./routing.js";

const debug = createDebug("engine:cluster");

/** One worker slot: its node id survives restarts. */
interface Slot extends RouteTarget {
  index: number;
  worker: Worker | null;
  port: number;
  restarts: number;
  startedAt: number;
}

/** Options of the primary. */
export interface PrimaryOptions {
  nodeIds: string[];
  port: number;
  host: string;
  balance: BalanceStrategy;
  shutdownTimeoutMs: number;
  /** Backoff of restarts: first delay, doubled per quick death, capped at `maxRestartDelayMs`. */
  restartDelayMs: number;
  maxRestartDelayMs: number;
  /**
   * `"handover"`: each connection to its worker at its first request; `"relay"`: every request relayed;
   * `"shared"`: the workers accept from the shared listening socket and route every request themselves.
   */
  routing: ClusterRouting;
}

export type { ClusterRouting } from "./routing.js";

/** A bound (not yet listening) TCP handle, as node:cluster's own SCHED_NONE mode shares with its workers. */
interface ServerHandle {
  getsockname(out: { port?: number }): number;
  close(): void;
}

/**
 * Binds the public socket without listening on it here: the workers listen and accept on it; the primary only
 * keeps it open, so the port and the kernel's accept queue outlive the restart of any worker. This is what
 * node:cluster itself does for `schedulingPolicy: SCHED_NONE` (`net._createServerHandle`), without making that
 * process-wide policy this module's choice.
 */
async function bindShared(host: string, port: number): Promise<{ handle: ServerHandle; port: number }> {
  const { address, family } = await lookup(host);
  const create = (
    net as unknown as {
      _createServerHandle(address: string, port: number, addressType: number): ServerHandle | number;
    }
  )._createServerHandle;
  const handle = create(address, port, family);
  if (typeof handle === "number") {
    const code = getSystemErrorName(handle);
    throw Object.assign(new Error(`listen ${code}: ${host}:${port}`), { code, address, port });
  }
  const out: { port?: number } = {};
  handle.getsockname(out);
  return { handle, port: out.port ?? port };
}

/** Load changes reach the workers' peer tables at most this often (they only balance later handshakes). */
const LOAD_BROADCAST_MS = 100;

/** A running primary. */
export interface ClusterPrimary {
  /** `"primary"`. */
  role: "primary";
  /** The public port. */
  port: number;
  /** Node ids of the workers, in index order. */
  nodeIds: readonly string[];
  /** Live worker processes' pids by node id (changes when one restarts). */
  pids(): Record<string, number | undefined>;
  /** Resolves once every worker is ready (after a start or a restart). */
  ready(): Promise<void>;
  /** Stops accepting, shuts every worker down gracefully (`server shutting down`), then closes. */
  close(): Promise<void>;
}

/** Starts the primary: forks the workers and the routing HTTP server. */
export async function runPrimary(opts: PrimaryOptions): Promise<ClusterPrimary> {
  const slots: Slot[] = opts.nodeIds.map((nodeId, index) => ({
    nodeId,
    index,
    ready: false,
    load: 0,
    worker: null,
    port: 0,
    restarts: 0,
    startedAt: 0,
  }));
  const nodeIdLength = opts.nodeIds[0]!.length;
  const router = new Router(slots, opts.balance, nodeIdLength);
  let closing = false;
  let waiters: (() => void)[] = [];
  const checkReady = (): void => {
    if (slots.every((s) => s.ready)) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  };

  // The peer table every worker routes with: sent at once when a worker's port or readiness changes (a sid's
  // owner must be found), and at most every LOAD_BROADCAST_MS for load changes (balance only).
  let peersTimer: NodeJS.Timeout | null = null;
  let peersSoon = false;
  const sendPeers = (): void => {
    peersSoon = false;
    if (peersTimer !== null) clearTimeout(peersTimer);
    peersTimer = null;
    if (opts.routing === "relay") return;
    const peers: PeerInfo[] = slots.map((s) => ({
      nodeId: s.nodeId,
      port: s.port,
      ready: s.ready,
      load: s.load,
    }));
    for (const s of slots)
      if (s.worker?.isConnected()) {
        try {
          s.worker.send({ eio: "peers", peers });
        } catch {
          // its channel closed meanwhile: it gets the table when it is ready again
        }
      }
  };
  const peersChanged = (now: boolean): void => {
    if (now) {
      if (!peersSoon) {
        peersSoon = true;
        setImmediate(sendPeers);
      }
    } else peersTimer ??= setTimeout(sendPeers, LOAD_BROADCAST_MS).unref();
  };

  // shared: bound now (the port is known before any worker starts), listened on by each worker
  const shared = opts.routing === "shared" ? await bindShared(opts.host, opts.port) : null;
  const fork = (slot: Slot): void => {
    const worker = cluster.fork({
      [ENV_NODE_ID]: slot.nodeId,
      [ENV_INDEX]: String(slot.index),
      [ENV_BALANCE]: opts.balance,
      [ENV_ROUTING]: opts.routing,
    });
    slot.worker = worker;
    slot.startedAt = Date.now();
    worker.on("message", (m: unknown) => {
      if (!isClusterMessage(m)) return;
      if (m.eio === "ready") slot.port = m.port;
      if (m.eio === "ready" && shared !== null) {
        // ready to serve: now it can accept from the shared socket (and is ready once it does)
        try {
          worker.send({ eio: "listen" }, shared.handle as unknown as net.Server);
        } catch {
          // its channel closed meanwhile: the exit handler restarts it
        }
      } else if (m.eio === "ready" || m.eio === "accepting") {
        slot.ready = true;
        slot.load = 0;
        debug("worker %s ready on %d", slot.nodeId, slot.port);
        peersChanged(true);
        checkReady();
      } else if (m.eio === "load") {
        slot.load = m.sessions;
        peersChanged(false);
      }
    });
    // routing "shared": a worker passes on a WebSocket upgrade of another worker's session (once per WebSocket)
    worker.on("message", (m: unknown, handle: unknown) => {
      if (!isClusterMessage(m) || m.eio !== "handoff" || !(handle instanceof NetSocket)) return;
      const owner = router.pick(m.to);
      const w = owner?.nodeId === m.to ? owner.worker : null;
      if (w === null || w === undefined || !w.isConnected()) {
        // its owner is gone, and the session with it: the client's upgrade fails and it goes on polling (and
        // gets "Session ID unknown" there, as after any restart)
        handle.destroy();
        return;
      }
      try {
        w.send({ eio: "connection", head: m.head }, handle, (err: Error | null) => {
          if (err) handle.destroy();
        });
      } catch {
        handle.destroy();
      }
    });
    worker.on("exit", (code, signal) => {
      slot.ready = false;
      slot.worker = null;
      if (closing) return;
      peersChanged(true);
      // A worker that lived 10 s resets the backoff; quick deaths double it.
      if (Date.now() - slot.startedAt > 10_000) slot.restarts = 0;
      const delay = Math.min(opts.restartDelayMs * 2 ** slot.restarts, opts.maxRestartDelayMs);
      slot.restarts++;
      debug("worker %s exited (%s %s); restart in %d ms", slot.nodeId, code, signal, delay);
      setTimeout(() => {
        if (!closing) fork(slot);
      }, delay).unref();
    });
  };
  for (const s of slots) fork(s);

  // Every client connection starts in the byte relay, which reads its first head (and, with routing "relay",
  // routes each request after it: one routing decision per request, no re-serialising).
  const clients = new Set<NetSocket>();
  const context: RelayContext<Slot> = {
    pick: (sid) => router.pick(sid),
    onHandshake: (slot) => {
      slot.load++;
    },
    handOver: (slot, socket, bytes, head) => {
      if (opts.routing === "relay" && !head.upgrade) return false;
      const w = slot.worker;
      if (w === null || !w.isConnected()) return false;
      try {
        w.send({ eio: "connection", head: bytes.toString("base64") }, socket, (err: Error | null) => {
          if (err) socket.destroy();
        });
      } catch {
        // the IPC channel closed between the check and the send: relay this one instead
        return false;
      }
      // The socket object here has lost its handle to the send and never emits "close": dropped from the set
      // now, or every connection ever handed over would stay in it (memory and GC time growing per connection).
      clients.delete(socket);
      return true;
    },
  };
  const server: NetServer | null =
    shared !== null
      ? null
      : createNetServer((socket) => {
          clients.add(socket);
          socket.once("close", () => clients.delete(socket));
          relay(socket, context);
        });
  const ready = (): Promise<void> =>
    new Promise((resolve) => {
      waiters.push(resolve);
      checkReady();
    });
  await ready();
  if (server !== null)
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, opts.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  const port = server !== null ? (server.address() as AddressInfo).port : shared!.port;
  debug("primary routing on %s:%d to %d workers", opts.host, port, slots.length);

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      if (peersTimer !== null) clearTimeout(peersTimer);
      // Stop accepting connections; requests on open connections still reach their workers while they drain.
      // (shared: each worker stops accepting when told to shut down; the socket closes with the last of them)
      server?.close();
      shared?.handle.close();
      const exits = slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const w = s.worker;
            if (w === null || w.isDead()) return resolve();
            w.once("exit", () => resolve());
            w.send({ eio: "shutdown", timeoutMs: opts.shutdownTimeoutMs });
            setTimeout(() => w.process.kill("SIGKILL"), opts.shutdownTimeoutMs + 3000).unref();
          }),
      );
      await Promise.all(exits);
      for (const c of clients) c.destroy();
    })();
    return closed;
  };
  return {
    role: "primary",
    port,
    nodeIds: opts.nodeIds,
    pids: () => Object.fromEntries(slots.map((s) => [s.nodeId, s.worker?.process.pid])),
    ready,
    close,
  };
}
