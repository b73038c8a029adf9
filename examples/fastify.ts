/**
 * Fastify 5 + engineio-wasm: attach the engine to `fastify.server` (Fastify's own `http.Server`) before
 * `listen()`. The engine answers `/engine.io/` and its WebSocket upgrades; Fastify routes the rest.
 *
 *   npx tsx examples/fastify.ts            # http://127.0.0.1:3000
 */
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { Server } from "engineio-wasm";
import Fastify from "fastify";

/** A started example: its base URL and how to stop it. */
export interface Running {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the Fastify app with an echo engine on `host:port` (`port` 0 picks a free one).
 * @returns its base URL and a graceful `close()`.
 */
export async function start(port = 3000, host = "127.0.0.1"): Promise<Running> {
  const engine = new Server();
  engine.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data)); // echo
  });

  const fastify = Fastify();
  fastify.get("/api/hello", async () => ({ hello: "fastify" }));
  engine.attach(fastify.server);
  // Before Fastify stops its server: end the sessions ("server shutting down"), then give open connections 1 s.
  fastify.addHook("preClose", async () => {
    await engine.shutdown();
    setTimeout(() => fastify.server.closeAllConnections(), 1000).unref();
  });

  await fastify.listen({ port, host });
  const { port: bound } = fastify.server.address() as AddressInfo;
  return { url: `http://${host}:${bound}`, close: () => fastify.close() };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await start(Number(process.env.PORT ?? 3000));
  process.stdout.write(`fastify + engineio-wasm on ${url}\n`);
}
