/**
 * Pieces every backend shares: the payload writer (sizes first, then one buffer), the text-side payload
 * decoder, and short-string helpers that beat a native call for the tiny packets Engine.IO mostly carries.
 */
import {
  BINARY_PREFIX_BYTE,
  type BinaryData,
  errorPacket,
  PACKET_TYPES,
  PACKET_TYPES_BY_CODE,
  type Packet,
  SEPARATOR_BYTE,
} from "../protocol/packet.js";
import type { PayloadBody } from "./types.js";

/**
 * Strings up to this many UTF-16 units are measured and written by a JS loop; longer ones by a native
 * call (`TextEncoder.encodeInto`, `Buffer#utf8Write`, `Buffer.byteLength`). A native string call costs
 * ~100–120 ns on Node 20 here (`encodeInto` of 20 chars: 100 ns, `utf8Write`: 119 ns), a JS loop ~1 ns
 * per char, so the crossover is well above 32; 32 keeps the loop's worst case (non-ASCII found late) cheap.
 */
export const SHORT_TEXT = 32;

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
  return (((n + 2) / 3) | 0) * 4;
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

/**
 * Writes `s` at `out[pos]` if it is all ASCII and returns the end position; returns -1 (having written a
 * prefix that the caller overwrites) at the first non-ASCII unit.
 */
export function writeAscii(s: string, out: Uint8Array, pos: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    out[pos++] = c;
  }
  return pos;
}

/**
 * Returns `packets`, or a copy where data that is neither a string nor binary (numbers, booleans, objects —
 * outside the types, but engine.io users do send them) is turned into text exactly as engine.io-parser's
 * `PACKET_TYPES[type] + (data || "")` does.
 */
export function normalizePackets(packets: readonly Packet[]): readonly Packet[] {
  for (let i = 0; i < packets.length; i++) {
    const d: unknown = packets[i]!.data;
    if (d === undefined || d === null || typeof d === "string" || d instanceof Uint8Array) continue;
    if (d instanceof ArrayBuffer || ArrayBuffer.isView(d)) continue;
    return packets.map((p) => {
      const x: unknown = p.data;
      if (
        x === undefined ||
        x === null ||
        typeof x === "string" ||
        x instanceof ArrayBuffer ||
        ArrayBuffer.isView(x)
      ) {
        return p;
      }
      return { ...p, data: x ? String(x) : "" };
    });
  }
  return packets;
}

/** The steps a backend supplies to {@link encodePayloadWith}. */
export interface EncodeSteps {
  /** A fresh output buffer of `n` bytes (contents may be uninitialised). */
  alloc(n: number): Uint8Array;
  /** UTF-8 length of a string longer than {@link SHORT_TEXT}. */
  longTextLength(s: string): number;
  /** Writes a non-short or non-ASCII string as UTF-8 at `pos`; returns the end position. */
  writeText(s: string, out: Uint8Array, pos: number): number;
  /** Writes base64 of `bytes` at `pos`; returns the end position. */
  writeBase64(bytes: Uint8Array, out: Uint8Array, pos: number): number;
}

/**
 * On Node (`node` backend), text-only payloads of at least this many packets are built as one string and
 * transcoded by one native call (what engine.io-parser + `Buffer.from` does), instead of measuring and writing
 * each string by a JS loop. (Not in the `js` backend, to keep the browser bundle ≤ 15 KiB gzipped.)
 * `node bench/codec-polling.bench.ts` (compiled, Node 20, this 2-core box): 3×20 B text encode 1195 ns that
 * way vs 2072 ns by the loops, 10×20 B 1516 vs 2014 ns, 100×20 B 275 vs 171 MB/s; for one packet the loop
 * wins (263 vs 498 ns: the native call's fixed cost is ~200 ns).
 */
export const TEXT_JOIN_MIN_PACKETS = 2;

/**
 * Returns the whole body as one string if every packet is text (or has no data) and there are at least
 * {@link TEXT_JOIN_MIN_PACKETS}; otherwise `null`.
 */
export function joinTextPayload(packets: readonly Packet[]): string | null {
  return packets.length < TEXT_JOIN_MIN_PACKETS ? null : textPayload(packets);
}

/**
 * The whole long-polling body as one string when every packet is text (or has no data), else `null`: for a
 * peer that encodes a string body itself (a Fetch `Response`), the same bytes as `encodePayload`.
 */
export function textPayload(packets: readonly Packet[]): string | null {
  const count = packets.length;
  if (count === 0) return null;
  for (let i = 0; i < count; i++) {
    const d = packets[i]!.data;
    if (d !== undefined && d !== null && typeof d !== "string") return null;
  }
  let s = encodeTextFrame(packets[0]!);
  for (let i = 1; i < count; i++) s += `\x1e${encodeTextFrame(packets[i]!)}`;
  return s;
}

function typeCode(packet: Packet): number {
  return packet.type === "error" ? -1 : PACKET_TYPES[packet.type].charCodeAt(0);
}

