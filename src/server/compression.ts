/**
 * gzip/deflate of long-polling responses (`httpCompression`), negotiated with `negotiator` (what `accepts` uses
 * for encodings, without its MIME database: `accepts` loads mime-types and mime-db, ~10,000 objects and 0.75 MB
 * of heap in every process, for a lookup this engine never makes).
 */
import type { IncomingMessage } from "node:http";
import { deflate, gzip, type ZlibOptions } from "node:zlib";
import Negotiator from "negotiator";
import { utf8Length } from "../codec/common.js";
import type { HttpCompressionOptions } from "./options.js";

/** The encoding to use for a body of `length` bytes, or `null` to send it as is. */
export function chooseEncoding(
  req: IncomingMessage,
  length: number,
  opts: false | HttpCompressionOptions,
): "gzip" | "deflate" | null {
  if (!opts || length < (opts.threshold ?? 1024)) return null;
  if (!req.headers["accept-encoding"]) return null;
  const enc = new Negotiator(req).encodings(["gzip", "deflate"])[0];
  return enc === "gzip" || enc === "deflate" ? enc : null;
}

/**
 * {@link chooseEncoding} for a string body: its UTF-8 length is counted only when it could reach the threshold
 * (a UTF-16 unit is at most 3 UTF-8 bytes).
 */
export function chooseTextEncoding(
  req: IncomingMessage,
  text: string,
  opts: false | HttpCompressionOptions,
): "gzip" | "deflate" | null {
  if (!opts || text.length * 3 < (opts.threshold ?? 1024)) return null;
  return chooseEncoding(req, utf8Length(text), opts);
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
