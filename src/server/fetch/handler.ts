/**
 * The Fetch-API face of an engine: `fetch(request, server?)` for Bun (`Bun.serve({ ...engine.handler() })`) and
 * Deno (`Deno.serve(engine.handler().fetch)`), plus Bun's `websocket` handlers and the `idleTimeout` /
 * `maxRequestBodySize` that keep Bun from dropping held long-polls and bodies the engine should judge itself.
 *
 * Requests go through the engine's own `handleRequest`/`handleUpgrade` (one verification, middleware chain,
 * session state machine and transport code for every runtime); only the I/O is adapted
 * ({@link FetchIncoming}, {@link FetchOutgoing}, {@link FetchUpgrade}).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { computePath } from "../options.js";
import { FetchIncoming } from "./incoming.js";
import { FetchOutgoing } from "./outgoing.js";
import { requestTarget, targetPath } from "./request-target.js";
import { type BunServerLike, FetchUpgrade, type UpgradeData } from "./upgrade.js";
import type { BunWebSocketLike, FetchWebSocket } from "./websocket.js";

const EMPTY = Buffer.alloc(0);

/** Bun's `ServerWebSocket` as the handlers receive it (`data` is what `server.upgrade` was given). */
export interface BunServerWebSocket extends BunWebSocketLike {
  /** The upgrade's data. */
  data: unknown;
}

/** What `Bun.serve`'s `websocket` option takes. */
export interface BunWebSocketHandler {
  open(ws: BunServerWebSocket): void;
  message(ws: BunServerWebSocket, message: string | Uint8Array): void;
  close(ws: BunServerWebSocket, code: number, reason: string): void;
  /** Largest message Bun accepts (it drops the connection above it). */
  maxPayloadLength: number;
}

/** The second argument of `fetch`: Bun's `Server`, Deno's `ServeHandlerInfo`, or nothing. */
export type FetchContext = BunServerLike | { remoteAddr?: { hostname?: string } } | undefined;

/**
 * What a Fetch handler gives back: the `Response` (or `undefined` after Bun took the request over as a
 * WebSocket) when it is known at once, else a promise of it — as `Bun.serve` and `Deno.serve` accept.
 */
export type FetchAnswer = Response | undefined | Promise<Response | undefined>;

/** What {@link Server.handler} returns: spread it into `Bun.serve`, or pass `fetch` to `Deno.serve`. */
export interface FetchHandler {
  /** Answers a Fetch request (`undefined` after Bun took it over as a WebSocket). */
  fetch(request: Request, server?: FetchContext): FetchAnswer;
  /** Bun's WebSocket handlers. */
  websocket: BunWebSocketHandler;
  /** Bun's connection idle timeout in seconds: longer than a held long-poll (`2 × pingInterval`, at most 255). */
  idleTimeout: number;
  /**
   * Bun's body limit: above `maxHttpBufferSize`, so the engine answers 413 and closes the session itself (as
   * on Node) for bodies up to twice the limit.
   */
  maxRequestBodySize: number;
}

/** The engine surface the handler drives (a {@link Server}). */
export interface FetchEngine {
  readonly opts: {
    readonly path: string;
    readonly addTrailingSlash: boolean;
    readonly maxHttpBufferSize: number;
    readonly pingInterval: number;
  };
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

function isBunServer(ctx: FetchContext): ctx is BunServerLike {
  return typeof (ctx as BunServerLike | undefined)?.upgrade === "function";
}

/**
 * Our socket on Bun's `ServerWebSocket`, set by `open`: Bun hands the same object to every handler, and an own
 * property is read from JS where `ws.data` is a getter into Bun (~4 % of a Bun-hosted echo's JS samples).
 */
const kSocket = Symbol("engineio-wasm:fetch-socket");
type TaggedBunWebSocket = BunServerWebSocket & { [kSocket]?: FetchWebSocket };

function socketOf(ws: BunServerWebSocket): FetchWebSocket | undefined {
  return (ws as TaggedBunWebSocket)[kSocket] ?? (ws.data as UpgradeData | undefined)?.socket;
}

/** Whether `request` asks for a WebSocket (`Upgrade: websocket`). */
export function isWebSocketRequest(request: Request): boolean {
  return isWebSocketUpgrade(request.headers.get("upgrade") ?? undefined);
}

function isWebSocketUpgrade(upgrade: string | undefined): boolean {
  return upgrade !== undefined && (upgrade === "websocket" || upgrade.toLowerCase() === "websocket");
}

/**
 * Answers one Fetch request with `engine` (no path check): polling and handshakes through `handleRequest`,
 * WebSockets through `handleUpgrade`.
 */
export function serveFetch(
  engine: FetchEngine,
  request: Request,
  ctx?: FetchContext,
  target?: string,
): FetchAnswer {
  const req = new FetchIncoming(request, ctx, engine.opts.maxHttpBufferSize, target);
  if (isWebSocketUpgrade(req.headers.upgrade)) {
    const upgrade = new FetchUpgrade(
      request,
      isBunServer(ctx) ? ctx : undefined,
      engine.opts.maxHttpBufferSize,
      req.socket,
    );
    engine.handleUpgrade(req as unknown as IncomingMessage, upgrade as unknown as Duplex, EMPTY);
    return upgrade.answer();
  }
  const res = new FetchOutgoing(req);
  engine.handleRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  return res.answer();
}

/** Builds the {@link FetchHandler} of `engine`; requests outside the engine path get `404`. */
export function createFetchHandler(engine: FetchEngine): FetchHandler {
  const path = computePath(engine.opts.path, engine.opts.addTrailingSlash);
  const limit = engine.opts.maxHttpBufferSize;
  return {
    fetch(request, ctx) {
      const target = requestTarget(request.url);
      if (!targetPath(target).startsWith(path)) return new Response("Not Found", { status: 404 });
      return serveFetch(engine, request, ctx, target);
    },
    websocket: {
      open(ws) {
        const socket = (ws.data as UpgradeData | undefined)?.socket;
        if (socket === undefined) return;
        (ws as TaggedBunWebSocket)[kSocket] = socket;
        socket.openBun(ws);
      },
      message(ws, message) {
        socketOf(ws)?.onRawMessage(message);
      },
      close(ws, code, reason) {
        socketOf(ws)?.onRawClose(code, reason);
      },
      // above the limit, so the engine sees the message and closes with EIO_ERR_PAYLOAD_TOO_LARGE as on Node
      // (Bun's own cut closes with 1006, no reason)
      maxPayloadLength: Math.min(Number.MAX_SAFE_INTEGER, 2 * limit + 1024),
    },
    idleTimeout: Math.min(255, Math.max(1, Math.ceil((2 * engine.opts.pingInterval) / 1000))),
    maxRequestBodySize: Math.min(Number.MAX_SAFE_INTEGER, 2 * limit + 1024),
  };
}
