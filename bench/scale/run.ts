// bench:scale — how the engine scales past one process. Echo messages/s and server CPU µs per message with 1, 2
// and 4 worker processes behind the cluster primary and behind HAProxy (sid routing), WebSocket and polling,
// this engine and npm engine.io (behind HAProxy, with a generateId giving the same sid prefixes); then a
// socket.io broadcast to 2,000 clients over 2 processes through @socket.io/redis-adapter (both engines). The
// load generator is a separate process; its CPU share is reported, since on a small machine it competes with
// the servers. Writes bench/results/scale.md, .json and .svg.
// The cluster rows come in three routings side by side: "cluster" (each connection handed to its worker at its
// first request), "cluster-shared" (the workers accept from the public socket themselves and forward a foreign
// session's request) and "cluster-relay" (the primary relays every request), for keep-alive polling and for
// polling-close (every request a new connection: the handover then happens per request). References for the
// cost of one process accepting and passing connections on, polling-close: node:cluster's own round-robin
// primary (bench/scale/rr.ts, one worker) and HAProxy in front of the same engines.
//   flock /tmp/eio-heavy.lock npm run bench:scale [-- --quick] [--no-write] [--only cluster] [--workers 1,2] [--transports polling-close]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderHaproxy } from "../../src/cli/deploy.js";
import {
  type Child,
  freePort,
  listening,
  REDIS_SERVER,
  seen,
  start,
  startRedis,
  stop,
  stopAll,
} from "../../test/cluster-helpers.js";
import { renderChart } from "./chart.js";

const quick = process.argv.includes("--quick");
const write = !process.argv.includes("--no-write");
/** `--only cluster`: just the cluster-primary rows (no HAProxy, no broadcast), for before/after comparisons. */
const HAPROXY = "/usr/sbin/haproxy";
const haveHaproxy = existsSync(HAPROXY);
const haveRedis = existsSync(REDIS_SERVER);
for (const [ok, what] of [
  [haveHaproxy, `${HAPROXY} (apt-get install haproxy): no HAProxy rows`],
  [haveRedis, `${REDIS_SERVER} (apt-get install redis-server): no broadcast rows`],
] as const)
  if (!ok) process.stderr.write(`!!! ${what}\n`);
const onlyCluster =
  process.argv.includes("--only") && process.argv[process.argv.indexOf("--only") + 1] === "cluster";
const argAfter = (flag: string): string | undefined =>
  process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined;
const WORKERS = (argAfter("--workers") ?? "1,2,4").split(",").map(Number);
/** `--transports polling-close` (comma-separated): only those rows, for a quick before/after. */
const TRANSPORTS = (argAfter("--transports") ?? "websocket,polling,polling-2conn,polling-close").split(
  ",",
) as EchoRow["transport"][];
if (TRANSPORTS.some((t) => !["websocket", "polling", "polling-2conn", "polling-close"].includes(t)))
  throw new Error("--transports: a list of websocket, polling, polling-2conn, polling-close");
if (WORKERS.some((w) => !Number.isInteger(w) || w < 1)) throw new Error("--workers: a list like 1,2,4");
const WARMUP_MS = quick ? 400 : 800;
const WINDOW_MS = quick ? 1500 : 4000;
const CLIENTS = 32;
const SIO_CLIENTS = quick ? 500 : 2000;
const SIO_BROADCASTS = quick ? 10 : 30;
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const tsx = (file: string, ...args: string[]): Child =>
  start(process.execPath, ["--import", "tsx", here(file), ...args]);

