/**
 * A stand-in for `http.ServerResponse` so Express-style middlewares (e.g. `cors`) can run on upgrade requests:
 * headers they set are kept on the request and written into the WebSocket handshake response (ws `headers`
 * event); `end()` refuses the upgrade by destroying the socket, as engine.io's `WebSocketResponse`.
 */
import { EventEmitter } from "node:events";
import type { OutgoingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import type { EngineRequest } from "./options.js";

const kHeaders = Symbol("engineio-wasm:upgrade-headers");
type WithHeaders = EngineRequest & { [kHeaders]?: OutgoingHttpHeaders };

/** Returns (and forgets) the headers middlewares set for an upgrade request. */
export function takeUpgradeHeaders(req: EngineRequest): OutgoingHttpHeaders {
  const r = req as WithHeaders;
  const h = r[kHeaders] ?? {};
  r[kHeaders] = undefined;
  return h;
}

/** The minimal `ServerResponse` surface middlewares use. */
export class UpgradeResponse extends EventEmitter {
  /** Always 200 until `end()`. */
  statusCode = 200;
  /** Whether `end()` was called. */
  headersSent = false;
  constructor(
    readonly req: EngineRequest,
    readonly socket: Duplex,
  ) {
    super();
    (req as WithHeaders)[kHeaders] = {};
    socket.once("close", () => this.emit("close"));
  }
  /** Stores a header for the handshake response. */
  setHeader(name: string, value: number | string | readonly string[]): this {
    const h = (this.req as WithHeaders)[kHeaders];
    if (h) h[name] = value as OutgoingHttpHeaders[string];
    return this;
  }
  /** Reads a stored header. */
  getHeader(name: string): OutgoingHttpHeaders[string] {
    return (this.req as WithHeaders)[kHeaders]?.[name];
  }
  /** Removes a stored header. */
  removeHeader(name: string): void {
    const h = (this.req as WithHeaders)[kHeaders];
    if (h) delete h[name];
  }
  /** Ignored. */
  write(): boolean {
    return true;
  }
  /** Ignored. */
  writeHead(): this {
    return this;
  }
  /** Refuses the upgrade. */
  end(): this {
    this.headersSent = true;
    this.emit("finish");
    this.socket.destroy();
    return this;
  }
}
