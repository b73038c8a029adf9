/**
 * WebSocket framing on top of a {@link Codec}: one packet per frame. Transports hand frames here and write what
 * comes back, so they never frame messages themselves.
 */
import { BINARY_PREFIX_BYTE, errorPacket, type Packet } from "../protocol/packet.js";
import type { Codec } from "./types.js";

const CHAR_MESSAGE = 0x34; // "4"

/** Decodes UTF-8 bytes `[start, end)` of a frame that the WebSocket layer already validated as text. */
export type FrameText = (frame: Uint8Array, start: number) => string;

/**
 * Decodes a text frame still held as its UTF-8 bytes (what `ws` delivers): a `4` message becomes one string, a
 * `b` + base64 message is decoded from the bytes straight to binary (never through a string), anything else
 * goes to the codec's `decodePacket`.
 */
export function decodeTextFrameBytes(codec: Codec, frame: Uint8Array, text: FrameText): Packet {
  if (frame.length === 0) return errorPacket();
  const first = frame[0];
  if (first === CHAR_MESSAGE) return { type: "message", data: text(frame, 1) };
  if (first === BINARY_PREFIX_BYTE) {
    const bytes = codec.base64Decode(frame.subarray(1));
    return bytes === null ? errorPacket() : { type: "message", data: bytes };
  }
  return codec.decodePacket(text(frame, 0));
}

/**
 * The frame of one message without building a packet object: `4<text>`, the bytes themselves for a
 * binary-capable peer, or `b` + base64 text for a `b64=1` peer.
 */
export function encodeMessageFrame(
  codec: Codec,
  data: string | Uint8Array,
  supportsBinary: boolean,
): string | Uint8Array {
  if (typeof data === "string") return `4${data}`;
  return supportsBinary ? data : `b${codec.base64Encode(data)}`;
}
