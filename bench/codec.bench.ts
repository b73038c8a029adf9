// npm run bench:codec — the codec benchmark (tinybench), every contender in one process, interleaved:
// ROUNDS rounds, each running every contender of a shape once for BENCH_TIME ms (rotating the order). The
// table shows each contender's median round; the ratios are medians of per-round ratios (robust on a
// shared, loaded machine).
//
// Contenders: `default` (the shared default codec, `defaultCodec()`, exactly what servers use), each backend
// as created by name (its own routing), the tiers with routing off ("… raw": every payload through that
// kernel), and engine.io-parser 5.2.3 as the reference server uses it (encode: string then UTF-8 bytes;
// decode: body.toString() then parse). The verdict columns compare `default` with the best *other*
// backend (the routed backend the default is made of runs the same code, and the raw variants are the
// kernels it routes between, so they are left out of "best") and with engine.io-parser; `picks` is the
// tier the default's routing chose for that input.
// SHAPES=<regexp> keeps matching rows only (while developing; writes nothing unless WRITE=1).
// Writes bench/results/codec.md and codec.json, the README's block between its codec-bench markers, and
// prints the table.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as parser from "engine.io-parser";
import { Bench } from "tinybench";
import {
  availableCodecs,
  type Codec,
  codecBackend,
  createNativeBackend,
  createWasmBackend,
  defaultCodec,
  NATIVE_ROUTING,
  NODE_NATIVE_DECODE_MAX,
  NODE_NATIVE_DECODE_MIN,
  NODE_NATIVE_SEGMENT_MAX,
  NODE_NATIVE_SEGMENT_MIN,
  type Packet,
  RAW_KERNELS,
  RAW_NATIVE,
  WASM_MIN_BYTES,
} from "../src/codec/index.js";
import { loadNativeAddon, nativeDecodeTier, nativeEncodeTier } from "../src/codec/native.js";
import type { NodeBytesMethods } from "../src/codec/node-buffer.js";
import { compileKernels, instantiateKernels } from "../src/codec/wasm.js";
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64, WASM_SIZES } from "../src/codec/wasm-modules.generated.js";
import { xorshiftBytes } from "../test/xorshift-bytes.js";

const TIME = Number(process.env.BENCH_TIME ?? 20);
// Every contender starts from a collected heap: the large shapes allocate MBs per call, and garbage left by
// the previous contender would otherwise be collected on the next one's clock.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);

// ---- contenders --------------------------------------------------------------------------------------------
type Fn = () => unknown;
interface Contender {
  name: string;
  encode(packets: Packet[]): Fn;
  decode(body: Buffer): Fn;
  b64enc(bytes: Buffer): Fn;
  b64dec(text: string): Fn;
}

function fromCodec(name: string, c: Codec): Contender {
  return {
    name,
    encode: (packets) => () => c.encodePayload(packets),
    decode: (body) => () => c.decodePayload(body),
    b64enc: (bytes) => () => c.base64Encode(bytes),
    b64dec: (text) => () => c.base64Decode(text),
  };
}

const REF = "engine.io-parser";
const reference: Contender = {
  name: REF,
  encode: (packets) => () => {
    let out: Buffer | undefined;
    parser.encodePayload(packets as parser.Packet[], (s) => {
      out = Buffer.from(s);
    });
    return out;
  },
  decode: (body) => () => parser.decodePayload(body.toString()),
  // engine.io-parser's Node build does base64 with Buffer.
  b64enc: (bytes) => () => bytes.toString("base64"),
  b64dec: (text) => () => Buffer.from(text, "base64"),
};

const DEFAULT = "default";
const DEFAULT_BACKEND = codecBackend();
const contenders: Contender[] = [reference, fromCodec(DEFAULT, defaultCodec())];
const BACKENDS = new Set<string>();
for (const c of availableCodecs()) {
  contenders.push(fromCodec(c.name, c));
  BACKENDS.add(c.name);
}
for (const n of ["wasm-simd", "wasm"] as const) {
  const raw = createWasmBackend(n, RAW_KERNELS);
  if (raw) contenders.push(fromCodec(`${n} raw`, raw));
}
// The native tier with its thresholds at zero: every payload through the Rust kernels.
const nativeRaw = createNativeBackend(RAW_NATIVE);
if (nativeRaw) contenders.push(fromCodec("native raw", nativeRaw));

