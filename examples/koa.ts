/**
 * Koa 3 + engineio-wasm, engine.io style: `engine.attach(httpServer)` takes `/engine.io/` (requests and WebSocket
 * upgrades) and leaves every other request to Koa.
 *
 *   npx tsx examples/koa.ts                # http://127.0.0.1:3000
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { Server } from "engineio-wasm";
import Koa from "koa";

/** A started example: its base URL and how to stop it. */
export interface Running {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the Koa app with an echo engine on `host:port` (`port` 0 picks a free one).
 * @returns its base URL and a graceful `close()`.
 */
export async function start(port = 3000, host = "127.0.0.1"): Promise<Running> {
  const engine = new Server();
  engine.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data)); // echo
  });

  const koa = new Koa();
  koa.use((ctx) => {
    if (ctx.path === "/api/hello") ctx.body = { hello: "koa" };
  });

  const http = createServer(koa.callback());
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
  process.stdout.write(`koa + engineio-wasm on ${url}\n`);
}
