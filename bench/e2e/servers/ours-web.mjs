// Echo server on this project hosted on Bun or Deno through the Fetch handler (`engine.handler()`), imported
// from the built package (dist/esm) like ours.mjs. The codec is the runtime's default (WASM).
import { codecBackend, Server } from "../../../dist/esm/index.js";
import { echo, engineOptions } from "./echo.mjs";
import { runtime, serveLines } from "./lines.mjs";

const engine = new Server(engineOptions);
engine.on("connection", echo);
const handler = engine.handler();
serveLines(`ours-${runtime}`, { bun: handler, deno: handler.fetch }, { codec: codecBackend() });