// ---- shapes --------------------------------------------------------------------------------------------------
/** A Buffer, as the reference server's users pass (engine.io-parser takes its Buffer fast path). */
function bytes(n: number, seed: number): Buffer {
  const u8 = xorshiftBytes(n, seed);
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}
const TEXT20 = "hello world, 20 B :)";
const text = (k: number): Packet[] => Array.from({ length: k }, () => ({ type: "message", data: TEXT20 }));
const bin = (k: number, n: number): Packet[] =>
  Array.from({ length: k }, (_, i) => ({ type: "message", data: bytes(n, i + 1) }));
const allShapes: { name: string; packets: Packet[] }[] = [
  // The long-polling transport's real bodies (the e2e echo: k × 20 B text, k × 1 KiB binary per request).
  { name: "1×20 B text", packets: text(1) },
  { name: "3×20 B text", packets: text(3) },
  { name: "10×20 B text", packets: text(10) },
  { name: "100×20 B text", packets: text(100) },
  { name: "1×1 KiB binary", packets: bin(1, 1024) },
  { name: "3×1 KiB binary", packets: bin(3, 1024) },
  { name: "10×1 KiB binary", packets: bin(10, 1024) },
  { name: "1×64 KiB binary", packets: [{ type: "message", data: bytes(65536, 7) }] },
  { name: "1×1 MiB binary", packets: [{ type: "message", data: bytes(1 << 20, 8) }] },
  // socket.io-style: an event with attachments (a text packet, then its binary ones), a ping, UTF-8 text.
  {
    name: "mixed",
    packets: [
      { type: "message", data: '451-["upload",{"_placeholder":true,"num":0}]' },
      { type: "message", data: bytes(1024, 11) },
      { type: "ping" },
      { type: "message", data: "4héllo wörld — 20 B €" },
      { type: "message", data: bytes(4096, 12) },
      { type: "message", data: TEXT20 },
      { type: "message", data: bytes(300, 13) },
    ],
  },
];
const only = process.env.SHAPES ? new RegExp(process.env.SHAPES) : null;
const shapes = allShapes.filter((s) => !only || only.test(s.name));
const b64Sizes = (
  [
    ["64 B", 64],
    ["1 KiB", 1024],
    ["64 KiB", 65536],
    ["1 MiB", 1 << 20],
  ] as [string, number][]
).filter(([label]) => !only || only.test(`base64 ${label}`));

// ---- running -------------------------------------------------------------------------------------------------
interface Row {
  group: "payload" | "base64";
  shape: string;
  op: "encode" | "decode";
  bytes: number;
  /** contender → median ns/op */
  ns: Record<string, number>;
  /** contender → ns/op in each round (round order), for per-round ratios */
  perRound: Record<string, number[]>;
  /** The tier the default's routing picks for this input. */
  picks: string;
}

/** What the default does with this input (its backend's routing, from the same functions it calls). */
function picks(op: "encode" | "decode", packets: Packet[], body: Uint8Array): string {
  if (DEFAULT_BACKEND === "native") {
    let chars = 0;
    let binBytes = 0;
    let hasBinary = false;
    for (const p of packets) {
      if (typeof p.data === "string") chars += p.data.length;
      else if (p.data instanceof Uint8Array) {
        binBytes += p.data.length;
        hasBinary = true;
      }
    }
    const tier =
      op === "encode"
        ? nativeEncodeTier(NATIVE_ROUTING, chars, binBytes, packets.length, hasBinary)
        : nativeDecodeTier(NATIVE_ROUTING, body);
    return { node: "node", wasm: "wasm-simd raw", rust: "native raw" }[tier];
  }
  return `${DEFAULT_BACKEND} (${legacyPath(op, packets, body.length)})`;
}

/** The routing of a WASM default (mirrors src/codec/wasm.ts), for runs without the native addon. */
function legacyPath(op: "encode" | "decode", packets: Packet[], bodyLength: number): "WASM" | "node" {
  if (op === "decode") {
    const native = bodyLength >= NODE_NATIVE_DECODE_MIN && bodyLength < NODE_NATIVE_DECODE_MAX;
    const isBin = (p: Packet | undefined) =>
      p !== undefined && typeof p.data !== "string" && p.data !== undefined;
    const textBody = !isBin(packets[0]) && !isBin(packets[1]);
    return bodyLength < WASM_MIN_BYTES || native || textBody ? "node" : "WASM";
  }
  let total = 0;
  let largest = 0;
  for (const p of packets) {
    const d = p.data;
    const n = typeof d === "string" ? d.length : d instanceof Uint8Array ? d.length : 0;
    total += n;
    if (d instanceof Uint8Array && n > largest) largest = n;
  }
  const native = largest >= NODE_NATIVE_SEGMENT_MIN && largest < NODE_NATIVE_SEGMENT_MAX;
  return total < WASM_MIN_BYTES || native ? "node" : "WASM";
}

