import type { Packet } from "../protocol/packet.js";

/** A long-polling body: its bytes, the chunks they arrived in (in order), or a string. */
export type PayloadBody = Uint8Array | string | readonly Uint8Array[];

/** Names of the codec backends. */
export type BackendName = "wasm-simd" | "wasm" | "native" | "node" | "js";

/**
 * One Engine.IO v4 codec. Every backend produces byte-identical output; they differ only in speed.
 * All functions are pure: no I/O, no exceptions for bad input (bad input decodes to the error packet).
 */
export interface Codec {
  /** Backend name, for logs and benchmark tables. */
  readonly name: BackendName;
  /**
   * Encodes one packet for a WebSocket frame: `<type><data>` text, raw bytes for a binary message when
   * `supportsBinary`, or `b` + base64 text when the peer asked for `b64=1`.
   */
  encodePacket(packet: Packet, supportsBinary: boolean): string | Uint8Array;
  /** Decodes one WebSocket frame: a string is `<type><data>` (or `b`+base64), bytes are a binary message. */
  decodePacket(frame: string | Uint8Array): Packet;
  /** Encodes a long-polling body (packets joined by `\x1e`, binary as `b`+base64) straight into bytes. */
  encodePayload(packets: readonly Packet[]): Uint8Array;
  /**
   * Decodes a long-polling body from its bytes (or a string, or the chunks it arrived in — a backend copies
   * them once, into its own working memory, instead of the caller concatenating first). Stops at the first
   * invalid packet, which is returned last as the error packet.
   */
  decodePayload(body: PayloadBody): Packet[];
  /** Standard base64 (with padding) of bytes. */
  base64Encode(bytes: Uint8Array): string;
  /**
   * Decodes standard base64 (padding optional). Returns `null` for invalid input: characters outside the
   * alphabet, a length of 1 mod 4, or padding anywhere but the end.
   */
  base64Decode(text: string | Uint8Array): Uint8Array | null;
}
