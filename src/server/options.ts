/**
 * Server options: engine.io 6.6's names and defaults, plus this project's additions.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { SerializeOptions } from "cookie";
import type { CorsOptions, CorsOptionsDelegate } from "cors";
import type { PerMessageDeflateOptions } from "ws";
import { resolveCodec } from "../codec/index.js";
import type { BackendName, Codec } from "../codec/types.js";
import { createError } from "../protocol/errors.js";
import type { TransportName } from "../protocol/names.js";
import {
  boolOption,
  flagOrObjectOption,
  functionOption,
  objectOption,
  sizeOption,
  stringOption,
  timeOption,
  transportsOption,
} from "../protocol/validate.js";
import { validateNodeId } from "./id.js";

/** Transport names understood by the server. */
export type { TransportName } from "../protocol/names.js";

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
   * The codec this server's transports use: a codec object (e.g. from `createCodec()`) or a backend name
   * (`"wasm-simd"`, `"wasm"`, `"node"`, `"js"`), which creates one for this server.
   * @default the shared default codec (`defaultCodec()`, backend chosen on first use)
   */
  codec?: Codec | BackendName;
  /**
   * Milliseconds between server pings (sent this long after the previous pong).
   * An integer from 1 to 2^31−1 (Node's timer limit); anything else throws a coded `RangeError`.
   * @default 25000
   */
  pingInterval?: number;
  /**
   * Milliseconds to wait for the pong before closing with `ping timeout`.
   * An integer from 1 to 2^31−1 (Node's timer limit); anything else throws a coded `RangeError`.
   * @default 20000
   */
  pingTimeout?: number;
  /**
   * Milliseconds an upgrade may take before the probe transport is closed.
   * An integer from 1 to 2^31−1 (Node's timer limit); anything else throws a coded `RangeError`.
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
  codec: Codec;
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

const TRANSPORTS: readonly TransportName[] = ["polling", "websocket"];

/**
 * Fills in defaults and validates every option: misuse throws a `TypeError` (wrong type) or `RangeError` (out of
 * range: delays must be integers from 1 ms to 2^31−1 ms, transports a non-empty list of known names) with code
 * `EIO_ERR_INVALID_ARG`, naming the option.
 */
export function resolveServerOptions(opts: ServerOptions = {}): ResolvedOptions {
  if (opts === null || typeof opts !== "object") {
    throw createError("EIO_ERR_INVALID_ARG", "options must be an object", { value: opts }, TypeError);
  }
  const maxBuffered = sizeOption(opts.maxBufferedBytes, DEFAULT_MAX_BUFFERED_BYTES, "maxBufferedBytes", {
    allowInfinity: true,
  });
  const pmd = flagOrObjectOption(opts.perMessageDeflate, "perMessageDeflate");
  let perMessageDeflate: false | PerMessageDeflateOptions = false;
  if (pmd) perMessageDeflate = { threshold: 1024, ...(pmd === true ? {} : pmd) };
  const compression = flagOrObjectOption(opts.httpCompression, "httpCompression");
  let httpCompression: false | HttpCompressionOptions = { threshold: 1024 };
  if (compression === false) httpCompression = false;
  else if (typeof compression === "object") httpCompression = { threshold: 1024, ...compression };
  const cookieOpt = flagOrObjectOption(opts.cookie, "cookie");
  let cookie: ResolvedOptions["cookie"] = false;
  if (cookieOpt) {
    cookie = {
      name: "io",
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      ...(cookieOpt === true ? {} : cookieOpt),
    } as CookieOptions & { name: string };
  }
  const cors = opts.cors ?? false;
  if (cors !== false && typeof cors !== "function") objectOption(cors, "cors");
  const initialPacket = opts.initialPacket;
  if (
    initialPacket !== undefined &&
    typeof initialPacket !== "string" &&
    !(initialPacket instanceof Uint8Array)
  ) {
    throw createError(
      "EIO_ERR_INVALID_ARG",
      "option initialPacket must be a string or a Uint8Array",
      { option: "initialPacket", value: initialPacket },
      TypeError,
    );
  }
  return {
    codec: resolveCodec(opts.codec),
    pingInterval: timeOption(opts.pingInterval, 25000, "pingInterval"),
    pingTimeout: timeOption(opts.pingTimeout, 20000, "pingTimeout"),
    upgradeTimeout: timeOption(opts.upgradeTimeout, 10000, "upgradeTimeout"),
    maxHttpBufferSize: sizeOption(opts.maxHttpBufferSize, 1e6, "maxHttpBufferSize"),
    maxBufferedBytes: maxBuffered === 0 ? Number.POSITIVE_INFINITY : maxBuffered,
    httpRequestBodyTimeout: timeOption(opts.httpRequestBodyTimeout, 30000, "httpRequestBodyTimeout"),
    allowRequest: functionOption(opts.allowRequest, "allowRequest"),
    transports: transportsOption(opts.transports, TRANSPORTS, "transports", { known: TRANSPORTS }),
    allowUpgrades: boolOption(opts.allowUpgrades, true, "allowUpgrades"),
    perMessageDeflate,
    httpCompression,
    wsEngine: functionOption(opts.wsEngine, "wsEngine"),
    initialPacket,
    cookie,
    cors,
    allowEIO3: boolOption(opts.allowEIO3, false, "allowEIO3"),
    asyncHandlers: boolOption(opts.asyncHandlers, true, "asyncHandlers"),
    path: stringOption(opts.path, "/engine.io", "path"),
    addTrailingSlash: boolOption(opts.addTrailingSlash, true, "addTrailingSlash"),
    destroyUpgrade: boolOption(opts.destroyUpgrade, true, "destroyUpgrade"),
    destroyUpgradeTimeout: timeOption(opts.destroyUpgradeTimeout, 1000, "destroyUpgradeTimeout", {
      allowZero: true,
    }),
    nodeId: validateNodeId(opts.nodeId),
  };
}

/** engine.io's path normalisation: strip one trailing slash, then add it back when `addTrailingSlash`. */
export function computePath(path: string | undefined, addTrailingSlash: boolean): string {
  let p = (path || "/engine.io").replace(/\/$/, "");
  if (addTrailingSlash) p += "/";
  return p;
}
