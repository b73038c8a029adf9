/**
 * The `ws` side of WebSocket handshakes: one `WebSocketServer` in `noServer` mode per engine, created on the
 * first upgrade, whose `headers` event adds the engine's response headers (cookie, `headers` listeners).
 */
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket as WsSocket } from "ws";
import { wsModule } from "../ws-module.js";
import { isFetchUpgrade } from "./fetch/upgrade.js";
import { acceptHttp2WebSocket, isHttp2Stream } from "./http2.js";
import type { EngineRequest, ResolvedOptions } from "./options.js";
import { takeUpgradeHeaders } from "./upgrade-response.js";
import { acceptLiteWebSocket, LiteWebSocket, liteWsEnabled } from "./ws-lite.js";

type WsEngineInstance = InstanceType<NonNullable<ResolvedOptions["wsEngine"]>>;

/** Adds the engine's headers to a handshake response (`sid`: the session being created, or ""). */
export type DecorateHeaders = (headers: OutgoingHttpHeaders, req: EngineRequest, sid: string) => void;

function ignore(): void {}

/** A server WebSocket connection: `ws`'s, or the lean one of the common case (ws-lite.ts). */
export type ServerWs = WsSocket | LiteWebSocket;

/** Closes a WebSocket that may not join a session (errors after this are ignored). */
export function refuseWs(ws: ServerWs): void {
  // a LiteWebSocket without a handler drops its errors
  if (!(ws instanceof LiteWebSocket)) ws.on("error", ignore);
  ws.close();
}

/** Runs `ws` handshakes for one engine. */
export class WsUpgrader {
  private ws: WsEngineInstance | null = null;
  /** The sid of the WebSocket handshake being completed (ws emits `headers` synchronously inside it). */
  private handshakeSid = "";
  /** Whether HTTP/1.1 handshakes without an extension to negotiate use {@link LiteWebSocket}. */
  private readonly lite: boolean;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly decorate: DecorateHeaders,
  ) {
    this.lite = opts.wsEngine === undefined && liteWsEnabled();
  }

  /**
   * Completes the WebSocket handshake of `req` on `socket`, for session `sid` (its cookie goes into the
   * response) or an existing one (""). Returns whether it completed synchronously — it does unless `ws`
   * refused (bad headers) or the connection is gone. `cb` also gets the TCP socket when `ws` runs on one this
   * engine handed it (HTTP/1.1), so the transport may write frames onto it itself.
   */
  upgrade(
    req: EngineRequest,
    socket: Duplex,
    head: Buffer,
    sid: string,
    cb: (ws: ServerWs, raw: Duplex | null) => void,
  ): boolean {
    if (isFetchUpgrade(socket)) {
      // Bun / Deno: the runtime upgrades; its socket is adapted to ws's API
      const headers = takeUpgradeHeaders(req);
      this.decorate(headers, req, sid);
      const ws = socket.accept(headers);
      if (ws === null) return false;
      cb(ws as unknown as WsSocket, null);
      return true;
    }
    if (isHttp2Stream(socket)) {
      // RFC 8441 over h2: ws's handshake is HTTP/1 only, so answer the stream here and run ws over it
      const headers = takeUpgradeHeaders(req);
      this.decorate(headers, req, sid);
      const ws = acceptHttp2WebSocket(req, socket, headers, { maxPayload: this.opts.maxHttpBufferSize });
      if (ws === null) return false;
      socket.removeListener("error", ignore);
      cb(ws, null);
      return true;
    }
    if (
      this.lite &&
      (!this.opts.perMessageDeflate || req.headers["sec-websocket-extensions"] === undefined)
    ) {
      // nothing to negotiate: ws would accept no extension either, so the lean connection answers the same
      const ws = acceptLiteWebSocket(
        req,
        socket,
        head,
        this.opts.maxHttpBufferSize,
        () => {
          const headers = takeUpgradeHeaders(req);
          this.decorate(headers, req, sid);
          return headers;
        },
        // a new session (its sid given) writes its open packet in this tick: the 101 waits for it; a probe of an
        // existing one ("") writes nothing until the client's `2probe`
        sid !== "",
      );
      if (ws === null) return false;
      // the connection has its own error listener on the TCP socket now
      socket.removeListener("error", ignore);
      cb(ws, socket);
      return true;
    }
    const wss = this.server();
    let done = false;
    this.handshakeSid = sid;
    try {
      wss.handleUpgrade(req, socket, head, (ws) => {
        done = true;
        // ws has its own error listener on the TCP socket now; one listener (not an array) per session
        socket.removeListener("error", ignore);
        cb(ws, this.opts.wsEngine === undefined ? socket : null);
      });
    } finally {
      this.handshakeSid = "";
    }
    return done;
  }

  private server(): WsEngineInstance {
    if (this.ws !== null) return this.ws;
    const Engine =
      this.opts.wsEngine ??
      (wsModule().WebSocketServer as unknown as NonNullable<ResolvedOptions["wsEngine"]>);
    const ws = new Engine({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: this.opts.perMessageDeflate,
      maxPayload: this.opts.maxHttpBufferSize,
    });
    if (typeof ws.on === "function") {
      ws.on("headers", (headersArray: string[], req: IncomingMessage) => {
        const ereq = req as EngineRequest;
        const extra = takeUpgradeHeaders(ereq);
        this.decorate(extra, ereq, this.handshakeSid);
        for (const key of Object.keys(extra)) {
          const v = extra[key];
          if (v === undefined) continue;
          if (Array.isArray(v)) for (const one of v) headersArray.push(`${key}: ${one}`);
          else headersArray.push(`${key}: ${v}`);
        }
      });
    }
    this.ws = ws;
    return ws;
  }
}

/** Swallows errors of a raw socket before `ws` takes it over (the handshake path attaches this first). */
export const ignoreSocketError = ignore;
