/**
 * The `node` backend: bytes-first payloads built on Node's native `Buffer` primitives (native base64,
 * UTF-8 validation and transcoding). Only exists on Node; the WASM backends hand it the steps where the
 * benchmark shows the native call wins (the base64 string functions, 8–128 KiB binary packets).
 */
import { BINARY_PREFIX_BYTE, errorPacket, type Packet, SEPARATOR_BYTE } from "../protocol/packet.js";
import {
  base64Length,
  decodeFrameWith,
  decodePayloadString,
  decodeTextSegment,
  type EncodeSteps,
  encodeNormalizedWith,
  encodePacketWith,
  isChunks,
  joinChunks,
  joinTextPayload,
  normalizePackets,
} from "./common.js";
import { base64DecodeBytes, base64EncodeInto, jsBase64DecodeString, utf8Text } from "./js.js";
import { type NodeBufferApi, type NodeBytes, nodeBuffer } from "./node-buffer.js";
import type { Codec } from "./types.js";

/**
 * Binary packets below this size are base64-encoded by the JS loop rather than `Buffer#toString("base64")`
 * plus `latin1Write` (two native calls and a temporary string, ~250 ns fixed cost).
 */
export const NODE_BASE64_MIN = 96;

/**
 * Strict base64 decoding of `s[start, end)` with Node's native (lenient) decoder: for ASCII input Node skips
 * characters outside the alphabet and stops at `=`, so a valid input is exactly one whose output has the
 * expected length — except the URL-safe `-` and `_`, which Node accepts and we refuse, and chars above
 * 0xff, refused up front.
 */
export function nodeBase64DecodeString(
  nb: NodeBufferApi,
  s: string,
  start: number,
  end: number,
): Uint8Array | null {
  if (end - start < NODE_BASE64_STRING_MIN) return jsBase64DecodeString(s, start, end);
  let e = end;
  if (e > start && s.charCodeAt(e - 1) === 0x3d) e--;
  if (e > start && s.charCodeAt(e - 1) === 0x3d) e--;
  const len = e - start;
  const rest = len & 3;
  if (rest === 1) return null;
  const text = start === 0 && end === s.length ? s : s.slice(start, end);
  // Node reads a char above 0xff by its low byte ("摸" U+6478 as "x"), so those must be refused first (chars
  // 0x80–0xff are skipped like other non-alphabet chars and caught by the length check). On a one-byte
  // string V8 fails this regexp without scanning (0.1 µs for 1.4 MB; `Buffer.byteLength` took 255 µs).
  if (WIDE_CHAR.test(text)) return null;
  if (text.indexOf("-") !== -1 || text.indexOf("_") !== -1) return null;
  const out = nb.fromBase64(text);
  return out.length === (len >> 2) * 3 + (rest === 0 ? 0 : rest - 1) ? out : null;
}

const WIDE_CHAR = /[\u0100-\uffff]/;

/**
 * Base64 strings shorter than this are decoded by the JS loop: the native path's slice, checks and
 * `Buffer.from` cost a fixed ~300 ns (`bench:codec`, base64 64 B decode row).
 */
export const NODE_BASE64_STRING_MIN = 128;

/** Encoded bodies up to this size are plain `Uint8Array`s (cheaper to allocate than a pooled `Buffer`). */
const TINY_BODY = 64;
const utf8Encoder = new TextEncoder();

/** Bodies up to this size are checked for ASCII by a JS loop (a `buffer.isAscii` call costs ~50 ns). */
const SMALL_BODY = 64;

function isAsciiSmall(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc < 0x80;
}

/** The Node backend as the native router holds it: one more entry for payloads it has already checked. */
export interface HostCodec extends Codec {
  /** `encodePayload` for packets whose `data` is a string, binary or absent (no second normalization pass). */
  encodeNormalized(packets: readonly Packet[]): Uint8Array;
}

