// Bundled by esbuild (platform: browser) and run in headless Chromium by bench/browser-harness.ts.
// Exposes `globalThis.__eioCodec` with the spec-vector check and the browser benchmark.
import * as parser from "engine.io-parser";
import {
  availableCodecs,
  type Codec,
  codecBackend,
  createWasmBackend,
  defaultCodec,
  type Packet,
  RAW_KERNELS,
} from "../src/codec/index.js";
import { pureJsCodec } from "../src/codec/js.js";
import { webBase64 } from "../src/codec/web-base64.js";

const SPEC_PACKETS: Packet[] = [
  { type: "message", data: "hello" },
  { type: "ping" },
  { type: "message", data: new Uint8Array([1, 2, 3, 4]) },
  { type: "message", data: "€" },
];
const SPEC_HEX = "3468656c6c6f1e321e624151494442413d3d1e34e282ac";
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const fromHex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => Number.parseInt(x, 16)));

function plain(packets: Packet[]): string {
  return JSON.stringify(
    packets.map((p) => (p.data instanceof Uint8Array ? { type: p.type, bin: hex(p.data) } : p)),
  );
}

/**
 * Bodies where the engine's base64 and the codec's rule could disagree (whitespace, partial or misplaced
 * padding, URL-safe and non-ASCII characters, empty `b`), plus seeded mutations of valid bodies: every
 * backend must decode them exactly like the pure-JS reference.
 */
function trickyBodies(): string[] {
  const out = [
    "bQQ",
    "bQQ=",
    "bQQ==",
    "bQQ===",
    "bQUJD=",
    "bQUJDRA",
    "bQU JD",
    "bQUJD\n",
    "bQU\tJDRA==",
    "bQUJD RA=",
    "bQR",
    "bQ",
    "b",
    "b=",
    "b==",
    "bQU=D",
    "bQUJD=QUJD",
    "b-_-_",
    "bQUJ\u00e9",
    "bQUJ\u6478",
    "bQUJ\u00a0",
    "4a\x1ebQUJD\x1e4b",
    "4a\x1eb\x1e4b",
    "bAQID\x1ebBAUG\x1eb",
    "bAQID\x1e\x1ebBAUG",
  ];
  let x = 0x9e3779b9;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n\t-_\x1eb4é";
  for (let i = 0; i < 3000; i++) {
    const k = 1 + rnd(4);
    const parts: string[] = [];
    for (let j = 0; j < k; j++) {
      const bytes = pattern(rnd(200)).map((v) => v ^ i);
      parts.push(`b${pureJsCodec.base64Encode(bytes)}`);
    }
    const chars = [...parts.join("\x1e")];
    for (let m = rnd(3); m > 0 && chars.length > 0; m--) {
      const at = rnd(chars.length);
      const op = rnd(3);
      const c = alphabet[rnd(alphabet.length)]!;
      if (op === 0) chars[at] = c;
      else if (op === 1) chars.splice(at, 0, c);
      else chars.splice(at, 1);
    }
    out.push(chars.join(""));
  }
  return out;
}

/** Per backend: the list of failed checks (empty = all passed). */
function vectors(): {
  backend: string;
  hasBuffer: boolean;
  webBase64: boolean;
  results: Record<string, string[]>;
} {
  const results: Record<string, string[]> = {};
  const expected = plain(SPEC_PACKETS);
  // Each backend as selected, plus the WASM kernels with thresholds off (tiny inputs then run in WASM too).
  const list: [string, Codec][] = availableCodecs().map((c) => [c.name, c]);
  for (const name of ["wasm-simd", "wasm"] as const) {
    const raw = createWasmBackend(name, RAW_KERNELS);
    if (raw) list.push([`${name} raw`, raw]);
  }
  list.push(["js (pure)", pureJsCodec]);
  const tricky = trickyBodies();
  const te = new TextEncoder();
  for (const [label, c] of list) {
    const fails: string[] = [];
    const check = (name: string, ok: boolean) => {
      if (!ok) fails.push(name);
    };
    // Threshold-free too: the WASM backends route tiny inputs to JS, so also check a body big enough for WASM.
    check("encodePayload spec bytes", hex(c.encodePayload(SPEC_PACKETS)) === SPEC_HEX);
    check("decodePayload spec bytes", plain(c.decodePayload(fromHex(SPEC_HEX))) === expected);
    check("decodePayload spec string", plain(c.decodePayload("4hello\x1e2\x1ebAQIDBA==\x1e4€")) === expected);
    check(
      "stops at first invalid",
      JSON.stringify(c.decodePayload("4a\x1ex\x1e4b")) ===
        JSON.stringify([
          { type: "message", data: "a" },
          { type: "error", data: "parser error" },
        ]),
    );
    check(
      "encodePacket b64",
      c.encodePacket({ type: "message", data: new Uint8Array([1, 2, 3, 4]) }, false) === "bAQIDBA==",
    );
    check(
      "decodePacket text",
      JSON.stringify(c.decodePacket("4hello")) === '{"type":"message","data":"hello"}',
    );
    const big = new Uint8Array(5000).map((_, i) => (i * 7) & 255);
    const packets: Packet[] = [...SPEC_PACKETS, { type: "message", data: big }];
    const body = c.encodePayload(packets);
    check("large payload round trip", plain(c.decodePayload(body)) === plain(packets));
    check("base64 large", hex(c.base64Decode(c.base64Encode(big))!) === hex(big));
    check(
      "truncated UTF-8 → error",
      plain(c.decodePayload(new Uint8Array([0x34, 0xe2, 0x82]))) ===
        '[{"type":"error","data":"parser error"}]',
    );
    let diverged = 0;
    for (const text of tricky) {
      const want = plain(pureJsCodec.decodePayload(text));
      const wantBytes = plain(pureJsCodec.decodePayload(te.encode(text)));
      if (plain(c.decodePayload(text)) !== want || plain(c.decodePayload(te.encode(text))) !== wantBytes) {
        if (diverged++ < 3) fails.push(`tricky body ${JSON.stringify(text.slice(0, 40))}`);
      }
      const b64 = text.slice(1);
      const hexOrNull = (b: Uint8Array | null) => (b === null ? "null" : hex(b));
      if (hexOrNull(c.base64Decode(b64)) !== hexOrNull(pureJsCodec.base64Decode(b64))) {
        if (diverged++ < 3) fails.push(`tricky base64 ${JSON.stringify(b64.slice(0, 40))}`);
      }
    }
    if (diverged > 3) fails.push(`… ${diverged} divergences in all`);
    results[label] = fails;
  }
  return {
    backend: codecBackend(),
    hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer !== "undefined",
    webBase64: webBase64 !== null,
    results,
  };
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function time(fn: () => unknown | Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    n++;
    now = performance.now();
  }
  return ((now - start) * 1e6) / n; // ns per op
}

