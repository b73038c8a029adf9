/**
 * Fuzz case generators for the codec: generated inputs (valid by construction) and mutated ones
 * (bit flips, truncations, inserted separators, bad base64, truncated or invalid UTF-8, separator floods…).
 * Every case is a plain object that can be written to and read back from a JSON fixture.
 */
import { encodePacket as eipEncodePacket, encodePayload as eipEncodePayload } from "engine.io-parser";
import type { Packet } from "../../src/protocol/packet.js";
import type { Rng } from "./rng.js";

export type FuzzFn =
  | "decodePayload"
  | "decodePacket"
  | "encodePacket"
  | "encodePayload"
  | "base64Encode"
  | "base64Decode";

/** How binary input is presented to the codec (offsets and foreign views catch copy bugs in WASM glue). */
export type BinKind = "u8" | "buffer" | "offset" | "arraybuffer" | "dataview" | "u16" | "i8";

export interface FuzzCase {
  fn: FuzzFn;
  /** Generator that produced the case, for statistics and reproduction. */
  gen: string;
  /** Input for the decode/base64 functions. */
  input?: string | Uint8Array;
  /** Packets for the encode functions (or the expected result of a valid decode). */
  packets?: Packet[];
  supportsBinary?: boolean;
  /** True when the input is valid by construction: every backend and the oracle must accept it. */
  valid?: boolean;
  /** When valid: decoding must give back exactly `packets` (round trip). */
  roundTrip?: boolean;
}

const TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"] as const;
const SEP = 0x1e;
const enc = new TextEncoder();
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

// ---------------------------------------------------------------------------------------------- text

const SPECIAL_CHARS = [
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "b",
  "=",
  "+",
  "/",
  "\x1e",
  "\ufeff",
  "\0",
  "\ufffd",
  "\n",
];

/** Random text drawn from several character classes; `opts.separators` allows U+001E. */
export function randomText(
  rng: Rng,
  len: number,
  opts: { separators?: boolean; lone?: boolean } = {},
): string {
  const units: number[] = [];
  const cls = rng.int(6); // bias each string towards one class, with some mixing
  for (let i = 0; i < len; i++) {
    const k = rng.chance(0.7) ? cls : rng.int(8);
    switch (k) {
      case 0:
      case 1:
        units.push(0x20 + rng.int(0x5f));
        break;
      case 2:
        units.push(0x80 + rng.int(0x780));
        break;
      case 3: {
        const c = 0x800 + rng.int(0xf7fe);
        units.push(c >= 0xd800 && c <= 0xdfff ? 0x20ac : c);
        break;
      }
      case 4: {
        const cp = rng.int(0x100000); // code point minus 0x10000
        units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        break;
      }
      case 5:
        units.push(SPECIAL_CHARS[rng.int(SPECIAL_CHARS.length)]!.charCodeAt(0));
        break;
      case 6:
        units.push(rng.int(0x20));
        break;
      default:
        units.push(opts.lone ? 0xd800 + rng.int(0x800) : 0x20 + rng.int(0x5f));
    }
  }
  let s = "";
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode.apply(null, units.slice(i, i + 8192));
  if (!opts.separators && s.includes("\x1e")) s = s.replaceAll("\x1e", "x");
  return s;
}

/** True when a string survives UTF-8 encoding unchanged (no lone surrogates). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------ binary

/** Presents `bytes` in the given container; the returned view always covers exactly these bytes. */
export function wrapBinary(bytes: Uint8Array, kind: BinKind): Uint8Array | ArrayBuffer | ArrayBufferView {
  switch (kind) {
    case "u8":
      return bytes.slice();
    case "buffer":
      return Buffer.from(bytes);
    case "offset": {
      // Surrounded by separators and padding so that reading outside the view changes the result.
      const big = new Uint8Array(bytes.length + 13).fill(SEP);
      big[0] = 0x3d;
      big.set(bytes, 7);
      return big.subarray(7, 7 + bytes.length);
    }
    case "arraybuffer":
      return bytes.slice().buffer;
    case "dataview": {
      const big = new Uint8Array(bytes.length + 5).fill(0x62);
      big.set(bytes, 3);
      return new DataView(big.buffer, 3, bytes.length);
    }
    case "u16": {
      if (bytes.length % 2 !== 0) return bytes.slice();
      const copy = bytes.slice();
      return new Uint16Array(copy.buffer, 0, copy.length / 2);
    }
    case "i8":
      return new Int8Array(bytes.slice().buffer);
  }
}