/** CPU µs (user+sys) of a live process from /proc (10 ms ticks). */
function cpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** One measured echo setup. */
export interface EchoRow {
  engine: "ours" | "engineio";
  /**
   * cluster: connections handed to workers at their first request; cluster-shared: workers accept themselves;
   * cluster-relay: every request relayed; node-cluster-rr: node:cluster's round-robin primary (a reference).
   */
  front: "cluster" | "cluster-shared" | "cluster-relay" | "haproxy" | "node-cluster-rr";
  /** polling-2conn: keep-alive, the POSTs on a second connection (a browser's pattern). */
  transport: "websocket" | "polling" | "polling-2conn" | "polling-close";
  workers: number;
  messagesPerSecond: number;
  /** Server CPU (workers + primary or HAProxy) per echoed message. */
  serverCpuUsPerMsg: number;
  workerCpuUsPerMsg: number;
  /** The primary's or HAProxy's CPU per echoed message. */
  frontCpuUsPerMsg: number;
  /** HTTP requests per echoed message (polling: 2; WebSocket: 0) inside the window. */
  requestsPerMsg: number;
  /** New TCP connections per HTTP request inside the window (polling-close: 1; keep-alive: ≈ 0). */
  connectionsPerRequest: number;
  /** The front's CPU per HTTP request (polling rows); with one request per connection, per connection too. */
  frontCpuUsPerRequest: number | null;
  /** Load generator CPU / (load generator + servers). */
  loadGenShare: number;
}

async function measure(
  port: number,
  transport: string,
  workerPids: number[],
  frontPid: number,
): Promise<Omit<EchoRow, "engine" | "front" | "transport" | "workers">> {
  const load = tsx(
    "./load.ts",
    String(port),
    transport,
    String(CLIENTS),
    String(WARMUP_MS),
    String(WINDOW_MS),
  );
  await seen(load, /^START$/, 30_000);
  const w0 = workerPids.map(cpuUs);
  const f0 = cpuUs(frontPid);
  const end = JSON.parse((await seen(load, /^END (.+)$/, 30_000))[1]!) as {
    messages: number;
    requests: number;
    connections: number;
    ms: number;
    cpuUs: number;
  };
  const w = workerPids.map(cpuUs).reduce((a, v, i) => a + v - w0[i]!, 0);
  const f = cpuUs(frontPid) - f0;
  await load.exited;
  const n = Math.max(1, end.messages);
  return {
    messagesPerSecond: Math.round((end.messages / end.ms) * 1000),
    serverCpuUsPerMsg: +((w + f) / n).toFixed(1),
    workerCpuUsPerMsg: +(w / n).toFixed(1),
    frontCpuUsPerMsg: +(f / n).toFixed(1),
    requestsPerMsg: +(end.requests / n).toFixed(2),
    connectionsPerRequest: end.requests ? +(end.connections / end.requests).toFixed(3) : 0,
    frontCpuUsPerRequest: end.requests ? +(f / end.requests).toFixed(1) : null,
    loadGenShare: +(end.cpuUs / (end.cpuUs + w + f)).toFixed(2),
  };
}

// `--render`: rewrite scale.md and scale.svg from scale.json (after a change to the presentation only)
if (process.argv.includes("--render")) {
  const saved = JSON.parse(readFileSync(here("../results/scale.json"), "utf8"));
  writeFileSync(here("../results/scale.md"), renderMarkdown(saved));
  writeFileSync(here("../results/scale.svg"), renderChart(saved.echo));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), "eio-bench-scale-"));
const rows: EchoRow[] = [];
const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};
/**
 * Measures one primary + workers process tree `c` (it prints `READY <port> <pids JSON>`; the primary's own CPU is
 * the front's), records the row and stops the tree.
 */
async function measurePrimary(
  c: ReturnType<typeof tsx>,
  front: EchoRow["front"],
  transport: (typeof TRANSPORTS)[number],
  workers: number,
): Promise<void> {
  const [, port, pids] = (await seen(c, /^READY (\d+) (.+)$/, 60_000)) as unknown as [string, string, string];
  const r = await measure(
    Number(port),
    transport,
    Object.values(JSON.parse(pids) as Record<string, number>),
    c.proc.pid!,
  );
  rows.push({ engine: "ours", front, transport, workers, ...r });
  log(JSON.stringify(rows.at(-1)));
  await stop(c);
}

