/**
 * The pure-TypeScript codec: no Node `Buffer`, no WASM, so it runs in every browser and worker.
 * It is also the reference the other backends are differentially tested against.
 */
import {
  BINARY_PREFIX_BYTE,
  type BinaryData,
  errorPacket,
  PACKET_TYPES,
  PACKET_TYPES_BY_CODE,
  type Packet,
  SEPARATOR,
  SEPARATOR_BYTE,
} from "../protocol/packet.js";
import type { Codec } from "./types.js";

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

/** Views any binary input as bytes without copying. */
export function toBytes(data: BinaryData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** True for `ArrayBuffer` and every `ArrayBufferView` (typed arrays, DataView, Buffer). */
export function isBinary(data: unknown): data is BinaryData {
  return data instanceof ArrayBuffer || ArrayBuffer.isView(data);
}

/** Length of base64 text for `n` bytes, with padding. */
export function base64Length(n: number): number {
  return ((n + 2) / 3 | 0) * 4;
}

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
  const out = new Uint8Array(((len >> 2) * 3) + (rest === 0 ? 0 : rest - 1));
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

/** Base64 text as bytes, one byte per char; chars above 0xff make it invalid (mapped to a non-alphabet byte). */
function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c > 0xff ? 0 : c;
  }
  return out;
}

/** Exact UTF-8 byte length of a JS string, counting lone surrogates as U+FFFD (3 bytes) like TextEncoder. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // 4 bytes for 2 UTF-16 units
        i++;
      } else {
        n += 2;
      }
    } else {
      n += 2;
    }
  }
  return n;
}

/** Decodes one `<type><data>` text packet already split out of a payload. */
function decodeTextPacket(text: string): Packet {
  const code = text.charCodeAt(0) - 0x30;
  if (text.charCodeAt(0) === BINARY_PREFIX_BYTE) {
    const bytes = base64DecodeBytes(asciiBytes(text), 1, text.length);
    return bytes === null ? errorPacket() : { type: "message", data: bytes };
  }
  const type = PACKET_TYPES_BY_CODE[code];
  if (type === undefined || !(code >= 0)) return errorPacket();
  return text.length > 1 ? { type, data: text.slice(1) } : { type };
}

/** Decodes one segment `body[start, end)` of a payload held as bytes. */
function decodeSegment(body: Uint8Array, start: number, end: number): Packet {
  if (start >= end) return errorPacket();
  const first = body[start]!;
  if (first === BINARY_PREFIX_BYTE) {
    const bytes = base64DecodeBytes(body, start + 1, end);
    return bytes === null ? errorPacket() : { type: "message", data: bytes };
  }
  const type = PACKET_TYPES_BY_CODE[first - 0x30];
  if (type === undefined || first < 0x30) return errorPacket();
  if (end - start === 1) return { type };
  let data: string;
  try {
    data = utf8Decoder.decode(body.subarray(start + 1, end));
  } catch {
    return errorPacket();
  }
  return { type, data };
}

function typeChar(packet: Packet): string {
  return packet.type === "error" ? "" : PACKET_TYPES[packet.type];
}

/** Pure-TypeScript backend. */
export const jsCodec: Codec = {
  name: "js",

  encodePacket(packet, supportsBinary) {
    const data = packet.data;
    if (data !== undefined && typeof data !== "string") {
      const bytes = toBytes(data);
      if (supportsBinary) return bytes;
      const out = new Uint8Array(1 + base64Length(bytes.length));
      out[0] = BINARY_PREFIX_BYTE;
      base64EncodeInto(bytes, out, 1);
      return asciiDecoder.decode(out);
    }
    return typeChar(packet) + (data ?? "");
  },

  decodePacket(frame) {
    if (typeof frame !== "string") return { type: "message", data: frame };
    return decodeTextPacket(frame);
  },

  encodePayload(packets) {
    let size = packets.length > 0 ? packets.length - 1 : 0;
    for (const p of packets) {
      const d = p.data;
      if (d === undefined) size += 1;
      else if (typeof d === "string") size += 1 + utf8Length(d);
      else size += 1 + base64Length(toBytes(d).length);
    }
    const out = new Uint8Array(size);
    let pos = 0;
    for (let i = 0; i < packets.length; i++) {
      if (i > 0) out[pos++] = SEPARATOR_BYTE;
      const p = packets[i]!;
      const d = p.data;
      if (d !== undefined && typeof d !== "string") {
        out[pos++] = BINARY_PREFIX_BYTE;
        pos = base64EncodeInto(toBytes(d), out, pos);
        continue;
      }
      const t = typeChar(p);
      if (t !== "") out[pos++] = t.charCodeAt(0);
      if (d) pos += utf8Encoder.encodeInto(d, out.subarray(pos)).written;
    }
    return pos === size ? out : out.subarray(0, pos);
  },

  decodePayload(body) {
    const packets: Packet[] = [];
    if (typeof body === "string") {
      for (const segment of body.split(SEPARATOR)) {
        const packet = segment === "" ? errorPacket() : decodeTextPacket(segment);
        packets.push(packet);
        if (packet.type === "error") break;
      }
      return packets;
    }
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

  base64Encode(bytes) {
    const out = new Uint8Array(base64Length(bytes.length));
    base64EncodeInto(bytes, out, 0);
    return asciiDecoder.decode(out);
  },

  base64Decode(text) {
    const bytes = typeof text === "string" ? asciiBytes(text) : text;
    return base64DecodeBytes(bytes, 0, bytes.length);
  },
};
