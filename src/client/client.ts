/**
 * python-engineio-style clients: `Client` and `AsyncClient`, with `on(event, handler)`, `connect(url, …)`,
 * `send`, `wait`, `disconnect`, `transport()` and `sid`, over the engine.io-client-style {@link Socket}.
 *
 * The difference between the two, as in python-engineio: `Client` calls handlers synchronously and its `send`
 * returns nothing; `AsyncClient` awaits handlers that return promises one at a time, in arrival order, and its
 * `send` returns a promise that resolves once the message has been written.
 */

import { createError, type EioError } from "../protocol/errors.js";
import { type PythonSendData, pythonMessage } from "../protocol/message.js";
import { type PythonClientReason, pythonClientReason } from "../protocol/names.js";
import { boolOption, sizeOption, timeOption } from "../protocol/validate.js";
import { TransportError } from "./errors.js";
import type { BinaryInput, MessageData, SocketOptions, TransportName } from "./options.js";
import { type CloseReason, Socket } from "./socket.js";
import type { CloseDetails } from "./transport.js";

/** Handlers of the python-style clients. */
export interface ClientHandlers {
  /** The connection is established (called before `connect()` resolves). */
  connect: () => unknown;
  /** A message arrived. */
  message: (data: MessageData) => unknown;
  /**
   * The connection ended (any reason, including `disconnect()`), with python-engineio's reason
   * ({@link PythonClientReason}); `description` carries the details, `engineReason` the {@link Socket}'s
   * engine.io reason (`ping timeout`, `transport close`, …) that python-engineio folds into `transport error`.
   */
  disconnect: (
    reason: PythonClientReason,
    description?: CloseDetails | TransportError | EioError,
    engineReason?: CloseReason,
  ) => unknown;
}

/** Client event names. */
export type ClientEvent = keyof ClientHandlers;

/** Options of {@link Client} and {@link AsyncClient}: the {@link SocketOptions}, with python-engineio's defaults. */
export interface ClientOptions extends SocketOptions {
  /**
   * Timeout (ms) of the handshake and each POST (python-engineio's `request_timeout`, in ms).
   * @default 5000
   */
  requestTimeout?: number;
  /** Verify the server's TLS certificate (python-engineio's `ssl_verify`; Node). @default true */
  sslVerify?: boolean;
  /** At most this many packets per POST (python-engineio servers reject more than 16). @default 16 */
  maxPacketsPerPost?: number;
  /**
   * Receives exceptions thrown (or promises rejected) by handlers. Without it, such an exception is rethrown
   * on a fresh task, like an exception in any event listener, so it is never silently lost.
   * @default undefined
   */
  logger?: { error(message: string, err: unknown): void };
}

/** Options of {@link Client.connect}, named like python-engineio's `connect()` arguments. */
export interface ConnectOptions {
  /** Extra HTTP headers of every request (python `headers`). @default {} */
  headers?: Record<string, string>;
  /** Allowed transports, in order (python `transports`). @default ["polling", "websocket"] */
  transports?: TransportName | TransportName[];
  /** Endpoint path on the server (python `engineio_path`). @default "engine.io" */
  engineioPath?: string;
}

/** Connection states, as python-engineio's `Client.state`. */
export type ClientState = "disconnected" | "connecting" | "connected" | "disconnecting";

/**
 * Data accepted by `send`: text, binary, or anything JSON-serialisable (sent as JSON text, as python does); the
 * rule is shared with the server's `send(sid, data)` (src/protocol/message.ts).
 */
export type SendData = PythonSendData;

abstract class BaseClient {
  /** Session id, `null` when not connected. */
  sid: string | null = null;
  /** Connection state. */
  state: ClientState = "disconnected";
  /** The underlying engine.io-client-style socket of the current connection. */
  socket: Socket | undefined;
  /** Options given to the constructor. */
  readonly options: ClientOptions;
  protected readonly handlers: Partial<ClientHandlers> = {};
  #waiters: Array<() => void> = [];