/** The bytes a binary value covers. */
export function viewBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Decode-side bytes container: plain, Buffer (maybe pooled, with an offset), or a subarray with garbage around. */
function presentBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  switch (rng.int(4)) {
    case 0:
      return bytes;
    case 1:
      return Buffer.from(bytes);
    case 2:
      return wrapBinary(bytes, "offset") as Uint8Array;
    default: {
      // A pooled Buffer: small allocUnsafe buffers share one ArrayBuffer at a non-zero offset.
      const b = Buffer.allocUnsafe(bytes.length);
      b.set(bytes);
      return b;
    }
  }
}

// ----------------------------------------------------------------------------------------- packets

function randomBinary(rng: Rng): Uint8Array {
  const n = rng.chance(0.005) ? rng.range(20_000, 200_000) : rng.size(600);
  return rng.bytes(n);
}

/** A random packet; `forPayload` avoids separators in text (they cannot round-trip in a payload). */
export function randomPacket(
  rng: Rng,
  opts: { forPayload?: boolean; lone?: boolean; error?: boolean } = {},
): Packet {
  if (opts.error && rng.chance(0.02)) return { type: "error", data: "parser error" };
  const r = rng.int(100);
  if (r < 45) {
    const len = rng.chance(0.003) ? rng.range(10_000, 100_000) : rng.size(300);
    return { type: "message", data: randomText(rng, len, { separators: !opts.forPayload, lone: opts.lone }) };
  }
  if (r < 70) {
    const kind = rng.pick<BinKind>(["u8", "buffer", "offset", "arraybuffer", "dataview", "u16", "i8"]);
    return { type: "message", data: wrapBinary(randomBinary(rng), kind) };
  }
  const type = rng.pick(TYPES);
  if (rng.chance(0.5)) return { type };
  if (type === "ping" || type === "pong") return { type, data: "probe" };
  return { type, data: randomText(rng, rng.size(40), { separators: !opts.forPayload, lone: opts.lone }) };
}

function randomPackets(rng: Rng, opts: { forPayload?: boolean; lone?: boolean; error?: boolean }): Packet[] {
  const n = rng.chance(0.01) ? rng.range(50, 2000) : rng.range(1, 12);
  const out: Packet[] = [];
  for (let i = 0; i < n; i++) out.push(randomPacket(rng, opts));
  return out;
}

/** engine.io-parser's payload for these packets (all its callbacks run synchronously on Node). */
export function oraclePayload(packets: Packet[]): string {
  if (packets.length === 0) return ""; // engine.io-parser never calls back for an empty list
  let out: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: engine.io-parser's Packet type is narrower than ours.
  eipEncodePayload(packets as any, (s: string) => {
    out = s;
  });
  if (out === undefined) throw new Error("engine.io-parser encodePayload did not call back synchronously");
  return out;
}

/** engine.io-parser's frame for this packet. */
export function oraclePacket(packet: Packet, supportsBinary: boolean): unknown {
  let out: unknown;
  let called = false;
  // biome-ignore lint/suspicious/noExplicitAny: engine.io-parser's Packet type is narrower than ours.
  eipEncodePacket(packet as any, supportsBinary, (s: unknown) => {
    out = s;
    called = true;
  });
  if (!called) throw new Error("engine.io-parser encodePacket did not call back synchronously");
  return out;
}

/** Packets normalized to what a decoder returns: binary as plain bytes, strings as they go on the wire. */
function expectedDecoded(packets: Packet[]): Packet[] {
  return packets.map((p) => {
    if (p.data === undefined || p.data === "") return p.data === "" ? { type: p.type } : { type: p.type };
    if (typeof p.data === "string") return { type: p.type, data: p.data };
    return { type: "message", data: viewBytes(p.data as ArrayBufferView).slice() };
  });
}