try {
  for (const transport of TRANSPORTS)
    for (const workers of WORKERS) {
      // WebSockets are handed over in handover and relay: no relay row for them
      for (const routing of transport === "websocket"
        ? ["handover", "shared"]
        : ["handover", "shared", "relay"]) {
        const front = routing === "handover" ? "cluster" : (`cluster-${routing}` as EchoRow["front"]);
        await measurePrimary(tsx("./cluster.ts", String(workers), routing), front, transport, workers);
      }
      // node:cluster's round-robin primary, the floor of accepting and passing a connection on in Node.js: one
      // worker (it routes nothing, so more workers would break polling sessions)
      if (transport === "polling-close" && workers === 1) {
        await measurePrimary(tsx("./rr.ts", "1"), "node-cluster-rr", transport, workers);
      }
      // HAProxy in front of the same engines (polling-close: its cost per connection, a reference)
      // (polling-2conn is about the cluster's routings only: HAProxy routes every request anyway)
      const haproxyEngines =
        onlyCluster || !haveHaproxy || transport === "polling-2conn" ? [] : ["ours", "engineio"];
      for (const engine of haproxyEngines as ("ours" | "engineio")[]) {
        const ids = Array.from({ length: workers }, (_, i) => `n${i}`);
        const nodes = ids.map((id) => tsx("./node.ts", engine, id));
        const ports = await Promise.all(nodes.map(async (n) => (await seen(n, /^READY (\d+)/, 60_000))[1]!));
        const lb = await freePort();
        const cfg = join(dir, "haproxy.cfg");
        writeFileSync(
          cfg,
          renderHaproxy({
            nodes: ids.map((name, i) => ({ name, address: `127.0.0.1:${ports[i]}` })),
            listen: `127.0.0.1:${lb}`,
            path: "/engine.io/",
            timeoutMs: 60_000,
            cookie: false,
            noSticky: false,
          }),
        );
        const h = start(HAPROXY, ["-f", cfg, "-db"]);
        await listening(lb, h);
        const hr = await measure(
          lb,
          transport,
          nodes.map((n) => n.proc.pid!),
          h.proc.pid!,
        );
        rows.push({ engine, front: "haproxy", transport, workers, ...hr });
        log(JSON.stringify(rows.at(-1)));
        await Promise.all([h, ...nodes].map((x) => stop(x)));
      }
    }

  // socket.io broadcast to SIO_CLIENTS clients over 2 processes through Redis
  const broadcast: Record<string, unknown>[] = [];
  for (const engine of onlyCluster || !haveRedis ? [] : (["ours", "engineio"] as const)) {
    const redis = await startRedis(dir);
    const nodes = ["s1", "s2"].map((id) => tsx("./sio-node.ts", engine, id, redis.url));
    const ports = await Promise.all(nodes.map(async (n) => (await seen(n, /^READY (\d+)/, 60_000))[1]!));
    const load = tsx("./sio-load.ts", ports.join(","), String(SIO_CLIENTS), String(SIO_BROADCASTS), "50");
    await seen(load, /^START$/, 120_000);
    const pids = [...nodes.map((n) => n.proc.pid!), redis.child.proc.pid!];
    const c0 = pids.map(cpuUs);
    const end = JSON.parse((await seen(load, /^END (.+)$/, 60_000))[1]!) as {
      deliveries: number;
      expected: number;
      cpuUs: number;
      p50: number;
      p99: number;
    };
    const used = pids.map(cpuUs).map((v, i) => v - c0[i]!);
    await load.exited;
    broadcast.push({
      engine,
      clients: SIO_CLIENTS,
      processes: 2,
      broadcasts: SIO_BROADCASTS,
      deliveries: end.deliveries,
      expected: end.expected,
      serverCpuUsPerDelivery: +((used[0]! + used[1]!) / Math.max(1, end.deliveries)).toFixed(2),
      redisCpuUsPerBroadcast: +(used[2]! / SIO_BROADCASTS).toFixed(0),
      latencyP50Ms: end.p50,
      latencyP99Ms: end.p99,
      loadGenShare: +(end.cpuUs / (end.cpuUs + used.reduce((a, b) => a + b, 0))).toFixed(2),
    });
    log(JSON.stringify(broadcast.at(-1)));
    await Promise.all([...nodes, redis.child].map((x) => stop(x)));
  }

  // 16 cores, from the measured per-message cost of one worker (its own CPU plus the front's): linear in the
  // number of worker cores, capped by the primary's single process (HAProxy runs threads)
  const projection = rows
    .filter((r) => r.workers === 1 && r.engine === "ours")
    .map((r) => {
      const byCores = Math.round(16e6 / r.serverCpuUsPerMsg);
      const cap =
        r.front !== "haproxy" && r.frontCpuUsPerMsg > 0
          ? Math.round(1e6 / r.frontCpuUsPerMsg)
          : Number.POSITIVE_INFINITY;
      return {
        front: r.front,
        transport: r.transport,
        projected16CoreMessagesPerSecond: Math.min(byCores, cap),
        primaryCap: Number.isFinite(cap) ? cap : null,
      };
    });
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    quick,
    clients: CLIENTS,
    windowMs: WINDOW_MS,
    echo: rows,
    broadcast,
    projection,
  };
  const md = renderMarkdown(result);
  process.stdout.write(md);
  if (write) {
    writeFileSync(here("../results/scale.json"), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(here("../results/scale.md"), md);
    writeFileSync(here("../results/scale.svg"), renderChart(rows));
  }
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}