function measure(tasks: [string, Fn][]): Pick<Row, "ns" | "perRound"> {
  const rounds: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no contender always runs first (JIT/GC state).
    const order = tasks.map((_, i) => tasks[(i + r) % tasks.length]!);
    const bench = new Bench({ time: TIME, warmupTime: r === 0 ? 50 : 2, throws: true });
    for (const [name, fn] of order) bench.add(name, fn, { beforeAll: gc });
    for (const task of bench.runSync()) {
      const res = task.result;
      if (res.state !== "completed") throw new Error(`${task.name}: ${res.state}`);
      const list = rounds[task.name] ?? [];
      list.push(res.latency.mean * 1e6);
      rounds[task.name] = list;
    }
  }
  const ns: Record<string, number> = {};
  for (const [name, list] of Object.entries(rounds)) ns[name] = median(list);
  return { ns, perRound: rounds };
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

/**
 * How many times faster `a` is than `b`: the median over rounds of the per-round ratio. Both ran minutes
 * apart at most within one round, so this cancels most of the drift of a shared, loaded machine.
 */
function speedup(r: Pick<Row, "perRound">, a: string, b: string): number {
  const pa = r.perRound[a]!;
  const pb = r.perRound[b]!;
  return median(pa.map((x, i) => pb[i]! / x));
}

function check(label: string, a: Uint8Array, b: Uint8Array): void {
  if (!Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) {
    throw new Error(`${label}: output differs from engine.io-parser`);
  }
}

const rows: Row[] = [];
const t0 = Date.now();
for (const shape of shapes) {
  const body = reference.encode(shape.packets)() as Buffer;
  for (const c of contenders) check(`${c.name} ${shape.name}`, c.encode(shape.packets)() as Uint8Array, body);
  process.stderr.write(`${shape.name}: encode… `);
  rows.push({
    group: "payload",
    shape: shape.name,
    op: "encode",
    bytes: body.length,
    picks: picks("encode", shape.packets, body),
    ...measure(contenders.map((c) => [c.name, c.encode(shape.packets)])),
  });
  process.stderr.write("decode…\n");
  rows.push({
    group: "payload",
    shape: shape.name,
    op: "decode",
    bytes: body.length,
    picks: picks("decode", shape.packets, body),
    ...measure(contenders.map((c) => [c.name, c.decode(body)])),
  });
}
for (const [label, n] of b64Sizes) {
  const data = bytes(n, n);
  const text = data.toString("base64");
  for (const c of contenders) {
    if (c.b64enc(data)() !== text) throw new Error(`${c.name}: base64 differs`);
    check(`${c.name} base64 ${label}`, c.b64dec(text)() as Uint8Array, data);
  }
  process.stderr.write(`base64 ${label}\n`);
  rows.push({
    group: "base64",
    shape: label,
    op: "encode",
    bytes: n,
    picks: "node",
    ...measure(contenders.map((c) => [c.name, c.b64enc(data)])),
  });
  rows.push({
    group: "base64",
    shape: label,
    op: "decode",
    bytes: n,
    picks: "node",
    ...measure(contenders.map((c) => [c.name, c.b64dec(text)])),
  });
}

// Instantiation: inline base64 → Module → Instance, as the loader does on first use.
function instantiation(b64: string): number {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = process.hrtime.bigint();
    const module = compileKernels(b64);
    if (!module || !instantiateKernels(module)) throw new Error("WASM module does not instantiate");
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return median(times);
}
const inst = { simd: instantiation(SIMD_WASM_BASE64), scalar: instantiation(SCALAR_WASM_BASE64) };

