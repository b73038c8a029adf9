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
// The client (also at the browser-safe subpath `engineio-wasm/client`); `ClientSocket` because `Socket` is the server's.
export { AsyncClient, Client, Socket as ClientSocket, TransportError } from "./client/index.js";
export type {
  ClientOptions,
  ConnectOptions,
  MessageData,
  SocketEvents as ClientSocketEvents,
  SocketOptions as ClientSocketOptions,
} from "./client/index.js";
// NodeApp: python-engineio's WSGIApp/ASGIApp for Node (engine path + static files + a fallback app).
export { NodeApp, resolveStaticFile, guessContentType } from "./adapters/node-app.js";
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