function renderMarkdown(r: {
  date: string;
  node: string;
  cores: number;
  quick: boolean;
  echo: EchoRow[];
  broadcast: Record<string, unknown>[];
  projection: {
    front: string;
    transport: string;
    projected16CoreMessagesPerSecond: number;
    primaryCap: number | null;
  }[];
}): string {
  const echo = r.echo
    .map(
      (e) =>
        `| ${e.engine === "ours" ? "engineio-wasm" : "npm engine.io"} | ${e.front} | ${e.transport} | ${e.workers} | ${e.messagesPerSecond} | ${e.serverCpuUsPerMsg} | ${e.workerCpuUsPerMsg} | ${e.frontCpuUsPerMsg} | ${Math.round(e.loadGenShare * 100)} % |`,
    )
    .join("\n");
  const b = r.broadcast
    .map(
      (x) =>
        `| ${x.engine === "ours" ? "engineio-wasm" : "npm engine.io"} | ${x.clients} | ${x.deliveries}/${x.expected} | ${x.serverCpuUsPerDelivery} | ${x.redisCpuUsPerBroadcast || `< ${Math.round(10_000 / Number(x.broadcasts))} (under one 10 ms tick in all)`} | ${x.latencyP50Ms} | ${x.latencyP99Ms} | ${Math.round(Number(x.loadGenShare) * 100)} % |`,
    )
    .join("\n");
  const ROUTING: Record<string, string> = {
    cluster: "handover",
    "cluster-shared": "shared",
    "cluster-relay": "relay",
    "node-cluster-rr": "node:cluster RR (reference, 1 worker)",
  };
  const perConnection = r.echo
    .filter((e) => e.transport === "polling-close")
    .map((e) => {
      const setup =
        e.front === "haproxy"
          ? `HAProxy → ${e.engine === "ours" ? "engineio-wasm" : "npm engine.io"}`
          : e.front === "node-cluster-rr"
            ? "node:cluster round-robin primary (reference)"
            : `cluster, routing ${ROUTING[e.front]}`;
      const perConn = e.frontCpuUsPerRequest ?? 0;
      return `| ${setup} | ${e.workers} | ${e.messagesPerSecond} | ${perConn} | ${e.workerCpuUsPerMsg} | ${e.workerCpuUsPerMsg ? `${((100 * perConn) / e.workerCpuUsPerMsg).toFixed(0)} %` : "—"} | ${e.serverCpuUsPerMsg} |`;
    })
    .join("\n");
  const primary = r.echo
    .filter(
      (e) =>
        e.engine === "ours" &&
        e.front !== "haproxy" &&
        e.front !== "node-cluster-rr" &&
        e.transport !== "websocket",
    )
    .map((e) => {
      const ws = r.echo.find(
        (x) =>
          x.engine === "ours" &&
          x.front === "cluster" &&
          x.transport === "websocket" &&
          x.workers === e.workers,
      );
      const perReq = e.frontCpuUsPerRequest ?? 0;
      const ratio = (v: number | undefined): string =>
        v === undefined || v === 0 ? "—" : `${((100 * perReq) / v).toFixed(0)} %`;
      return `| ${ROUTING[e.front]} | ${e.transport} | ${e.workers} | ${e.connectionsPerRequest} | ${perReq} | ${e.workerCpuUsPerMsg} | ${ratio(e.workerCpuUsPerMsg)} | ${ws?.workerCpuUsPerMsg ?? "—"} | ${ratio(ws?.workerCpuUsPerMsg)} |`;
    })
    .join("\n");
  const p = r.projection
    .map(
      (x) =>
        `| ${x.front} | ${x.transport} | ${x.projected16CoreMessagesPerSecond} | ${x.primaryCap ?? (x.front === "haproxy" ? "— (threads)" : "— (not in the data path: below one 10 ms tick in the window)")} |`,
    )
    .join("\n");
  return `# Scale-out: many processes

Measured by \`npm run bench:scale\` (bench/scale/run.ts), ${r.date}, Node ${r.node}, ${r.cores} cores${r.quick ? " (quick)" : ""}.
Echo: ${CLIENTS} closed-loop clients (one message in flight each, raw Engine.IO v4) in one separate load-generator
process; CPU from /proc for every server process (workers, and the primary or HAProxy) over the measured window.
On ${r.cores} cores the load generator competes with the servers: the curve flattens at 2 processes, read the CPU
columns (the cost per message) rather than the messages/s beyond ${r.cores} workers.

![messages/s by workers](scale.svg)

| engine | front | transport | workers | messages/s | server CPU µs/msg | workers µs/msg | front µs/msg | load generator CPU |
|---|---|---|---:|---:|---:|---:|---:|---:|
${echo}

Polling: one message = 2 routed HTTP requests (POST + GET), so the front's cost per request is half its µs/msg.
polling-close: every request on a new connection (\`Connection: close\`), so there the cost per request is the cost
per routed connection. polling-2conn: kept alive, but the POSTs on a second connection of their own, as a
browser's connection pool does while a long-poll GET waits: with \`shared\` that connection was accepted by any
worker, so (N−1)/N of the sessions have every POST forwarded worker to worker (handover routes both connections
to the session's worker at their first request).

**What the cluster primary costs** (this engine's cluster rows; CPU of the primary process over the window, in
10 ms ticks, divided by the requests the load generator made in it). \`handover\`: the primary reads a
connection's first request and passes the socket to its worker, then leaves the data path; \`shared\`: the
workers accept from the public socket themselves (the primary is on no path: 0), each routes every request by
its sid and forwards one of another worker's session to its owner (that cost is in the workers' column);
\`relay\`: the primary relays every request and response. Beside it a worker's cost per echoed message, polling
and WebSocket:

| routing | transport | workers | new connections per request | primary µs/request | worker µs/msg (this row) | primary / that | worker µs/msg (WebSocket) | primary / that |
|---|---|---:|---:|---:|---:|---:|---:|---:|
${primary}

**Who pays for a new connection** (polling-close: every HTTP request on a new connection, so the front's CPU
per request is its CPU per connection; one echoed message = 2 connections). The references are what one process
that accepts connections and passes them on costs: node:cluster's own round-robin primary (it reads nothing and
routes nothing: one worker) and HAProxy (it also relays every byte). With \`shared\` nobody stands in front: the
workers' column then carries the accept and, with N workers, the forwarding of the (N−1)/N requests that land
on a worker other than their session's:

| setup | workers | messages/s | front µs per new connection | workers µs/msg | front / workers µs/msg | server CPU µs/msg |
|---|---:|---:|---:|---:|---:|---:|
${perConnection}

**socket.io broadcast through @socket.io/redis-adapter** (2 processes, clients over WebSocket spread evenly,
one broadcast every 50 ms from a client on the first process, latency = send → delivery, all in one load process):

| engine | clients | delivered | server CPU µs/delivery | Redis CPU µs/broadcast | p50 ms | p99 ms | load generator CPU |
|---|---:|---:|---:|---:|---:|---:|---:|
${b}

**16-core projection** (not measured: 16 × the one-worker rate from its measured server CPU per message,
capped for the cluster by the primary, one process, at 1 / its µs per message):

| front | transport | projected messages/s | primary cap |
|---|---|---:|---:|
${p}
`;
}
