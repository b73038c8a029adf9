/**
 * The `ServerResponse` surface the engine and its middlewares write (`statusCode`, `setHeader`, `writeHead`,
 * `write`, `end`, `finish`/`close` events), turned into one Fetch `Response`: {@link FetchOutgoing.answer} is the
 * `Response` itself when `end()` ran before the handler returned, else a promise of it. A held long-poll is a
 * pending promise; when the runtime reports the client gone (`request.signal`) before the answer, `close` is
 * emitted as Node's `ServerResponse` does.
 */

import type { OutgoingHttpHeaders } from "node:http";
import { kTextBody } from "../transports/types.js";
import type { FetchIncoming } from "./incoming.js";
import { LiteEmitter } from "./lite-emitter.js";

type HeaderValue = number | string | readonly string[];

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

function toBytes(chunk: unknown): Uint8Array {
  if (typeof chunk === "string") return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return Buffer.from(String(chunk));
}

/**
 * Lower-cased header names, remembered: the engine sets the same few names on every answer, and a fresh
 * `toLowerCase()` per header was ~2 % of a Bun-hosted poll (a lookup is ~6 ns, the conversion ~27 ns there).
 * Bounded, so names made up per request cannot grow it.
 */
const lowerNames: Record<string, string> = Object.create(null);
let lowerCount = 0;
function lowerName(name: string): string {
  const hit = lowerNames[name];
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  if (lowerCount < 256) {
    lowerNames[name] = lower;
    lowerCount++;
  }
  return lower;
}

/**
 * Node-style headers as a Fetch `HeadersInit`: a plain object when every value is single (the runtime copies it
 * natively, cheaper than a `Headers.set` from JS per header), else name/value pairs (arrays become repeated
 * headers, e.g. `Set-Cookie`).
 */
export function toHeadersInit(headers: Record<string, HeaderValue | undefined>): HeadersInit {
  let plain: Record<string, string> | null = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      plain = null;
      break;
    }
    plain[key] = typeof value === "string" ? value : String(value);
  }
  if (plain !== null) return plain;
  const pairs: [string, string][] = [];
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) pairs.push([key, String(one)]);
    else pairs.push([key, String(value)]);
  }
  return pairs;
}

/** Builds Fetch `Headers` from Node-style headers (arrays become repeated headers, e.g. `Set-Cookie`). */
export function toFetchHeaders(
  headers: OutgoingHttpHeaders | Record<string, HeaderValue | undefined>,
): Headers {
  const out = new Headers();
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) out.append(key, String(one));
    else out.set(key, String(value));
  }
  return out;
}

/** One Fetch answer written through the `ServerResponse` API. */
export class FetchOutgoing extends LiteEmitter {
  /** Status of the answer. */
  statusCode = 200;
  /** Set once `writeHead`/`write`/`end` ran. */
  headersSent = false;
  /** Set once `end` ran. */
  writableEnded = false;
  /** Set once `end` ran (the Response is handed over at once). */
  writableFinished = false;
  /** Nothing is queued in user space: the body is handed over whole. */
  readonly writableLength = 0;
  /** The request being answered. */
  readonly req: FetchIncoming;
  /** The answer once `end()` ran. */
  private result: Response | null = null;
  /** Resolves the promise handed out by {@link FetchOutgoing.answer} while the answer was pending. */
  private resolve: ((r: Response) => void) | null = null;
  private readonly headerMap: Record<string, HeaderValue> = Object.create(null);
  /** Body chunks; strings stay strings (the `Response` encodes a lone one itself). */
  private chunks: (Uint8Array | string)[] = [];
  /** Set by {@link FetchOutgoing.answer}: from then on a `close` listener watches at once. */
  private returned = false;
  /** Whether `request.signal` is watched. */
  private watching = false;

  constructor(req: FetchIncoming) {
    super();
    this.req = req;
  }

  /**
   * What the Fetch handler returns: the `Response` when it is already known (a handshake, a poll that found
   * packets, a POST read whole), which the runtime takes without a promise to settle, else a promise of it.
   */
  answer(): Response | Promise<Response> {
    this.returned = true;
    if (this.result !== null) return this.result;
    if (this.listenerCount("close") > 0) this.watchAbort();
    return new Promise<Response>((resolve) => {
      this.resolve = resolve;
    });
  }

