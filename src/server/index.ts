/**
 * The Engine.IO v4 server: engine.io 6.6's API (drop-in, socket.io's `io.bind(engine)` works) plus
 * python-engineio's (`connect`/`message`/`disconnect` events, `send(sid, data)`, sessions).
 * @packageDocumentation
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { Http2SecureServer, Http2Server } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import { HTTP_SERVER_DEFAULTS } from "./http-defaults.js";
import type { AttachOptions, ServerOptions } from "./options.js";
import { Server } from "./server.js";

export type { CloseReason, PythonServerReason } from "../protocol/names.js";
export type { BroadcastOptions } from "./broadcast.js";
export type {
  BunServerWebSocket,
  BunWebSocketHandler,
  FetchAnswer,
  FetchContext,
  FetchHandler,
} from "./fetch/handler.js";
export type {
  AllowRequestFunction,
  AttachOptions,
  CookieOptions,
  EngineRequest,
  HttpCompressionOptions,
  Middleware,
  ServerOptions,
  TransportName,
  WsEngine,
} from "./options.js";
export { DEFAULT_MAX_BUFFERED_BYTES } from "./options.js";
export { ConnectionRefusedError } from "./python-api.js";
export type { ConnectionErrorInfo, ServerEvents } from "./server.js";
export { AsyncServer, Server } from "./server.js";
export type {
  SendCallback,
  SendData,
  SendOptions,
  ServerCloseReason,
  SocketEvents,
  SocketReadyState,
} from "./socket.js";
export { Socket } from "./socket.js";
export type { ServerTransport } from "./transports/types.js";

/** Creates a {@link Server} and attaches it to `server` (engine.io's top-level `attach`). */
export function attach(
  server: HttpServer | HttpsServer | Http2SecureServer | Http2Server,
  options: ServerOptions & AttachOptions = {},
): Server {
  const engine = new Server(options);
  engine.attach(server, options);
  return engine;
}

/**
 * Creates an http server answering 501 to everything but the engine's path, attaches a {@link Server} and
 * starts listening (engine.io's top-level `listen`). The http server is `engine.httpServer`.
 */
export { HTTP_SERVER_DEFAULTS } from "./http-defaults.js";

export function listen(
  port: number,
  options?: (ServerOptions & AttachOptions) | (() => void),
  listenCallback?: () => void,
): Server {
  if (typeof options === "function") {
    listenCallback = options;
    options = {};
  }
  const server = createServer(HTTP_SERVER_DEFAULTS, (_req, res) => {
    res.writeHead(501);
    res.end("Not Implemented");
  });
  const engine = attach(server, options ?? {});
  engine.httpServer = server;
  server.listen(port, listenCallback);
  return engine;
}
