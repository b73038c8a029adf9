/**
 * Server options: engine.io 6.6's names and defaults, plus this project's additions.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { SerializeOptions } from "cookie";
import type { CorsOptions, CorsOptionsDelegate } from "cors";
import type { PerMessageDeflateOptions } from "ws";
import { validateNodeId } from "./id.js";

/** Transport names understood by the server. */
export type TransportName = "polling" | "websocket";

/** The `req` of a request the engine handles: an IncomingMessage with the parsed query attached. */
export type EngineRequest = IncomingMessage & {
  /** Parsed query string (no `__proto__`/`constructor`/`prototype` keys). */
  _query: Record<string, string>;
  /** The response of a polling request (engine.io compatibility). */
  res?: ServerResponse | null;
};

/** Express-style middleware, run on handshakes and upgrades (`res` is a stand-in object for upgrades). */
export type Middleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void | Promise<void>;

/** engine.io's `allowRequest`: call `fn(null, true)` to accept or `fn(message, false)` to answer 403. */
export type AllowRequestFunction = (
  req: IncomingMessage,
  fn: (err: string | null | undefined, success: boolean) => void,
) => void;

/** A `ws`-compatible WebSocketServer class (engine.io's `wsEngine`). */
export type WsEngine = new (
  opts: Record<string, unknown>,
) => {
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: import("ws").WebSocket, req: IncomingMessage) => void,
  ): void;
  on?(event: "headers", listener: (headers: string[], req: IncomingMessage) => void): unknown;
  close(): void;
};

/** Cookie options (engine.io's `cookie`), serialised with `cookie@1`. */
export interface CookieOptions extends SerializeOptions {
  /**
   * Cookie name.
   * @default "io"
   */
  name?: string;
}

/** HTTP compression of long-polling responses. */
export interface HttpCompressionOptions {
  /**
   * Responses smaller than this many bytes are not compressed.
   * @default 1024
   */
  threshold?: number;
  /** Any other option is passed to `zlib.createGzip`/`createDeflate`. */
  [zlibOption: string]: unknown;
}

/** Options of {@link Server}. */
export interface ServerOptions {
  /**
   * Prefix of every session id this server issues: 1–4 characters of `[A-Za-z0-9]`, the same length on every
   * node of a deployment. A load balancer (or `engineio-wasm/cluster`) then routes a request on the `sid` query
   * parameter's prefix, with no cookie. Ids stay 20 base64url characters with ≥ 96 random bits.
   * A custom {@link Server.generateId} overrides it. Bad values throw `TypeError`/`RangeError` with code
   * `EIO_ERR_INVALID_ARG`.
   */
  nodeId?: string;
  /**
   * Milliseconds between server pings (sent this long after the previous pong).
   * @default 25000
   */
  pingInterval?: number;
  /**
   * Milliseconds to wait for the pong before closing with `ping timeout`.
   * @default 20000
   */
  pingTimeout?: number;
  /**
   * Milliseconds an upgrade may take before the probe transport is closed.
   * @default 10000
   */
  upgradeTimeout?: number;
  /**
   * Largest accepted message/POST body/WebSocket frame, in bytes. Exceeding it closes the session with
   * reason `transport error` and a description with code `EIO_ERR_PAYLOAD_TOO_LARGE` (POST answered 413).
   * @default 1e6
   */
  maxHttpBufferSize?: number;
  /**
   * Bound on outgoing bytes buffered for one socket (messages not yet handed to the kernel: waiting for the next
   * poll, or queued in the WebSocket). Overflow closes the socket with reason `transport error` and a description
   * with code `EIO_ERR_BUFFER_FULL`. Text is counted by its UTF-16 length. `0` or `Infinity` disables the bound.
   * @default 10485760 (10 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * Milliseconds a POST body may take to arrive before the request is answered 408 and the session closed.
   * @default 30000
   */
  httpRequestBodyTimeout?: number;
  /** Decides whether a handshake is accepted (engine.io's `allowRequest`). */
  allowRequest?: AllowRequestFunction;
  /**
   * Transports accepted for new connections.
   * @default ["polling", "websocket"]
   */
  transports?: TransportName[];
  /**
   * Whether polling sessions may upgrade to WebSocket.
   * @default true
   */
  allowUpgrades?: boolean;
  /**
   * WebSocket permessage-deflate, passed to `ws` (threshold 1024 when enabled with `true`).
   * @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * gzip/deflate of long-polling responses, or `false`.
   * @default { threshold: 1024 }
   */
  httpCompression?: boolean | HttpCompressionOptions;
  /**
   * A `ws`-compatible WebSocketServer class.
   * @default WebSocketServer from "ws"
   */
  wsEngine?: WsEngine;
  /** A message sent right after the `open` packet. */
  initialPacket?: string | Uint8Array;
  /**
   * A cookie carrying the sid, set on the handshake response (`true` for the defaults).
   * @default false
   */
  cookie?: boolean | CookieOptions;
  /**
   * CORS options passed to the `cors` package (applied as a middleware), or `false`.
   * @default false
   */
  cors?: false | CorsOptions | CorsOptionsDelegate;
  /**
   * Accept Engine.IO v3 clients. Not implemented: v3 handshakes are always answered with error code 5.
   * @default false
   */
  allowEIO3?: boolean;
  /**
   * Python-engineio style handler scheduling. `true`: `message` handlers run concurrently. `false`: each
   * socket's `message`/`disconnect` handlers run one after another, awaiting async handlers, in order.
   * @default true
   */
  asyncHandlers?: boolean;
  /**
   * Path used by {@link Server.attach} when its own options do not give one.
   * @default "/engine.io"
   */
  path?: string;
  /**
   * Whether the path matches with a trailing slash added (`/engine.io/`).
   * @default true
   */
  addTrailingSlash?: boolean;
  /**
   * Whether {@link Server.attach} destroys upgrade requests for other paths (after `destroyUpgradeTimeout`).
   * @default true
   */
  destroyUpgrade?: boolean;
  /**
   * Milliseconds before an unhandled upgrade request is destroyed.
   * @default 1000
   */
  destroyUpgradeTimeout?: number;
}

