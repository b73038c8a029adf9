/**
 * Options of the client {@link Socket}, with engine.io-client's names and defaults, plus the few this client
 * adds (`maxPacketsPerPost`). Node-only options are ignored in browsers.
 */
import type { BackendName, Codec } from "../codec/types.js";
import { createError } from "../protocol/errors.js";
import type { TransportName } from "../protocol/names.js";
import {
  boolOption,
  flagOrObjectOption,
  objectOption,
  sizeOption,
  stringOption,
  timeOption,
  transportsOption,
} from "../protocol/validate.js";

/** Names of the transports this client implements. */
export type { TransportName } from "../protocol/names.js";

/** How received binary messages are handed to the application. */
export type BinaryType = "nodebuffer" | "arraybuffer" | "blob" | "uint8array";

/** Binary data the application may send. `Buffer` is a `Uint8Array`. */
export type BinaryInput = ArrayBuffer | ArrayBufferView;

/** What a `message` event carries: text, or binary in the socket's {@link BinaryType}. */
export type MessageData = string | Uint8Array | ArrayBuffer | Blob;

/** TLS and socket options handed to Node's `https`/`ws` agents (ignored in browsers). */
export interface NodeTlsOptions {
  /** An `http.Agent`/`https.Agent` for polling requests and the WebSocket, or `false` for none. @default false */
  agent?: object | false;
  /** Client certificate chain (PEM). @default undefined */
  cert?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client private key (PEM). @default undefined */
  key?: string | Uint8Array | Array<string | Uint8Array>;
  /** PFX/PKCS12 bundle. @default undefined */
  pfx?: string | Uint8Array | Array<string | Uint8Array>;
  /** Passphrase of `key`/`pfx`. @default undefined */
  passphrase?: string;
  /** Trusted CA certificates (PEM), replacing Node's default list. @default undefined */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Cipher suite specification. @default undefined */
  ciphers?: string;
  /** Verify the server certificate. @default true */
  rejectUnauthorized?: boolean;
  /** SNI server name. @default undefined */
  servername?: string;
  /** Custom certificate identity check. @default undefined */
  checkServerIdentity?: (hostname: string, cert: unknown) => Error | undefined;
  /** Local interface to bind. @default undefined */
  localAddress?: string;
  /** IP family (4 or 6). @default undefined */
  family?: number;
}

/** Options of the client {@link Socket}. */
export interface SocketOptions extends NodeTlsOptions {
  /** Host name (with optional `:port`) when no URL is given. @default location.hostname or "localhost" */
  host?: string;
  /** Host name when no URL is given. @default location.hostname or "localhost" */
  hostname?: string;
  /** Use https/wss. @default derived from the URL, else location.protocol === "https:" */
  secure?: boolean;
  /** Port. @default from the URL, else location.port, else 443/80 */
  port?: string | number;
  /** Path of the Engine.IO endpoint on the server. @default "/engine.io" */
  path?: string;
  /** Append a trailing slash to `path` (the server matches `/engine.io/`). @default true */
  addTrailingSlash?: boolean;
  /** Extra query parameters for every request (object, or a `a=1&b=2` string). @default {} */
  query?: string | Record<string, string | number | boolean>;
  /** Transports to use, in order of preference; the first one opens the session. @default ["polling", "websocket"] */
  transports?: TransportName[];
  /** Per-transport overrides of these options. @default {} */
  transportOptions?: Partial<Record<TransportName, Partial<SocketOptions>>>;
  /** Try to upgrade from polling to WebSocket after the handshake. @default true */
  upgrade?: boolean;
  /** Open directly over WebSocket when a previous WebSocket connection (in this process/page) succeeded. @default false */
  rememberUpgrade?: boolean;
  /** When the first transport fails to open, try the next one. @default false */
  tryAllTransports?: boolean;
  /** Send binary as base64 text (`b64=1`), for peers that cannot take binary. @default false */
  forceBase64?: boolean;
  /**
   * Add a cache-busting timestamp parameter. `undefined` means: on polling requests, not on WebSocket.
   * @default undefined
   */
  timestampRequests?: boolean;
  /** Name of the timestamp query parameter. @default "t" */
  timestampParam?: string;
  /**
   * Timeout (ms) of the handshake and of each POST (and, in Node, of the WebSocket opening handshake); 0
   * disables it. Long-poll GETs after the handshake wait at least `pingInterval + pingTimeout` (+5 s), like
   * python-engineio, so a small value cannot break polling.
   * An integer from 0 to 2^31−1; anything else throws a coded `RangeError`.
   * @default 0
   */
  requestTimeout?: number;
  /** Extra HTTP headers (Node: every request and the WebSocket handshake; browsers: polling only). @default {} */
  extraHeaders?: Record<string, string>;
  /** Send cookies cross-origin (browsers); in Node, keep a cookie jar so sticky sessions work. @default false */
  withCredentials?: boolean;
  /** Close the connection silently on `beforeunload` (browsers). @default false */
  closeOnBeforeunload?: boolean;
  /** Do not keep the Node process alive for this socket's timers and sockets. @default false */
  autoUnref?: boolean;
  /** WebSocket sub-protocols. @default [] */
  protocols?: string | string[];
  /**
   * WebSocket per-message deflate (Node): `false` to disable, or ws options plus a `threshold` below which
   * frames are sent uncompressed.
   * @default { threshold: 1024 }
   */
  perMessageDeflate?: false | { threshold?: number; [option: string]: unknown };
  /**
   * The codec of this client: a codec object (e.g. from `createCodec()`) or a backend name, which creates one
   * for this client.
   * @default the shared default codec (`defaultCodec()`, backend chosen on first use)
   */
  codec?: Codec | BackendName;
  /** Largest WebSocket frame accepted from the server (Node, ws's `maxPayload`). @default 104857600 */
  maxPayload?: number;
  /**
   * Send at most this many packets in one polling POST. python-engineio rejects POSTs of more than 16 packets;
   * the python-style {@link Client} sets 16. @default Infinity
   */
  maxPacketsPerPost?: number;
}

