// A reference for bench:scale: Node's own node:cluster round-robin (SCHED_RR, the default on Linux) in front of
// the echo engine — the primary accepts each connection and passes its handle to a worker without reading a
// byte (no sid routing: one worker, since more would break polling sessions). Its CPU per new connection is
// the floor of "one Node.js process accepts and passes the connection on". Prints "READY <port> <pids json>".
//   node --import tsx bench/scale/rr.ts <workers>
import cluster from "node:cluster";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "../../src/server/index.js";

const workers = Number(process.argv[2] ?? 1);
if (cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const forked = Array.from({ length: workers }, () => cluster.fork());
  const ports = await Promise.all(
    forked.map(
      (w) => new Promise<number>((resolve) => w.once("listening", (a: AddressInfo) => resolve(a.port))),
    ),
  );
  const stop = (): void => {
    for (const w of forked) w.process.kill("SIGTERM");
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  const pids = Object.fromEntries(forked.map((w, i) => [`r${i}`, w.process.pid]));
  process.stdout.write(`READY ${ports[0]} ${JSON.stringify(pids)}\n`);
} else {
  const engine = new Server({ nodeId: "r0", pingInterval: 60_000, pingTimeout: 60_000 });
  const server = createServer();
  engine.attach(server);
  engine.on("connection", (s) => s.on("message", (m) => s.send(m)));
  // port 0 through node:cluster: one handle in the primary, shared by every worker (the same random port)
  server.listen(0, "127.0.0.1");
  process.on("SIGTERM", () => process.exit(0));
}