/** Options of {@link Server.attach} (they override the constructor's). */
export interface AttachOptions {
  /**
   * Path to intercept.
   * @default "/engine.io"
   */
  path?: string;
  /**
   * @default true
   */
  addTrailingSlash?: boolean;
  /**
   * @default true
   */
  destroyUpgrade?: boolean;
  /**
   * @default 1000
   */
  destroyUpgradeTimeout?: number;
}

/** Resolved options (every default filled in). */
export interface ResolvedOptions {
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  maxBufferedBytes: number;
  httpRequestBodyTimeout: number;
  allowRequest: AllowRequestFunction | undefined;
  transports: TransportName[];
  allowUpgrades: boolean;
  perMessageDeflate: false | PerMessageDeflateOptions;
  httpCompression: false | HttpCompressionOptions;
  wsEngine: WsEngine | undefined;
  initialPacket: string | Uint8Array | undefined;
  cookie: false | (CookieOptions & { name: string });
  cors: false | CorsOptions | CorsOptionsDelegate;
  allowEIO3: boolean;
  asyncHandlers: boolean;
  path: string;
  addTrailingSlash: boolean;
  destroyUpgrade: boolean;
  destroyUpgradeTimeout: number;
  nodeId: string | undefined;
}

/** Default of {@link ServerOptions.maxBufferedBytes}. */
export const DEFAULT_MAX_BUFFERED_BYTES = 10 * 1024 * 1024;

function num(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    const err = new RangeError(`option ${name} must be a non-negative number`) as RangeError & {
      code: string;
    };
    err.code = "EIO_ERR_INVALID_ARG";
    throw err;
  }
  return value;
}

/** Fills in defaults and validates (misuse throws `RangeError` with code `EIO_ERR_INVALID_ARG`). */
export function resolveOptions(opts: ServerOptions = {}): ResolvedOptions {
  const maxBuffered = num(opts.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, "maxBufferedBytes");
  let perMessageDeflate: false | PerMessageDeflateOptions = false;
  if (opts.perMessageDeflate) {
    perMessageDeflate = {
      threshold: 1024,
      ...(opts.perMessageDeflate === true ? {} : opts.perMessageDeflate),
    };
  }
  let httpCompression: false | HttpCompressionOptions = { threshold: 1024 };
  if (opts.httpCompression === false) httpCompression = false;
  else if (typeof opts.httpCompression === "object")
    httpCompression = { threshold: 1024, ...opts.httpCompression };
  let cookie: ResolvedOptions["cookie"] = false;
  if (opts.cookie) {
    cookie = {
      name: "io",
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      ...(opts.cookie === true ? {} : opts.cookie),
    } as CookieOptions & { name: string };
  }
  const transports = (opts.transports ?? ["polling", "websocket"]).filter(
    (t): t is TransportName => t === "polling" || t === "websocket",
  );
  return {
    pingInterval: num(opts.pingInterval, 25000, "pingInterval"),
    pingTimeout: num(opts.pingTimeout, 20000, "pingTimeout"),
    upgradeTimeout: num(opts.upgradeTimeout, 10000, "upgradeTimeout"),
    maxHttpBufferSize: num(opts.maxHttpBufferSize, 1e6, "maxHttpBufferSize"),
    maxBufferedBytes: maxBuffered === 0 ? Number.POSITIVE_INFINITY : maxBuffered,
    httpRequestBodyTimeout: num(opts.httpRequestBodyTimeout, 30000, "httpRequestBodyTimeout"),
    allowRequest: opts.allowRequest,
    transports,
    allowUpgrades: opts.allowUpgrades !== false,
    perMessageDeflate,
    httpCompression,
    wsEngine: opts.wsEngine,
    initialPacket: opts.initialPacket,
    cookie,
    cors: opts.cors ?? false,
    allowEIO3: opts.allowEIO3 === true,
    asyncHandlers: opts.asyncHandlers !== false,
    path: opts.path ?? "/engine.io",
    addTrailingSlash: opts.addTrailingSlash !== false,
    destroyUpgrade: opts.destroyUpgrade !== false,
    destroyUpgradeTimeout: num(opts.destroyUpgradeTimeout, 1000, "destroyUpgradeTimeout"),
    nodeId: validateNodeId(opts.nodeId),
  };
}

/** engine.io's path normalisation: strip one trailing slash, then add it back when `addTrailingSlash`. */
export function computePath(path: string | undefined, addTrailingSlash: boolean): string {
  let p = (path || "/engine.io").replace(/\/$/, "");
  if (addTrailingSlash) p += "/";
  return p;
}
