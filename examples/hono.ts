/**
 * Hono 4 on Node (`@hono/node-server`) + engineio-wasm: build the Node server with `createAdaptorServer`, attach
 * the engine to it, then listen. The engine answers `/engine.io/` and its WebSocket upgrades; Hono the rest.
 *
 *   npx tsx examples/hono.ts               # http://127.0.0.1:3000
 */
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { createAdaptorServer } from "@hono/node-server";
import { Server } from "engineio-wasm";
import { Hono } from "hono";

/** A started example: its base URL and how to stop it. */
export interface Running {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the Hono app with an echo engine on `host:port` (`port` 0 picks a free one).
 * @returns its base URL and a graceful `close()`.
 */
export async function start(port = 3000, host = "127.0.0.1"): Promise<Running> {
  const engine = new Server();
  engine.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data)); // echo
  });

  const hono = new Hono();
  hono.get("/api/hello", (c) => c.json({ hello: "hono" }));

  // createAdaptorServer returns an http.Server unless you pass http2's createServer.
  const http = createAdaptorServer({ fetch: hono.fetch }) as HttpServer;
  engine.attach(http);
  await new Promise<void>((done) => http.listen(port, host, done));
  const { port: bound } = http.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: async () => {
      await engine.shutdown(); // sessions end with "server shutting down"
      await new Promise<void>((done) => {
        http.close(() => done());
        setTimeout(() => http.closeAllConnections(), 1000).unref(); // drop stragglers after 1 s
      });
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await start(Number(process.env.PORT ?? 3000));
  process.stdout.write(`hono + engineio-wasm on ${url}\n`);
}
