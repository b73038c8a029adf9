/**
 * The part of the kernels' ABI that AssemblyScript cannot import (a record keyed by packet type), shared by
 * the WASM (`wasm.ts`) and native (`native.ts`) backends; the integer constants are re-exported from
 * `wasm-abi.ts`, their one definition.
 */
import type { Packet } from "../protocol/packet.js";

export { FLAG_ASCII, HEAD_BASE64, HEAD_SEPARATOR, KIND_BINARY } from "./wasm-abi.js";

/** Wire character code of each packet type (0 = none, for the `error` pseudo-type). */
export const TYPE_CODES: Readonly<Record<Packet["type"], number>> = {
  open: 0x30,
  close: 0x31,
  ping: 0x32,
  pong: 0x33,
  message: 0x34,
  upgrade: 0x35,
  noop: 0x36,
  error: 0,
};
