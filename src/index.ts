/**
 * engineio-wasm: Engine.IO v4 server and client with a WebAssembly codec.
 * The server API mirrors engine.io 6.6 (`Server`, `attach`, `listen`, `Socket`) and python-engineio
 * (`AsyncServer`, `connect`/`message`/`disconnect`).
 * @packageDocumentation
 */

// The codec objects (also at `engineio-wasm/codec`): a server's or client's `codec` option takes one.
export type { BackendName, Codec } from "./codec/index.js";
export { availableCodecs, codecBackend, createCodec, defaultCodec, useCodec } from "./codec/index.js";
export type { CodedError, EioErrorCode, ErrorCode } from "./protocol/errors.js";
export { EioError, ERROR_MESSAGES, ERRORS } from "./protocol/errors.js";
export type { BinaryData, Packet, PacketType, RawData } from "./protocol/packet.js";
export * from "./server/index.js";
/** engine.io's `protocol` export: the Engine.IO protocol revision. */
export const protocol = 4;
// FetchApp: the same for Fetch-API runtimes (Bun, Deno): engine path + static files + a fallback Fetch handler.
export type { FetchAppOptions, FetchOtherApp } from "./adapters/fetch-app.js";
export { FetchApp } from "./adapters/fetch-app.js";
export type {
  AttachableServer,
  CloseOptions,
  EngineHandler,
  NodeAppOptions,
  RequestListener,
  StaticFileMatch,
  StaticFileRule,
  StaticFiles,
  UpgradeListener,
} from "./adapters/node-app.js";
// NodeApp: python-engineio's WSGIApp/ASGIApp for Node (engine path + static files + a fallback app).
export { guessContentType, NodeApp, resolveStaticFile } from "./adapters/node-app.js";
export type {
  ClientOptions,
  ConnectOptions,
  MessageData,
  SocketEvents as ClientSocketEvents,
  SocketOptions as ClientSocketOptions,
} from "./client/index.js";
// The client (also at the browser-safe subpath `engineio-wasm/client`); `ClientSocket` because `Socket` is the server's.
export { AsyncClient, Client, Socket as ClientSocket, TransportError } from "./client/index.js";
