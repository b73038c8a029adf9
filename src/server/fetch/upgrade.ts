/**
 * The "socket" of a WebSocket request on a Fetch-API runtime: what the engine's upgrade path holds where Node
 * gives a TCP `Duplex`. `accept` performs the runtime's upgrade (Bun's `server.upgrade`, Deno's
 * `Deno.upgradeWebSocket`) and returns the {@link FetchWebSocket} at once; `reject` answers with a status and a
 * body, as `abortUpgrade` writes a raw HTTP answer on Node.
 */

import type { OutgoingHttpHeaders } from "node:http";
import { createDebug } from "../../debug.js";
import type { FetchSocketInfo } from "./incoming.js";
import { LiteEmitter } from "./lite-emitter.js";
import { toFetchHeaders } from "./outgoing.js";
import { FetchWebSocket, type StandardWebSocketLike } from "./websocket.js";

const debug = createDebug("engine:fetch");

/** The part of Bun's `Server` the handler uses (the second argument of `fetch`). */
export interface BunServerLike {
  upgrade(request: Request, options: { headers?: Headers; data?: unknown }): boolean;
  requestIP?(request: Request): { address: string } | null;
}

/** What Bun's `websocket.open(ws)` finds in `ws.data`. */
export interface UpgradeData {
  /** The engine-side socket waiting for the runtime's. */
  socket: FetchWebSocket;
}

type DenoLike = {
  upgradeWebSocket(request: Request): { socket: StandardWebSocketLike; response: Response };
};

const kFetchUpgrade = Symbol.for("engineio-wasm:fetch-upgrade");

/** Whether `socket` is a {@link FetchUpgrade} (the engine's upgrade path then answers through it). */
export function isFetchUpgrade(socket: unknown): socket is FetchUpgrade {
  return typeof socket === "object" && socket !== null && kFetchUpgrade in socket;
}

function hasHeaders(headers: OutgoingHttpHeaders): boolean {
  for (const key in headers) if (headers[key] !== undefined) return true;
  return false;
}

/** A pending WebSocket request on a Fetch runtime. */
export class FetchUpgrade extends LiteEmitter {
  /** Marker for {@link isFetchUpgrade}. */
  readonly [kFetchUpgrade] = true;
  /** Whether it was answered or dropped. */
  destroyed = false;
  /** Node's `Duplex.writable` (an answer may still be given). */
  writable = true;
  /** The answer once given: a `Response`, or `undefined` after Bun's `server.upgrade` took the request. */
  private result: Response | undefined = undefined;
  private resolve: ((r: Response | undefined) => void) | null = null;

  constructor(
    private readonly request: Request,
    private readonly bun: BunServerLike | undefined,
    private readonly maxPayload: number,
    private readonly info: FetchSocketInfo | null = null,
  ) {
    super();
  }

  /**
   * What the Fetch handler returns: the answer itself when it was given before the handler returned (Bun's
   * upgrade is synchronous), else a promise of it (a middleware or `allowRequest` still deciding).
   */
  answer(): Response | undefined | Promise<Response | undefined> {
    if (this.destroyed) return this.result;
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** Upgrades with `headers` added to the 101 answer; `null` (after answering 400) when the runtime refused. */
  accept(headers: OutgoingHttpHeaders): FetchWebSocket | null {
    if (this.destroyed) return null;
    const socket = new FetchWebSocket(this.maxPayload);
    // the request's address is gone once Bun upgraded it: the session asks the socket instead
    if (this.info !== null) this.info.ws = socket;
    const bun = this.bun;
    if (bun !== undefined) {
      const data: UpgradeData = { socket };
      // (no `headers` at all when the engine adds none: the usual WebSocket-only handshake)
      const extra = hasHeaders(headers) ? { headers: toFetchHeaders(headers), data } : { data };
      if (!bun.upgrade(this.request, extra)) {
        this.reject(400, "Bad Request", "text/html");
        return null;
      }
      this.settle(undefined);
      return socket;
    }
    const deno = (globalThis as { Deno?: Partial<DenoLike> }).Deno;
    if (typeof deno?.upgradeWebSocket !== "function") {
      this.reject(400, "WebSocket upgrades are not supported by this runtime", "text/html");
      return null;
    }
    let upgraded: ReturnType<DenoLike["upgradeWebSocket"]>;
    try {
      upgraded = deno.upgradeWebSocket(this.request);
    } catch (e) {
      debug("Deno.upgradeWebSocket failed: %O", e);
      this.reject(400, "Bad Request", "text/html");
      return null;
    }
    toFetchHeaders(headers).forEach((value, key) => {
      try {
        upgraded.response.headers.append(key, value);
      } catch {
        debug("cannot add header %s to the upgrade response", key);
      }
    });
    socket.attachStandard(upgraded.socket);
    this.settle(upgraded.response);
    return socket;
  }

  /** Answers with an error status and body. */
  reject(status: number, message: string, contentType: string): void {
    this.settle(new Response(message, { status, headers: { "content-type": contentType } }));
  }

  private settle(r: Response | undefined): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writable = false;
    this.result = r;
    const resolve = this.resolve;
    if (resolve !== null) {
      this.resolve = null;
      resolve(r);
    }
    this.emit("close");
  }

  /** Drops the request (a middleware ended it, or the engine gave up): answered 400 if not answered yet. */
  destroy(): this {
    this.settle(new Response(null, { status: 400 }));
    return this;
  }
}