// ---------------------------------------------------------------------------------------- mutations

const INTERESTING_BYTES = [
  0x1e, 0x62, 0x3d, 0x2b, 0x2f, 0x2d, 0x5f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x00, 0x0a, 0x20,
  0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xf8, 0xfe, 0xff,
];
const INTERESTING_SEQUENCES: number[][] = [
  [0x1e],
  [0x1e, 0x1e],
  [0x3d],
  [0x3d, 0x3d],
  [0x3d, 0x3d, 0x3d],
  [0x62],
  [0x62, 0x3d],
  [0x1e, 0x62],
  [0x1e, 0x34],
  [0xe2, 0x82], // truncated €
  [0xe2],
  [0xf0, 0x9f, 0x98], // truncated 4-byte
  [0xed, 0xa0, 0x80], // UTF-8-encoded surrogate
  [0xc0, 0x80], // overlong NUL
  [0xe0, 0x80, 0xaf], // overlong '/'
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xef, 0xbb, 0xbf], // BOM
  [0x80],
  [0xff, 0xfe],
  [0x00],
  [0x0d, 0x0a],
];

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Start offsets of the segments of a payload (after each separator). */
function segmentStarts(b: Uint8Array): number[] {
  const out = [0];
  for (let i = 0; i < b.length; i++) if (b[i] === SEP) out.push(i + 1);
  return out;
}

/** Applies one random mutation; returns the mutated bytes and the mutation's name. */
export function mutateBytes(rng: Rng, b: Uint8Array): [Uint8Array, string] {
  const pos = rng.int(b.length + 1);
  switch (rng.int(14)) {
    case 0: {
      if (b.length === 0) return [new Uint8Array([rng.u32() & 255]), "grow"];
      const out = b.slice();
      out[rng.int(b.length)]! ^= 1 << rng.int(8);
      return [out, "bitflip"];
    }
    case 1: {
      if (b.length === 0) return [new Uint8Array([rng.pick(INTERESTING_BYTES)]), "grow"];
      const out = b.slice();
      out[rng.int(b.length)] = rng.chance(0.7) ? rng.pick(INTERESTING_BYTES) : rng.u32() & 255;
      return [out, "setbyte"];
    }
    case 2: {
      const seq = new Uint8Array(rng.pick(INTERESTING_SEQUENCES));
      return [concat(b.subarray(0, pos), seq, b.subarray(pos)), "insert"];
    }
    case 3: {
      const len = rng.int(Math.min(16, b.length - pos) + 1);
      return [concat(b.subarray(0, pos), b.subarray(pos + len)), "delete"];
    }
    case 4:
      return [b.slice(0, pos), "truncate"];
    case 5: {
      const len = rng.int(Math.min(64, b.length - pos) + 1);
      return [
        concat(b.subarray(0, pos + len), b.subarray(pos, pos + len), b.subarray(pos + len)),
        "duplicate",
      ];
    }
    case 6: {
      const n = rng.chance(0.05) ? 10_000 : rng.range(1, 8);
      return [concat(b.subarray(0, pos), new Uint8Array(n).fill(SEP), b.subarray(pos)), "separators"];
    }
    case 7: {
      // Replace the type character of a segment.
      const starts = segmentStarts(b).filter((s) => s < b.length);
      if (starts.length === 0) return [b, "none"];
      const out = b.slice();
      out[rng.pick(starts)] = rng.pick([
        0x30, 0x36, 0x37, 0x39, 0x62, 0x61, 0x42, 0x2f, 0x1e, 0x00, 0xe2, 0xff,
      ]);
      return [out, "typechar"];
    }
    case 8: {
      // Bad base64 inside a binary segment.
      const starts = segmentStarts(b).filter((s) => b[s] === 0x62);
      if (starts.length === 0) return [b, "none"];
      const s = rng.pick(starts);
      let e = b.indexOf(SEP, s);
      if (e === -1) e = b.length;
      const out = b.slice();
      if (e - s > 1)
        out[rng.range(s + 1, e - 1)] = rng.pick([0x21, 0x2d, 0x5f, 0x2e, 0x00, 0x80, 0x20, 0x0a, 0x3d, 0xff]);
      return [out, "badbase64"];
    }
    case 9: {
      // Cut a binary segment's base64 to a length of 1 mod 4, or strip/add padding.
      const starts = segmentStarts(b).filter((s) => b[s] === 0x62);
      if (starts.length === 0) return [b, "none"];
      const s = rng.pick(starts);
      let e = b.indexOf(SEP, s);
      if (e === -1) e = b.length;
      const k = rng.int(3);
      if (k === 0) return [concat(b.subarray(0, e - 1), b.subarray(e)), "b64cut"];
      if (k === 1) return [concat(b.subarray(0, e), new Uint8Array([0x3d]), b.subarray(e)), "b64pad"];
      return [concat(b.subarray(0, s + 1), new Uint8Array([0x3d]), b.subarray(s + 1)), "b64leadpad"];
    }
    case 10: {
      // Truncate in the middle of a multi-byte UTF-8 sequence.
      const highs: number[] = [];
      for (let i = 0; i < b.length && highs.length < 64; i++) if (b[i]! >= 0xc0) highs.push(i);
      if (highs.length === 0) return [b.slice(0, pos), "truncate"];
      const i = rng.pick(highs);
      const cut = i + 1 + rng.int(2);
      return rng.chance(0.5)
        ? [b.slice(0, Math.min(cut, b.length)), "utf8cut"]
        : [
            concat(b.subarray(0, Math.min(cut, b.length)), b.subarray(Math.min(cut + 1, b.length))),
            "utf8hole",
          ];
    }
    case 11: {
      const n = rng.range(1, 32);
      return [concat(b.subarray(0, pos), rng.bytes(n), b.subarray(pos)), "randominsert"];
    }
    case 12: {
      // Splice two halves in the wrong order.
      return [concat(b.subarray(pos), b.subarray(0, pos)), "rotate"];
    }
    default: {
      // Empty segments: a separator at the start, the end, or doubled.
      const k = rng.int(3);
      const sep = new Uint8Array([SEP]);
      if (k === 0) return [concat(sep, b), "leadsep"];
      if (k === 1) return [concat(b, sep), "trailsep"];
      return [concat(b.subarray(0, pos), new Uint8Array([SEP, SEP]), b.subarray(pos)), "doublesep"];
    }
  }
}