/** The options after defaults are applied, as transports see them. */
export interface ResolvedOptions extends SocketOptions {
  hostname: string;
  secure: boolean;
  port: string;
  path: string;
  query: Record<string, string>;
  transports: TransportName[];
  timestampParam: string;
  requestTimeout: number;
  maxPacketsPerPost: number;
  upgrade: boolean;
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "ws:": "80", "https:": "443", "wss:": "443" };

function queryToObject(q: SocketOptions["query"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof q === "string") {
    for (const [k, v] of new URLSearchParams(q)) out[k] = v;
  } else if (q) {
    for (const [k, v] of Object.entries(q)) out[k] = String(v);
  }
  return out;
}

function locationOf(): { protocol: string; hostname: string; port: string; href: string } | undefined {
  const loc = (
    globalThis as { location?: { protocol: string; hostname: string; port: string; href: string } }
  ).location;
  return loc && typeof loc.href === "string" ? loc : undefined;
}

/**
 * Resolves a URL (optional; its path is ignored, like engine.io-client and python-engineio — the endpoint is
 * `path`) and options into {@link ResolvedOptions}.
 * @throws TypeError (`EIO_ERR_INVALID_ARG`) for a URL that does not parse.
 */
export function resolveClientOptions(uri: string | undefined, opts: SocketOptions): ResolvedOptions {
  if (uri !== undefined && typeof uri !== "string") {
    throw createError("EIO_ERR_INVALID_ARG", "the URL must be a string", { url: uri }, TypeError);
  }
  validateOptions(opts);
  const loc = locationOf();
  const o: SocketOptions = { ...opts };
  let query = queryToObject(o.query);
  if (uri !== undefined) {
    let text = uri;
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !text.startsWith("/")) text = `http://${text}`;
    else if (text.startsWith("//")) text = `${loc?.protocol ?? "http:"}${text}`;
    let url: URL;
    try {
      url = new URL(text, loc?.href);
    } catch {
      throw createError("EIO_ERR_INVALID_ARG", `invalid URL: ${uri}`, { url: uri }, TypeError);
    }
    o.hostname = url.hostname.replace(/^\[|\]$/g, "");
    o.secure = url.protocol === "https:" || url.protocol === "wss:";
    o.port = url.port || DEFAULT_PORTS[url.protocol] || (o.secure ? "443" : "80");
    if (url.search.length > 1) query = { ...query, ...queryToObject(url.search.slice(1)) };
  } else if (o.host) {
    const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(o.host);
    o.hostname = m?.[1] ?? o.host;
    if (m?.[2] && o.port === undefined) o.port = m[2];
  }
  const secure = o.secure ?? loc?.protocol === "https:";
  const hostname = o.hostname ?? loc?.hostname ?? "localhost";
  const port =
    o.port !== undefined && o.port !== ""
      ? String(o.port)
      : o.hostname === undefined && loc?.port
        ? loc.port
        : secure
          ? "443"
          : "80";
  const addTrailingSlash = o.addTrailingSlash ?? true;
  const path = (o.path ?? "/engine.io").replace(/\/$/, "") + (addTrailingSlash ? "/" : "");
  return {
    ...o,
    hostname,
    secure,
    port,
    path,
    query,
    addTrailingSlash,
    // engine.io-client's "webtransport" is accepted and skipped (this client does not implement it); any
    // other name is a typo and throws
    transports: transportsOption(o.transports, TRANSPORTS, "transports", {
      known: TRANSPORTS,
      skipped: ["webtransport"],
    }),
    upgrade: o.upgrade ?? true,
    rememberUpgrade: o.rememberUpgrade ?? false,
    timestampParam: o.timestampParam ?? "t",
    requestTimeout: o.requestTimeout ?? 0,
    withCredentials: o.withCredentials ?? false,
    closeOnBeforeunload: o.closeOnBeforeunload ?? false,
    perMessageDeflate: o.perMessageDeflate ?? { threshold: 1024 },
    maxPacketsPerPost: o.maxPacketsPerPost ?? Number.POSITIVE_INFINITY,
    transportOptions: o.transportOptions ?? {},
  };
}

