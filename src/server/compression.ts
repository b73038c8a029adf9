/**
 * gzip/deflate of long-polling responses (`httpCompression`), negotiated with `accepts`.
 */
import type { IncomingMessage } from "node:http";
import { deflate, gzip, type ZlibOptions } from "node:zlib";
import accepts from "accepts";
import type { HttpCompressionOptions } from "./options.js";

/** The encoding to use for a body of `length` bytes, or `null` to send it as is. */
export function chooseEncoding(
  req: IncomingMessage,
  length: number,
  opts: false | HttpCompressionOptions,
): "gzip" | "deflate" | null {
  if (!opts || length < (opts.threshold ?? 1024)) return null;
  if (!req.headers["accept-encoding"]) return null;
  const enc = accepts(req).encodings(["gzip", "deflate"]);
  return enc === "gzip" || enc === "deflate" ? enc : null;
}

/** Compresses `body` with `encoding`; `cb(err, result)`. */
export function compress(
  body: Uint8Array,
  encoding: "gzip" | "deflate",
  opts: HttpCompressionOptions,
  cb: (err: Error | null, result: Buffer) => void,
): void {
  const { threshold: _t, ...zlibOpts } = opts;
  (encoding === "gzip" ? gzip : deflate)(body, zlibOpts as ZlibOptions, cb);
}