const LONE = ["\ud800", "\udbff", "\udc00", "\udfff"];

/** Applies one random mutation to a string. */
export function mutateString(rng: Rng, s: string): [string, string] {
  const pos = rng.int(s.length + 1);
  switch (rng.int(8)) {
    case 0:
      return [s.slice(0, pos) + rng.pick(LONE) + s.slice(pos), "lone"];
    case 1:
      return [s.slice(0, pos), "truncate"];
    case 2:
      return [s.slice(0, pos) + rng.pick(SPECIAL_CHARS) + s.slice(pos), "special"];
    case 3:
      return [
        s.slice(0, pos) + "\x1e".repeat(rng.chance(0.05) ? 10_000 : rng.range(1, 4)) + s.slice(pos),
        "separators",
      ];
    case 4: {
      const len = rng.int(8);
      return [s.slice(0, pos) + s.slice(pos + len), "delete"];
    }
    case 5: {
      if (s.length === 0) return ["\u0100", "grow"];
      const i = rng.int(s.length);
      const c = String.fromCharCode(rng.chance(0.5) ? rng.int(0x100) : rng.int(0x10000));
      return [s.slice(0, i) + c + s.slice(i + 1), "setchar"];
    }
    case 6:
      return [
        s.slice(0, pos) + randomText(rng, rng.range(1, 8), { separators: true, lone: true }) + s.slice(pos),
        "insert",
      ];
    default: {
      // A non-ASCII character inside base64 (code units above 0xff must not alias to ASCII).
      const c = rng.pick(["\u0141", "\u0100", "\u0241", "\uff21", "\u00c1", "\u0000"]);
      return [s.slice(0, pos) + c + s.slice(pos), "wide"];
    }
  }
}

