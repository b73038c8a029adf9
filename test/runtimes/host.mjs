// An echo host for Bun and Deno (plain JS: both run it without a build step or flags beyond permissions).
// It imports the built package (dist/esm), serves `engine.handler()` on 127.0.0.1:0 and prints one JSON line
// `{"port","runtime","backend"}`, then one JSON line per engine event the tests assert on. Control messages:
// "close-me" closes the session from the server, "shutdown" runs engine.shutdown(), "py:<text>" answers
// through the python-style `send(sid, …)`. With {"socketio": true}, socket.io 4.8 runs on the engine instead.
// With {"wire": true} (test/server-wire.ts): "echo" → "echoed", "bin" → bytes 01 02 03 04, "big" → 5000 × "y",
// anything else echoed; GET /__wire/state?sid=… answers whether the engine holds a GET and a POST body of that
// session, its transport and its readyState.
import { Server } from "../../dist/esm/index.js";

const config = JSON.parse(process.argv[2] ?? globalThis.Deno?.args?.[0] ?? "{}");
const runtime =
  typeof globalThis.Bun !== "undefined" ? "bun" : typeof globalThis.Deno !== "undefined" ? "deno" : "node";
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const options = { ...(config.socketio ? { path: "/socket.io" } : {}), ...(config.options ?? {}) };
if (config.denyHeader) {
  // allowRequest: refuse handshakes carrying this header (403 with the message)
  options.allowRequest = (req, fn) =>
    fn(req.headers[config.denyHeader] ? "denied by header" : null, !req.headers[config.denyHeader]);
}
const engine = new Server(options);
engine.on("connection_error", (e) => out({ event: "connection_error", code: e.code, message: e.message }));

if (config.socketio) {
  const { Server: IoServer } = await import("socket.io");
  const io = new IoServer();
  io.bind(engine);
  io.on("connection", (s) => {
    out({ event: "io-connection", transport: s.conn.transport.name });
    s.on("echo", (data, ack) => (typeof ack === "function" ? ack(data) : s.emit("echo", data)));
  });
} else {
  engine.on("connection", (socket) => {
    out({
      event: "connection",
      sid: socket.id,
      transport: socket.transport?.name,
      remote: socket.remoteAddress,
    });
    socket.on("upgrade", (t) => out({ event: "upgrade", sid: socket.id, transport: t.name }));
    socket.on("heartbeat", () => out({ event: "heartbeat", sid: socket.id }));
    socket.on("close", (reason, description) =>
      out({ event: "close", sid: socket.id, reason, code: description?.code ?? null }),
    );
    socket.on("message", (data) => {
      if (config.wire) {
        if (data === "echo") socket.send("echoed");
        if (data === "bin") socket.send(new Uint8Array([1, 2, 3, 4]));
        else if (data === "big") socket.send("y".repeat(5000));
        else if (data !== "echo" && data !== "bin") socket.send(data);
        return;
      }
      if (data === "close-me") socket.close();
      else if (data === "shutdown") engine.shutdown(2000).then(() => out({ event: "shutdown-done" }));
      else if (typeof data === "string" && data.startsWith("py:")) engine.send(socket.id, data.slice(3));
      else socket.send(data);
    });
  });
}

const engineHandler = engine.handler();
const wireState = (url) => {
  const s = engine.clients[url.searchParams.get("sid")];
  const t = s?.transport;
  return Response.json({
    get: t?.writable === true,
    post: t?.dataReq != null,
    transport: t?.name ?? null,
    readyState: s?.readyState ?? null,
  });
};
const handler = config.wire
  ? {
      ...engineHandler,
      fetch(req, server) {
        const url = new URL(req.url);
        return url.pathname === "/__wire/state" ? wireState(url) : engineHandler.fetch(req, server);
      },
    }
  : engineHandler;
let port;
if (runtime === "bun") {
  const server = globalThis.Bun.serve({ port: 0, hostname: "127.0.0.1", ...handler });
  port = server.port;
} else {
  const server = globalThis.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler.fetch);
  port = server.addr.port;
}
const { codecBackend } = await import("../../dist/esm/index.js");
out({ port, runtime, backend: codecBackend() });
