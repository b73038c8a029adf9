/**
 * Error vocabulary: the handshake/request error codes of the Engine.IO server (numeric, sent as JSON with an
 * HTTP status), and the stable `EIO_ERR_*` codes carried by thrown errors and close descriptions.
 */

/** Numeric request error codes, as engine.io's `Server.errors`. */
export const ERRORS = Object.freeze({
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const);

/** A numeric request error code. */
export type ErrorCode = (typeof ERRORS)[keyof typeof ERRORS];

/** Message for each numeric code, as engine.io's `Server.errorMessages`. */
export const ERROR_MESSAGES: Readonly<Record<ErrorCode, string>> = Object.freeze({
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
});

/** Stable string codes for thrown errors and close descriptions. */
export type EioErrorCode =
  | "EIO_ERR_PAYLOAD_TOO_LARGE"
  | "EIO_ERR_BUFFER_FULL"
  | "EIO_ERR_PARSE"
  | "EIO_ERR_INVALID_ARG"
  | "EIO_ERR_UNKNOWN_CODEC"
  | "EIO_ERR_NOT_CONNECTED"
  | "EIO_ERR_HANDSHAKE"
  | "EIO_ERR_TIMEOUT"
  | "EIO_ERR_TRANSPORT";

/** An `Error` with a stable `code`, used for close descriptions and misuse. */
export class EioError extends Error {
  /** Stable machine-readable code. */
  readonly code: EioErrorCode;
  /** Extra facts (e.g. the limit that was exceeded). */
  readonly context?: Record<string, unknown>;
  constructor(code: EioErrorCode, message: string, context?: Record<string, unknown>) {
    super(message);
    this.name = "EioError";
    this.code = code;
    if (context) this.context = context;
  }
}

/** Creates a `TypeError` carrying `code`, for API misuse. */
export function typeError(
  message: string,
  code: EioErrorCode = "EIO_ERR_INVALID_ARG",
): TypeError & { code: string } {
  const err = new TypeError(message) as TypeError & { code: string };
  err.code = code;
  return err;
}
