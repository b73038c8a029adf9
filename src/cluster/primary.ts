/**
 * The primary side of {@link runCluster}: owns the public listening socket and routes every HTTP request
 * (not every connection) by the `sid` prefix, so HTTP keep-alive cannot carry a request of one session to the
 * worker of another (socket.io-sticky#8). Upgrades are piped to the owner worker as raw TCP.
 */
import cluster, { type Worker } from "node:cluster";
import {
  Agent,
  createServer,
  type Server as HttpServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, connect, type Socket as NetSocket } from "node:net";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { ENV_INDEX, ENV_NODE_ID, isClusterMessage } from "./messages.js";
import { type BalanceStrategy, Router, type RouteTarget, sidOf } from "./routing.js";

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
}

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

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

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
  // Keep-alive to each worker: the primary's cost per request is then one parse and one pipe.
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let closing = false;
  let waiters: (() => void)[] = [];
  const checkReady = (): void => {
    if (slots.every((s) => s.ready)) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  };

  const fork = (slot: Slot): void => {
    const worker = cluster.fork({ [ENV_NODE_ID]: slot.nodeId, [ENV_INDEX]: String(slot.index) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    worker.on("message", (m: unknown) => {
      if (!isClusterMessage(m)) return;
      if (m.eio === "ready") {
        slot.port = m.port;
        slot.ready = true;
        slot.load = 0;
        debug("worker %s ready on %d", slot.nodeId, m.port);
        checkReady();
      } else if (m.eio === "load") slot.load = m.sessions;
    });
    worker.on("exit", (code, signal) => {
      slot.ready = false;
      slot.worker = null;
      if (closing) return;
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

  const unavailable = (res: ServerResponse): void => {
    const body = JSON.stringify({ code: 503, message: "No worker available" });
    res.writeHead(503, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const sid = sidOf(req.url);
    const slot = router.pick(sid);
    if (slot === undefined) {
      unavailable(res);
      return;
    }
    if (sid === undefined) slot.load++;
    const headers: Record<string, string | string[]> = {};
    for (const k in req.headers) if (!HOP_BY_HOP.has(k)) headers[k] = req.headers[k]!;
    if (req.headers["transfer-encoding"]) headers["transfer-encoding"] = req.headers["transfer-encoding"];
    const xff = req.headers["x-forwarded-for"];
    headers["x-forwarded-for"] = xff
      ? `${xff}, ${req.socket.remoteAddress}`
      : (req.socket.remoteAddress ?? "");
    const upstream = httpRequest(
      { host: "127.0.0.1", port: slot.port, method: req.method, path: req.url, headers, agent },
      (up) => {
        const out: Record<string, string | string[]> = {};
        for (const k in up.headers) if (!HOP_BY_HOP.has(k)) out[k] = up.headers[k]!;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      debug("upstream %s error: %s", slot.nodeId, e.message);
      if (!res.headersSent) unavailable(res);
      else res.destroy();
    });
    // A client that goes away mid-request aborts the upstream request (a pending poll, for instance).
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const slot = router.pick(sidOf(req.url));
    if (slot === undefined) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const upstream: NetSocket = connect(slot.port, "127.0.0.1");
    let lines = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    upstream.write(`${lines}\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
    const destroy = (): void => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on("error", destroy);
    socket.on("error", destroy);
    upstream.on("close", destroy);
    socket.on("close", destroy);
  };

  const server: HttpServer = createServer({ keepAliveTimeout: 65_000 }, onRequest);
  server.on("upgrade", onUpgrade);
  server.on("clientError", (_e, socket) => socket.destroy());
  const ready = (): Promise<void> =>
    new Promise((resolve) => {
      waiters.push(resolve);
      checkReady();
    });
  await ready();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  debug("primary routing on %s:%d to %d workers", opts.host, port, slots.length);

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      // Stop accepting connections; requests on open connections still reach their workers while they drain.
      server.close();
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
      server.closeAllConnections();
      agent.destroy();
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