// ---- the native boundary ------------------------------------------------------------------------------------
// What one crossing costs (ns per call, median of rounds), to show why the routing keeps small payloads off
// the addon: an empty call with typed-array arguments, and the JS-side steps the decoder chooses between.
interface NativeInfo {
  file: string;
  bytes: number;
  /** `require()` of the .node in a fresh process (dlopen + module init), median of 7. */
  requireMs: number;
  boundaryNs: Record<string, number>;
}
function nativeInfo(): NativeInfo | null {
  const addon = loadNativeAddon();
  if (!addon) return null;
  const file = new URL("../native/engineio-wasm.linux-x64-gnu.node", import.meta.url).pathname;
  const loads: number[] = [];
  for (let i = 0; i < 7; i++) {
    const out = execFileSync(
      process.execPath,
      [
        "-e",
        `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
      ],
      { encoding: "utf8" },
    );
    loads.push(Number(out.trim()));
  }
  const empty = new Uint8Array(0);
  const out4 = Buffer.allocUnsafe(4);
  const rec = new Int32Array(4 + 4 * 1024);
  const tiny = Buffer.from("4hello");
  const kib = Buffer.alloc(1024, 0x61);
  const pool = Buffer.allocUnsafe(65536);
  const text20 = Buffer.from(TEXT20) as Buffer & NodeBytesMethods;
  const calls: [string, Fn][] = [
    ["addon call, 2 typed arrays, 0 bytes (base64Encode)", () => addon.base64Encode(empty, out4)],
    ["addon call, 3 typed arrays + 2 ints (scan of `4hello`)", () => addon.scan(tiny, 0, out4, 0, rec)],
    ["JS: Buffer view into one output Buffer (per decoded packet)", () => pool.subarray(1024, 2048)],
    ["JS: fresh 1 KiB Buffer + copy (per decoded packet, WASM copy-out)", () => Buffer.from(kib)],
    ["JS: latin1Slice of 20 B (one-byte string, ASCII text)", () => text20.latin1Slice(0, 20)],
    ["JS: utf8Slice of 20 B (UTF-8 text)", () => text20.utf8Slice(0, 20)],
  ];
  const m = measure(calls);
  return {
    file: "native/engineio-wasm.linux-x64-gnu.node",
    bytes: statSync(file).size,
    requireMs: median(loads),
    boundaryNs: m.ns,
  };
}
const native = nativeInfo();

// ---- report --------------------------------------------------------------------------------------------------
const names = contenders.map((c) => c.name);
const mbs = (bytes: number, ns: number) => (bytes / ns) * 1e3; // bytes/ns → MB/s (1e6 bytes)
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

interface Verdict {
  shape: string;
  op: string;
  vsRef: number;
  vsBest: number;
  best: string;
}
const verdicts: Verdict[] = rows.map((r) => {
  // The best other backend (what EIO_CODEC / createCodec can select), by median time; the routed backend the
  // default is (same code) is left out, and so are the "… raw" tuning variants: they are the kernels the
  // routing chooses between, not backends, and where the default picks one it runs that very code (at 1 MiB
  // the fresh 1.4 MB output Buffer's page faults make identical code differ by up to 2× between contenders).
  let best = "";
  for (const n of names) {
    if (n === REF || n === DEFAULT || n === DEFAULT_BACKEND || !BACKENDS.has(n)) continue;
    if (best === "" || r.ns[n]! < r.ns[best]!) best = n;
  }
  return {
    shape: `${r.group === "base64" ? "base64 " : ""}${r.shape}`,
    op: r.op,
    vsRef: speedup(r, DEFAULT, REF),
    vsBest: speedup(r, DEFAULT, best),
    best,
  };
});

function table(group: Row["group"]): string {
  const head = `| shape | op | body B | ${names.join(" | ")} | default picks | default ÷ best | default ÷ parser |`;
  const sep = `|${" --- |".repeat(names.length + 6)}`;
  const lines = [head, sep];
  rows.forEach((r, i) => {
    if (r.group !== group) return;
    const v = verdicts[i]!;
    const cells = names.map((n) =>
      n === DEFAULT ? `**${fmt(mbs(r.bytes, r.ns[n]!))}**` : fmt(mbs(r.bytes, r.ns[n]!)),
    );
    lines.push(
      `| ${r.shape} | ${r.op} | ${r.bytes} | ${cells.join(" | ")} | ${r.picks} | ${v.vsBest.toFixed(2)}× (${v.best}) | **${v.vsRef.toFixed(2)}×** |`,
    );
  });
  return lines.join("\n");
}

const payloadVerdicts = verdicts.filter((_, i) => rows[i]!.group === "payload");
const minOf = (vs: Verdict[], k: "vsRef" | "vsBest") => Math.min(...vs.map((v) => v[k]));
const below = (vs: Verdict[], k: "vsRef" | "vsBest", t: number) =>
  vs
    .filter((v) => v[k] < t)
    .map((v) => `${v.shape} ${v.op} ${v[k].toFixed(2)}×`)
    .join(", ") || "none";
const env = `Node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, ${os.platform()} ${os.arch()}, load average ${os.loadavg()[0]!.toFixed(1)} at the end; tinybench ${ROUNDS} rounds × ${TIME} ms per contender per round (order rotated)`;
const nativeMd = native
  ? `### Native addon

\`${native.file}\`: ${native.bytes} B; \`require()\` in a fresh process (dlopen + module init): ${native.requireMs.toFixed(2)} ms (median of 7).

| boundary step | ns per call |
| --- | --- |
${Object.entries(native.boundaryNs)
  .map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`)
  .join("\n")}
`
  : "### Native addon\n\nNot built here (`npm run build:native`).\n";
const md = `<!-- generated by npm run bench:codec (bench/codec.bench.ts); do not edit -->
### Payloads (MB/s of body bytes; higher is better)

${env}. \`default\` is \`defaultCodec()\` (backend \`${DEFAULT_BACKEND}\`); \`… raw\` = every payload through that tier's kernels; \`default picks\` = the tier the default routes that input to. Ratios are medians of per-round ratios (> 1 = the default is faster); "best" is the fastest other backend (\`${[...BACKENDS].filter((b) => b !== DEFAULT_BACKEND).join("`, `")}\`; not \`${DEFAULT_BACKEND}\` itself, the same code as \`default\`, nor the raw variants, which are the kernels the routing picks from — where the default picks one it runs that very code).

${table("payload")}

### base64 (MB/s of raw bytes)

${table("base64")}

${nativeMd}
### WASM module

| build | size | compile + instantiate (inline base64 → Module → Instance, median of 200) |
| --- | --- | --- |
| simd | ${WASM_SIZES.simd} B | ${inst.simd.toFixed(3)} ms |
| scalar | ${WASM_SIZES.scalar} B | ${inst.scalar.toFixed(3)} ms |

### Targets

| target | measured | met |
| --- | --- | --- |
| default ≥ 0.95× the best single backend on every payload shape | min ${minOf(payloadVerdicts, "vsBest").toFixed(2)}× (below: ${below(payloadVerdicts, "vsBest", 0.95)}) | ${minOf(payloadVerdicts, "vsBest") >= 0.95 ? "yes" : "no"} |
| default never slower than engine.io-parser on a payload shape | min ${minOf(payloadVerdicts, "vsRef").toFixed(2)}× (below 1: ${below(payloadVerdicts, "vsRef", 1)}) | ${minOf(payloadVerdicts, "vsRef") >= 1 ? "yes" : "no"} |
| base64 functions: default ≥ 0.95× the best, never slower than engine.io-parser's (lenient) \`Buffer\` base64 | min ${minOf(
  verdicts.filter((v) => v.shape.startsWith("base64")),
  "vsBest",
).toFixed(2)}× best, ${minOf(
  verdicts.filter((v) => v.shape.startsWith("base64")),
  "vsRef",
).toFixed(2)}× parser | ${
  minOf(
    verdicts.filter((v) => v.shape.startsWith("base64")),
    "vsBest",
  ) >= 0.95 &&
  minOf(
    verdicts.filter((v) => v.shape.startsWith("base64")),
    "vsRef",
  ) >= 1
    ? "yes"
    : "no"
} |
| WASM module ≤ 8 KB | ${Math.max(WASM_SIZES.simd, WASM_SIZES.scalar)} B | ${Math.max(WASM_SIZES.simd, WASM_SIZES.scalar) <= 8192 ? "yes" : "no"} |
| instantiation ≤ 1 ms | ${Math.max(inst.simd, inst.scalar).toFixed(3)} ms | ${Math.max(inst.simd, inst.scalar) <= 1 ? "yes" : "no"} |
`;

const write = !only || process.env.WRITE === "1";
if (write) {
  const dir = new URL("results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL("codec.md", dir), md);
  writeFileSync(
    new URL("codec.json", dir),
    `${JSON.stringify(
      {
        env,
        default: DEFAULT_BACKEND,
        rows: rows.map((r, i) => ({ ...r, verdict: verdicts[i] })),
        native,
        wasm: { sizes: WASM_SIZES, instantiationMs: inst },
        durationS: (Date.now() - t0) / 1e3,
      },
      null,
      2,
    )}\n`,
  );
}
// The README quotes the whole result one heading level down, between its codec-bench markers.
if (write) {
  const readme = new URL("../README.md", import.meta.url);
  const text = readFileSync(readme, "utf8");
  const start = "<!-- codec-bench:start -->\n";
  const end = "<!-- codec-bench:end -->";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a !== -1 && b > a) {
    const block = md.replace(/^<!--.*-->\n/, "").replace(/^### /gm, "#### ");
    writeFileSync(readme, `${text.slice(0, a + start.length)}${block}${text.slice(b)}`);
  }
}
process.stdout.write(
  `${md}\n(${((Date.now() - t0) / 1e3).toFixed(0)} s; ${write ? "written to bench/results/codec.md and codec.json" : "not written (SHAPES filter)"})\n`,
);
