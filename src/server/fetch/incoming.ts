/**
 * A Fetch-API `Request` seen as the `IncomingMessage` surface the engine reads (method, url, headers, query,
 * remote address, and the body as `data`/`end`/`close` events), so Bun and Deno requests run through the same
 * verification, middlewares, `allowRequest`, polling transport and events as Node's.
 *
 * The body is read from `request.body` only once someone listens for `data` (as Node's streams start flowing),
 * chunk by chunk, so `maxHttpBufferSize` cuts an oversized chunked body without buffering it whole.
 */

import { createDebug } from "../../debug.js";
import { kLazyRemoteAddress } from "../socket.js";
import { LiteEmitter } from "./lite-emitter.js";
import { isSecureUrl, requestTarget } from "./request-target.js";

const debug = createDebug("engine:fetch");

/** Where a Fetch request's peer address comes from: Bun's `server.requestIP`, or Deno's `info.remoteAddr`. */
export type RemoteAddressSource =
  | { requestIP?(request: Request): { address: string } | null }
  | { remoteAddr?: { hostname?: string } }
  | undefined;

/**
 * The socket-like facts of a Fetch request (what `req.socket` gives on Node). The address is read on first use:
 * Bun's `server.requestIP` formats it anew on every call (~7 % of a Bun-hosted WebSocket handshake's JS samples),
 * and most requests of a session (polls, the upgrade) never need it. Bun answers `requestIP` only while the
 * request is being handled; once it became a WebSocket, the address is the socket's.
 */
export class FetchSocketInfo {
  /** Marks this as an address a session may read later (see {@link Socket.remoteAddress}). @internal */
  readonly [kLazyRemoteAddress] = true;
  /** Whether the request came over TLS. */
  readonly encrypted: boolean;
  /** The runtime's socket once the request became a WebSocket. @internal */
  ws: { readonly remoteAddress: string } | null = null;
  private address: string | undefined = undefined;

  constructor(
    private readonly request: Request,
    private readonly source: RemoteAddressSource,
    encrypted: boolean,
  ) {
    this.encrypted = encrypted;
    // Deno's `info.remoteAddr` is a plain read, but throws once the request became a WebSocket: read it now
    if (typeof (source as { requestIP?: unknown } | undefined)?.requestIP !== "function") {
      try {
        this.address =
          (source as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname ?? "";
      } catch {
        this.address = "";
      }
    }
  }

  /** The peer's address as the runtime reports it ("" when unknown). */
  get remoteAddress(): string {
    const known = this.address;
    if (known !== undefined) return known;
    let a = this.ws?.remoteAddress ?? "";
    if (a === "") {
      // only a Bun server gets here (see the constructor)
      const src = this.source as { requestIP: (r: Request) => { address: string } | null };
      try {
        a = src.requestIP(this.request)?.address ?? "";
      } catch {
        a = "";
      }
    }
    // "" is not kept: Bun has no address between the upgrade and the socket's open
    if (a !== "") this.address = a;
    return a;
  }
}

/** Lower-cased headers as a plain object: Bun's native `toJSON()` where it exists, else one pass of `forEach`. */
function headersOf(h: Headers): Record<string, string> {
  const json = (h as Headers & { toJSON?: () => Record<string, string> }).toJSON;
  if (typeof json === "function") return json.call(h);
  const headers: Record<string, string> = {};
  h.forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
}

/** A Fetch `Request` with the `IncomingMessage` fields the engine and its middlewares use. */
export class FetchIncoming extends LiteEmitter {
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
   * @param source - where the peer address is read from on first use (Bun's server, Deno's handler info)
   * @param bodyLimit - a body announced by `Content-Length` at most this long is read in one piece
   *   (`arrayBuffer()`: one promise instead of a reader loop); longer or chunked ones are streamed
   * @param target - the request target, when the caller already read it from `request.url`
   */
  constructor(request: Request, source: RemoteAddressSource, bodyLimit = 0, target?: string) {
    super();
    this.request = request;
    this.method = request.method;
    this.bodyLimit = bodyLimit;
    const url = request.url;
    this.url = target ?? requestTarget(url);
    this.headers = headersOf(request.headers);
    this.socket = new FetchSocketInfo(request, source, isSecureUrl(url));
  }

  /** Node's old alias of {@link FetchIncoming.socket}. */
  get connection(): FetchSocketInfo {
    return this.socket;
  }

  /** The body is read once someone listens for `data`, as Node's streams start flowing. */
  protected override listening(event: string | symbol): void {
    if (event === "data") this.startPump();
  }

  private startPump(): void {
    if (this.pumping) return;
    this.pumping = true;
    queueMicrotask(() => void this.pump());
  }

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
