// The echo engine in N workers behind the cluster primary, for bench:scale. Prints "READY <port> <pids json>".
//   node --import tsx bench/scale/cluster.ts <workers> [handover|relay|shared]
import { createServer } from "node:http";
import { runCluster } from "../../src/cluster/index.js";
import { Server } from "../../src/server/index.js";

const handle = await runCluster({
  workers: Number(process.argv[2] ?? 2),
  port: 0,
  routing: (process.argv[3] ?? "handover") as "handover" | "relay" | "shared",
  worker: ({ nodeId }) => {
    const engine = new Server({ nodeId, pingInterval: 60_000, pingTimeout: 60_000 });
    const server = createServer();
    engine.attach(server);
    engine.on("connection", (s) => s.on("message", (m) => s.send(m)));
    return { server, engine };
  },
});
if (handle.role === "primary")
  process.stdout.write(`READY ${handle.port} ${JSON.stringify(handle.pids())}\n`);
