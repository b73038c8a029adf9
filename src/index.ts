/**
 * engineio-wasm: Engine.IO v4 server and client with a WebAssembly codec.
 * The server API mirrors engine.io 6.6 (`Server`, `attach`, `listen`, `Socket`) and python-engineio
 * (`AsyncServer`, `connect`/`message`/`disconnect`).
 * @packageDocumentation
 */
export * from "./server/index.js";
export { EioError, ERROR_MESSAGES, ERRORS } from "./protocol/errors.js";
export type { EioErrorCode, ErrorCode } from "./protocol/errors.js";
export type { BinaryData, Packet, PacketType, RawData } from "./protocol/packet.js";
/** engine.io's `protocol` export: the Engine.IO protocol revision. */
export const protocol = 4;