/** Byte size of one packet inside a payload (without its separator). */
export function packetSize(p: Packet, steps: Pick<EncodeSteps, "longTextLength">): number {
  const d = p.data;
  if (d === undefined || d === null) return 1;
  if (typeof d === "string") {
    const t = p.type === "error" ? 0 : 1;
    return t + (d.length <= SHORT_TEXT ? utf8Length(d) : steps.longTextLength(d));
  }
  return 1 + base64Length(toBytes(d).length);
}

/**
 * Encodes a long-polling payload into one buffer: sizes first (exact), then every packet written in
 * place. Binary packets become `b` + base64, as engine.io-parser's `encodePayload` does.
 */
export function encodePayloadWith(steps: EncodeSteps, input: readonly Packet[]): Uint8Array {
  return encodeNormalizedWith(steps, normalizePackets(input));
}

/**
 * {@link encodePayloadWith} for packets whose `data` is already a string, binary or absent (what
 * {@link normalizePackets} returns): routers that have looked at every packet skip the second look.
 */
export function encodeNormalizedWith(steps: EncodeSteps, packets: readonly Packet[]): Uint8Array {
  const count = packets.length;
  let size = count > 0 ? count - 1 : 0;
  for (let i = 0; i < count; i++) size += packetSize(packets[i]!, steps);
  const out = steps.alloc(size);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) out[pos++] = SEPARATOR_BYTE;
    const p = packets[i]!;
    const d = p.data;
    if (d !== undefined && d !== null && typeof d !== "string") {
      out[pos++] = BINARY_PREFIX_BYTE;
      pos = steps.writeBase64(toBytes(d), out, pos);
      continue;
    }
    const t = typeCode(p);
    if (t !== -1) out[pos++] = t;
    if (d) {
      const end = d.length <= SHORT_TEXT ? writeAscii(d, out, pos) : -1;
      pos = end === -1 ? steps.writeText(d, out, pos) : end;
    }
  }
  return pos === size ? out : out.subarray(0, pos);
}

/** Whether a body is given as its chunks. */
export function isChunks(body: PayloadBody): body is readonly Uint8Array[] {
  return Array.isArray(body);
}

/** The bytes of a chunked body in one array (the chunk itself when there is one). */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Decodes one `<type><data>` text packet `s[start, end)` whose type is not `b`. */
export function decodeTextSegment(s: string, start: number, end: number): Packet {
  if (start >= end) return errorPacket();
  const code = s.charCodeAt(start) - 0x30;
  const type = code >= 0 ? PACKET_TYPES_BY_CODE[code] : undefined;
  if (type === undefined) return errorPacket();
  return end - start > 1 ? { type, data: s.slice(start + 1, end) } : { type };
}

/** Decodes base64 text `s[start, end)`, or returns null when invalid. */
export type StringBase64Decoder = (s: string, start: number, end: number) => Uint8Array | null;

/**
 * Decodes a payload already held as a string (engine.io-parser's input), splitting on `\x1e` and stopping
 * after the first invalid packet.
 */
export function decodePayloadString(body: string, b64: StringBase64Decoder): Packet[] {
  const packets: Packet[] = [];
  const n = body.length;
  let start = 0;
  for (;;) {
    let end = body.indexOf("\x1e", start);
    if (end === -1) end = n;
    let packet: Packet;
    if (end > start && body.charCodeAt(start) === BINARY_PREFIX_BYTE) {
      const bytes = b64(body, start + 1, end);
      packet = bytes === null ? errorPacket() : { type: "message", data: bytes };
    } else {
      packet = decodeTextSegment(body, start, end);
    }
    packets.push(packet);
    if (packet.type === "error" || end === n) return packets;
    start = end + 1;
  }
}

/** Decodes one WebSocket text frame (`<type><data>`, or `b` + base64). */
export function decodeFrameString(frame: string, b64: StringBase64Decoder): Packet {
  if (frame.charCodeAt(0) === BINARY_PREFIX_BYTE) {
    const bytes = b64(frame, 1, frame.length);
    return bytes === null ? errorPacket() : { type: "message", data: bytes };
  }
  return decodeTextSegment(frame, 0, frame.length);
}

/**
 * Encodes one packet for a WebSocket frame, the part every backend shares: binary data as itself for a
 * binary-capable peer, else through the backend's `b` + base64 encoder; text as `<type><data>`.
 */
export function encodePacketWith(
  packet: Packet,
  supportsBinary: boolean,
  base64Frame: (bytes: Uint8Array) => string,
): string | Uint8Array {
  const data = packet.data;
  if (isBinary(data)) {
    const bytes = toBytes(data);
    return supportsBinary ? bytes : base64Frame(bytes);
  }
  return encodeTextFrame(packet);
}

/** Decodes one WebSocket frame: bytes are a binary message (the same view); text through {@link decodeFrameString}. */
export function decodeFrameWith(frame: string | Uint8Array, b64: StringBase64Decoder): Packet {
  return typeof frame === "string" ? decodeFrameString(frame, b64) : { type: "message", data: frame };
}

/** Encodes one packet as a WebSocket text frame (engine.io-parser: `PACKET_TYPES[type] + (data || "")`). */
export function encodeTextFrame(packet: Packet): string {
  const d = packet.data;
  const t = packet.type === "error" ? "" : PACKET_TYPES[packet.type];
  return d ? t + (d as string) : t;
}
