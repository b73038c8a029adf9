/**
 * HTTP/2 plumbing: WebSocket over an h2 stream (RFC 8441 extended CONNECT) and the `connect` listener that
 * routes such requests to the engine.
 *
 * Node's `http2` compatibility API hands an extended CONNECT (`:method CONNECT`, `:protocol websocket`) to the
 * server's `connect` event as `(Http2ServerRequest, Http2ServerResponse)` and answers `405` when nobody listens.
 * The stream itself is a `Duplex` carrying WebSocket frames once answered `:status 200` (RFC 8441 §5), so `ws`
 * runs over it unchanged: a server-side `WebSocket` (constructed with a `null` address) and `setSocket(stream)`,
 * which `ws` documents as working on "just a Duplex" (lib/websocket.js).
 *
 * With `allowHTTP1`, HTTP/1.1 `CONNECT` requests reach the same event as `(IncomingMessage, Socket, head)`.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Http2ServerResponse, ServerHttp2Stream } from "node:http2";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { createDebug } from "../debug.js";
import { wsModule } from "../ws-module.js";

const debug = createDebug("engine:http2");

const EMPTY = Buffer.alloc(0);

/** Headers that HTTP/2 forbids (RFC 9113 §8.2.2); Node throws or warns on them. */
const CONNECTION_HEADERS = new Set([
  "connection",
  "upgrade",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
]);

/** Whether `req` arrived on an HTTP/2 stream (an `Http2ServerRequest`). */
export function isHttp2Request(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/** Whether `socket` is an HTTP/2 server stream (what the engine gets as the "socket" of an h2 WebSocket). */
export function isHttp2Stream(socket: Duplex): socket is ServerHttp2Stream {
  return typeof (socket as Partial<ServerHttp2Stream>).respond === "function";
}

/** HTTP/1 `Connection: close`, nothing on HTTP/2 (the header is forbidden there: Node drops it with a warning). */
export function connectionClose(req: IncomingMessage | null | undefined): OutgoingHttpHeaders {
  return req != null && isHttp2Request(req) ? {} : { Connection: "close" };
}

/** Copies `headers` lower-cased, without the connection-specific ones, for `stream.respond`. */
function h2Headers(status: number, headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ":status": status };
  for (const key of Object.keys(headers)) {
    const name = key.toLowerCase();
    const value = headers[key];
    if (value === undefined || CONNECTION_HEADERS.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Answers an h2 WebSocket request with an error status and body, then ends the stream. */
export function abortHttp2Stream(
  stream: ServerHttp2Stream,
  status: number,
  message: string,
  contentType: string,
): void {
  if (stream.destroyed || stream.closed) return;
  try {
    if (!stream.headersSent) {
      stream.respond({
        ":status": status,
        "content-type": contentType,
        "content-length": Buffer.byteLength(message),
      });
    }
    stream.end(message);
  } catch (e) {
    debug("could not answer the stream: %O", e);
    stream.destroy();
  }
}

/** What {@link acceptHttp2WebSocket} needs. */
export interface Http2WebSocketOptions {
  /** Largest accepted frame (`maxHttpBufferSize`). */
  maxPayload: number;
}

/**
 * Completes an RFC 8441 WebSocket handshake on `stream`: checks `sec-websocket-version`, answers `:status 200`
 * with `headers`, and returns a `ws` socket running over the stream, or `null` after answering 400.
 * permessage-deflate is not negotiated over h2 (the offer is declined by omitting the extension, RFC 7692 §5).
 */
export function acceptHttp2WebSocket(
  req: IncomingMessage,
  stream: ServerHttp2Stream,
  headers: OutgoingHttpHeaders,
  opts: Http2WebSocketOptions,
): WebSocket | null {
  if (req.method !== "CONNECT" || req.headers[":protocol"] !== "websocket") {
    abortHttp2Stream(stream, 400, "Bad Request", "text/html");
    return null;
  }
  if (req.headers["sec-websocket-version"] !== "13") {
    // RFC 6455 §4.4: tell the client which version we speak
    if (!stream.destroyed && !stream.headersSent) {
      stream.respond({ ":status": 400, "sec-websocket-version": "13", "content-length": 0 });
      stream.end();
    }
    return null;
  }
  if (stream.destroyed || stream.closed) return null;
  stream.respond(h2Headers(200, headers));
  // ws's server-side constructor path: `null` address, then the options WebSocketServer would pass
  const ws = new (wsModule().WebSocket)(null as unknown as string, undefined, { autoPong: true });
  (ws as unknown as WithSetSocket).setSocket(stream, EMPTY, {
    allowSynchronousEvents: true,
    maxPayload: opts.maxPayload,
    skipUTF8Validation: false,
  });
  debug("websocket over h2 stream %d", stream.id);
  return ws;
}

type WithSetSocket = {
  setSocket(
    socket: Duplex,
    head: Buffer,
    opts: { allowSynchronousEvents: boolean; maxPayload: number; skipUTF8Validation: boolean },
  ): void;
};

/** A `connect` event listener of an `http2` server (either signature). */
type ConnectListener = (
  req: IncomingMessage,
  resOrSocket: Http2ServerResponse | Duplex,
  head?: Buffer,
) => void;

function ignore(): void {}

/**
 * Builds the `connect` listener that sends extended CONNECTs for `accepts(req)` to `onWebSocket(req, stream)`
 * and everything else to `previous` listeners (or the default: `405` on h2, a destroyed socket on HTTP/1).
 */
export function http2ConnectListener(
  accepts: (req: IncomingMessage) => boolean,
  onWebSocket: (req: IncomingMessage, stream: ServerHttp2Stream, head: Buffer) => void,
  previous: readonly ConnectListener[],
  self: unknown,
): ConnectListener {
  return (req, resOrSocket, head) => {
    const h2 = isHttp2Request(req);
    if (h2 && req.headers[":protocol"] !== undefined && accepts(req)) {
      const stream = (resOrSocket as Http2ServerResponse).stream;
      onWebSocket(req, stream, EMPTY);
      return;
    }
    if (previous.length > 0) {
      for (const l of previous) l.call(self, req, resOrSocket, head);
      return;
    }
    if (h2) {
      const res = resOrSocket as Http2ServerResponse;
      res.statusCode = 405;
      res.end();
    } else {
      const socket = resOrSocket as Duplex;
      socket.on("error", ignore);
      socket.destroy();
    }
  };
}

/** The sessions of an http2 server, so a shutdown can end them (http2 servers have no `closeAllConnections`). */
export function trackHttp2Sessions(server: {
  on(event: "session", fn: (s: import("node:http2").ServerHttp2Session) => void): unknown;
}): Set<import("node:http2").ServerHttp2Session> {
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  return sessions;
}
