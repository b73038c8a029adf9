/**
 * The Engine.IO v4 client, for Node and browsers. Browser-safe: bundlers pick `platform.browser.ts` through the
 * package's `browser` field, so neither `ws` nor `node:http` reaches a browser bundle.
 * @packageDocumentation
 */
import { codecBackend as defaultBackend } from "../codec/index.js";
import type { BackendName } from "../codec/types.js";

export type { EioErrorCode } from "../protocol/errors.js";
export { EioError } from "../protocol/errors.js";
export type { PythonClientReason } from "../protocol/names.js";
export type {
  ClientEvent,
  ClientHandlers,
  ClientOptions,
  ClientState,
  ConnectOptions,
  SendData,
} from "./client.js";
export { AsyncClient, Client } from "./client.js";
export type { Cookie, CookieJar } from "./cookies.js";
export type { EventMap, Listener } from "./emitter.js";
export { Emitter } from "./emitter.js";
export type { TransportErrorDetails } from "./errors.js";
export { TransportError } from "./errors.js";
export type {
  BinaryInput,
  BinaryType,
  MessageData,
  NodeTlsOptions,
  SocketOptions,
  TransportName,
} from "./options.js";
export type {
  ClientPacket,
  CloseReason,
  HandshakeData,
  SocketEvents,
  SocketState,
  WriteOptions,
} from "./socket.js";
export { Socket } from "./socket.js";
export type { CloseDetails, TransportEvents, TransportState } from "./transport.js";
export { Transport } from "./transport.js";
export { Polling } from "./transports/polling.js";
export { WebSocketTransport } from "./transports/websocket.js";

/** Engine.IO protocol revision spoken by this client. */
export const protocol = 4;

/**
 * Name of the shared default codec's backend (`wasm-simd`, `wasm`, `node` or `js`); a client created with
 * its own `codec` option reports it as `socket.codec.name`.
 */
export function codecBackend(): BackendName {
  return defaultBackend();
}
