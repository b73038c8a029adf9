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

  constructor(code: EioErrorCode, message: string, details: TransportErrorDetails = {}) {
    super(code, message, { ...details });
    this.name = "TransportError";
    this.description = details.status ?? details.cause;
    Object.assign(this, details);
  }
}

/** Reads `{code, message}` from an error body (engine.io and python-engineio send JSON). */
export function parseServerError(body: string): { code?: number; message?: string } {
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === "object") {
      const o = v as { code?: unknown; message?: unknown };
      return {
        ...(typeof o.code === "number" ? { code: o.code } : {}),
        ...(typeof o.message === "string" ? { message: o.message } : {}),
      };
    }
    if (typeof v === "string") return { message: v };
  } catch {
    // not JSON: a plain-text reason (engine.io's refused WebSocket) or an HTML page
  }
  const text = body.trim();
  return text.length > 0 && text.length < 200 && !text.startsWith("<") ? { message: text } : {};
}
