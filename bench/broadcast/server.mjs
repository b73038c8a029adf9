// Broadcast benchmark server (plain JS, `node --expose-gc`, ours imported from dist/esm). argv[2] selects it:
//   ours          engineio-wasm; `burst` with method "broadcast" (Server.broadcast) or "loop" (send per socket)
//   engineio      npm engine.io 6.6; method "loop" (what an engine.io app writes)
//   sio-engineio  socket.io 4.8 on npm engine.io; io.emit (socket.io's adapter pre-encodes the frame once)
//   sio-ours      socket.io 4.8 bound to engineio-wasm; io.emit
// IPC (besides harness.mjs's ready/mem/exit): {cmd:"burst", count, size, binary, method, id} → {type:"burst",
// id, cpuUs} once every message was handed to the engine; {cmd:"cpu", id} → {type:"cpu", id, cpuUs, clients}.
import { Server as EioServer } from "engine.io";
import { Server as IoServer } from "socket.io";
import { engineOptions, runServer } from "../e2e/servers/harness.mjs";

const kind = process.argv[2] ?? "ours";
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
let engine = null;
let io = null;

await runServer(kind, async (http) => {
  if (kind === "ours" || kind === "sio-ours") {
    const mod = await import("../../dist/esm/index.js");
    engine = new mod.Server({ ...engineOptions, path: kind === "sio-ours" ? "/socket.io/" : "/engine.io/" });
    engine.attach(http);
  } else if (kind === "engineio") {
    engine = new EioServer(engineOptions);
    engine.attach(http);
  }
  if (kind.startsWith("sio-")) {
    io =
      kind === "sio-ours"
        ? new IoServer({ serveClient: false })
        : new IoServer(http, { ...engineOptions, serveClient: false });
    if (kind === "sio-ours") io.bind(engine);
    engine = io.engine;
  }
});

/** One message to every client, by the method under test. */
function sendOnce(method, data) {
  if (io !== null) io.emit("m", data);
  else if (method === "broadcast") engine.broadcast(data);
  else for (const sid in engine.clients) engine.clients[sid].send(data);
}

process.on("message", (msg) => {
  if (!msg || typeof msg !== "object") return;
  if (msg.cmd === "cpu") {
    process.send?.({ type: "cpu", id: msg.id, cpuUs: cpuUs(), clients: engine.clientsCount });
  } else if (msg.cmd === "burst") {
    const data = msg.binary ? Buffer.alloc(msg.size, 7) : "x".repeat(msg.size);
    let left = msg.count;
    // one message per macrotask, as a server answering events would send them (writes flush in between)
    const step = () => {
      sendOnce(msg.method, data);
      if (--left > 0) setImmediate(step);
      else process.send?.({ type: "burst", id: msg.id, cpuUs: cpuUs() });
    };
    step();
  }
});