const TRANSPORTS: readonly TransportName[] = ["polling", "websocket"];

const BOOLEAN_OPTIONS = [
  "secure",
  "addTrailingSlash",
  "upgrade",
  "rememberUpgrade",
  "tryAllTransports",
  "forceBase64",
  "timestampRequests",
  "withCredentials",
  "closeOnBeforeunload",
  "autoUnref",
  "rejectUnauthorized",
] as const;

/**
 * Checks every option's type and range (the values are then read by {@link resolveClientOptions}). Throws a
 * `TypeError`/`RangeError` with code `EIO_ERR_INVALID_ARG` naming the option.
 */
function validateOptions(o: SocketOptions): void {
  if (o === null || typeof o !== "object") {
    throw createError("EIO_ERR_INVALID_ARG", "options must be an object", { value: o }, TypeError);
  }
  for (const name of BOOLEAN_OPTIONS) boolOption(o[name], false, name);
  timeOption(o.requestTimeout, 0, "requestTimeout", { allowZero: true });
  sizeOption(o.maxPayload, 0, "maxPayload");
  sizeOption(o.maxPacketsPerPost, 1, "maxPacketsPerPost", { min: 1, allowInfinity: true });
  for (const name of ["host", "hostname", "path", "timestampParam", "passphrase", "servername"] as const) {
    stringOption(o[name], undefined, name);
  }
  if (o.port !== undefined && o.port !== "") {
    const port = Number(o.port);
    if ((typeof o.port !== "number" && typeof o.port !== "string") || !Number.isInteger(port)) {
      throw createError(
        "EIO_ERR_INVALID_ARG",
        `option port must be a port number (got ${String(o.port)})`,
        { option: "port", value: o.port },
        TypeError,
      );
    }
    if (port < 0 || port > 65535) {
      throw createError(
        "EIO_ERR_INVALID_ARG",
        `option port must be an integer from 0 to 65535 (got ${port})`,
        { option: "port", value: o.port },
        RangeError,
      );
    }
  }
  if (o.query !== undefined && typeof o.query !== "string") objectOption(o.query, "query");
  objectOption(o.extraHeaders, "extraHeaders");
  objectOption(o.transportOptions, "transportOptions");
  if (o.perMessageDeflate !== false) objectOption(o.perMessageDeflate, "perMessageDeflate");
  flagOrObjectOption(o.agent, "agent");
  if (
    o.protocols !== undefined &&
    typeof o.protocols !== "string" &&
    !(Array.isArray(o.protocols) && o.protocols.every((p) => typeof p === "string"))
  ) {
    throw createError(
      "EIO_ERR_INVALID_ARG",
      "option protocols must be a string or an array of strings",
      { option: "protocols", value: o.protocols },
      TypeError,
    );
  }
}

let counter = 0;
/** A short unique cache-busting value (timestamp + counter, base36). */
export function timestamp(): string {
  counter = (counter + 1) % 1679616;
  return `${Date.now().toString(36)}${counter.toString(36)}`;
}

/** Builds the request URL of a transport. */
export function buildUri(
  opts: ResolvedOptions,
  scheme: "http" | "ws",
  query: Record<string, string>,
): string {
  const s = opts.secure ? `${scheme}s` : scheme;
  const host = opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname;
  const defaultPort = opts.secure ? "443" : "80";
  const port = opts.port && opts.port !== defaultPort ? `:${opts.port}` : "";
  const qs = new URLSearchParams(query).toString();
  return `${s}://${host}${port}${opts.path}${qs ? `?${qs}` : ""}`;
}