/** Every backend (and the default, the WASM kernels raw, pure JS) vs engine.io-parser's browser build. */
async function bench(ms: number, rounds: number, only?: string): Promise<unknown[]> {
  const all: [string, Packet[]][] = [
    ["1×1 KiB binary", [{ type: "message", data: pattern(1024) }]],
    [
      "10×1 KiB binary",
      Array.from({ length: 10 }, () => ({ type: "message" as const, data: pattern(1024) })),
    ],
    ["1×64 KiB binary", [{ type: "message", data: pattern(65536) }]],
    ["1×1 MiB binary", [{ type: "message", data: pattern(1 << 20) }]],
  ];
  const shapes = all.filter(([name]) => !only || name.includes(only));
  const codecs: [string, Codec][] = [
    ["default", defaultCodec()],
    ...availableCodecs().map((c): [string, Codec] => [c.name, c]),
    ["js (pure)", pureJsCodec],
  ];
  const raw = createWasmBackend("wasm-simd", RAW_KERNELS);
  if (raw) codecs.push(["wasm-simd raw", raw]);
  const te = new TextEncoder();
  const rows: unknown[] = [];
  for (const [shape, packets] of shapes) {
    const bodyString = await new Promise<string>((resolve) =>
      parser.encodePayload(packets as parser.Packet[], (s) => resolve(s)),
    );
    const bodyBytes = te.encode(bodyString);
    const tasks: [op: "encode" | "decode", name: string, fn: () => unknown][] = [
      // engine.io-parser (browser): encode goes through FileReader (async); the client then sends the string.
      [
        "encode",
        "engine.io-parser",
        () =>
          new Promise<void>((resolve) =>
            parser.encodePayload(packets as parser.Packet[], (s) => {
              te.encode(s);
              resolve();
            }),
          ),
      ],
      ["decode", "engine.io-parser", () => parser.decodePayload(bodyString, "arraybuffer")],
    ];
    // The floor for any decoder that hands out fresh bytes: one new buffer for the body plus the engine's
    // setFromBase64 of each (pre-cut) segment — no scan, no packet objects. In Chromium the allocation
    // (and the GC of its external memory) is most of it, and engine.io-parser pays it too.
    const segments = bodyString.split("\x1e").map((p) => p.slice(1).replace(/=+$/, ""));
    const decodedBytes = packets.reduce((sum, p) => sum + (p.data as Uint8Array).length, 0);
    if (webBase64 !== null) {
      tasks.push([
        "decode",
        "floor: new buffer + setFromBase64",
        () => {
          const out = new Uint8Array(decodedBytes) as Uint8Array & {
            setFromBase64(s: string): { written: number };
          };
          let o = 0;
          for (const s of segments) o += (out.subarray(o) as typeof out).setFromBase64(s).written;
          return o;
        },
      ]);
    }
    for (const [name, c] of codecs) {
      tasks.push(["encode", name, () => c.encodePayload(packets)]);
      tasks.push(["decode", name, () => c.decodePayload(bodyBytes)]);
      tasks.push(["decode", `${name} (string body)`, () => c.decodePayload(bodyString)]);
    }
    // Interleaved rounds (order rotated); per contender the median round, and the median per-round ratio.
    const perRound: Record<string, number[]> = {};
    // One discarded round first: the JIT tiers up over thousands of calls, so the first shape's early
    // rounds otherwise measure the interpreter (3 warm-up calls in `time` are not enough for that).
    for (const [, , fn] of tasks) await time(fn, ms);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < tasks.length; i++) {
        const [op, name, fn] = tasks[(i + r) % tasks.length]!;
        const key = `${op}|${name}`;
        const list = perRound[key] ?? [];
        list.push(await time(fn, ms));
        perRound[key] = list;
      }
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const ns: Record<string, Record<string, number>> = { encode: {}, decode: {} };
    const ratio: Record<string, Record<string, number>> = { encode: {}, decode: {} };
    for (const [key, list] of Object.entries(perRound)) {
      const [op, name] = key.split("|") as ["encode" | "decode", string];
      const ref = perRound[`${op}|engine.io-parser`]!;
      ns[op]![name] = med(list);
      ratio[op]![name] = med(list.map((x, i) => ref[i]! / x));
    }
    rows.push({ shape, bytes: bodyBytes.length, ns, ratio });
  }
  return rows;
}

(globalThis as { __eioCodec?: unknown }).__eioCodec = { vectors, bench };
