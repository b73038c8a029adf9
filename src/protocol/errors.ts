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
  | "EIO_ERR_INVALID_ENGINE"
  | "EIO_ERR_UNKNOWN_CODEC"
  | "EIO_ERR_NOT_CONNECTED"
  | "EIO_ERR_HANDSHAKE"
  | "EIO_ERR_TIMEOUT"
  | "EIO_ERR_TRANSPORT"
  | "EIO_ERR_PROBE";

/** An `Error` with a stable `code`, used for close descriptions and reported failures. */
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

/** A built-in error class carrying a stable {@link EioErrorCode} (misuse: `TypeError`, `RangeError`). */
export type CodedError<E extends Error = Error> = E & {
  readonly code: EioErrorCode;
  readonly context?: Record<string, unknown>;
};

/** The error classes {@link createError} builds. */
export type ErrorKind = typeof TypeError | typeof RangeError | typeof Error;

/**
 * Builds every coded error of the project (like ws's `createError`), so no throw site assembles a code by hand.
 * Without `Kind` it is an {@link EioError} (what close descriptions and `error` events carry); with `TypeError`
 * or `RangeError` (API misuse) the built-in class gets the same `code` and `context` fields.
 */
export function createError(code: EioErrorCode, message: string, context?: Record<string, unknown>): EioError;
export function createError<K extends ErrorKind>(
  code: EioErrorCode,
  message: string,
  context: Record<string, unknown> | undefined,
  Kind: K,
): CodedError<InstanceType<K>>;
export function createError(
  code: EioErrorCode,
  message: string,
  context?: Record<string, unknown>,
  Kind?: ErrorKind,
): Error {
  if (Kind === undefined) return new EioError(code, message, context);
  const err = new Kind(message) as Error & { code?: EioErrorCode; context?: Record<string, unknown> };
  err.code = code;
  if (context) err.context = context;
  return err;
}

/** The `RangeError` for a codec backend that does not exist, is switched off or did not load. */
export function codecError(name: string): CodedError<RangeError> {
  return createError(
    "EIO_ERR_UNKNOWN_CODEC",
    `codec backend "${name}" is not available`,
    { backend: name },
    RangeError,
  );
}
