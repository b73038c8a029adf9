// node --import tsx bench/codec-polling.bench.ts — per-call cost of exactly the bodies the long-polling
// transport sees in the e2e echo (`src/server/transports/polling.ts`: `decodePayload(body)` on POST bodies
// as Buffers, `encodePayload(packets)` for GET answers): k × 20 B text (`4` + 20 chars) and k × 1 KiB binary
// (`b` + base64; decoded binary is echoed back as the Buffer the decoder returned).
// Every contender runs in the same round, order rotated; prints median ns/call and median per-round ratios
// against the `node` backend (> 1 means slower than node).
import * as parser from "engine.io-parser";
import type { Codec, Packet } from "../src/codec/index.js";

// CODEC_DIR=<dir with a compiled codec/index.js> benchmarks compiled output (tsx's transform of src/ adds
// getter calls for cross-module constants that distort per-call timings of ~100 ns).
const mod: typeof import("../src/codec/index.js") = await import(
  process.env.CODEC_DIR ? `${process.env.CODEC_DIR}/codec/index.js` : "../src/codec/index.js"
);
const { availableCodecs, createNativeBackend, createWasmBackend, defaultCodec, RAW_KERNELS, RAW_NATIVE } =
  mod;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const TIME = Number(process.env.BENCH_TIME ?? 40);

const codecs = availableCodecs();
const byName = (n: string) => codecs.find((c) => c.name === n) as Codec;
const contenders: { name: string; c: Codec | null }[] = [
  { name: `default(${defaultCodec().name})`, c: defaultCodec() },
  { name: "node", c: byName("node") },
  { name: "wasm-simd", c: byName("wasm-simd") },
  { name: "wasm", c: byName("wasm") },
  { name: "js", c: byName("js") },
  { name: "raw-simd", c: createWasmBackend("wasm-simd", RAW_KERNELS) },
  { name: "native", c: codecs.find((c) => c.name === "native") ?? null },
  { name: "native raw", c: createNativeBackend(RAW_NATIVE) },
  { name: "engine.io-parser", c: null },
].filter((x) => x.c !== null || x.name === "engine.io-parser"); // native is absent without a built addon
// CODEC_DIR_BASE=<dir>: also the default and node backends of another compiled build (before/after runs).
if (process.env.CODEC_DIR_BASE) {
  const base: typeof import("../src/codec/index.js") = await import(
    `${process.env.CODEC_DIR_BASE}/codec/index.js`
  );
  const all = base.availableCodecs();
  contenders.push({ name: "base default", c: all[0]! });
  contenders.push({ name: "base node", c: all.find((c) => c.name === "node")! });
}

type Fn = () => unknown;
function encodeFn(c: Codec | null, packets: Packet[]): Fn {
  if (c) return () => c.encodePayload(packets);
  return () => {
    let out: Buffer | undefined;
    parser.encodePayload(packets as parser.Packet[], (s) => {
      out = Buffer.from(s);
    });
    return out;
  };
}
function decodeFn(c: Codec | null, body: Buffer): Fn {
  if (c) return () => c.decodePayload(body);
  return () => parser.decodePayload(body.toString(), "nodebuffer");
}

const shapes: { name: string; packets: Packet[] }[] = [];
for (const k of [1, 3, 10]) {
  shapes.push({
    name: `${k}×20 B text`,
    packets: Array.from({ length: k }, () => ({ type: "message", data: "m".repeat(20) })),
  });
}
for (const k of [1, 3, 10]) {
  shapes.push({
    name: `${k}×1 KiB bin`,
    packets: Array.from({ length: k }, () => ({ type: "message", data: Buffer.alloc(1024, 0xa5) })),
  });
}

function time(fn: Fn): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < TIME) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return ((t - t0) * 1e6) / n;
}
const median = (a: number[]) => {
  const s = a.slice().sort((x, y) => x - y);
  return s[s.length >> 1]!;
};

const only = process.env.ONLY;
console.log(`| shape | op | ${contenders.map((c) => c.name).join(" | ")} |`);
console.log(`|---|---|${contenders.map(() => "---").join("|")}|`);
for (const shape of shapes) {
  for (const op of ["decode", "encode"] as const) {
    if (only && !`${shape.name} ${op}`.includes(only)) continue;
    const body = Buffer.from(byName("node").encodePayload(shape.packets));
    // what the server echoes: the packets its decoder produced
    const decoded = byName("node").decodePayload(body);
    const fns = contenders.map((c) => (op === "decode" ? decodeFn(c.c, body) : encodeFn(c.c, decoded)));
    const ns: number[][] = contenders.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (let j = 0; j < fns.length; j++) {
        const i = (j + r) % fns.length;
        ns[i]!.push(time(fns[i]!));
      }
    }
    const nodeIdx = 1;
    const cells = contenders.map((_, i) => {
      const ratios = ns[i]!.map((v, r) => v / ns[nodeIdx]![r]!);
      return `${median(ns[i]!).toFixed(0)} ns (${median(ratios).toFixed(2)})`;
    });
    console.log(`| ${shape.name} (${body.length} B) | ${op} | ${cells.join(" | ")} |`);
  }
}
