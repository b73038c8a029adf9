/**
 * Encode-once broadcast: server CPU per delivered message when one message goes to every connected client.
 *
 *   npm run bench:broadcast                 1,000 and 10,000 WebSocket clients, 3 repetitions
 *   npm run bench:broadcast -- --quick      1,000 clients, 1 repetition
 *   options: --clients 1000,10000  --reps N  --messages N  --no-write  --only id,id
 *            --profile id (writes bench/results/profiles/<id>-*.cpuprofile of that setup's server)
 *
 * Each setup is its own server process (bench/broadcast/server.mjs, plain JS on dist/esm) with one client
 * process of raw `ws` connections (bench/broadcast/clients.mjs). Setups: this project's `Server.broadcast`, a
 * loop of `socket.send` on this project and on npm engine.io 6.6, and socket.io 4.8's `io.emit` on npm engine.io
 * (its adapter pre-encodes the WebSocket frame once) and on this engine. Reported: the median over repetitions
 * of server CPU µs per delivered message, and ratios to the `send` loop on engine.io.
 * Results: bench/results/broadcast.md and broadcast.json.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Child, killAll } from "./e2e/procs.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes("--quick");
const reps = Number(opt("reps") ?? (quick ? 1 : 3));
const clientCounts = (opt("clients") ?? (quick ? "1000" : "1000,10000")).split(",").map(Number);
const messages = Number(opt("messages") ?? 20);
const write = !argv.includes("--no-write");
const only = opt("only")?.split(",");
const profile = opt("profile");

interface Setup {
  id: string;
  label: string;
  server: string;
  method: "broadcast" | "loop";
  clients: "eio" | "sio";
  binary: boolean;
}
const setups: Setup[] = [];
for (const binary of [false, true]) {
  const b = binary ? " (1 KiB binary)" : " (20 B text)";
  setups.push(
    {
      id: `engineio-loop${binary ? "-bin" : ""}`,
      label: `engine.io 6.6, send loop${b}`,
      server: "engineio",
      method: "loop",
      clients: "eio",
      binary,
    },
    {
      id: `ours-loop${binary ? "-bin" : ""}`,
      label: `engineio-wasm, send loop${b}`,
      server: "ours",
      method: "loop",
      clients: "eio",
      binary,
    },
    {
      id: `ours-broadcast${binary ? "-bin" : ""}`,
      label: `engineio-wasm, Server.broadcast${b}`,
      server: "ours",
      method: "broadcast",
      clients: "eio",
      binary,
    },
  );
}
setups.push(
  {
    id: "sio-engineio",
    label: "socket.io io.emit on engine.io (20 B text)",
    server: "sio-engineio",
    method: "loop",
    clients: "sio",
    binary: false,
  },
  {
    id: "sio-ours",
    label: "socket.io io.emit on engineio-wasm (20 B text)",
    server: "sio-ours",
    method: "loop",
    clients: "sio",
    binary: false,
  },
);
// --only keeps the engine.io baselines, which every ratio needs
if (only) {
  const keep = setups.filter((s) => only.includes(s.id) || s.id.startsWith("engineio-loop"));
  setups.splice(0, setups.length, ...keep);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  setup: string;
  label: string;
  clients: number;
  cpuUsPerDelivery: number[];
  msPerBroadcast: number[];
}

async function measure(s: Setup, n: number): Promise<{ cpu: number; ms: number }> {
  const server = await new Child(
    s.id,
    [
      "--expose-gc",
      ...(profile === s.id
        ? [
            "--cpu-prof",
            `--cpu-prof-dir=${path.join(root, "bench/results/profiles")}`,
            `--cpu-prof-name=${s.id}-${n}.cpuprofile`,
          ]
        : []),
      path.join(here, "broadcast/server.mjs"),
      s.server,
    ],
    { ...process.env, DEBUG: "" },
    root,
  ).start();
  let clients: Child | null = null;
  try {
    clients = await new Child(
      `${s.id}-clients`,
      [path.join(here, "broadcast/clients.mjs"), String(server.port), s.clients, String(n)],
      process.env,
      root,
    ).start();
    const burst = { cmd: "burst", size: s.binary ? 1024 : 20, binary: s.binary, method: s.method };
    // warm-up (JIT, buffers), not measured
    await server.request({ ...burst, count: 5 }, 60_000);
    let expected = 5 * n;
    const warm = await clients.request({ cmd: "await", total: expected, timeoutMs: 60_000 }, 65_000);
    if (Number(warm.received) < expected)
      throw new Error(`${s.id}: warm-up delivered ${warm.received}/${expected}`);
    const c0 = Number((await server.request({ cmd: "cpu" }, 10_000)).cpuUs);
    const t0 = performance.now();
    await server.request({ ...burst, count: messages }, 120_000);
    expected += messages * n;
    const got = await clients.request({ cmd: "await", total: expected, timeoutMs: 120_000 }, 125_000);
    const t1 = performance.now();
    const c1 = Number((await server.request({ cmd: "cpu" }, 10_000)).cpuUs);
    if (Number(got.received) < expected) throw new Error(`${s.id}: delivered ${got.received}/${expected}`);
    return { cpu: (c1 - c0) / (messages * n), ms: (t1 - t0) / messages };
  } finally {
    await clients?.stop();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of clientCounts) {
    for (const s of setups)
      rows.push({ setup: s.id, label: s.label, clients: n, cpuUsPerDelivery: [], msPerBroadcast: [] });
  }
  for (let rep = 0; rep < reps; rep++) {
    for (const n of clientCounts) {
      // rotate the order per repetition so drift does not favour one setup
      const order = setups.map((_, i) => setups[(i + rep) % setups.length]!);
      for (const s of order) {
        const r = await measure(s, n);
        const row = rows.find((x) => x.setup === s.id && x.clients === n)!;
        row.cpuUsPerDelivery.push(r.cpu);
        row.msPerBroadcast.push(r.ms);
        process.stdout.write(
          `rep ${rep + 1} ${n} clients ${s.id}: ${r.cpu.toFixed(3)} µs/delivery, ${r.ms.toFixed(1)} ms/broadcast\n`,
        );
      }
    }
  }
  const lines = [
    "# Encode-once broadcast",
    "",
    `Measured by \`npm run bench:broadcast\` (bench/broadcast.bench.ts), ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}).`,
    `One message to every connected WebSocket client, ${messages} messages per repetition (one per macrotask), ${reps} repetition(s), medians.`,
    "Server CPU µs per delivered message (user+sys of the server process); ratio to the engine.io send loop of the same payload.",
    "",
    "| setup | clients | CPU µs / delivery | ratio | ms / broadcast |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const base = rows.find(
      (x) =>
        x.clients === r.clients &&
        x.setup === (r.setup.endsWith("-bin") ? "engineio-loop-bin" : "engineio-loop"),
    )!;
    const cpu = median(r.cpuUsPerDelivery);
    lines.push(
      `| ${r.label} | ${r.clients} | ${cpu.toFixed(3)} | ${(cpu / median(base.cpuUsPerDelivery)).toFixed(2)}× | ${median(r.msPerBroadcast).toFixed(1)} |`,
    );
  }
  const md = `${lines.join("\n")}\n`;
  process.stdout.write(`\n${md}`);
  if (write) {
    writeFileSync(path.join(root, "bench/results/broadcast.md"), md);
    writeFileSync(
      path.join(root, "bench/results/broadcast.json"),
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, messages, reps, rows }, null, 2)}\n`,
    );
  }
}

main().then(
  () => killAll(),
  (e) => {
    console.error(e);
    killAll();
    process.exit(1);
  },
);
