/**
 * The base of the client transports: a small ready-state machine (`opening` → `open` → `closed`, plus
 * `pausing`/`paused` for the polling side of an upgrade) that moves packets and reports what happened as
 * events. Transports never throw across I/O: failures become `error` events carrying a {@link TransportError}.
 */

import type { Codec } from "../codec/types.js";
import type { Packet } from "../protocol/packet.js";
import type { CookieJar } from "./cookies.js";
import { Emitter } from "./emitter.js";
import type { TransportError } from "./errors.js";
import type { BinaryType, ResolvedOptions, TransportName } from "./options.js";
import type { Platform } from "./platform-types.js";

/** Why a transport closed. */
export interface CloseDetails {
  /** Human-readable description. */
  description: string;
  /** The underlying close event or error, if any. */
  context?: unknown;
  /** The server ended the session with a close packet (python-engineio's `server disconnect`). */
  closePacket?: true;
}

/** Events of a {@link Transport}. */
export type TransportEvents = {
  open: [];
  close: [details?: CloseDetails];
  error: [err: TransportError];
  packet: [packet: Packet];
  drain: [];
  poll: [];
  pollComplete: [];
};

/** What a transport needs from the socket that owns it. */
export interface TransportHost {
  /** The codec of this client (the `codec` option, or the shared default). */
  readonly codec: Codec;
  /** The platform services (Node or browser). */
  readonly platform: Platform;
  /** Cookie jar (Node with `withCredentials`). */
  readonly cookieJar: CookieJar | undefined;
  /** How binary messages are delivered. */
  readonly binaryType: BinaryType;
}

/** Ready states of a transport. */
export type TransportState = "opening" | "open" | "pausing" | "paused" | "closed";

/** A client transport. */
export abstract class Transport extends Emitter<TransportEvents> {
  /** Transport name, as in the `transport` query parameter. */
  abstract readonly name: TransportName;
  /** Ready state. */
  readyState: TransportState | undefined;
  /** Whether {@link Transport.send} may be called now (false while a write is in flight). */
  writable = false;
  /** Query parameters of every request (EIO, transport, sid, user query). */
  readonly query: Record<string, string>;
  /** Resolved socket options, with this transport's `transportOptions` applied. */
  readonly opts: ResolvedOptions;
  /** The owning socket. */
  protected readonly host: TransportHost;
  /** False with `forceBase64`: binary travels as `b`+base64 text. */
  readonly supportsBinary: boolean;

  constructor(opts: ResolvedOptions, query: Record<string, string>, host: TransportHost) {
    super();
    this.opts = opts;
    this.query = query;
    this.host = host;
    this.supportsBinary = !opts.forceBase64;
  }

  /** Starts opening. */
  open(): this {
    this.readyState = "opening";
    this.doOpen();
    return this;
  }

  /** Closes (politely where the transport can). */
  close(): this {
    if (this.readyState === "opening" || this.readyState === "open") {
      this.doClose();
      this.onClose({ description: "closed by the client" });
    }
    return this;
  }

  /** Writes packets if open (silently dropped otherwise, e.g. after a silent close on `beforeunload`). */
  send(packets: Packet[]): void {
    if (this.readyState === "open") this.write(packets);
  }

  /** Pauses the transport for an upgrade; `onPause` runs when no request is in flight. */
  pause(onPause: () => void): void {
    onPause();
  }

  /** The headers every request carries: `extraHeaders` and, in Node, the cookie jar's cookies. */
  protected requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = { ...(this.opts.extraHeaders ?? {}) };
    const cookie = this.host.cookieJar?.header();
    if (cookie !== undefined) headers.cookie = headers.cookie ? `${headers.cookie}; ${cookie}` : cookie;
    return headers;
  }

  /** Marks the transport open and writable; emits `open`. */
  protected onOpen(): void {
    this.readyState = "open";
    this.writable = true;
    this.emit("open");
  }

  /** Hands one decoded packet to the socket. */
  protected onPacket(packet: Packet): void {
    this.emit("packet", packet);
  }

  /** Reports a failure (the socket decides what it means). */
  protected onError(err: TransportError): void {
    this.emit("error", err);
  }

  /** Marks the transport closed; emits `close`. */
  protected onClose(details?: CloseDetails): void {
    this.readyState = "closed";
    this.writable = false;
    this.emit("close", details);
  }

  /** Starts the transport's I/O. */
  protected abstract doOpen(): void;
  /** Stops the transport's I/O (saying goodbye where it can). */
  protected abstract doClose(): void;
  /** Writes packets; emits `drain` once they are written. */
  protected abstract write(packets: Packet[]): void;
}
