/**
 * Option validators shared by the server's and the client's option resolvers. Each returns the value (or the
 * fallback when the option is absent) and throws a `TypeError` (wrong type) or `RangeError` (right type, value out
 * of range) with `code: "EIO_ERR_INVALID_ARG"` whose message names the option, and whose `context` carries
 * `{ option, value }`. Misuse fails at construction, never later as a timer warning or a silent no-op.
 */
import { createError } from "./errors.js";

/**
 * Largest delay Node's timers take (2^31−1 ms, about 24.8 days): a larger one fires after 1 ms with a
 * `TimeoutOverflowWarning`, which turns a heartbeat into a busy loop.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

type Kind = typeof TypeError | typeof RangeError;

/** The one place the validators build their error. */
function invalid(
  Kind: Kind,
  option: string,
  value: unknown,
  must: string,
  extra?: Record<string, unknown>,
): Error {
  return createError(
    "EIO_ERR_INVALID_ARG",
    `option ${option} must be ${must} (got ${describe(value)})`,
    { option, value, ...extra },
    Kind,
  );
}

/** A short, safe rendering of a bad value for the message. */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "function" ? "a function" : `a value of type ${typeof value}`;
}

/** Options of {@link timeOption}. */
export interface TimeRule {
  /** Whether 0 is allowed (it means "disabled" for some options). @default false */
  allowZero?: boolean;
}

/**
 * A delay in milliseconds: an integer from 1 (or 0 with `allowZero`) to {@link MAX_TIMER_MS}.
 * `Infinity`, `NaN`, fractions and negatives are refused: the handshake advertises these values as JSON
 * integers, and Node's timers cannot take more than 2^31−1.
 */
export function timeOption(value: unknown, fallback: number, option: string, rule: TimeRule = {}): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw invalid(TypeError, option, value, "a number of milliseconds");
  const min = rule.allowZero ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw invalid(RangeError, option, value, `an integer from ${min} to ${MAX_TIMER_MS} (milliseconds)`, {
      min,
      max: MAX_TIMER_MS,
    });
  }
  return value;
}

/** Options of {@link sizeOption}. */
export interface SizeRule {
  /** Whether `Infinity` is allowed (no bound). @default false */
  allowInfinity?: boolean;
  /** Smallest allowed value. @default 0 */
  min?: number;
}

/** A count of bytes or packets: a non-negative integer (or `Infinity` when allowed). */
export function sizeOption(value: unknown, fallback: number, option: string, rule: SizeRule = {}): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") throw invalid(TypeError, option, value, "a number");
  if (value === Number.POSITIVE_INFINITY && rule.allowInfinity) return value;
  const min = rule.min ?? 0;
  if (!Number.isSafeInteger(value) || value < min) {
    throw invalid(
      RangeError,
      option,
      value,
      `an integer ≥ ${min}${rule.allowInfinity ? " (or Infinity)" : ""}`,
      { min },
    );
  }
  return value;
}

/** A boolean (absent → `fallback`). */
export function boolOption(value: unknown, fallback: boolean, option: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(TypeError, option, value, "true or false");
  return value;
}

/** A string (absent → `fallback`). */
export function stringOption<T extends string | undefined>(
  value: unknown,
  fallback: T,
  option: string,
): string | T {
  if (value === undefined) return fallback;
  if (typeof value !== "string") throw invalid(TypeError, option, value, "a string");
  return value;
}

/** A function, or absent. */
export function functionOption<F>(value: F | undefined, option: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "function") throw invalid(TypeError, option, value, "a function");
  return value;
}

/** `true`, `false` or an options object (absent → `undefined`). */
export function flagOrObjectOption<T>(value: T, option: string): T {
  if (value === undefined || typeof value === "boolean") return value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(TypeError, option, value, "true, false or an options object");
  }
  return value;
}

/** A plain object (absent → `undefined`). */
export function objectOption<T>(value: T, option: string): T {
  if (value === undefined) return value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(TypeError, option, value, "an object");
  }
  return value;
}

/** Options of {@link transportsOption}. */
export interface TransportsRule<T extends string> {
  /** Names this side implements. */
  known: readonly T[];
  /** Names accepted and skipped (engine.io-client's `webtransport`, which this client does not implement). */
  skipped?: readonly string[];
}

/**
 * A non-empty array of transport names, each known. Unknown names are all listed in the message, so a typo
 * (`"websockets"`) is found at once instead of silently leaving a transport out.
 */
export function transportsOption<T extends string>(
  value: unknown,
  fallback: readonly T[],
  option: string,
  rule: TransportsRule<T>,
): T[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value)) {
    throw invalid(TypeError, option, value, `an array of transport names (${rule.known.join(", ")})`);
  }
  if (value.length === 0) {
    throw invalid(RangeError, option, value, `a non-empty array of ${rule.known.join(", ")}`);
  }
  const skipped = rule.skipped ?? [];
  const unknown = value.filter(
    (t: unknown) =>
      typeof t !== "string" || (!(rule.known as readonly string[]).includes(t) && !skipped.includes(t)),
  );
  if (unknown.length > 0) {
    const names = unknown.map((t: unknown) => (typeof t === "string" ? `"${t}"` : describe(t))).join(", ");
    throw createError(
      "EIO_ERR_INVALID_ARG",
      `option ${option} has unknown transport${unknown.length > 1 ? "s" : ""} ${names} (known: ${rule.known.join(", ")})`,
      { option, value, unknown },
      RangeError,
    );
  }
  return value.filter((t: string): t is T => (rule.known as readonly string[]).includes(t));
}
