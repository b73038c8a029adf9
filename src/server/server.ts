/**
 * The Engine.IO v4 server: options, routing a request to a session, the sid registry, middlewares, events,
 * and the python-engineio style API on the same class.
 */
import { EventEmitter } from "node:events";
import type { Server as HttpServer, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { serialize as serializeCookie } from "cookie";
import cors from "cors";
import type { Codec } from "../codec/types.js";
import { createDebug } from "../debug.js";
import { createError, type EioError, ERROR_MESSAGES, ERRORS, type ErrorCode } from "../protocol/errors.js";
import { type PythonSendData, pythonMessage } from "../protocol/message.js";
import { type PythonServerReason, pythonServerReason } from "../protocol/names.js";
import type { Packet } from "../protocol/packet.js";
import { timeOption } from "../protocol/validate.js";
import { unrefTimer } from "../timers.js";
import { type AttachableHttpServer, attachEngine } from "./attach.js";
import { type BroadcastOptions, broadcast } from "./broadcast.js";
import { safeCorsOptions } from "./cors.js";
import { DeadlineQueue } from "./deadline-queue.js";
import { createFetchHandler, type FetchHandler } from "./fetch/handler.js";
import { abortRequest, abortUpgrade } from "./http-errors.js";
import { generateId as defaultGenerateId } from "./id.js";
import { runMiddlewares } from "./middleware.js";
import {
  type AttachOptions,
  type EngineRequest,
  type Middleware,
  type ResolvedOptions,
  resolveServerOptions,
  type ServerOptions,
  type TransportName,
} from "./options.js";
import { isThenable, type PyHandler, PythonHandlers } from "./python-api.js";
import { parseQuery } from "./query.js";
import { type ServerCloseReason, Socket, type SocketHost } from "./socket.js";
import { type PollingHost, PollingTransport } from "./transports/polling.js";
import type { ServerTransport } from "./transports/types.js";
import { WsTransport } from "./transports/websocket.js";
import { UpgradeResponse } from "./upgrade-response.js";
import { checkRequest } from "./verify.js";
import { ignoreSocketError, refuseWs, WsUpgrader } from "./ws-upgrade.js";

const debug = createDebug("engine");

/** Argument of the `connection_error` event. */
export interface ConnectionErrorInfo {
  /** The rejected request. */
  req: IncomingMessage;
  /** Numeric error code (see {@link Server.errors}). */
  code: ErrorCode;
  /** Message for the code. */
  message: string;
  /** Details (e.g. `{ name: "TRANSPORT_MISMATCH", … }`). */
  context: Record<string, unknown>;
}

/** Events of {@link Server}. */
export interface ServerEvents {
  /** A session opened (engine.io style). */
  connection: [socket: Socket];
  /** A request was rejected. */
  connection_error: [info: ConnectionErrorInfo];
  /** Headers of the first response of a session, before they are written (mutable). */
  initial_headers: [headers: OutgoingHttpHeaders, req: IncomingMessage];
  /** Headers of every response, before they are written (mutable). */
  headers: [headers: OutgoingHttpHeaders, req: IncomingMessage];
  /**
   * python-engineio style: a client is connecting. A listener may be async; returning `false` or throwing
   * rejects the handshake with HTTP 401.
   */
  connect: [sid: string, req: IncomingMessage];
  /** python-engineio style: a message from `sid` (listeners may be async). */
  message: [sid: string, data: string | Buffer];
  /** python-engineio style: `sid` disconnected, with python-engineio's reason (the socket's `close` event has engine.io's). */
  disconnect: [sid: string, reason: PythonServerReason];
  /** A socket's write buffer is being flushed. */
  flush: [socket: Socket, packets: Packet[]];
  /** A socket's buffered data was written out. */
  drain: [socket: Socket];
}

function _ignore(): void {}

/**
 * The Engine.IO server: a drop-in for engine.io 6.6's `Server`, with python-engineio's API on top.
 *
 * @example
 * ```ts
 * const engine = new Server({ pingInterval: 10000 });
 * engine.attach(httpServer);
 * engine.on("connection", (socket) => socket.on("message", (m) => socket.send(m)));
 * ```
 */
export class Server extends EventEmitter<ServerEvents> implements SocketHost, PollingHost {
  /** Numeric error codes (engine.io's `Server.errors`). */
  static readonly errors = ERRORS;
  /** Messages of the numeric error codes. */
  static readonly errorMessages = ERROR_MESSAGES;

  /** Resolved options. */
  readonly opts: ResolvedOptions;
  /** Set by {@link Server.shutdown}: new handshakes are refused (403 `Server shutting down`). */
  private shuttingDown = false;
  /** The codec of this server's transports (the `codec` option, or the shared default). */
  readonly codec: Codec;
  /** Open sessions by id. */
  clients: Record<string, Socket> = Object.create(null);
  /** Number of open sessions. */
  clientsCount = 0;
  /** The http server created by {@link listen}. */
  httpServer?: HttpServer;
  /** @internal */ readonly pingQueue: DeadlineQueue<Socket>;
  /** @internal */ readonly pongQueue: DeadlineQueue<Socket>;
  /** @internal */ readonly bodyTimeouts: DeadlineQueue<PollingTransport>;
  /** @internal */ hasFlushListeners = false;
  /** @internal */ hasDrainListeners = false;

  private readonly middlewares: Middleware[] = [];
  private readonly wsUpgrader: WsUpgrader;
  private readonly python: PythonHandlers;

  /** @param opts - see {@link ServerOptions} */
  constructor(opts: ServerOptions = {}) {
    super();
    this.opts = resolveServerOptions(opts);
    this.codec = this.opts.codec;
    this.pingQueue = new DeadlineQueue<Socket>(this.opts.pingInterval, (s) => s.sendPing());
    this.pongQueue = new DeadlineQueue<Socket>(this.opts.pingTimeout, (s) => s.onPingTimeout(), true);
    this.bodyTimeouts = new DeadlineQueue<PollingTransport>(this.opts.httpRequestBodyTimeout, (t) =>
      t.onBodyTimeout(),
    );
    this.wsUpgrader = new WsUpgrader(this.opts, (headers, req, sid) => {
      this.decorateHeaders(headers, req, sid);
    });
    this.python = new PythonHandlers(this, !this.opts.asyncHandlers);
    if (this.opts.cors) this.use(cors(safeCorsOptions(this.opts.cors)) as unknown as Middleware);
    const untyped = this as EventEmitter;
    untyped.on("newListener", this.trackListeners);
    untyped.on("removeListener", this.trackListenersRemoved);
  }

  /** @internal */
  get maxHttpBufferSize(): number {
    return this.opts.maxHttpBufferSize;
  }

  /** @internal */
  get httpCompression(): ResolvedOptions["httpCompression"] {
    return this.opts.httpCompression;
  }

  private readonly trackListeners = (event: string | symbol): void => {
    if (event === "flush") this.hasFlushListeners = true;
    else if (event === "drain") this.hasDrainListeners = true;
  };
  private readonly trackListenersRemoved = (event: string | symbol): void => {
    if (event === "flush") this.hasFlushListeners = this.listenerCount("flush") > 0;
    else if (event === "drain") this.hasDrainListeners = this.listenerCount("drain") > 0;
  };

  // ------------------------------------------------------------ engine.io API

  /** Adds an Express-style middleware, applied to handshakes and upgrades. */
  use(fn: Middleware): void {
    this.middlewares.push(fn);
  }

  /**
   * Returns the id of a new session. Override it (or assign a function) to choose ids; may return a Promise.
   * @param _req - the handshake request
   */
  generateId(_req: IncomingMessage): string | Promise<string> {
    return defaultGenerateId(this.opts.nodeId);
  }

  /** Transports a session on `transport` may upgrade to. */
  upgrades(transport: string): string[] {
    if (!this.opts.allowUpgrades || transport !== "polling") return [];
    return this.opts.transports.includes("websocket") ? ["websocket"] : [];
  }

  /** @internal */
  upgradesFor(transport: ServerTransport): string[] {
    return this.upgrades(transport.name);
  }

  /**
   * Closes every session (after flushing what `send` accepted; reason `server shutting down`).
   * @returns this, for chaining
   */
  close(): this {
    debug("closing all open clients");
    for (const sid in this.clients) this.clients[sid]!.closeWith("server shutting down");
    return this;
  }

  /**
   * {@link Server.close}, resolved once every session has closed (or after `timeoutMs`, then the rest are
   * dropped). From the call on, new handshakes are refused with 403 `Server shutting down`; the engine is
   * meant to stop (use `close()` to close sessions and keep accepting).
   * @param timeoutMs - longest wait for polling clients to fetch their last messages
   * @default timeoutMs 5000
   */
  shutdown(timeoutMs = 5000): Promise<void> {
    timeOption(timeoutMs, 5000, "timeoutMs", { allowZero: true });
    this.shuttingDown = true;
    debug("shutting down: closing all open clients");
    // unlike close(), a polling client between two polls is waited for (up to timeoutMs) to get its close packet
    for (const sid in this.clients) this.clients[sid]!.closeWith("server shutting down", true);
    if (this.clientsCount === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = unrefTimer(
        setTimeout(() => {
          for (const sid in this.clients) this.clients[sid]!.onClose("server shutting down");
          check();
        }, timeoutMs),
      );
      const check = (): void => {
        if (this.clientsCount > 0) return;
        clearTimeout(timer);
        resolve();
      };
      const checkLater = (): void => {
        setImmediate(check);
      };
      // a closed socket leaves the registry before its close event: poll on each close
      for (const sid in this.clients) this.clients[sid]!.once("close", checkLater);
    });
  }

  /**
   * Handles an Engine.IO HTTP request (polling GET/POST, handshakes).
   */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    debug('handling "%s" http request "%s"', req.method, req.url);
    const ereq = this.prepare(req);
    ereq.res = res;
    if (this.middlewares.length === 0) {
      this.verifyAndRoute(ereq, res);
      return;
    }
    runMiddlewares(this.middlewares, ereq, res, (err) => {
      if (err) this.rejectRequest(ereq, res, ERRORS.BAD_REQUEST, { name: "MIDDLEWARE_FAILURE" });
      else this.verifyAndRoute(ereq, res);
    });
  }

  private verifyAndRoute(req: EngineRequest, res: ServerResponse): void {
    try {
      this.verify(req, false, (code, context) => {
        if (code !== undefined) {
          this.rejectRequest(req, res, code, context ?? {});
          return;
        }
        const sid = req._query.sid;
        if (sid) {
          // verify() checked that the session runs on polling; a transport swapped since is refused like engine.io
          const t = this.clients[sid]?.transport;
          if (t instanceof PollingTransport) t.onRequest(req, res);
          else this.rejectRequest(req, res, ERRORS.BAD_REQUEST, { name: "TRANSPORT_MISMATCH" });
        } else {
          // its own try: an asynchronous allowRequest calls back outside the one around verify()
          try {
            this.handshake(req._query.transport as TransportName, req, res, null, null);
          } catch (e) {
            this.internalError(res, e);
          }
        }
      });
    } catch (e) {
      this.internalError(res, e);
    }
  }

  private internalError(res: ServerResponse, e: unknown): void {
    debug("internal error: %O", e);
    try {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      } else if (!res.writableEnded) res.end();
    } catch {
      // the connection is gone
    }
  }

  /** Handles an HTTP upgrade (WebSocket handshakes and upgrades). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ereq = this.prepare(req);
    socket.on("error", ignoreSocketError);
    const run = (): void => {
      try {
        this.verify(ereq, true, (code, context) => {
          if (code !== undefined) {
            this.emitConnectionError(ereq, code, context ?? {});
            abortUpgrade(socket, 400, "Bad Request", (context?.message as string) ?? ERROR_MESSAGES[code]);
            return;
          }
          this.onUpgradeVerified(ereq, socket, head);
        });
      } catch (e) {
        debug("upgrade error: %O", e);
        socket.destroy();
      }
    };
    if (this.middlewares.length === 0) {
      run();
      return;
    }
    const res = new UpgradeResponse(ereq, socket);
    runMiddlewares(this.middlewares, ereq, res as unknown as ServerResponse, (err) => {
      if (err) {
        this.emitConnectionError(ereq, ERRORS.BAD_REQUEST, { name: "MIDDLEWARE_FAILURE" });
        abortUpgrade(socket, 400, "Bad Request", ERROR_MESSAGES[ERRORS.BAD_REQUEST]);
        return;
      }
      if (socket.destroyed) return;
      run();
    });
  }

  private onUpgradeVerified(req: EngineRequest, socket: Duplex, head: Buffer): void {
    const sid = req._query.sid;
    if (!sid) {
      // its own try: an asynchronous allowRequest calls back outside the one around verify()
      try {
        this.handshake("websocket", req, null, socket, head);
      } catch (e) {
        debug("websocket handshake error: %O", e);
        socket.destroy();
      }
      return;
    }
    this.wsUpgrader.upgrade(req, socket, head, "", (ws, raw) => {
      const client = this.clients[sid];
      if (client?.readyState !== "open") {
        debug("upgrade attempt for closed client");
        refuseWs(ws);
      } else if (client.upgrading) {
        debug("transport has already been trying to upgrade");
        refuseWs(ws);
      } else if (client.upgraded || client.transport?.name === "websocket") {
        debug("transport had already been upgraded");
        refuseWs(ws);
      } else {
        client.maybeUpgrade(new WsTransport(ws, req, this.opts.perMessageDeflate !== false, this.codec, raw));
      }
    });
  }

  /** Parses the query once (kept if a framework already set `_query`). */
  private prepare(req: IncomingMessage): EngineRequest {
    const ereq = req as EngineRequest;
    if (!ereq._query || typeof ereq._query !== "object") ereq._query = parseQuery(req.url);
    return ereq;
  }

  /**
   * Checks a request: transport, Origin, sid/transport consistency, handshake method, `allowRequest`.
   * Calls `fn()` to accept or `fn(code, context)` to reject.
   */
  private verify(
    req: EngineRequest,
    upgrade: boolean,
    fn: (code?: ErrorCode, context?: Record<string, unknown>) => void,
  ): void {
    const rejection = checkRequest(req, upgrade, this.opts, this.clients);
    if (rejection !== null) {
      fn(rejection.code, rejection.context);
      return;
    }
    const allow = this.opts.allowRequest;
    if (req._query.sid || !allow) {
      fn();
      return;
    }
    let answered = false;
    allow(req, (message, success) => {
      if (answered) return;
      answered = true;
      if (!success) fn(ERRORS.FORBIDDEN, { message: message ?? undefined });
      else fn();
    });
  }

  private emitConnectionError(req: IncomingMessage, code: ErrorCode, context: Record<string, unknown>): void {
    debug("connection error %d %o", code, context);
    if (this.listenerCount("connection_error") === 0) return;
    this.emit("connection_error", { req, code, message: ERROR_MESSAGES[code], context });
  }

  private rejectRequest(
    req: EngineRequest,
    res: ServerResponse,
    code: ErrorCode,
    context: Record<string, unknown>,
  ): void {
    this.emitConnectionError(req, code, context);
    abortRequest(res, code, typeof context.message === "string" ? context.message : undefined);
  }

  /**
   * Creates a session for a handshake request (polling: `res` given; WebSocket: `socket` and `head`).
   *
   * Synchronous unless `generateId` returns a promise or `connect` handlers are registered: an `async` function
   * here cost a promise, a `.catch` and the suspension machinery per handshake on a path that awaits nothing by
   * default. A synchronous throw reaches the caller's `try` (500 for polling, a destroyed socket for WebSocket),
   * as the rejected promise did.
   */
  private handshake(
    transportName: TransportName,
    req: EngineRequest,
    res: ServerResponse | null,
    rawSocket: Duplex | null,
    head: Buffer | null,
  ): void {
    if (this.shuttingDown) {
      // shutdown() stops accepting at once: a client polling on a kept-alive connection cannot start a new
      // session while the old ones are being closed
      this.emitConnectionError(req, ERRORS.FORBIDDEN, { name: "SHUTTING_DOWN" });
      if (res !== null) abortRequest(res, ERRORS.FORBIDDEN, "Server shutting down");
      else if (rawSocket !== null) abortUpgrade(rawSocket, 403, "Forbidden", "Server shutting down");
      return;
    }
    if (req._query.EIO !== "4") {
      this.failHandshake(req, res, rawSocket, ERRORS.UNSUPPORTED_PROTOCOL_VERSION, {
        protocol: req._query.EIO,
      });
      return;
    }
    let id: unknown;
    try {
      id = this.generateId(req);
    } catch (error) {
      this.failHandshake(req, res, rawSocket, ERRORS.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error });
      return;
    }
    if (isThenable(id)) {
      Promise.resolve(id)
        .then(
          (v) => this.handshakeWithId(v, transportName, req, res, rawSocket, head),
          (error) =>
            this.failHandshake(req, res, rawSocket, ERRORS.BAD_REQUEST, {
              name: "ID_GENERATION_ERROR",
              error,
            }),
        )
        .catch((e) => this.handshakeError(res, rawSocket, e));
      return;
    }
    this.handshakeWithId(id, transportName, req, res, rawSocket, head);
  }

  private handshakeWithId(
    id: unknown,
    transportName: TransportName,
    req: EngineRequest,
    res: ServerResponse | null,
    rawSocket: Duplex | null,
    head: Buffer | null,
  ): void {
    if (typeof id !== "string" || id === "" || Object.hasOwn(this.clients, id)) {
      const error = new Error("invalid or duplicate id");
      this.failHandshake(req, res, rawSocket, ERRORS.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error });
      return;
    }
    debug('handshaking client "%s"', id);
    const socket = new Socket(id, this, null, req);
    this.clients[id] = socket;
    this.clientsCount++;
    if (this.listenerCount("connect") > 0) {
      this.askConnect(socket, transportName, req, res, rawSocket, head).catch((e) =>
        this.handshakeError(res, rawSocket, e),
      );
      return;
    }
    this.openSession(socket, transportName, req, res, rawSocket, head);
  }

  /** Runs the python-style `connect` handlers, then opens the session unless they refused it. */
  private async askConnect(
    socket: Socket,
    transportName: TransportName,
    req: EngineRequest,
    res: ServerResponse | null,
    rawSocket: Duplex | null,
    head: Buffer | null,
  ): Promise<void> {
    const refusal = await this.python.connect(this.listeners("connect") as PyHandler[], socket.id, req);
    if (refusal !== null) {
      this.unregister(socket);
      const body = JSON.stringify(refusal);
      this.emitConnectionError(req, ERRORS.FORBIDDEN, { name: "CONNECT_REFUSED", body: refusal });
      if (res !== null) {
        if (!res.headersSent) {
          res.writeHead(401, {
            "Content-Type": "application/json",
            "Content-Length": Buffer.byteLength(body),
          });
          res.end(body);
        }
      } else if (rawSocket !== null) abortUpgrade(rawSocket, 401, "Unauthorized", body, true);
      return;
    }
    if (socket.readyState === "closed") {
      // closed while its handlers ran (server shutdown, buffer overflow): answer the handshake anyway
      this.failHandshake(req, res, rawSocket, ERRORS.BAD_REQUEST, { name: "CLOSED_DURING_HANDSHAKE" });
      return;
    }
    this.openSession(socket, transportName, req, res, rawSocket, head);
  }

  /** Attaches the first transport, sends the open packet and emits `connection`. */
  private openSession(
    socket: Socket,
    transportName: TransportName,
    req: EngineRequest,
    res: ServerResponse | null,
    rawSocket: Duplex | null,
    head: Buffer | null,
  ): void {
    if (transportName === "polling") {
      const transport = new PollingTransport(this, req);
      socket.attach(transport);
      socket.open();
      transport.onRequest(req, res!);
    } else {
      if (rawSocket === null || head === null) return;
      const completed = this.wsUpgrader.upgrade(req, rawSocket, head, socket.id, (ws, raw) => {
        socket.attach(new WsTransport(ws, req, this.opts.perMessageDeflate !== false, this.codec, raw));
        socket.open();
      });
      if (!completed) {
        // ws refused the handshake (bad headers, or the connection is gone)
        this.unregister(socket);
        return;
      }
    }
    if (socket.readyState !== "open") return;
    socket.slimRequest();
    socket.connected = true;
    try {
      this.emit("connection", socket);
    } catch (e) {
      // An application error in a `connection` listener: surface it like any listener error (engine.io lets it
      // escape synchronously); only the engine's own failures are contained by the caller.
      process.nextTick(() => {
        throw e;
      });
    }
  }

  private failHandshake(
    req: EngineRequest,
    res: ServerResponse | null,
    rawSocket: Duplex | null,
    code: ErrorCode,
    context: Record<string, unknown>,
  ): void {
    this.emitConnectionError(req, code, context);
    if (res !== null) abortRequest(res, code);
    else if (rawSocket !== null) abortUpgrade(rawSocket, 400, "Bad Request", ERROR_MESSAGES[code]);
  }

  /** An engine failure after the handshake went asynchronous: 500 for polling, the socket dropped for WebSocket. */
  private handshakeError(res: ServerResponse | null, rawSocket: Duplex | null, e: unknown): void {
    if (res !== null) this.internalError(res, e);
    else {
      debug("websocket handshake error: %O", e);
      rawSocket?.destroy();
    }
  }

  private unregister(socket: Socket): void {
    if (this.clients[socket.id] === socket) {
      delete this.clients[socket.id];
      this.clientsCount--;
    }
  }

  /**
   * Captures requests and upgrades for `path` on an http(s) or http2 server; other requests go to the
   * listeners it had (see attach.ts).
   */
  attach(server: AttachableHttpServer, options: AttachOptions = {}): void {
    attachEngine(this, server, options);
  }

  /**
   * The Fetch-API handler of this engine, for Bun and Deno (and any `(Request) => Response` host):
   * `Bun.serve({ port, ...engine.handler() })` or `Deno.serve({ port }, engine.handler().fetch)`.
   * Requests outside the engine path get `404`; use {@link FetchApp} to serve other routes beside it.
   */
  handler(): FetchHandler {
    return createFetchHandler(this);
  }

  // ------------------------------------------------------------ host callbacks (internal)

  /** @internal */
  decorateHeaders(headers: OutgoingHttpHeaders, req: EngineRequest, sid: string): OutgoingHttpHeaders {
    if (!req._query.sid) {
      const cookie = this.opts.cookie;
      if (cookie && sid) headers["Set-Cookie"] = [serializeCookie(cookie.name, sid, cookie)];
      this.emit("initial_headers", headers, req);
    }
    this.emit("headers", headers, req);
    return headers;
  }

  /** @internal */
  onSocketMessage(socket: Socket, data: string | Buffer): void {
    if (this.listenerCount("message") === 0) return;
    this.python.dispatch(this.listeners("message") as PyHandler[], socket, data);
  }

  /** @internal */
  onSocketClose(socket: Socket, reason: ServerCloseReason, _description?: EioError): void {
    this.unregister(socket);
    if (socket.connected && this.listenerCount("disconnect") > 0) {
      // python-engineio's names here (python-style API); the socket's own `close` event keeps engine.io's
      const py = pythonServerReason(reason, socket.transport?.closePacket ?? false);
      this.python.dispatch(this.listeners("disconnect") as PyHandler[], socket, py);
    }
  }

  /** @internal */
  onSocketFlush(socket: Socket, packets: Packet[]): void {
    this.emit("flush", socket, packets);
  }

  /** @internal */
  onSocketDrain(socket: Socket): void {
    this.emit("drain", socket);
  }

  // ------------------------------------------------------------ python-engineio API

  /**
   * Sends a message to session `sid` (python-engineio's `send`): text and binary as they are, and JSON values
   * (objects, arrays, numbers, booleans, `null`) as JSON text, as python-engineio does with dicts and lists.
   * @returns whether the session exists
   * @throws TypeError (`EIO_ERR_INVALID_ARG`) for a value JSON cannot encode (`undefined`, a function, …).
   */
  send(sid: string, data: PythonSendData): boolean {
    const message = pythonMessage(data);
    const socket = Object.hasOwn(this.clients, sid) ? this.clients[sid] : undefined;
    if (socket === undefined) {
      debug("cannot send to unknown sid %s", sid);
      return false;
    }
    socket.send(message);
    return true;
  }

  /**
   * Sends one message to every open session, or to `options.sids` / all but `options.except` (python-style:
   * `to` / `skip_sid`), framing it once: WebSocket sessions get the same pre-built frame, polling sessions share
   * the data. Data follows the python-style rule of {@link Server.send}. Slow consumers are bounded by
   * `maxBufferedBytes` as with `send`.
   * @returns how many sessions it was handed to
   * @throws TypeError (`EIO_ERR_INVALID_ARG`) for data JSON cannot encode or a malformed option
   */
  broadcast(data: PythonSendData, options?: BroadcastOptions): number {
    return broadcast(this.clients, data, options);
  }

  /** Closes session `sid`, or every session when `sid` is omitted (python-engineio's `disconnect`). */
  disconnect(sid?: string): void {
    if (sid === undefined) {
      for (const id in this.clients) this.clients[id]!.close();
      return;
    }
    if (Object.hasOwn(this.clients, sid)) this.clients[sid]!.close();
  }

  /** Name of the transport session `sid` uses (python-engineio's `transport`). */
  transport(sid: string): TransportName | undefined {
    const socket = Object.hasOwn(this.clients, sid) ? this.clients[sid] : undefined;
    return socket?.transport?.name;
  }

  /** The user session object of `sid` (created empty on first use). */
  getSession(sid: string): Record<string, unknown> {
    return this.python.session(this.requireSocket(sid));
  }

  /** Replaces the user session object of `sid`. */
  saveSession(sid: string, session: Record<string, unknown>): void {
    this.python.saveSession(this.requireSocket(sid), session);
  }

  /**
   * Runs `fn` with the session of `sid` and saves it afterwards (python-engineio's `with eio.session(sid)`).
   * @returns what `fn` returns
   */
  async session<T>(sid: string, fn: (session: Record<string, unknown>) => T | Promise<T>): Promise<T> {
    const s = this.getSession(sid);
    const r = await fn(s);
    if (Object.hasOwn(this.clients, sid)) this.saveSession(sid, s);
    return r;
  }

  private requireSocket(sid: string): Socket {
    const socket = Object.hasOwn(this.clients, sid) ? this.clients[sid] : undefined;
    if (socket === undefined) {
      throw createError("EIO_ERR_NOT_CONNECTED", `unknown session id "${sid}"`, { sid }, RangeError);
    }
    return socket;
  }
}

/**
 * python-engineio's `AsyncServer`: the same class as {@link Server} (every handler may be async in both), exported
 * under this name for code ported from Python.
 */
export class AsyncServer extends Server {}
