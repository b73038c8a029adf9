/** Errors the client reports through `error` events and rejected promises. */
import { EioError, type EioErrorCode } from "../protocol/errors.js";

/** Facts about a failed request or connection. */
export interface TransportErrorDetails {
  /** HTTP status of a refused request, when there was one. */
  status?: number;
  /** Numeric Engine.IO error code from the server's JSON body (`0`–`5`), when it sent one. */
  serverCode?: number;
  /** The server's error message (JSON `message`, or the plain-text body of a refused WebSocket). */
  serverMessage?: string;
  /**
   * The refusal's JSON `data` (what a server-side `ConnectionRefusedError(message, data)` carried), or, for a
   * JSON body without `message`/`data`, the whole body.
   */
  data?: unknown;
  /** System error code of a failed connection (`ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`, …). */
  systemCode?: string;
  /** Address (or host name) the failed connection was for. */
  address?: string;
  /** Port the failed connection was for. */
  port?: number;
  /** The transport that failed. */
  transport?: string;
  /** The underlying error or event. */
  cause?: unknown;
}

/**
 * A transport-level failure, shaped like engine.io-client's `TransportError` (`type`, `description`, `context`)
 * and carrying a stable `code`: `EIO_ERR_HANDSHAKE` when the server refused the connection,
 * `EIO_ERR_TIMEOUT` for a request timeout, `EIO_ERR_TRANSPORT` otherwise.
 */
export class TransportError extends EioError {
  /** Always `"TransportError"`, as engine.io-client. */
  readonly type = "TransportError";
  /** engine.io-client's `description`: the HTTP status, or the underlying error. */
  readonly description: unknown;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** Numeric Engine.IO error code the server sent, if any. */
  readonly serverCode?: number;
  /** Error message the server sent, if any. */
  readonly serverMessage?: string;
  /** Name of the failed transport. */
  readonly transport?: string;
  /** The refusal's `data`, if the server sent one (see {@link TransportErrorDetails.data}). */
  readonly data?: unknown;
  /** System error code of a failed connection (`ECONNREFUSED`, `ENOTFOUND`, `EAI_AGAIN`, TLS codes). */
  readonly systemCode?: string;
  /** Address or host name of a failed connection. */
  readonly address?: string;
  /** Port of a failed connection. */
  readonly port?: number;

  constructor(code: EioErrorCode, message: string, details: TransportErrorDetails = {}) {
    super(code, message, { ...details });
    this.name = "TransportError";
    this.description = details.status ?? details.cause;
    Object.assign(this, details);
  }
}

/** What an error body says: engine.io's `{code, message}`, python's `{message}`, or a refusal's `data`. */
export interface ServerErrorInfo {
  code?: number;
  message?: string;
  data?: unknown;
}

/** Reads {@link ServerErrorInfo} from an error body (engine.io and python-engineio send JSON). */
export function parseServerError(body: string): ServerErrorInfo {
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === "object") {
      const o = v as { code?: unknown; message?: unknown; data?: unknown };
      const info: ServerErrorInfo = {
        ...(typeof o.code === "number" ? { code: o.code } : {}),
        ...(typeof o.message === "string" ? { message: o.message } : {}),
      };
      // a refusal carries `data`; an application body without the usual fields is data as a whole
      if ("data" in o) info.data = o.data;
      else if (info.code === undefined && info.message === undefined) info.data = v;
      return info;
    }
    if (typeof v === "string") return { message: v };
  } catch {
    // not JSON: a plain-text reason (engine.io's refused WebSocket) or an HTML page
  }
  const text = body.trim();
  return text.length > 0 && text.length < 200 && !text.startsWith("<") ? { message: text } : {};
}

/**
 * The error for a non-2xx answer. During the handshake (`refused`) it is `EIO_ERR_HANDSHAKE` with the server's
 * message (or `unexpected status code N`); later it is `EIO_ERR_TRANSPORT` with `message`. Both carry `status`,
 * `serverCode`, `serverMessage` and `data` when the body had them.
 */
export function statusError(
  status: number,
  body: string,
  transport: string,
  refused: boolean,
  message = `unexpected status code ${status}`,
): TransportError {
  const info = parseServerError(body);
  return new TransportError(
    refused ? "EIO_ERR_HANDSHAKE" : "EIO_ERR_TRANSPORT",
    refused ? (info.message ?? `unexpected status code ${status}`) : message,
    {
      status,
      transport,
      ...(info.code !== undefined ? { serverCode: info.code } : {}),
      ...(info.message !== undefined ? { serverMessage: info.message } : {}),
      ...(info.data !== undefined ? { data: info.data } : {}),
    },
  );
}

/** Error codes of failed connections that name the peer (Node's `connect ECONNREFUSED 127.0.0.1:1`, DNS, TLS). */
interface SystemErrorLike {
  code?: unknown;
  message?: unknown;
  address?: unknown;
  hostname?: unknown;
  host?: unknown;
  port?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * Finds the system error inside what a request rejected with: fetch (undici) wraps it as `TypeError("fetch
 * failed")` with the system error in `cause` (an `AggregateError` when several addresses were tried).
 */
function findSystemError(err: unknown, depth = 0): SystemErrorLike | undefined {
  if (err === null || typeof err !== "object" || depth > 4) return undefined;
  const e = err as SystemErrorLike;
  if (typeof e.code === "string" && /^[A-Z][A-Z0-9_]+$/.test(e.code) && !e.code.startsWith("EIO_ERR_")) {
    if (e.code !== "ERR_AGGREGATE" && e.code !== "UND_ERR_SOCKET") return e;
  }
  if (Array.isArray(e.errors) && e.errors.length > 0) return findSystemError(e.errors[0], depth + 1);
  return findSystemError(e.cause, depth + 1);
}

/**
 * The error for a request that failed without an answer: when a system error is inside (`ECONNREFUSED`,
 * `ENOTFOUND`, `ECONNRESET`, a TLS code such as `DEPTH_ZERO_SELF_SIGNED_CERT`), its code, address and port are
 * lifted to the top (`systemCode`, `address`, `port`) and named in the message:
 * `fetch read error: connect ECONNREFUSED 127.0.0.1:1`.
 */
export function requestError(err: unknown, message: string, transport: string): TransportError {
  const sys = findSystemError(err);
  if (sys === undefined) return new TransportError("EIO_ERR_TRANSPORT", message, { transport, cause: err });
  const address = [sys.address, sys.hostname, sys.host].find((v): v is string => typeof v === "string");
  const port = typeof sys.port === "number" ? sys.port : undefined;
  const detail = typeof sys.message === "string" && sys.message !== "" ? sys.message : String(sys.code);
  return new TransportError("EIO_ERR_TRANSPORT", `${message}: ${detail}`, {
    transport,
    cause: err,
    systemCode: String(sys.code),
    ...(address !== undefined ? { address } : {}),
    ...(port !== undefined ? { port } : {}),
  });
}
