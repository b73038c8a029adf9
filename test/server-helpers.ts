// Shared helpers for the server tests: a server on 127.0.0.1:0, bounded waits, raw HTTP requests.

import type { EventEmitter } from "node:events";
import {
  createServer,
  type Server as HttpServer,
  type ServerOptions as HttpServerOptions,
  request as httpRequest,
  type IncomingHttpHeaders,
} from "node:http";
import { type AddressInfo, connect, type Socket as NetSocket } from "node:net";
import type { Server as IoServer } from "socket.io";
import { attach, type Server, type ServerOptions, type Socket } from "../src/index.js";
import { PollingTransport } from "../src/server/transports/polling.js";

export interface Harness {
  engine: Server;
  http: HttpServer;
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts an http server on 127.0.0.1 (port 0) with an engine attached. `httpOpts` go to `http.createServer`
 * (e.g. `insecureHTTPParser`, so header bytes Node's strict parser refuses reach the engine's own checks).
 */
export async function startServer(
  opts: ServerOptions & { path?: string } = {},
  httpOpts: HttpServerOptions = {},
): Promise<Harness> {
  const http = createServer(httpOpts, (_req, res) => {
    res.writeHead(404);
    res.end("not found");
  });
  const engine = attach(http, opts);
  const closeHttp = closerOf(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    engine,
    http,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      engine.close();
      await closeHttp();
    },
  };
}

/**
 * Returns a function that closes `http` and resolves once every TCP connection it ever accepted has closed,
 * upgraded WebSockets included (destroyed after `graceMs`). Call it before `listen`. `http.close()` alone
 * resolves while a WebSocket closing handshake is still in flight: a next test that enables `mock.timers`
 * then catches that connection's `clearTimeout`, its real 30 s close timer stays armed, and the file's process
 * lingers 30 s after its last test.
 */
export function closerOf(http: HttpServer, graceMs = 2000): () => Promise<void> {
  const open = new Set<NetSocket>();
  http.on("connection", (sock: NetSocket) => {
    open.add(sock);
    sock.once("close", () => open.delete(sock));
  });
  return async () => {
    http.closeAllConnections?.();
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    const left = [...open].map((sock) => new Promise((resolve) => sock.once("close", resolve)));
    const grace = setTimeout(() => {
      for (const sock of open) sock.destroy();
    }, graceMs);
    await Promise.all([closed, ...left]);
    clearTimeout(grace);
  };
}

/** Any emitter, for peers without an event map (ws, workers, engine.io-client, socket.io). */
export interface LooseEmitter {
  // biome-ignore lint/suspicious/noExplicitAny: accepts any emitter's listener signature
  once(event: string, fn: (...args: any[]) => void): unknown;
}

/**
 * Resolves with the arguments of the next `event` of `emitter`, rejects after `ms`. With an emitter typed by an
 * event map (`EventEmitter<Events>`, e.g. the server `Socket`) the event name and the arguments are checked;
 * otherwise the caller names the argument type.
 */
export function once<Events extends Record<keyof Events, unknown[]>, K extends keyof Events & string>(
  emitter: EventEmitter<Events>,
  event: K,
  ms?: number,
): Promise<Events[K]>;
export function once<T = unknown>(emitter: LooseEmitter, event: string, ms?: number): Promise<T[]>;
export function once(emitter: LooseEmitter, event: string, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for "${event}"`)), ms);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Polls `cond` every 5 ms until true, or throws after `ms`. */
export async function waitFor(cond: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A value as an untyped (JavaScript, JSON config) caller passes it, typed as the parameter it goes to: for tests
 * of runtime validation, where the type system would otherwise refuse the very input under test.
 */
export function fromJs<T>(value: unknown): T {
  return value as T;
}

/** What socket.io's `io.bind()` is typed to take (engine.io's `BaseServer`). */
export type IoEngine = Parameters<IoServer["bind"]>[0];

/**
 * `engine` typed as socket.io's engine.io server. The one cast of the interop tests: socket.io's types name
 * engine.io's class, this engine implements the part socket.io calls (checked by test/interop-socketio.test.ts).
 */
export function engineOf(engine: Server): IoEngine {
  return engine as unknown as IoEngine;
}

/** The session `sid` of `engine` (throws if there is none). */
export function sessionOf(engine: Server, sid: string): Socket {
  const s = engine.clients[sid];
  if (s === undefined) throw new Error(`no session ${sid}`);
  return s;
}

/** The polling transport of session `sid` (throws if the session is on another transport). */
export function pollingOf(engine: Server, sid: string): PollingTransport {
  const t = sessionOf(engine, sid).transport;
  if (!(t instanceof PollingTransport)) throw new Error(`session ${sid} is not polling`);
  return t;
}

/** Resolves once the server holds a GET of session `sid` (the long-poll is pending). */
export function pollPending(engine: Server, sid: string, ms = 5000): Promise<void> {
  return waitFor(() => pollingOf(engine, sid).writable, ms, `a pending GET on ${sid}`);
}

/** Resolves once the server is reading a POST body of session `sid`. */
export function postPending(engine: Server, sid: string, ms = 5000): Promise<void> {
  return waitFor(() => pollingOf(engine, sid).dataReq !== null, ms, `a POST being read on ${sid}`);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One raw HTTP request (no agent, connection closed afterwards). */
export function raw(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string | number> = {},
  ms = 5000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method, path, headers: { connection: "close", ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString() });
        });
        res.on("error", reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`timeout: ${method} ${path}`));
    }, ms);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/**
 * Writes `bytes` on a fresh TCP connection and resolves with everything the server sent until it closed the
 * connection; rejects after `ms` (for requests Node's HTTP client refuses to send, e.g. control characters).
 */
export function rawBytes(port: number, bytes: string | Buffer, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const sock = connect(port, "127.0.0.1", () => sock.write(bytes));
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete answer within ${ms} ms: ${JSON.stringify(out)}`));
    }, ms);
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      out += d;
    });
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.on("error", () => {
      // a reset after the answer still resolves with what arrived (on close)
    });
  });
}

/** Handshakes over polling; returns the sid and the open packet. */
export async function handshake(
  port: number,
  path = "/engine.io/",
  extra = "",
): Promise<{ sid: string; open: Record<string, unknown> & { sid: string }; text: string }> {
  const r = await raw(port, "GET", `${path}?EIO=4&transport=polling${extra}`);
  if (r.status !== 200) throw new Error(`handshake failed: ${r.status} ${r.text}`);
  const first = r.text.split("\x1e")[0]!;
  const open = JSON.parse(first.slice(1));
  return { sid: open.sid, open, text: r.text };
}
