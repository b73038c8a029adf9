// Shared helpers of the adapters-*.test.ts files: HTTP requests on loopback, and one echo round trip through an
// Engine.IO client over a chosen transport.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP request (the path is sent exactly as given: Node's client does not normalise `..`). */
export function get(port: number, path: string, method = "GET"): Promise<HttpReply> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        done({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", fail);
    });
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on("error", fail);
    req.end();
  });
}

/** The port of a listening server. */
export function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

/** The shape of the Engine.IO client socket the tests use (this package's `ClientSocket`). */
interface EchoClient {
  on(event: "open" | "upgrade" | "close" | "error" | "message", fn: (arg?: unknown) => void): unknown;
  send(data: string): unknown;
  close(): unknown;
  readonly transport: { readonly name: string };
}
type ClientCtor = new (uri: string, opts: Record<string, unknown>) => EchoClient;

let ctor: ClientCtor | undefined;
/** This package's client; engine.io-client (said loudly) only while ours is not in the tree yet. */
async function clientCtor(): Promise<ClientCtor> {
  if (ctor) return ctor;
  try {
    const mod = (await import("../src/client/index.js")) as unknown as { Socket?: ClientCtor };
    if (!mod.Socket) throw new Error("src/client/index.ts exports no Socket");
    ctor = mod.Socket;
  } catch (err) {
    process.stderr.write(
      `\n!!! adapters tests: this package's client did not load (${String(err)}); using engine.io-client\n`,
    );
    const mod = (await import("engine.io-client")) as unknown as { Socket: ClientCtor };
    ctor = mod.Socket;
  }
  return ctor;
}

/**
 * Opens a client on `url` with only `transport` (`polling` or `websocket`), sends `text`, waits for the echo and
 * closes. Returns the echoed text and the transport name seen when it arrived.
 */
export async function echoOnce(
  url: string,
  transport: "polling" | "websocket",
  text: string,
  path = "/engine.io",
): Promise<{ echoed: string; transport: string }> {
  const ClientSocket = await clientCtor();
  const socket = new ClientSocket(url, { transports: [transport], path, upgrade: false });
  try {
    return await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no echo over ${transport} within 5 s`)), 5000);
      socket.on("error", (err) => {
        clearTimeout(timer);
        fail(err instanceof Error ? err : new Error(String(err)));
      });
      socket.on("open", () => socket.send(text));
      socket.on("message", (data) => {
        clearTimeout(timer);
        done({ echoed: String(data), transport: socket.transport.name });
      });
    });
  } finally {
    socket.close();
  }
}

/** The engine.io-compatible surface the recipes use. */
export interface EchoEngine {
  on(
    event: "connection",
    fn: (socket: { on(e: "message", f: (d: unknown) => void): unknown; send(d: unknown): unknown }) => void,
  ): unknown;
  attach(server: unknown, opts?: Record<string, unknown>): unknown;
  handleRequest(req: unknown, res: unknown): void;
  handleUpgrade(req: unknown, socket: unknown, head: unknown): void;
  close(): unknown;
}
type EngineCtor = new (opts?: Record<string, unknown>) => EchoEngine;

let engineCtorCache: EngineCtor | undefined;
/** This package's `Server`; engine.io's (said loudly) only while ours is not in the tree yet. */
export async function engineCtor(): Promise<EngineCtor> {
  if (engineCtorCache) return engineCtorCache;
  try {
    const mod = (await import("../src/index.js")) as unknown as { Server?: EngineCtor };
    if (!mod.Server) throw new Error("src/index.ts exports no Server");
    engineCtorCache = mod.Server;
  } catch (err) {
    process.stderr.write(
      `\n!!! adapters tests: this package's Server did not load (${String(err)}); using engine.io\n`,
    );
    const mod = (await import("engine.io")) as unknown as { Server: EngineCtor };
    engineCtorCache = mod.Server;
  }
  return engineCtorCache;
}

/** A new engine that echoes every message back to its sender. */
export async function echoEngine(opts: Record<string, unknown> = {}): Promise<EchoEngine> {
  const Engine = await engineCtor();
  const engine = new Engine(opts);
  engine.on("connection", (socket) => socket.on("message", (data) => socket.send(data)));
  return engine;
}

/** What every `examples/<framework>.ts` exports. */
export interface Recipe {
  start(port?: number, host?: string): Promise<{ url: string; close(): Promise<void> }>;
}

/**
 * The suite each framework recipe runs: the framework still answers its own route, and this package's client
 * echoes through the engine over polling and over websocket.
 */
export async function recipeSuite(name: string, load: () => Promise<Recipe>): Promise<void> {
  const { describe, it, before, after } = await import("node:test");
  const assert = (await import("node:assert/strict")).default;
  describe(`examples/${name}.ts`, () => {
    let running: { url: string; close(): Promise<void> };
    before(async () => {
      running = await (await load()).start(0, "127.0.0.1");
    });
    after(() => running?.close());

    it(`${name} still serves its own routes`, async () => {
      const r = await get(Number(new URL(running.url).port), "/api/hello");
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { hello: name });
    });
    for (const transport of ["polling", "websocket"] as const) {
      it(`echoes through ${name} over ${transport}`, async () => {
        const r = await echoOnce(running.url, transport, `${name}/${transport} ✓`);
        assert.deepEqual(r, { echoed: `${name}/${transport} ✓`, transport });
      });
    }
    it(`${name} answers the engine's errors (unknown sid → 400 JSON)`, async () => {
      const r = await get(Number(new URL(running.url).port), "/engine.io/?EIO=4&transport=polling&sid=nope");
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.body).code, 1);
    });
  });
}
