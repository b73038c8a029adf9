/**
 * What a session keeps of its handshake request. A Node `IncomingMessage` costs about 1.15 KB of heap (its stream
 * state, raw header arrays, parser leftovers) and would live as long as the session; idle WebSocket sessions are
 * mostly this object. Once the handshake is answered the session keeps a {@link SessionRequest} instead: what
 * socket.io and middleware read later (`headers`, `url`, `method`, `httpVersion`, `socket`/`connection` and so the
 * remote address and `encrypted`, `_query`) and every property a middleware or `allowRequest` added (`req.session`,
 * `req.user`, …), copied by reference.
 */
import { IncomingMessage } from "node:http";
import type { Socket as NetSocket } from "node:net";
import type { EngineRequest } from "./options.js";

/** Own keys of a fresh `IncomingMessage` (Node's own state, not copied) plus the engine's `res`. */
let ownKeys: Set<string> | null = null;
function incomingKeys(): Set<string> {
  if (ownKeys === null) {
    ownKeys = new Set(Object.keys(new IncomingMessage(null as unknown as NetSocket)));
    for (const k of [
      "res",
      "_query",
      "headers",
      "trailers",
      "rawHeaders",
      "_events",
      "_eventsCount",
      "_maxListeners",
    ])
      ownKeys.add(k);
  }
  return ownKeys;
}

/** The slim request a session keeps (see the module comment); shaped like the `IncomingMessage` it replaces. */
export class SessionRequest {
  /** Request method of the handshake (`GET`). */
  method: string | undefined;
  /** Request URL of the handshake. */
  url: string | undefined;
  /** Request headers (the same object the `IncomingMessage` had). */
  headers: IncomingMessage["headers"];
  /** HTTP version of the handshake (`1.1`). */
  httpVersion: string;
  /** Parsed query string. */
  _query: Record<string, string>;
  /** The connection the handshake came on (for WebSocket sessions: the one the session runs on). */
  socket: NetSocket;
  [extra: string]: unknown;

  /** @param req - the handshake request, after middlewares, `allowRequest` and `connect` handlers ran */
  constructor(req: EngineRequest) {
    this.method = req.method;
    this.url = req.url;
    this.headers = req.headers;
    this.httpVersion = req.httpVersion;
    this._query = req._query;
    this.socket = req.socket;
    const skip = incomingKeys();
    for (const key of Object.keys(req)) {
      if (!skip.has(key)) this[key] = (req as unknown as Record<string, unknown>)[key];
    }
  }

  /** Alias of {@link SessionRequest.socket} (`req.connection`, deprecated in Node but read by socket.io). */
  get connection(): NetSocket {
    return this.socket;
  }

  /** `httpVersion`'s major number. */
  get httpVersionMajor(): number {
    return Number(this.httpVersion.split(".")[0]);
  }

  /** `httpVersion`'s minor number. */
  get httpVersionMinor(): number {
    return Number(this.httpVersion.split(".")[1] ?? 0);
  }

  /** Header names and values, alternating, rebuilt from {@link SessionRequest.headers} (names lower-cased). */
  get rawHeaders(): string[] {
    const out: string[] = [];
    for (const [k, v] of Object.entries(this.headers)) {
      if (Array.isArray(v)) for (const one of v) out.push(k, one);
      else if (v !== undefined) out.push(k, v);
    }
    return out;
  }
}

/**
 * The object a session keeps as its `request`: a {@link SessionRequest} for a Node HTTP/1 `IncomingMessage`, else
 * the request itself (HTTP/2 and Fetch-API requests are already small wrappers).
 */
export function sessionRequest(req: EngineRequest): EngineRequest {
  if (!(req instanceof IncomingMessage)) return req;
  return new SessionRequest(req) as unknown as EngineRequest;
}