/** Builds the Node backend over the given `node:buffer` API. */
export function createNodeCodec(nb: NodeBufferApi): HostCodec {
  const b64s = (s: string, start: number, end: number) => nodeBase64DecodeString(nb, s, start, end);

  const steps: EncodeSteps = {
    // A plain Uint8Array for tiny bodies: `new Uint8Array(21)` measured 33 ns, `Buffer.allocUnsafe(21)` 59 ns.
    alloc: (n) => (n <= TINY_BODY ? new Uint8Array(n) : nb.allocUnsafe(n)),
    longTextLength: (s) => nb.byteLength(s),
    writeText(s, out, pos) {
      const buf = out as Partial<NodeBytes>;
      if (buf.utf8Write) return pos + buf.utf8Write(s, pos);
      return pos + utf8Encoder.encodeInto(s, out.subarray(pos)).written;
    },
    writeBase64(bytes, out, pos) {
      if (bytes.length < NODE_BASE64_MIN) return base64EncodeInto(bytes, out, pos);
      const text = nb.view(bytes).base64Slice(0, bytes.length);
      return pos + (out as NodeBytes).latin1Write(text, pos);
    },
  };

  /** Per-segment slow path for bodies that are not valid UTF-8 as a whole. */
  function decodeSegments(body: Uint8Array): Packet[] {
    const packets: Packet[] = [];
    const n = body.length;
    let start = 0;
    for (;;) {
      let end = body.indexOf(SEPARATOR_BYTE, start);
      if (end === -1) end = n;
      let packet: Packet;
      if (end > start && body[start] === BINARY_PREFIX_BYTE) {
        const bytes = base64DecodeBytes(body, start + 1, end);
        packet = bytes === null ? errorPacket() : { type: "message", data: bytes };
      } else if (end - start > 1) {
        const text = utf8Text(body, start, end);
        packet = text === null ? errorPacket() : decodeTextSegment(text, 0, text.length);
      } else {
        packet = decodeTextSegment(end > start ? String.fromCharCode(body[start]!) : "", 0, end - start);
      }
      packets.push(packet);
      if (packet.type === "error" || end === n) return packets;
      start = end + 1;
    }
  }

  function base64Frame(bytes: Uint8Array): string {
    if (bytes.length < NODE_BASE64_MIN) {
      const out = nb.allocUnsafe(1 + base64Length(bytes.length));
      out[0] = BINARY_PREFIX_BYTE;
      base64EncodeInto(bytes, out, 1);
      return out.latin1Slice(0, out.length);
    }
    return `b${nb.view(bytes).base64Slice(0, bytes.length)}`;
  }

  function encodeNormalized(packets: readonly Packet[]): Uint8Array {
    const joined = joinTextPayload(packets);
    return joined !== null ? nb.fromUtf8(joined) : encodeNormalizedWith(steps, packets);
  }

  return {
    name: "node",

    encodePacket: (packet, supportsBinary) => encodePacketWith(packet, supportsBinary, base64Frame),

    decodePacket: (frame) => decodeFrameWith(frame, b64s),

    encodePayload: (input) => encodeNormalized(normalizePackets(input)),

    encodeNormalized,

    decodePayload(input) {
      if (typeof input === "string") return decodePayloadString(input, b64s);
      const body = isChunks(input) ? joinChunks(input) : input;
      const buf = nb.view(body);
      // One native validation and one transcoding for the whole body; byte 0x1e never occurs inside a
      // multi-byte UTF-8 sequence, so splitting the string equals splitting the bytes.
      if (buf.length <= SMALL_BODY ? isAsciiSmall(buf) : nb.isAscii(buf)) {
        return decodePayloadString(buf.latin1Slice(0, buf.length), b64s);
      }
      if (nb.isUtf8(buf)) return decodePayloadString(buf.utf8Slice(0, buf.length), b64s);
      return decodeSegments(body);
    },

    base64Encode: (bytes) => nb.view(bytes).base64Slice(0, bytes.length),

    base64Decode(text) {
      if (typeof text === "string") return b64s(text, 0, text.length);
      if (text.length < NODE_BASE64_MIN) return base64DecodeBytes(text, 0, text.length);
      const buf = nb.view(text);
      // Bytes outside latin1-ASCII make latin1Slice produce chars Node's decoder skips: caught by the length check.
      return b64s(buf.latin1Slice(0, buf.length), 0, buf.length);
    },
  };
}

/** The Node backend, or `null` outside Node. */
export const nodeCodec: HostCodec | null = nodeBuffer ? createNodeCodec(nodeBuffer) : null;
