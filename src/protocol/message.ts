/**
 * The send rule, one for both sides:
 * - the engine.io-style `Socket.send`/`write` (server and client) takes text or binary (`string`, `ArrayBuffer`,
 *   any `ArrayBufferView`, so `Buffer` too), and nothing else;
 * - the python-engineio-style `send` (`Server.send(sid, data)`, `Client.send(data)`, `AsyncClient.send(data)`)
 *   also takes JSON values (objects, arrays, numbers, booleans, `null`) and sends them as JSON text, as
 *   python-engineio does for dicts and lists;
 * - anything neither accepts (`undefined`, functions, symbols, bigints, objects `JSON.stringify` cannot encode)
 *   throws a `TypeError` with code `EIO_ERR_INVALID_ARG`, instead of going out as `"[object Object]"`.
 */
import { createError } from "./errors.js";

/** Binary message data. */
export type BinaryMessage = ArrayBuffer | ArrayBufferView;

/** What the python-style `send` takes: text, binary, or a JSON value (sent as JSON text). */
export type PythonSendData =
  | string
  | BinaryMessage
  | number
  | boolean
  | null
  | Record<string, unknown>
  | unknown[];

/** Whether `data` is binary message data. */
export function isBinaryMessage(data: unknown): data is BinaryMessage {
  return data instanceof ArrayBuffer || ArrayBuffer.isView(data);
}

function describe(data: unknown): string {
  if (data === null) return "null";
  if (Array.isArray(data)) return "an array";
  return typeof data === "object" ? "an object" : typeof data;
}

/**
 * The engine.io-style rule: returns `data` when it is text or binary.
 * @throws TypeError (`EIO_ERR_INVALID_ARG`) otherwise, telling about the python-style `send` for JSON values.
 */
export function socketMessage<T extends string | BinaryMessage>(data: T | unknown): T {
  if (typeof data === "string" || isBinaryMessage(data)) return data as T;
  throw createError(
    "EIO_ERR_INVALID_ARG",
    `send() takes a string, an ArrayBuffer or an ArrayBufferView, not ${describe(data)}` +
      " (encode it yourself, e.g. JSON.stringify, or use the python-style send, which sends JSON values as JSON)",
    { type: describe(data) },
    TypeError,
  );
}

/**
 * The python-style rule: text and binary as they are, JSON values as JSON text.
 * @throws TypeError (`EIO_ERR_INVALID_ARG`) for values JSON cannot encode.
 */
export function pythonMessage(data: unknown): string | BinaryMessage {
  if (typeof data === "string" || isBinaryMessage(data)) return data;
  const kind = typeof data;
  if (data === null || kind === "number" || kind === "boolean" || kind === "object") {
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (cause) {
      throw createError(
        "EIO_ERR_INVALID_ARG",
        `send() could not encode ${describe(data)} as JSON: ${(cause as Error).message}`,
        { type: describe(data) },
        TypeError,
      );
    }
    // JSON.stringify(NaN) is "null"; an object whose toJSON returns undefined gives undefined
    if (text !== undefined) return text;
  }
  throw createError(
    "EIO_ERR_INVALID_ARG",
    `send() takes a string, binary data or a JSON value, not ${describe(data)}`,
    { type: describe(data) },
    TypeError,
  );
}
