/**
 * What a transport reports to its owner (the session's {@link Socket}); transports do I/O only and call these
 * methods directly instead of emitting events, so no closures are allocated per socket or per message.
 */

import type { EioError } from "../../protocol/errors.js";
import type { Packet } from "../../protocol/packet.js";

/**
 * Set (to `true`) on a response object that takes a string body as it is and encodes it itself (the Fetch
 * adapter's, whose `Response` does it natively): the polling transport then hands text-only payloads over as
 * the string, without encoding them to bytes first.
 */
export const kTextBody = Symbol.for("engineio-wasm:text-body");

/** The common face of the polling and WebSocket transports. */
export interface ServerTransport {
  /** Transport name. */
  readonly name: "polling" | "websocket";
  /** Whether {@link ServerTransport.send} may be called now (polling: a GET is pending). */
  writable: boolean;
  /** Whether the peer takes binary (no `b64=1` in the query). */
  readonly supportsBinary: boolean;
  /** `open` → `closing` → `closed`. */
  readyState: "open" | "closing" | "closed";
  /** Outgoing bytes accepted but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** The session id once attached. */
  sid: string;
  /** Whether the transport is being dropped after an upgrade (close without a close packet). */
  discarded: boolean;
  /**
   * Whether the peer ended the session with a close packet (`1`) rather than by dropping the connection:
   * python-engineio's `client disconnect` versus `transport close` (engine.io names both `transport close`).
   */
  closePacket: boolean;
  /** Receiver of packets and lifecycle notifications. */
  owner: TransportOwner | null;
  /**
   * Whether {@link ServerTransport.sendMessage} writes at once (WebSocket), so the session may skip its write
   * buffer; a polling transport answers one GET per flush instead.
   */
  readonly writesDirectly: boolean;
  /** Writes packets (polling: one response; WebSocket: one frame each). */
  send(packets: Packet[], wantDrain: boolean): void;
  /**
   * Writes one message without a packet object (the session's hot path when {@link writesDirectly}); `opts`
   * carries `compress` and socket.io's `wsPreEncodedFrame`. `wantDrain`: report `onTransportDrain` once written.
   */
  sendMessage(data: string | Uint8Array, opts: Packet["options"], wantDrain: boolean): void;
  /**
   * Ends a pending long-poll with a `noop` so the client can pause polling (upgrade, close); no-op for
   * transports without one.
   */
  releasePoll(): void;
  /** Closes the transport; `fn` runs once it is closed. */
  close(fn?: () => void): void;
  /** Marks the transport as discarded (upgrade). */
  discard(): void;
}

/** Receives a transport's packets and lifecycle notifications. */
export interface TransportOwner {
  /** One decoded packet from `t`. */
  onTransportPacket(t: ServerTransport, packet: Packet): void;
  /** One message from `t` (the same as a `message` packet, without the packet object). */
  onTransportMessage(t: ServerTransport, data: string | Buffer): void;
  /** `t` failed; the session should close with `transport error`. */
  onTransportError(t: ServerTransport, err: EioError): void;
  /** `t` closed (by the peer, or after `close()`). */
  onTransportClose(t: ServerTransport): void;
  /** `t` became writable (polling: a GET arrived). */
  onTransportReady(t: ServerTransport): void;
  /** What `t` was given has been written out. */
  onTransportDrain(t: ServerTransport): void;
}