  private settle(r: Response): void {
    this.result = r;
    const resolve = this.resolve;
    if (resolve !== null) {
      this.resolve = null;
      resolve(r);
    }
  }

  /**
   * Watches `request.signal` for a request still unanswered when the handler's synchronous part is over (its
   * {@link FetchOutgoing.answer}) and that someone listens for `close` on (the polling transport, for a GET it
   * holds): the handshake's GET and a poll that finds packets waiting are answered before that, and on Bun
   * reading `signal` and adding and removing its listener was ~5 % of a polling request's JS samples. The
   * listener is never removed: the signal lives as long as the request, Bun does not abort it after an answer
   * (and {@link handleEvent} ignores an abort after the answer), and the removal was another ~2 % of a
   * Bun-hosted handshake.
   * Deno 2.9 aborts `request.signal` after every successful response too, and warns once it is read (its
   * "legacy abort"): there a dropped long-poll is noticed by the heartbeat instead.
   */
  private watchAbort(): void {
    if (this.watching || this.writableEnded || isDeno) return;
    this.watching = true;
    const signal = this.req.request.signal;
    if (signal !== undefined && !signal.aborted) signal.addEventListener("abort", this);
  }

  /** A `close` listener makes an answer that is still pending after the handler returned watch the client. */
  protected override listening(event: string | symbol): void {
    if (event === "close" && this.returned) this.watchAbort();
  }

  /** @internal The client went away (`request.signal` aborted): emitted as `close`, as Node's response does. */
  handleEvent(): void {
    if (this.writableEnded) return;
    this.writableEnded = true;
    this.settle(new Response(null, { status: 499 }));
    this.emit("close");
  }

  /** Sets a response header. */
  setHeader(name: string, value: HeaderValue): this {
    this.headerMap[lowerName(name)] = value;
    return this;
  }

  /** Reads a response header. */
  getHeader(name: string): HeaderValue | undefined {
    return this.headerMap[lowerName(name)];
  }

  /** Whether a header is set. */
  hasHeader(name: string): boolean {
    return lowerName(name) in this.headerMap;
  }

  /** Removes a response header. */
  removeHeader(name: string): void {
    delete this.headerMap[lowerName(name)];
  }

  /** Every header set so far. */
  getHeaders(): Record<string, HeaderValue> {
    return { ...this.headerMap };
  }

  /** Sets the status and merges `headers` (Node's `writeHead(status[, message][, headers])`). */
  writeHead(
    status: number,
    messageOrHeaders?: string | OutgoingHttpHeaders,
    headers?: OutgoingHttpHeaders,
  ): this {
    this.statusCode = status;
    const h = typeof messageOrHeaders === "string" ? headers : messageOrHeaders;
    if (h) {
      for (const key of Object.keys(h)) {
        const v = h[key];
        if (v !== undefined) this.setHeader(key, v);
      }
    }
    this.headersSent = true;
    return this;
  }

  /** Appends body bytes. */
  write(chunk: unknown): boolean {
    if (this.writableEnded) return false;
    this.headersSent = true;
    this.chunks.push(typeof chunk === "string" ? chunk : toBytes(chunk));
    return true;
  }

  /** Ends the answer: settles {@link FetchOutgoing.answer}, then emits `finish` and `close`. */
  end(chunk?: unknown, _encoding?: unknown, cb?: () => void): this {
    if (this.writableEnded) return this;
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") this.write(chunk);
    this.writableEnded = this.writableFinished = this.headersSent = true;
    const status = this.statusCode;
    const noBody = status === 204 || status === 304 || this.req.method === "HEAD";
    let body: Uint8Array | string | null = null;
    if (!noBody) {
      const chunks = this.chunks;
      body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks.map(toBytes));
    }
    this.chunks = [];
    this.settle(new Response(body as BodyInit | null, { status, headers: toHeadersInit(this.headerMap) }));
    this.emit("finish");
    this.emit("close");
    if (typeof chunk === "function") (chunk as () => void)();
    else cb?.();
    return this;
  }
}

// string bodies are encoded by the `Response` itself (see kTextBody)
(FetchOutgoing.prototype as unknown as { [kTextBody]: boolean })[kTextBody] = true;