  /**
   * @throws TypeError/RangeError (`EIO_ERR_INVALID_ARG`) for an option of the wrong type or out of range; the
   * other {@link SocketOptions} are checked the same way by `connect()`.
   */
  constructor(options: ClientOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw createError("EIO_ERR_INVALID_ARG", "options must be an object", { value: options }, TypeError);
    }
    timeOption(options.requestTimeout, 5000, "requestTimeout", { allowZero: true });
    sizeOption(options.maxPacketsPerPost, 16, "maxPacketsPerPost", { min: 1, allowInfinity: true });
    boolOption(options.sslVerify, true, "sslVerify");
    if (options.logger !== undefined && typeof options.logger?.error !== "function") {
      throw createError(
        "EIO_ERR_INVALID_ARG",
        "option logger must have an error(message, err) method",
        { option: "logger" },
        TypeError,
      );
    }
    this.options = options;
  }

  /**
   * Registers the handler of `event` (one per event, as python-engineio: a new one replaces the old). Without
   * `handler`, returns a function that registers its argument (python's decorator form).
   */
  on<E extends ClientEvent>(event: E, handler: ClientHandlers[E]): this;
  on<E extends ClientEvent>(event: E): (handler: ClientHandlers[E]) => ClientHandlers[E];
  on<E extends ClientEvent>(
    event: E,
    handler?: ClientHandlers[E],
  ): this | ((handler: ClientHandlers[E]) => ClientHandlers[E]) {
    if (event !== "connect" && event !== "message" && event !== "disconnect") {
      throw createError("EIO_ERR_INVALID_ARG", `unknown event "${String(event)}"`, { event }, TypeError);
    }
    if (handler === undefined) {
      return (h: ClientHandlers[E]) => {
        this.handlers[event] = h;
        return h;
      };
    }
    this.handlers[event] = handler;
    return this;
  }

  /**
   * Connects to an Engine.IO server. Resolves when the session is open (after the `connect` handler ran);
   * rejects with a {@link TransportError} (code `EIO_ERR_HANDSHAKE`, with the server's `status`, `serverCode`
   * and `serverMessage`) when the server refuses, or with the network error.
   * @throws EioError (`EIO_ERR_INVALID_ARG`, rejected) when the client is not disconnected.
   */
  connect(url: string, opts: ConnectOptions = {}): Promise<void> {
    if (this.state !== "disconnected") {
      return Promise.reject(createError("EIO_ERR_INVALID_ARG", "Client is not in a disconnected state"));
    }
    const o = this.options;
    const transports = opts.transports === undefined ? o.transports : [opts.transports].flat();
    const path = `/${(opts.engineioPath ?? "engine.io").replace(/^\/+|\/+$/g, "")}`;
    const socketOpts: SocketOptions = {
      ...o,
      path,
      requestTimeout: o.requestTimeout ?? 5000,
      maxPacketsPerPost: o.maxPacketsPerPost ?? 16,
      extraHeaders: { ...(o.extraHeaders ?? {}), ...(opts.headers ?? {}) },
    };
    if (transports) socketOpts.transports = transports;
    if (o.sslVerify === false) socketOpts.rejectUnauthorized = false;
    delete (socketOpts as ClientOptions).logger;
    delete (socketOpts as ClientOptions).sslVerify;
    this.state = "connecting";
    return new Promise<void>((resolve, reject) => {
      let lastError: Error | undefined;
      let socket: Socket;
      try {
        socket = new Socket(url, socketOpts);
      } catch (err) {
        this.state = "disconnected";
        reject(err);
        return;
      }
      this.socket = socket;
      socket.on("error", (err) => {
        lastError = err;
      });
      socket.once("open", () => {
        this.state = "connected";
        this.sid = socket.id;
        this.dispatch("connect", []);
        resolve();
      });
      socket.on("message", (data) => this.dispatch("message", [data]));
      socket.once("close", (reason, description) => {
        const byClient = this.state === "disconnecting";
        const wasConnected = this.state === "connected" || byClient;
        this.state = "disconnected";
        this.sid = null;
        if (!wasConnected) {
          reject(
            lastError ??
              (description instanceof Error
                ? description
                : new TransportError("EIO_ERR_TRANSPORT", `connection failed: ${reason}`)),
          );
        } else {
          const closePacket = description !== undefined && "closePacket" in description;
          this.dispatch("disconnect", [pythonClientReason(byClient, closePacket), description, reason]);
        }
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const w of waiters) w();
      });
    });
  }

  /** Resolves when the connection ends (immediately when not connected). */
  wait(): Promise<void> {
    if (this.state === "disconnected") return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Closes the connection (after buffered messages are written) and resolves once it is closed. With `abort`,
   * closes the transport at once and drops whatever is still buffered.
   */
  disconnect(abort = false): Promise<void> {
    const socket = this.socket;
    if (!socket || this.state === "disconnected") return Promise.resolve();
    const done = this.wait();
    this.state = "disconnecting";
    // abort: close the transport now (its close event ends the socket), dropping what is still buffered
    if (abort) socket.transport.close();
    else socket.close();
    return done;
  }

  /** Name of the current transport (`polling` or `websocket`), `undefined` when not connected. */
  transport(): TransportName | undefined {
    return this.state === "connected" || this.state === "disconnecting"
      ? this.socket?.transport.name
      : undefined;
  }

  /** Resolves after `seconds` (python's `sleep`). */
  sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }

  /** Runs `fn(...args)` in the background (python's `start_background_task`); returns its promise. */
  startBackgroundTask<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Promise<R> {
    return Promise.resolve().then(() => fn(...args));
  }

  protected report(event: ClientEvent, err: unknown): void {
    const logger = this.options.logger;
    if (logger) logger.error(`${event} handler error`, err);
    else
      setTimeout(() => {
        throw err;
      }, 0);
  }

  protected abstract dispatch<E extends ClientEvent>(event: E, args: Parameters<ClientHandlers[E]>): void;
}

