// What the cluster primary costs: CPU µs per routed request (polling, keep-alive) and per routed WebSocket
// connection, against the worker's CPU for the same work. Run: flock /tmp/eio-heavy.lock npm run bench:scale
// (the same script runs in the workers: node:cluster re-runs it).
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import { WebSocket } from "ws";
import { runCluster } from "../src/cluster/index.js";
import { Server } from "../src/server/index.js";

const REQUESTS = Number(process.env.SCALE_REQUESTS ?? 20000);
const CONNECTIONS = Number(process.env.SCALE_CONNECTIONS ?? 1000);
const CONCURRENCY = 16;

const handle = await runCluster({
  workers: 1,
  port: 0,
  installSignals: false,
  worker: ({ nodeId }) => {
    const engine = new Server({ nodeId, pingInterval: 60_000 });
    const server = createServer();
    engine.attach(server);
    engine.on("connection", (s) => s.on("message", (m) => s.send(m)));
    return { server, engine };
  },
});

/** CPU µs (user+sys) of a process from /proc (10 ms ticks on Linux). */
function procCpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

if (handle.role === "primary") {
  const port = handle.port;
  const wpid = handle.pids().w0!;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = (path: string, body?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, agent, method: body ? "POST" : "GET" }, (res) => {
        let t = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          t += d;
        });
        res.on("end", () => resolve(t));
      });
      req.on("error", reject);
      req.end(body);
    });
  const hs = await get("/engine.io/?EIO=4&transport=polling");
  const sid = JSON.parse(hs.slice(1)).sid as string;
  const q = `/engine.io/?EIO=4&transport=polling&sid=${sid}`;
  // polling echo: POST a message, GET the echo (2 routed requests per message)
  const c0 = process.cpuUsage();
  const w0 = procCpuUs(wpid);
  const t0 = performance.now();
  for (let i = 0; i < REQUESTS / 2; i++) {
    await get(q, "4hello");
    await get(q);
  }
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const w1 = procCpuUs(wpid);
  const primaryPerReq = (c1.user + c1.system) / REQUESTS;
  const workerPerReq = (w1 - w0) / REQUESTS;
  // WebSocket connections: handshake + upgrade piped by the primary, one echo, close
  const c2 = process.cpuUsage();
  const w2 = procCpuUs(wpid);
  for (let i = 0; i < CONNECTIONS; i++) {
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`);
      ws.on("message", (d) => {
        const s = String(d);
        if (s.startsWith("0")) ws.send("4x");
        else if (s === "4x") ws.close();
      });
      ws.on("close", () => resolve());
      ws.on("error", reject);
    });
  }
  const c3 = process.cpuUsage(c2);
  const w3 = procCpuUs(wpid);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    requests: REQUESTS,
    connections: CONNECTIONS,
    sequentialRequestsPerSecond: Math.round(REQUESTS / ((t1 - t0) / 1000)),
    primaryCpuUsPerRequest: +primaryPerReq.toFixed(1),
    workerCpuUsPerRequest: +workerPerReq.toFixed(1),
    primaryCpuUsPerWsConnection: +((c3.user + c3.system) / CONNECTIONS).toFixed(1),
    workerCpuUsPerWsConnection: +((w3 - w2) / CONNECTIONS).toFixed(1),
    note: "primary CPU includes this load generator (same process): an upper bound of the routing cost",
  };
  const md = `# Scale-out: cost of the cluster primary

Measured by \`npm run bench:scale\` (bench/scale-routing.ts), ${result.date}, Node ${result.node}, 1 worker.
The load generator runs inside the primary process, so the primary column is an **upper bound** of routing cost.

| | primary CPU µs | worker CPU µs |
|---|---:|---:|
| per polling request (keep-alive, POST+GET echo) | ${result.primaryCpuUsPerRequest} | ${result.workerCpuUsPerRequest} |
| per WebSocket connection (handshake, upgrade pipe, 1 echo, close) | ${result.primaryCpuUsPerWsConnection} | ${result.workerCpuUsPerWsConnection} |

Sequential polling requests/s through the primary: ${result.sequentialRequestsPerSecond}.
Not measured yet: multi-worker messages/s curves, HAProxy, Redis broadcast (issue 11 §4).
`;
  writeFileSync(new URL("./results/scale.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(new URL("./results/scale.md", import.meta.url), md);
  process.stdout.write(md);
  agent.destroy();
  await handle.close();
  process.exit(0);
}
