// One echo node for bench:scale: this engine (`ours`, with a nodeId) or npm engine.io (`engineio`, with a
// generateId giving the same sid prefix, so HAProxy's sid rules route it too). Prints "READY <port>".
//   node --import tsx bench/scale/node.ts ours|engineio <nodeId>
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import * as engineio from "engine.io";
import { Server } from "../../src/server/index.js";

const [kind = "ours", nodeId = "n1"] = process.argv.slice(2);
const http = createServer();
// pings every minute: the measured window carries echo traffic only
const opts = { pingInterval: 60_000, pingTimeout: 60_000 };
if (kind === "ours") {
  const engine = new Server({ ...opts, nodeId });
  engine.attach(http);
  engine.on("connection", (s) => s.on("message", (m) => s.send(m)));
} else {
  const engine = new engineio.Server(opts);
  engine.generateId = () =>
    nodeId +
    randomBytes(15)
      .toString("base64url")
      .slice(0, 20 - nodeId.length);
  engine.attach(http);
  engine.on("connection", (s: engineio.Socket) => s.on("message", (m: string) => s.send(m)));
}
http.listen(0, "127.0.0.1", () => {
  const a = http.address();
  process.stdout.write(`READY ${typeof a === "object" && a ? a.port : 0}\n`);
});
