/**
 * The pure-TypeScript codec: no Node `Buffer`, no WASM, so it runs in every browser and worker.
 * It is also the reference the other backends are differentially tested against.
 */
import {
  BINARY_PREFIX_BYTE,
  errorPacket,
  PACKET_TYPES_BY_CODE,
  type Packet,
  SEPARATOR_BYTE,
} from "../protocol/packet.js";
import {
  base64Length,
  decodeFrameWith,
  decodePayloadString,
  decodeTextSegment,
  type EncodeSteps,
  encodePacketWith,
  encodePayloadWith,
  isBinary,
  isChunks,
  joinChunks,
  toBytes,
  utf8Length,
} from "./common.js";
import type { Codec } from "./types.js";
import { type WebBase64, webBase64 } from "./web-base64.js";

export { base64Length, isBinary, toBytes, utf8Length };

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ENC = new Uint8Array(64);
/** 255 = not in the alphabet. */
const DEC = new Uint8Array(256).fill(255);
for (let i = 0; i < 64; i++) {
  ENC[i] = ALPHABET.charCodeAt(i);
  DEC[ALPHABET.charCodeAt(i)] = i;
}
const PAD = 0x3d;

const utf8Encoder = new TextEncoder();
// fatal: truncated or invalid UTF-8 in a body must become the error packet, not U+FFFD text.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const asciiDecoder = new TextDecoder("latin1");

/** Writes base64 of `src` into `out` at `pos`; returns the end position. */
export function base64EncodeInto(src: Uint8Array, out: Uint8Array, pos: number): number {
  const n = src.length;
  const whole = n - (n % 3);
  let i = 0;
  for (; i < whole; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    out[pos++] = ENC[v >>> 18]!;
    out[pos++] = ENC[(v >>> 12) & 63]!;
    out[pos++] = ENC[(v >>> 6) & 63]!;
    out[pos++] = ENC[v & 63]!;
  }
  const rest = n - whole;
  if (rest === 1) {
    const v = src[i]!;
    out[pos++] = ENC[v >>> 2]!;
    out[pos++] = ENC[(v & 3) << 4]!;
    out[pos++] = PAD;
    out[pos++] = PAD;
  } else if (rest === 2) {
    const v = (src[i]! << 8) | src[i + 1]!;
    out[pos++] = ENC[v >>> 10]!;
    out[pos++] = ENC[(v >>> 4) & 63]!;
    out[pos++] = ENC[(v & 15) << 2]!;
    out[pos++] = PAD;
  }
  return pos;
}

/**
 * Decodes base64 bytes `src[start, end)`; returns null when invalid (see {@link Codec.base64Decode}).
 * Trailing bits of the last quantum are ignored, as Node's and python's decoders do.
 */
