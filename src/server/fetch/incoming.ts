/**
 * A Fetch-API `Request` seen as the `IncomingMessage` surface the engine reads (method, url, headers, query,
 * remote address, and the body as `data`/`end`/`close` events), so Bun and Deno requests run through the same
 * verification, middlewares, `allowRequest`, polling transport and events as Node's.
 *
 * The body is read from `request.body` only once someone listens for `data` (as Node's streams start flowing),
 * chunk by chunk, so `maxHttpBufferSize` cuts an oversized chunked body without buffering it whole.
 */
import { EventEmitter } from "node:events";
import createDebug from "debug";
import { isSecureUrl, requestTarget } from "./request-target.js";

const debug = createDebug("engine:fetch");

/** The socket-like facts of a Fetch request (what `req.socket` gives on Node). */
export interface FetchSocketInfo {
  /** The peer's address as the runtime reports it ("" when unknown). */
  remoteAddress: string;
  /** Whether the request came over TLS. */
  encrypted: boolean;
}

/** A Fetch `Request` with the `IncomingMessage` fields the engine and its middlewares use. */
export class FetchIncoming extends EventEmitter {
  /** The original Fetch request. */
  readonly request: Request;
  /** HTTP method. */
  readonly method: string;
  /** Path and query (like Node's `req.url`). */
  readonly url: string;
  /** Lower-cased request headers. */
  readonly headers: Record<string, string>;
  /** The runtimes' servers speak HTTP/1.1 to the engine. */
  readonly httpVersion = "1.1";
  /** @see httpVersion */
  readonly httpVersionMajor = 1;
  /** @see httpVersion */
  readonly httpVersionMinor = 1;
  /** Remote address and TLS flag. */
  readonly socket: FetchSocketInfo;
  /** Whether the body was read to its end. */
  complete = false;
  /** Whether {@link FetchIncoming.destroy} ran. */
  destroyed = false;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private pumping = false;
  private closed = false;
  private readonly bodyLimit: number;

  /**
   * @param bodyLimit - a body announced by `Content-Length` at most this long is read in one piece
   *   (`arrayBuffer()`: one promise instead of a reader loop); longer or chunked ones are streamed
   */
  constructor(request: Request, remoteAddress: string, bodyLimit = 0) {
    super();
    this.request = request;
    this.method = request.method;
    this.bodyLimit = bodyLimit;
    const url = request.url;
    this.url = requestTarget(url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    this.headers = headers;
    this.socket = { remoteAddress, encrypted: isSecureUrl(url) };
    this.on("newListener", this.onNewListener);
  }

  /** Node's old alias of {@link FetchIncoming.socket}. */
  get connection(): FetchSocketInfo {
    return this.socket;
  }

  private readonly onNewListener = (event: string | symbol): void => {
    if (event !== "data" || this.pumping) return;
    this.pumping = true;
    this.off("newListener", this.onNewListener);
    queueMicrotask(() => void this.pump());
  };

  private async pump(): Promise<void> {
    const request = this.request;
    const length = Number(this.headers["content-length"] ?? Number.NaN);
    if (length >= 0 && length <= this.bodyLimit) {
      // HTTP/1.1 framing bounds the body to its Content-Length: read it whole
      try {
        const all = await request.arrayBuffer();
        if (this.destroyed) return;
        if (all.byteLength > 0) this.emit("data", Buffer.from(all));
        this.finish();
      } catch (e) {
        debug("request body failed: %O", e);
        this.emitClose();
      }
      return;
    }
    const body = request.body;
    if (body === null) {
      this.finish();
      return;
    }
    try {
      const reader = body.getReader();
      this.reader = reader;
      for (;;) {
        const { done, value } = await reader.read();
        if (this.destroyed) return;
        if (done) break;
        if (value !== undefined && value.byteLength > 0) {
          this.emit("data", Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        }
      }
      this.finish();
    } catch (e) {
      debug("request body failed: %O", e);
      this.emitClose();
    }
  }

  private finish(): void {
    if (this.destroyed) return;
    this.complete = true;
    this.emit("end");
    this.emitClose();
  }

  private emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit("close");
  }

  /** Stops reading the body (the answer was given without it). */
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.reader?.cancel().catch(() => {});
    this.emitClose();
    return this;
  }
}
