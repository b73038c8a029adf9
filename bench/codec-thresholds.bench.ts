// Where do the thresholds in src/codec/index.ts come from? This sweeps sizes and compares, interleaved in
// one process, the raw WASM SIMD kernels (thresholds disabled) with the `node` backend (native Buffer base64)
// and the `js` backend, for payload encode/decode with one binary packet and for the base64 string APIs.
// Run: node --import tsx bench/codec-thresholds.bench.ts   (BENCH_TIME ms per contender per round)
import { Bench } from "tinybench";
import {
  availableCodecs,
  type Codec,
  createWasmBackend,
  type Packet,
  RAW_KERNELS,
} from "../src/codec/index.js";

const TIME = Number(process.env.BENCH_TIME ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const SIZES = (process.env.SIZES ?? "512,1024,4096,16384,65536,262144,524288,1048576").split(",").map(Number);

const raw = createWasmBackend("wasm-simd", RAW_KERNELS)!;
const byName = Object.fromEntries(availableCodecs().map((c) => [c.name, c]));
const contenders: [string, Codec][] = [
  ["wasm-simd raw", raw],
  ["node", byName.node!],
  ["js", byName.js!],
];

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

function run(tasks: [string, () => unknown][]): Record<string, number[]> {
  const acc: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    const bench = new Bench({ time: TIME, warmupTime: 20, throws: true });
    for (let i = 0; i < tasks.length; i++) {
      const [n, f] = tasks[(i + r) % tasks.length]!;
      bench.add(n, f);
    }
    for (const t of bench.runSync()) {
      if (t.result.state !== "completed") throw new Error(t.name);
      acc[t.name] = [...(acc[t.name] ?? []), t.result.latency.mean * 1e6];
    }
  }
  return acc;
}

console.log(`| op | size | ${contenders.map(([n]) => `${n} ns`).join(" | ")} | node time ÷ wasm time |`);
console.log(`|${" --- |".repeat(contenders.length + 3)}`);
for (const size of SIZES) {
  const data = new Uint8Array(size).map((_, i) => (i * 131 + 7) & 255);
  const packets: Packet[] = [{ type: "message", data }];
  const body = byName.node!.encodePayload(packets);
  const text = byName.node!.base64Encode(data);
  const ops: [string, (c: Codec) => () => unknown][] = [
    ["payload encode", (c) => () => c.encodePayload(packets)],
    ["payload decode", (c) => () => c.decodePayload(body)],
    ["base64Encode", (c) => () => c.base64Encode(data)],
    ["base64Decode(str)", (c) => () => c.base64Decode(text)],
  ];
  for (const [op, mk] of ops) {
    const rounds = run(contenders.map(([n, c]) => [n, mk(c)]));
    const cells = contenders.map(([n]) => median(rounds[n]!).toFixed(0));
    // Median of per-round ratios: robust against load drifting between rounds on a shared machine.
    const node = rounds.node!;
    const ratio = median(rounds["wasm-simd raw"]!.map((w, i) => node[i]! / w));
    console.log(`| ${op} | ${size} | ${cells.join(" | ")} | ${ratio.toFixed(2)} |`);
  }
}