export function base64DecodeBytes(src: Uint8Array, start: number, end: number): Uint8Array | null {
  if (end > start && src[end - 1] === PAD) end--;
  if (end > start && src[end - 1] === PAD) end--;
  const len = end - start;
  const rest = len & 3;
  if (rest === 1) return null;
  const out = new Uint8Array((len >> 2) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = start;
  const whole = end - rest;
  for (; i < whole; i += 4) {
    const a = DEC[src[i]!]!;
    const b = DEC[src[i + 1]!]!;
    const c = DEC[src[i + 2]!]!;
    const d = DEC[src[i + 3]!]!;
    if ((a | b | c | d) === 255) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (rest === 2) {
    const a = DEC[src[i]!]!;
    const b = DEC[src[i + 1]!]!;
    if ((a | b) === 255) return null;
    out[o++] = (a << 2) | (b >>> 4);
  } else if (rest === 3) {
    const a = DEC[src[i]!]!;
    const b = DEC[src[i + 1]!]!;
    const c = DEC[src[i + 2]!]!;
    if ((a | b | c) === 255) return null;
    out[o++] = (a << 2) | (b >>> 4);
    out[o++] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}

/**
 * Base64 of a string range, decoded in pure TypeScript straight from the chars (no byte copy first); `null`
 * when invalid (see {@link Codec.base64Decode}; chars above 0xff are outside the alphabet).
 */
export function jsBase64DecodeString(s: string, start: number, end: number): Uint8Array | null {
  if (end > start && s.charCodeAt(end - 1) === PAD) end--;
  if (end > start && s.charCodeAt(end - 1) === PAD) end--;
  const len = end - start;
  const rest = len & 3;
  if (rest === 1) return null;
  const out = new Uint8Array((len >> 2) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = start;
  const whole = end - rest;
  for (; i < whole; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0xff) return null;
    const a = DEC[c0]!;
    const b = DEC[c1]!;
    const c = DEC[c2]!;
    const d = DEC[c3]!;
    if ((a | b | c | d) === 255) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (rest > 0) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = rest === 3 ? s.charCodeAt(i + 2) : 0x41;
    if ((c0 | c1 | c2) > 0xff) return null;
    const a = DEC[c0]!;
    const b = DEC[c1]!;
    const c = DEC[c2]!;
    if ((a | b | c) === 255) return null;
    out[o++] = (a << 2) | (b >>> 4);
    if (rest === 3) out[o] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}

/** Base64 of bytes as a string (ASCII), in pure TypeScript. */
export function jsBase64EncodeString(bytes: Uint8Array): string {
  const out = new Uint8Array(base64Length(bytes.length));
  base64EncodeInto(bytes, out, 0);
  return latin1String(out, 0, out.length);
}

/** An ASCII/latin1 range of bytes as a string, in chunks (`fromCharCode.apply` has an argument limit). */
export function latin1String(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return asciiDecoder.decode(bytes.subarray(start, end));
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Decodes one segment `body[start, end)` of a payload held as bytes. */
export function decodeSegment(body: Uint8Array, start: number, end: number): Packet {
  if (start >= end) return errorPacket();
  const first = body[start]!;
  if (first === BINARY_PREFIX_BYTE) {
    const bytes = base64DecodeBytes(body, start + 1, end);
    return bytes === null ? errorPacket() : { type: "message", data: bytes };
  }
  const type = first >= 0x30 ? PACKET_TYPES_BY_CODE[first - 0x30] : undefined;
  if (type === undefined) return errorPacket();
  if (end - start === 1) return { type };
  const data = utf8Text(body, start + 1, end);
  return data === null ? errorPacket() : { type, data };
}

/** Strict UTF-8 decoding of `bytes[start, end)`: `null` for invalid or truncated sequences. */
export function utf8Text(bytes: Uint8Array, start: number, end: number): string | null {
  if (end - start <= SHORT_BYTES) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c > 0x7f) return fatalDecode(bytes, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return fatalDecode(bytes, start, end);
}

function fatalDecode(bytes: Uint8Array, start: number, end: number): string | null {
  try {
    return utf8Decoder.decode(bytes.subarray(start, end));
  } catch {
    return null;
  }
}

/** Short byte ranges are turned into strings by a JS loop (a `TextDecoder` call costs ~250 ns). */
const SHORT_BYTES = 24;

const jsSteps: EncodeSteps = {
  alloc: (n) => new Uint8Array(n),
  longTextLength: utf8Length,
  writeText: (s, out, pos) => pos + utf8Encoder.encodeInto(s, out.subarray(pos)).written,
  writeBase64: base64EncodeInto,
};

/** `b` + base64 of `bytes`, written into one array and read back as a string (no intermediate strings). */
function jsBase64Frame(bytes: Uint8Array): string {
  const out = new Uint8Array(1 + base64Length(bytes.length));
  out[0] = BINARY_PREFIX_BYTE;
  base64EncodeInto(bytes, out, 1);
  return latin1String(out, 0, out.length);
}

const lenientUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The body as a string with one char per byte at the same offsets, for its base64 segments: ASCII bytes are
 * the same chars in every TextDecoder label, and every other byte becomes a char outside the alphabet. The
 * UTF-8 decoder has an ASCII fast path (the windows-1252 one does not, in Chromium); no UTF-8 mapping turns
 * one byte into two chars, so an equal length means every byte kept its offset — else the latin1 decoder.
 */
function bodyChars(body: Uint8Array): string {
  const s = lenientUtf8.decode(body);
  return s.length === body.length ? s : asciiDecoder.decode(body);
}

/**
 * Decodes a body with the engine's base64 ({@link WebBase64}). Lifetime rule: every binary packet of one
 * body is a view into one fresh `ArrayBuffer` allocated for that body (sized for the rest of the body at the
 * first binary packet) — never into the caller's body, never into WASM memory that a later call reuses — so
 * a packet stays valid for as long as it is referenced, and keeps at most ¾ of its body's size alive.
 * (One allocation per body instead of one per packet: a typed array costs microseconds in Chromium.)
 */
function decodeWithWeb(body: Uint8Array | string, web: WebBase64): Packet[] {
  const isText = typeof body === "string";
  const n = body.length;
  const packets: Packet[] = [];
  let whole: string | null = isText ? body : null;
  let out: Uint8Array | null = null;
  let o = 0;
  let start = 0;
  for (;;) {
    let end = isText ? body.indexOf("\x1e", start) : body.indexOf(SEPARATOR_BYTE, start);
    if (end === -1) end = n;
    let packet: Packet;
    const first = isText ? body.charCodeAt(start) : body[start];
    if (end > start && first === BINARY_PREFIX_BYTE) {
      whole ??= bodyChars(body as Uint8Array);
      out ??= new Uint8Array(((n - start) * 3) >> 2);
      const w = web.decodeInto(whole, start + 1, end, out, o);
      packet = w < 0 ? errorPacket() : { type: "message", data: out.subarray(o, o + w) };
      if (w > 0) o += w;
    } else {
      packet = isText ? decodeTextSegment(body, start, end) : decodeSegment(body, start, end);
    }
    packets.push(packet);
    if (packet.type === "error" || end === n) return packets;
    start = end + 1;
  }
}

/**
 * Builds the pure-TypeScript backend; with `web` (the engine's native `Uint8Array` base64, where it exists)
 * binary packets are decoded by it, and the base64 string functions use it. Payload encoding keeps the JS
 * loop: `toBase64` + `encodeInto` into the body measured slower in Chromium 156 (`npm run bench:browser`).
 */
export function createJsCodec(web: WebBase64 | null): Codec {
  if (web === null) return pureJs;
  const b64 = (s: string, start: number, end: number) => web.decode(s, start, end);
  return {
    name: "js",
    encodePacket: (packet, supportsBinary) =>
      encodePacketWith(packet, supportsBinary, (bytes) => `b${web.encode(bytes)}`),
    decodePacket: (frame) => decodeFrameWith(frame, b64),
    encodePayload: (packets) => encodePayloadWith(jsSteps, packets),
    decodePayload: (input) => decodeWithWeb(isChunks(input) ? joinChunks(input) : input, web),
    base64Encode: (bytes) => web.encode(bytes),
    base64Decode(text) {
      if (typeof text === "string") return web.decode(text, 0, text.length);
      return web.decode(asciiDecoder.decode(text), 0, text.length);
    },
  };
}

/** The pure-TypeScript backend with no native help at all: the reference of the differential tests. */
const pureJs: Codec = {
  name: "js",

  encodePacket: (packet, supportsBinary) => encodePacketWith(packet, supportsBinary, jsBase64Frame),

  decodePacket: (frame) => decodeFrameWith(frame, jsBase64DecodeString),

  encodePayload: (packets) => encodePayloadWith(jsSteps, packets),

  decodePayload(input) {
    if (typeof input === "string") return decodePayloadString(input, jsBase64DecodeString);
    const body = isChunks(input) ? joinChunks(input) : input;
    const packets: Packet[] = [];
    let start = 0;
    const n = body.length;
    for (;;) {
      let end = body.indexOf(SEPARATOR_BYTE, start);
      if (end === -1) end = n;
      const packet = decodeSegment(body, start, end);
      packets.push(packet);
      if (packet.type === "error" || end === n) break;
      start = end + 1;
    }
    return packets;
  },

  base64Encode: jsBase64EncodeString,

  base64Decode(text) {
    if (typeof text === "string") return jsBase64DecodeString(text, 0, text.length);
    return base64DecodeBytes(text, 0, text.length);
  },
};

/** The pure-TypeScript JS loops, whatever the engine offers (tests, benchmarks). */
export const pureJsCodec: Codec = pureJs;

/**
 * The `js` backend: pure TypeScript, with the engine's `Uint8Array` base64 for binary packets where it
 * exists (current browsers; not Node 20–24, where this is {@link pureJsCodec}).
 */
export const jsCodec: Codec = createJsCodec(webBase64);