// ------------------------------------------------------------------------------------- generators

function validPayloadCase(rng: Rng): FuzzCase {
  const lone = rng.chance(0.1);
  const packets = randomPackets(rng, { forPayload: true, lone });
  const body = oraclePayload(packets);
  const wellFormed = !lone || isWellFormed(body);
  const asString = rng.chance(0.25);
  return {
    fn: "decodePayload",
    gen: asString ? "valid-string" : "valid-bytes",
    input: asString ? body : presentBytes(rng, enc.encode(body)),
    packets: expectedDecoded(packets),
    valid: wellFormed,
    roundTrip: wellFormed,
  };
}

function mutatedPayloadCase(rng: Rng): FuzzCase {
  const packets = randomPackets(rng, { forPayload: rng.chance(0.8), lone: rng.chance(0.1) });
  const body = oraclePayload(packets);
  const n = rng.chance(0.6) ? 1 : rng.range(2, 5);
  if (rng.chance(0.2)) {
    let s = body;
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const [m, name] = mutateString(rng, s);
      s = m;
      names.push(name);
    }
    return { fn: "decodePayload", gen: `mut-string:${names.join("+")}`, input: s };
  }
  let b: Uint8Array = enc.encode(body);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const [m, name] = mutateBytes(rng, b);
    b = m;
    names.push(name);
  }
  if (rng.chance(0.1))
    return { fn: "decodePayload", gen: `mut-lenient:${names.join("+")}`, input: lenient.decode(b) };
  return { fn: "decodePayload", gen: `mut-bytes:${names.join("+")}`, input: presentBytes(rng, b) };
}

const PAYLOAD_ALPHABET = enc.encode("0123456b4444bbb\x1e\x1e\x1e==AQIDBAZz+/9 \x00\xff");

function randomPayloadCase(rng: Rng): FuzzCase {
  const n = rng.size(2048);
  if (rng.chance(0.5))
    return { fn: "decodePayload", gen: "random-bytes", input: presentBytes(rng, rng.bytes(n)) };
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = PAYLOAD_ALPHABET[rng.int(PAYLOAD_ALPHABET.length)]!;
  if (rng.chance(0.3))
    return { fn: "decodePayload", gen: "random-alphabet-string", input: lenient.decode(b) };
  return { fn: "decodePayload", gen: "random-alphabet", input: presentBytes(rng, b) };
}

/** Hand-picked extremes, drawn now and then. */
function extremePayloadCase(rng: Rng): FuzzCase {
  const k = rng.int(10);
  const sepFlood = "\x1e".repeat(10_000);
  const make = (s: string, gen: string, valid = false): FuzzCase => ({
    fn: "decodePayload",
    gen,
    input: rng.chance(0.5) ? s : enc.encode(s),
    valid,
  });
  switch (k) {
    case 0:
      return make(sepFlood, "extreme:10000-separators");
    case 1:
      return make(`4${"\x1e4".repeat(10_000)}`, "extreme:10001-messages", true);
    case 2:
      return make(`b${"A".repeat(rng.range(0, 5))}${"=".repeat(rng.range(0, 4))}`, "extreme:short-b64");
    case 3:
      return make("", "extreme:empty");
    case 4:
      return make(`4${"\x1e2".repeat(5000)}\x1e`, "extreme:trailing-separator");
    case 5:
      return make(
        `b${Buffer.from(rng.bytes(rng.range(60_000, 300_000))).toString("base64")}`,
        "extreme:big-binary",
        true,
      );
    case 6:
      return make(`4${"€".repeat(rng.range(10_000, 100_000))}`, "extreme:big-text", true);
    case 7:
      return make(`${"b\x1e".repeat(2000)}4`, "extreme:empty-binaries", true);
    case 8:
      return make("4\u0000\x1e3probe\x1e2probe\x1e5\x1e6\x1e1\x1e0{}", "extreme:all-types", true);
    default:
      return make(`b${"A".repeat(4 * rng.range(1, 5000) + 1)}`, "extreme:b64-1mod4");
  }
}

