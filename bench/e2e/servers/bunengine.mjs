// Echo server on @socket.io/bun-engine (the official project's Bun-only engine), on Bun. Its sockets are
// `data`/`write` rather than `message`/`send`; the options are the subset of echo.mjs's it has.
import { Server } from "@socket.io/bun-engine";
import { engineOptions } from "./echo.mjs";
import { serveLines } from "./lines.mjs";

const engine = new Server({
  pingInterval: engineOptions.pingInterval,
  pingTimeout: engineOptions.pingTimeout,
  maxHttpBufferSize: engineOptions.maxHttpBufferSize,
});
engine.on("connection", (socket) => socket.on("data", (data) => socket.write(data)));
serveLines("bunengine", { bun: engine.handler() });
