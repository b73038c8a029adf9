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

/** Base64 text `s[start, end)` as bytes, one byte per char; chars above 0xff map to a non-alphabet byte. */
function asciiBytes(s: string, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    out[i - start] = c > 0xff ? 0 : c;
  }
  return out;
}

/** Base64 of a string range, decoded in pure TypeScript. */
export const jsBase64DecodeString = (s: string, start: number, end: number): Uint8Array | null =>
  base64DecodeBytes(asciiBytes(s, start, end), 0, end - start);

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

/** Pure-TypeScript backend. */
export const jsCodec: Codec = {
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
