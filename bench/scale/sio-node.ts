// One socket.io process behind @socket.io/redis-adapter for bench:scale's broadcast: on this engine (`ours`) or
// on npm engine.io (`engineio`, socket.io's default). "bcast" m → io.emit("b", m). Prints "READY <port>".
//   node --import tsx bench/scale/sio-node.ts ours|engineio <nodeId> <redis url>
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server as SocketIOServer } from "socket.io";
import { Server as Engine } from "../../src/server/index.js";

const [kind = "ours", nodeId = "s1", url = "redis://127.0.0.1:6379"] = process.argv.slice(2);
const pub = createClient({ url });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);
const http = createServer();
const opts = { pingInterval: 60_000, pingTimeout: 60_000 };
let io: SocketIOServer;
if (kind === "ours") {
  const engine = new Engine({ ...opts, nodeId, path: "/socket.io/" });
  engine.attach(http);
  io = new SocketIOServer({ adapter: createAdapter(pub, sub) });
  io.bind(engine as unknown as Parameters<SocketIOServer["bind"]>[0]);
} else {
  io = new SocketIOServer(http, { ...opts, adapter: createAdapter(pub, sub), transports: ["websocket"] });
}
io.on("connection", (socket) => socket.on("bcast", (m: unknown) => io.emit("b", m)));
http.listen(0, "127.0.0.1", () => {
  const a = http.address();
  process.stdout.write(`READY ${typeof a === "object" && a ? a.port : 0}\n`);
});
