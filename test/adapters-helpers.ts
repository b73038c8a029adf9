// Shared helpers of the adapters-*.test.ts files: HTTP requests on loopback, and one echo round trip through an
// Engine.IO client over a chosen transport.
import assert from "node:assert/strict";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Socket as ClientSocket } from "../src/client/index.js";
import { Server, type ServerOptions } from "../src/index.js";

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

/** A new engine (this package's `Server`) that echoes every message back to its sender. */
export function echoEngine(opts: ServerOptions = {}): Server {
  const engine = new Server(opts);
  engine.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data));
  });
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
export function recipeSuite(name: string, load: () => Promise<Recipe>): void {
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