/**
 * python-engineio's `Client`: handlers run synchronously as events arrive; `send` queues and returns.
 *
 * ```ts
 * const client = new Client();
 * client.on("message", (data) => console.log("received", data));
 * await client.connect("http://localhost:5000");
 * client.send("hello");
 * await client.wait();
 * ```
 */
export class Client extends BaseClient {
  /** Sends a message (objects and numbers as JSON text). Ignored when not connected, as python-engineio. */
  send(data: SendData): void {
    const message = pythonMessage(data);
    if (this.state !== "connected" || !this.socket) return;
    this.socket.send(message);
  }

  protected dispatch<E extends ClientEvent>(event: E, args: Parameters<ClientHandlers[E]>): void {
    const h = this.handlers[event] as ((...a: Parameters<ClientHandlers[E]>) => unknown) | undefined;
    if (!h) return;
    try {
      const r = h(...args);
      if (r && typeof (r as Promise<void>).then === "function") {
        (r as Promise<void>).then(undefined, (err: unknown) => this.report(event, err));
      }
    } catch (err) {
      this.report(event, err);
    }
  }
}

/**
 * python-engineio's `AsyncClient`: handlers may be async and are awaited one at a time in arrival order;
 * `send` resolves once the message has been written.
 */
export class AsyncClient extends BaseClient {
  #chain: Promise<void> = Promise.resolve();

  /**
   * Sends a message (objects and numbers as JSON text); resolves once written. Resolves at once when not
   * connected (the message is dropped, as python-engineio).
   */
  send(data: SendData): Promise<void> {
    let message: string | BinaryInput;
    try {
      message = pythonMessage(data);
    } catch (err) {
      return Promise.reject(err);
    }
    const socket = this.socket;
    if (this.state !== "connected" || !socket) return Promise.resolve();
    return new Promise((resolve) => {
      const onClose = () => resolve();
      socket.once("close", onClose);
      socket.send(message, () => {
        socket.off("close", onClose);
        resolve();
      });
    });
  }

  protected dispatch<E extends ClientEvent>(event: E, args: Parameters<ClientHandlers[E]>): void {
    const h = this.handlers[event] as ((...a: Parameters<ClientHandlers[E]>) => unknown) | undefined;
    if (!h) return;
    this.#chain = this.#chain.then(async () => {
      try {
        await h(...args);
      } catch (err) {
        this.report(event, err);
      }
    });
  }
}
