/**
 * The worker side of {@link runCluster}: builds the app, listens on a private loopback port, serves the client
 * connections the primary hands over (forwarding a foreign session's request to its owner, see
 * {@link PeerRouter}), reports its session count, and shuts down gracefully when the primary says so.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  Socket,
} from "node:net";
import type { Duplex } from "node:stream";
import { createDebug } from "../debug.js";
import type { Server as Engine } from "../server/server.js";
import { forwardAgent, forwardRequest, forwardUpgrade, PeerRouter, upgradeHead } from "./forward.js";
import {
  type ClusterMessage,
  ENV_BALANCE,
  ENV_INDEX,
  ENV_NODE_ID,
  ENV_ROUTING,
  isClusterMessage,
} from "./messages.js";
import type { BalanceStrategy } from "./routing.js";

const debug = createDebug("engine:cluster");

/** What a worker is told about itself. */
export interface WorkerContext {
  /** Give it to the engine as `nodeId`: the primary routes on it. */
  nodeId: string;
  /** 0-based worker index, stable across restarts. */
  index: number;
}

/** What the app's worker function returns. */
export interface WorkerApp {
  /** An HTTP server with the engine attached, not yet listening (the cluster listens on a private port). */
  server: HttpServer;
  /** The engine (e.g. `io.engine` for socket.io): counted for least-connections and shut down gracefully. */
  engine?: Pick<Engine, "on" | "shutdown" | "clientsCount">;
}

