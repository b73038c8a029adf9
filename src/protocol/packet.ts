/**
 * Engine.IO v4 packet vocabulary (spec: socketio/engine.io-protocol, "Packet encoding").
 * Pure facts shared by the codec, the server and the client.
 */

/** The packet types of Engine.IO v4, plus the codec's `error` value for undecodable input. */
export type PacketType = "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop" | "error";

/** Binary data accepted on write: anything that views or is an ArrayBuffer. `Buffer` is a `Uint8Array`. */
export type BinaryData = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Data carried by a packet once decoded: text, or bytes (a `Buffer` on Node server paths). */
export type RawData = string | Uint8Array;

/** One Engine.IO packet, in engine.io-parser's shape. */
export interface Packet {
  /** What the packet means. */
  type: PacketType;
  /** Text or binary payload; absent for bare control packets such as `2`. */
  data?: RawData | BinaryData;
  /** Per-packet write options (only `compress` is interpreted, by WebSocket transports). */
  options?: { compress?: boolean; [key: string]: unknown };
}

/** Type character of each packet type, as it appears first on the wire. */
export const PACKET_TYPES: Readonly<Record<Exclude<PacketType, "error">, string>> = Object.freeze({
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
});

/** Packet type for each wire character code `0`–`6` (index = code − 0x30). */
export const PACKET_TYPES_BY_CODE: readonly Exclude<PacketType, "error">[] = Object.freeze([
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
]);

/** The record separator that joins packets in an HTTP long-polling payload. */
export const SEPARATOR = "\x1e";
/** {@link SEPARATOR} as a byte. */
export const SEPARATOR_BYTE = 0x1e;
/** Prefix byte (`b`) of a base64-encoded binary packet in a text payload. */
export const BINARY_PREFIX_BYTE = 0x62;

/**
 * Returned (never thrown) for input that does not decode, as engine.io-parser does.
 * A fresh object each call so callers may not mutate a shared value.
 */
export function errorPacket(): Packet {
  return { type: "error", data: "parser error" };
}
