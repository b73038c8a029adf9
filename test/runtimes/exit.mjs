// Whether an engine's timers keep a Bun or Deno process alive: serves `engine.handler()`, opens a polling
// session from inside the process, starts `engine.shutdown()` with a long timeout (the session has no GET held,
// so its close packet waits behind the polling close timer and the shutdown timer), stops the runtime's HTTP
// server and returns. With every engine timer unref'd the process exits at once, as on Node; prints
// `{"event":"stopped"}` just before it falls off the end.
import { Server } from "../../dist/esm/index.js";

const out = (o) => console.log(JSON.stringify(o));
const engine = new Server();
const handler = engine.handler();
let stopHttp;
let port;
if (typeof globalThis.Bun !== "undefined") {
  const server = globalThis.Bun.serve({ port: 0, hostname: "127.0.0.1", ...handler });
  port = server.port;
  stopHttp = () => server.stop(true);
} else {
  const server = globalThis.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler.fetch);
  port = server.addr.port;
  stopHttp = () => server.shutdown();
}
const res = await fetch(`http://127.0.0.1:${port}/engine.io/?EIO=4&transport=polling`);
const open = await res.text();
out({ event: "open", sid: JSON.parse(open.slice(1)).sid, clients: engine.clientsCount });
engine.shutdown(120_000).then(() => out({ event: "shutdown-done" }));
await stopHttp();
out({ event: "stopped", clients: engine.clientsCount });