function decodePacketCase(rng: Rng): FuzzCase {
  const k = rng.int(10);
  if (k < 2) {
    // WebSocket binary frame: always a binary message.
    return {
      fn: "decodePacket",
      gen: "frame-binary",
      input: presentBytes(rng, rng.bytes(rng.size(2048))),
      valid: true,
    };
  }
  const packet = randomPacket(rng, { lone: rng.chance(0.1) });
  const frame = oraclePacket(packet, false) as string;
  if (k < 5) {
    return {
      fn: "decodePacket",
      gen: "frame-valid",
      input: frame,
      packets: expectedDecoded([packet]),
      valid: true,
      roundTrip: true,
    };
  }
  if (k < 9) {
    let s = frame;
    const names: string[] = [];
    for (let i = 0, n = rng.range(1, 3); i < n; i++) {
      const [m, name] = mutateString(rng, s);
      s = m;
      names.push(name);
    }
    return { fn: "decodePacket", gen: `frame-mut:${names.join("+")}`, input: s };
  }
  return {
    fn: "decodePacket",
    gen: "frame-random",
    input: randomText(rng, rng.size(64), { separators: true, lone: true }),
  };
}

function encodePacketCase(rng: Rng): FuzzCase {
  return {
    fn: "encodePacket",
    gen: "encode-packet",
    packets: [randomPacket(rng, { lone: rng.chance(0.1), error: true })],
    supportsBinary: rng.chance(0.5),
  };
}

function encodePayloadCase(rng: Rng): FuzzCase {
  return {
    fn: "encodePayload",
    gen: "encode-payload",
    packets: rng.chance(0.02) ? [] : randomPackets(rng, { lone: rng.chance(0.1), error: rng.chance(0.1) }),
  };
}

function base64EncodeCase(rng: Rng): FuzzCase {
  const kind = rng.pick<BinKind>(["u8", "buffer", "offset"]);
  return {
    fn: "base64Encode",
    gen: "b64-encode",
    input: wrapBinary(rng.bytes(rng.size(4096)), kind) as Uint8Array,
  };
}

function base64DecodeCase(rng: Rng): FuzzCase {
  const bytes = rng.bytes(rng.size(3000));
  let text = Buffer.from(bytes).toString("base64");
  if (rng.chance(0.3)) text = text.replace(/=+$/, "");
  const k = rng.int(10);
  if (k < 4) {
    return {
      fn: "base64Decode",
      gen: "b64-valid",
      input: rng.chance(0.5) ? text : presentBytes(rng, enc.encode(text)),
      valid: true,
    };
  }
  if (k < 8) {
    const names: string[] = [];
    for (let i = 0, n = rng.range(1, 3); i < n; i++) {
      const [m, name] = mutateString(rng, text);
      text = m;
      names.push(name);
    }
    if (rng.chance(0.5)) {
      const b = enc.encode(text);
      return { fn: "base64Decode", gen: `b64-mut-bytes:${names.join("+")}`, input: presentBytes(rng, b) };
    }
    return { fn: "base64Decode", gen: `b64-mut:${names.join("+")}`, input: text };
  }
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n.";
  let s = "";
  for (let i = 0, n = rng.size(200); i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return { fn: "base64Decode", gen: "b64-random", input: s };
}

const GENERATORS: [number, (rng: Rng) => FuzzCase][] = [
  [22, validPayloadCase],
  [30, mutatedPayloadCase],
  [8, randomPayloadCase],
  [1, extremePayloadCase],
  [14, decodePacketCase],
  [8, encodePacketCase],
  [7, encodePayloadCase],
  [4, base64EncodeCase],
  [6, base64DecodeCase],
];
const WEIGHTS = GENERATORS.map(([w]) => w);

/** One random case from the seeded generator. */
export function generateCase(rng: Rng): FuzzCase {
  return GENERATORS[rng.weighted(WEIGHTS)]![1](rng);
}
