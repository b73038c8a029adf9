/**
 * Express 5 + engineio-wasm, python-engineio style: `NodeApp` sends `/engine.io/` to the engine and everything
 * else to the Express app (the way `engineio.WSGIApp(eio, flask_app)` does).
 *
 *   npx tsx examples/express.ts            # http://127.0.0.1:3000
 *
 * engine.io style works too: `const http = createServer(web); engine.attach(http); http.listen(3000)`.
 */
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { NodeApp, Server } from "engineio-wasm";
import express from "express";

/** A started example: its base URL and how to stop it. */
export interface Running {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the Express app with an echo engine on `host:port` (`port` 0 picks a free one).
 * @returns its base URL and a graceful `close()`.
 */
export async function start(port = 3000, host = "127.0.0.1"): Promise<Running> {
  const engine = new Server();
  engine.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data)); // echo
  });

  const web = express();
  web.get("/api/hello", (_req, res) => {
    res.json({ hello: "express" });
  });

  const app = new NodeApp(engine, { otherApp: web });
  const server = await app.listen(port, host);
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://${host}:${bound}`, close: () => app.close({ timeout: 1000 }) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await start(Number(process.env.PORT ?? 3000));
  process.stdout.write(`express + engineio-wasm on ${url}\n`);
}
