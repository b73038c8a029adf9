// Shared helpers of the client tests (test/client-*.test.ts): real peers on 127.0.0.1, port 0, bounded waits.
import { existsSync } from "node:fs";
import { createServer, type Server as HttpServer, type RequestListener } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Socket as EioClientSocket } from "engine.io-client";
import { Socket, type SocketOptions } from "../src/client/index.js";
import { closerOf } from "./server-helpers.js";

const require = createRequire(import.meta.url);

/** A client socket of either implementation, driven through the events both emit with the same names. */
export interface EitherClient {
  // biome-ignore lint/suspicious/noExplicitAny: each implementation types its own listener arguments
  on(event: string, fn: (...args: any[]) => void): unknown;
  send(data: string): unknown;
  close(): unknown;
  readonly transport?: { name: string } | null;
}

/** The options both clients take the same way. */
export interface EitherClientOptions {
  transports: ("polling" | "websocket")[];
  path?: string;
  upgrade?: boolean;
  query?: Record<string, string>;
}

/** This project's client (`ours`) or engine.io-client 6 (`eio`), with the same options. */
export function eitherClient(which: "ours" | "eio", url: string, opts: EitherClientOptions): EitherClient {
  return which === "ours" ? new Socket(url, opts) : new EioClientSocket(url, opts);
}

/** A running server peer. */
export interface Peer {
  url: string;
  name: string;
  /** The HTTP(S) server the engine is attached to. */
  http?: HttpServer;
  /** The engine (engine.io or ours). */
  engine?: { on(ev: string, fn: (...a: never[]) => void): void };
  close(): Promise<void>;
  /** Server-side sockets, by sid (for pushing from the server). */
  sockets: Map<string, { send(data: unknown): void; close(): void }>;
}

export interface PeerOptions {
  pingInterval?: number;
  pingTimeout?: number;
  maxHttpBufferSize?: number;
  allowRequest?: (req: unknown, cb: (err: string | null | undefined, ok: boolean) => void) => void;
  cookie?: boolean | Record<string, unknown>;
  /** When false, the server does not echo. */
  echo?: boolean;
  transports?: string[];
  allowUpgrades?: boolean;
  /** Handles the HTTP requests the engine does not (static files for the browser test). */
  onRequest?: RequestListener;
  /** Use this (e.g. HTTPS) server instead of a new HTTP one; the URL scheme follows it. */
  server?: HttpServer;
  cors?: unknown;
  /** Engine path (both servers take engine.io's `path` option). */
  path?: string;
}

function listen(http: HttpServer): Promise<number> {
  return new Promise((resolve) =>
    http.listen(0, "127.0.0.1", () => resolve((http.address() as AddressInfo).port)),
  );
}

type EngineSocket = {
  id: string;
  on(ev: string, fn: (...a: unknown[]) => void): void;
  send(d: unknown): void;
  close(): void;
};
type EngineServer = {
  on(ev: string, fn: (s: EngineSocket) => void): void;
  attach(http: HttpServer): void;
  close(): void;
};

type EngineCtor = new (o: object) => EngineServer;

/** Starts `Ctor` on a loopback port, echoing every message unless `echo: false`. */
async function startPeer(name: string, Ctor: EngineCtor, opts: PeerOptions): Promise<Peer> {
  const { echo = true, onRequest, server, ...rest } = opts;
  const http = server ?? (onRequest ? createServer(onRequest) : createServer());
  const engine = new Ctor({ pingInterval: 25000, pingTimeout: 20000, ...rest });
  engine.attach(http);
  const closeHttp = closerOf(http);
  const port = await listen(http);
  const peer: Peer = {
    name,
    url: `${server && "cert" in server ? "https" : "http"}://127.0.0.1:${port}`,
    http,
    engine: engine as unknown as Peer["engine"],
    sockets: new Map(),
    close: async () => {
      engine.close();
      await closeHttp();
    },
  };
  engine.on("connection", (socket) => {
    peer.sockets.set(socket.id, socket);
    socket.on("message", (data) => {
      if (echo) socket.send(data);
    });
    socket.on("close", () => peer.sockets.delete(socket.id));
  });
  return peer;
}

/** The official engine.io 6.6 server, echoing every message. */
export function startEngineIo(opts: PeerOptions = {}): Promise<Peer> {
  const { Server } = require("engine.io") as { Server: EngineCtor };
  return startPeer("engine.io", Server, opts);
}

/** This project's server, when `src/server/index.ts` exports a `Server`; `undefined` otherwise. */
export async function startOurs(opts: PeerOptions = {}): Promise<Peer | undefined> {
  if (!existsSync(new URL("../src/server/index.ts", import.meta.url))) return undefined;
  let mod: { Server?: EngineCtor };
  try {
    mod = (await import("../src/server/index.js" as string)) as typeof mod;
  } catch {
    return undefined;
  }
  if (typeof mod.Server !== "function") return undefined;
  return startPeer("engineio-wasm", mod.Server, opts);
}

/** Resolves with the arguments of the next `event`, rejects after `ms`. */
export function next<T extends unknown[] = unknown[]>(emitter: object, event: string, ms = 5000): Promise<T> {
  const e = emitter as { once(ev: string, fn: (...a: unknown[]) => void): unknown };
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for "${event}"`)), ms);
    e.once(event, (...args: unknown[]) => {
      clearTimeout(t);
      resolve(args as T);
    });
  });
}

/** Collects `n` messages from a socket. */
export function collect(socket: Socket, n: number, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const out: unknown[] = [];
    const t = setTimeout(() => reject(new Error(`timeout: got ${out.length}/${n} messages`)), ms);
    const on = (d: unknown) => {
      out.push(d);
      if (out.length === n) {
        clearTimeout(t);
        socket.off("message", on);
        resolve(out);
      }
    };
    socket.on("message", on);
  });
}

/** Opens a client socket and waits for `open`. */
export async function open(url: string, opts: SocketOptions = {}): Promise<Socket> {
  const socket = new Socket(url, opts);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout waiting for open")), 5000);
    const onError = (e: Error) => {
      clearTimeout(t);
      reject(e);
    };
    socket.once("error", onError);
    socket.once("open", () => {
      clearTimeout(t);
      socket.off("error", onError);
      resolve();
    });
  });
  return socket;
}

/** Closes a socket and waits for its close event (bounded). */
export async function shut(socket: Socket): Promise<void> {
  if (socket.readyState === "closed") return;
  const closed = next(socket, "close", 3000);
  socket.close();
  await closed;
}