/** Runs in a worker process: starts the app and serves the primary. */
export async function runWorker(
  build: (ctx: WorkerContext) => WorkerApp | Promise<WorkerApp>,
  shutdownTimeoutMs: number,
): Promise<WorkerApp & WorkerContext> {
  const nodeId = process.env[ENV_NODE_ID] ?? "";
  const index = Number(process.env[ENV_INDEX] ?? "0");
  const app = await build({ nodeId, index });
  const send = (m: ClusterMessage): void => {
    if (process.connected) process.send?.(m);
  };
  const { server, engine } = app;
  const balance = (process.env[ENV_BALANCE] ?? "least-connections") as BalanceStrategy;
  // shared: this worker accepted the connection itself, so it serves the handshakes on it (a session forwarded
  // elsewhere would make every later request on this connection a forwarded one); the kernel spreads the accepts
  const sharedMode = process.env[ENV_ROUTING] === "shared";
  const peers = new PeerRouter(nodeId, balance, () => engine?.clientsCount, !sharedMode);
  /** `routing: "shared"`: the public socket, accepted from here too (the primary passes its handle). */
  let shared: NetServer | null = null;
  // Every request passes here before any listener (the engine's included): one of another worker's session,
  // or a handshake the balance gives to another worker, is forwarded instead of reaching this engine.
  // The first request of a handed-over connection was routed by the primary (balanced, for a handshake): it is
  // served here, never balanced a second time.
  const routedByPrimary = new WeakSet<object>();
  const route = (req: IncomingMessage) => {
    if (routedByPrimary.delete(req.socket)) return undefined;
    return peers.route(req);
  };
  /** Passes an upgrade's socket (and its request, rebuilt as bytes) to worker `to` through the primary. */
  const handOff = (req: IncomingMessage, socket: Socket, rest: Buffer, to: string): boolean => {
    if (!process.connected || !(socket instanceof Socket)) return false;
    // Stop reading at the handle: bytes read here after this point would be lost to the owner (as in relay.ts)
    socket.pause();
    const h = (socket as unknown as { _handle?: { readStop?: () => number; reading?: boolean } })._handle;
    if (h?.readStop === undefined) return false;
    h.readStop();
    h.reading = false;
    const parts: Buffer[] = [Buffer.from(upgradeHead(req), "latin1"), rest];
    for (let c: Buffer | null = socket.read(); c !== null; c = socket.read()) parts.push(c);
    try {
      process.send?.(
        { eio: "handoff", to, head: Buffer.concat(parts).toString("base64") },
        socket,
        {},
        (err) => {
          if (err) socket.destroy();
        },
      );
    } catch {
      // the channel closed meanwhile: tunnel it after all, with the bytes read off it above
      if (parts.length > 2) socket.unshift(Buffer.concat(parts.slice(2)));
      socket.resume();
      return false;
    }
    return true;
  };
  const emit = server.emit;
  server.emit = function (this: HttpServer, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      const req = args[0] as IncomingMessage;
      const peer = route(req);
      if (peer !== undefined) {
        forwardRequest(req, args[1] as ServerResponse, peer, nodeId);
        return true;
      }
    } else if (event === "upgrade") {
      const req = args[0] as IncomingMessage;
      const peer = route(req);
      if (peer !== undefined) {
        // shared: this worker accepted the connection, so a WebSocket of another worker's session would be
        // tunnelled through it for its whole life; passed to its owner through the primary instead (IPC handle
        // passing, once per WebSocket). Handed-over connections keep the tunnel (rare: a second session on a
        // kept-alive connection), as does a failed send.
        if (!(sharedMode && handOff(req, args[1] as Socket, args[2] as Buffer, peer.nodeId)))
          forwardUpgrade(req, args[1] as Duplex, args[2] as Buffer, peer, nodeId);
        return true;
      }
    }
    return (emit as (this: HttpServer, e: string | symbol, ...a: unknown[]) => boolean).call(
      this,
      event,
      ...args,
    );
  } as HttpServer["emit"];
  if (engine) {
    let scheduled = false;
    // Coalesced: one report per turn of the event loop however many sessions opened or closed in it.
    const report = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        send({ eio: "load", sessions: engine.clientsCount });
      });
    };
    engine.on("connection", (socket) => {
      report();
      socket.once("close", report);
    });
  }
  let stopping = false;
  const stop = async (timeoutMs: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    debug("worker %s shutting down", nodeId);
    // accept no more: new connections go to the other workers (the socket stays open in the primary)
    shared?.close();
    await engine?.shutdown(timeoutMs);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
    // Only now: a request this worker forwarded (a poll of another worker's session, on a connection handed
    // here) may still be waiting for that worker's `server shutting down` close packet; the connections above
    // had up to a second to bring it to the client.
    forwardAgent.destroy();
    process.exit(0);
  };
  process.on("message", (m: unknown, handle: unknown) => {
    if (!isClusterMessage(m)) return;
    if (m.eio === "shutdown") void stop(m.timeoutMs);
    else if (m.eio === "peers") peers.update(m.peers);
    else if (m.eio === "listen" && shared === null && handle != null && !stopping) {
      // Accepted connections are served by the app's server as if it had accepted them; every request on them
      // is routed by its sid (none was routed by the primary)
      shared = createNetServer((c) => server.emit("connection", c));
      shared.on("error", (err) => debug("worker %s shared socket: %s", nodeId, err.message));
      shared.listen(handle as Parameters<NetServer["listen"]>[0], () => send({ eio: "accepting" }));
    } else if (m.eio === "connection" && handle instanceof Socket) {
      // a client connection handed over by the primary: this server reads it from its first request on
      routedByPrimary.add(handle);
      server.emit("connection", handle);
      handle.unshift(Buffer.from(m.head, "base64"));
    }
  });
  // The primary orchestrates: a terminal's SIGINT/SIGTERM to the whole group must not kill workers first.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => void stop(shutdownTimeoutMs));
  process.on("disconnect", () => void stop(shutdownTimeoutMs));
  // Idle kept-alive connections: the primary's relay (and a peer's forwarding agent) close theirs after 60-65 s;
  // this server must not close one first, or a request written to it at that moment is lost.
  if (server.keepAliveTimeout < 70_000) server.keepAliveTimeout = 70_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // exclusive: a private port of this worker, not a handle shared through the primary.
    server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  send({ eio: "ready", port: (server.address() as AddressInfo).port });
  return { ...app, nodeId, index };
}
