/**
 * One Engine.IO session on the server: the ready-state machine, the heartbeat (through the server's shared
 * deadline queues), the write buffer with its byte bound, and the polling → WebSocket upgrade.
 *
 * Hot path: a message sent on an open WebSocket session with nothing buffered goes straight to `ws.send` without
 * building a packet object, unless someone listens to `packetCreate`/`flush`.
 */
import { EventEmitter } from "node:events";
import { createDebug } from "../debug.js";
import { createError, type EioError } from "../protocol/errors.js";
import { socketMessage } from "../protocol/message.js";
import type { ServerCloseReason } from "../protocol/names.js";
import type { BinaryData, Packet, RawData } from "../protocol/packet.js";
import type { DeadlineNode, DeadlineQueue } from "./deadline-queue.js";
import { openPacketData } from "./open-packet.js";
import type { EngineRequest } from "./options.js";
import { sessionRequest } from "./session-request.js";
import type { ServerTransport, TransportOwner } from "./transports/types.js";

const debug = createDebug("engine:socket");

/** States of a server socket. */
export type SocketReadyState = "opening" | "open" | "closing" | "closed";

export type { ServerCloseReason } from "../protocol/names.js";

/** What `send`/`write` accept. */
export type SendData = string | BinaryData;

/** Options of `send`/`write`. Unknown options (e.g. socket.io's `wsPreEncodedFrame`) are passed along. */
export interface SendOptions {
  /**
   * Whether the message may be compressed (permessage-deflate / HTTP compression).
   * @default true
   */
  compress?: boolean;
  /** socket.io's pre-built WebSocket frame (written as is when permessage-deflate is off). */
  wsPreEncodedFrame?: unknown;
  [option: string]: unknown;
}

/** Called once the message was written out; receives the transport. */
export type SendCallback = (transport: ServerTransport) => void;

/** Events of a server {@link Socket}. */
export interface SocketEvents {
  /** The handshake completed. */
  open: [];
  /** A message arrived (text, or a `Buffer`). */
  message: [data: string | Buffer];
  /** Same as `message` (engine.io emits both; socket.io listens to `data`). */
  data: [data: string | Buffer];
  /** Any packet arrived. */
  packet: [packet: Packet];
  /** A packet is about to be buffered for sending. */
  packetCreate: [packet: Packet];
  /** A pong arrived. */
  heartbeat: [];
  /** The write buffer is about to be handed to the transport. */
  flush: [packets: Packet[]];
  /** Everything buffered was written out (`bufferedAmount` back to 0). */
  drain: [];
  /** A WebSocket probe succeeded; the upgrade is under way. */
  upgrading: [transport: ServerTransport];
  /** The session now runs on the new transport. */
  upgrade: [transport: ServerTransport];
  /** Declared for engine.io compatibility; transport errors are reported through `close` instead. */
  error: [err: Error];
  /** The session ended. `description` is an {@link EioError} for errors (e.g. `EIO_ERR_PAYLOAD_TOO_LARGE`). */
  close: [reason: ServerCloseReason, description?: EioError];
}

/** What a socket needs from its server. */
export interface SocketHost {
  readonly pingQueue: DeadlineQueue<Socket>;
  readonly pongQueue: DeadlineQueue<Socket>;
  readonly opts: {
    readonly pingInterval: number;
    readonly pingTimeout: number;
    readonly upgradeTimeout: number;
    readonly maxBufferedBytes: number;
    readonly maxHttpBufferSize: number;
    readonly initialPacket: string | Uint8Array | undefined;
  };
  upgradesFor(transport: ServerTransport): string[];
  /** @internal */ onSocketMessage(socket: Socket, data: string | Buffer): void;
  /** @internal */ onSocketClose(socket: Socket, reason: ServerCloseReason, description?: EioError): void;
  /** @internal */ onSocketFlush(socket: Socket, packets: Packet[]): void;
  /** @internal */ onSocketDrain(socket: Socket): void;
  /** @internal */ readonly hasFlushListeners: boolean;
  /** @internal */ readonly hasDrainListeners: boolean;
}

type Callbacks = SendCallback[];

/**
 * Marks a `req.socket` whose `remoteAddress` is costly to compute and stays readable for the whole session (the
 * Fetch runtimes' request info, fetch/incoming.ts): the session reads it on first use instead of at the
 * handshake. A Node socket is read at once — its address is gone once the connection is.
 * @internal
 */
export const kLazyRemoteAddress: unique symbol = Symbol("engineio-wasm:lazy-remote-address");

type AddressSource = { readonly remoteAddress?: string; readonly [kLazyRemoteAddress]?: true };

function toBuffer(data: RawData | BinaryData): string | Buffer {
  if (typeof data === "string") return data;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Text or binary (see src/protocol/message.ts for the send rule) as the string or bytes the codec takes. */
function normalize(data: unknown): string | Uint8Array {
  const d = socketMessage(data);
  if (typeof d === "string" || d instanceof Uint8Array) return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Size counted against `maxBufferedBytes`: UTF-16 length for text, byte length for binary. */
function sizeOf(data: string | Uint8Array): number {
  return typeof data === "string" ? data.length : data.byteLength;
}

// A module-level timer callback instead of a per-socket arrow-function field: most sessions never upgrade, and
// the closure and its context cost ~100 B of heap on every idle session (bench/e2e/heap-diff.ts).
function upgradeTimedOut(socket: Socket): void {
  socket.onUpgradeTimeout();
}

function flushSocket(socket: Socket): void {
  socket.flushScheduled = false;
  socket.flush();
}

/** A server-side Engine.IO session (engine.io's `Socket`). */
export class Socket extends EventEmitter<SocketEvents> implements TransportOwner, DeadlineNode {
  /** Session id. */
  readonly id: string;
  /** The server this session belongs to. */
  readonly server: SocketHost;
  private _request: EngineRequest;
  /** Engine.IO protocol revision (a prototype getter: no field on every session). */
  get protocol(): 4 {
    return 4;
  }
  /** Remote address: a string once read (at the handshake on Node), else where to read it (see kLazyRemoteAddress). */
  private _remoteAddress: string | AddressSource;
  /**
   * Current transport; `null` only while the session is `opening` without one (a WebSocket-only handshake
   * before the `ws` handshake completed, or a `connect` handler sending before the handshake is answered).
   */
  transport: ServerTransport | null;
  /** Whether an upgrade is in progress. */
  upgrading = false;
  /** Whether the session was upgraded from polling. */
  upgraded = false;
  /** @internal A flush of a polling session is scheduled for the end of this tick. */
  flushScheduled = false;

  private _readyState: SocketReadyState = "opening";
  private writeBuffer: Packet[] | null = null;
  private bufferedBytes = 0;
  private pendingCallbacks: Callbacks | null = null;
  private inflight: (Callbacks | null)[] | null = null;
  private awaitingPong = false;
  private pongRefreshed = false;
  private closeReason: ServerCloseReason | null = null;
  private probe: ServerTransport | null = null;
  private probed = false;
  private upgradeTimer: ReturnType<typeof setTimeout> | null = null;
  /** Whether `connection` was emitted (python `disconnect` only follows a `connect`). @internal */
  connected = false;

  /** @internal */ dqPrev: DeadlineNode | null = null;
  /** @internal */ dqNext: DeadlineNode | null = null;
  /** @internal */ dqQueue: DeadlineQueue<DeadlineNode> | null = null;
  /** @internal */ dqDue = 0;

  /** @internal Created by the server. */
  constructor(id: string, server: SocketHost, transport: ServerTransport | null, req: EngineRequest) {
    super();
    this.id = id;
    this.server = server;
    this._request = req;
    const sock = req.socket as AddressSource | undefined | null;
    this._remoteAddress =
      sock != null && sock[kLazyRemoteAddress] === true ? sock : (sock?.remoteAddress ?? "");
    this.transport = null;
    if (transport !== null) this.attach(transport);
  }

  /**
   * The handshake request (with `_query`); once the handshake is answered, a slim copy of it (see
   * session-request.ts: headers, url, method, socket, and what middlewares added).
   */
  get request(): EngineRequest {
    return this._request;
  }

  /** @internal The handshake is answered: keep only what is read later of its request. */
  slimRequest(): void {
    this._request = sessionRequest(this._request);
  }

  /** Remote IP address (read at the handshake on Node; on first use on Bun and Deno, where it is costly). */
  get remoteAddress(): string {
    const a = this._remoteAddress;
    if (typeof a === "string") return a;
    const s = a.remoteAddress ?? "";
    if (s !== "") this._remoteAddress = s;
    return s;
  }

  /** `opening` → `open` → `closing` → `closed`. */
  get readyState(): SocketReadyState {
    return this._readyState;
  }

  /**
   * Outgoing bytes accepted by `send` and not yet handed to the kernel (waiting for a poll, or queued in the
   * WebSocket). Bounded by the `maxBufferedBytes` option.
   */
  get bufferedAmount(): number {
    return this.bufferedBytes + (this.transport ? this.transport.bufferedAmount : 0);
  }

  /** @internal */
  attach(transport: ServerTransport): void {
    this.transport = transport;
    transport.owner = this;
    transport.sid = this.id;
  }

  /** @internal Sends the `open` packet and starts the heartbeat. */
  open(): void {
    this._readyState = "open";
    const opts = this.server.opts;
    const handshake = openPacketData(
      this.id,
      this.transport === null ? [] : this.server.upgradesFor(this.transport),
      opts,
    );
    // the open packet goes first, before anything sent while opening (e.g. from a `connect` handler)
    const open: Packet = { type: "open", data: handshake };
    if (this.writeBuffer !== null) this.writeBuffer.unshift(open);
    else this.writeBuffer = [open];
    if (opts.initialPacket !== undefined) {
      this.writeBuffer.splice(1, 0, { type: "message", data: opts.initialPacket });
    }
    this.flush();
    this.emit("open");
    this.server.pingQueue.push(this);
  }

  // ---------------------------------------------------------------- heartbeat

  /** @internal Called by the ping queue. */
  sendPing(): void {
    if (this._readyState !== "open" && this._readyState !== "closing") return;
    this.awaitingPong = true;
    this.pongRefreshed = false;
    this.sendPacket("ping", undefined, undefined, undefined);
    this.server.pongQueue.push(this);
  }

  /** @internal Called by the pong queue. */
  onPingTimeout(): void {
    if (!this.awaitingPong) return;
    debug("ping timeout %s", this.id);
    this.onClose("ping timeout");
  }

  // ---------------------------------------------------------------- transport callbacks

  /** @internal */
  onTransportPacket(t: ServerTransport, packet: Packet): void {
    if (t !== this.transport) {
      if (t === this.probe) this.onProbePacket(packet);
      return;
    }
    if (this._readyState !== "open") return;
    this.emit("packet", packet);
    if (this.awaitingPong && !this.pongRefreshed && packet.type !== "pong") {
      // engine.io: a packet received while waiting for the pong extends the timeout once
      this.pongRefreshed = true;
      this.server.pongQueue.push(this);
    }
    switch (packet.type) {
      case "message": {
        const data = toBuffer(packet.data ?? "");
        this.emit("data", data);
        this.emit("message", data);
        this.server.onSocketMessage(this, data);
        break;
      }
      case "pong":
        if (!this.awaitingPong) break;
        this.awaitingPong = false;
        this.server.pingQueue.push(this);
        this.emit("heartbeat");
        break;
      case "ping":
        this.onClose("transport error", createError("EIO_ERR_TRANSPORT", "invalid heartbeat direction"));
        break;
      case "error":
        this.onClose("parse error", createError("EIO_ERR_PARSE", "parse error"));
        break;
      default:
        break;
    }
  }

  /** @internal */
  onTransportMessage(t: ServerTransport, data: string | Buffer): void {
    if (t !== this.transport || this._readyState !== "open" || this.listenerCount("packet") > 0) {
      this.onTransportPacket(t, { type: "message", data });
      return;
    }
    if (this.awaitingPong && !this.pongRefreshed) {
      this.pongRefreshed = true;
      this.server.pongQueue.push(this);
    }
    this.emit("data", data);
    this.emit("message", data);
    this.server.onSocketMessage(this, data);
  }

  /** @internal */
  onTransportError(t: ServerTransport, err: EioError): void {
    if (t === this.probe) {
      this.abortUpgrade(`probe error: ${err.message}`);
      return;
    }
    if (t !== this.transport) return;
    debug("transport error %s: %s", this.id, err.message);
    this.onClose("transport error", err);
  }

  /** @internal */
  onTransportClose(t: ServerTransport): void {
    if (t === this.probe) {
      this.abortUpgrade("probe closed");
      return;
    }
    if (t !== this.transport) return;
    this.onClose(this.closeReason ?? "transport close");
  }

  /** @internal */
  onTransportReady(t: ServerTransport): void {
    if (t !== this.transport) return;
    this.flush();
    // during an upgrade, release any new poll at once so the client can pause polling
    if (this.probed && t.writable) t.releasePoll();
  }

  /** @internal */
  onTransportDrain(t: ServerTransport): void {
    if (t !== this.transport) return;
    const inflight = this.inflight;
    if (inflight !== null && inflight.length > 0) {
      const cbs = inflight.shift();
      if (cbs) for (let i = 0; i < cbs.length; i++) cbs[i]!(t);
    }
    if (this.writeBuffer === null && t.bufferedAmount === 0) {
      this.emit("drain");
      if (this.server.hasDrainListeners) this.server.onSocketDrain(this);
    }
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends a message (string, Buffer, ArrayBuffer or any typed array). Dropped once the socket is closing.
   * @throws TypeError (`EIO_ERR_INVALID_ARG`) for any other value (objects are not stringified silently; the
   * python-style `Server.send(sid, data)` sends JSON values as JSON).
   * @returns this, for chaining
   */
  send(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): this {
    if (typeof options === "function") {
      callback = options;
      options = undefined;
    }
    this.sendPacket("message", normalize(data), options, callback);
    return this;
  }

  /** Alias of {@link Socket.send} (socket.io calls `write`). */
  write(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): this {
    return this.send(data, options, callback);
  }

  private sendPacket(
    type: Packet["type"],
    data: string | Uint8Array | undefined,
    options: SendOptions | undefined,
    callback: SendCallback | undefined,
  ): void {
    const state = this._readyState;
    if (state === "closed" || (state === "closing" && type !== "ping")) return;
    const size = data === undefined ? 1 : sizeOf(data) + 1;
    const t = this.transport;
    if (size + this.bufferedBytes + (t ? t.bufferedAmount : 0) > this.server.opts.maxBufferedBytes) {
      this.onClose(
        "transport error",
        createError("EIO_ERR_BUFFER_FULL", "outgoing buffer full", {
          limit: this.server.opts.maxBufferedBytes,
          buffered: this.bufferedAmount,
        }),
      );
      return;
    }
    // hot path: open WebSocket, nothing buffered, nobody observing packets
    if (
      type === "message" &&
      state === "open" &&
      this.writeBuffer === null &&
      t?.writesDirectly &&
      t.writable &&
      !this.server.hasFlushListeners &&
      this.listenerCount("packetCreate") === 0 &&
      this.listenerCount("flush") === 0
    ) {
      const wantDrain =
        callback !== undefined || this.listenerCount("drain") > 0 || this.server.hasDrainListeners;
      if (wantDrain) {
        if (this.inflight === null) this.inflight = [];
        this.inflight.push(callback ? [callback] : null);
      }
      t.sendMessage(data as string | Uint8Array, options, wantDrain);
      return;
    }
    const packet: Packet = options ? { type, options } : { type };
    if (data !== undefined) packet.data = data;
    this.emit("packetCreate", packet);
    if (this.writeBuffer === null) this.writeBuffer = [packet];
    else this.writeBuffer.push(packet);
    this.bufferedBytes += size;
    if (callback !== undefined) {
      if (this.pendingCallbacks === null) this.pendingCallbacks = [callback];
      else this.pendingCallbacks.push(callback);
    }
    // (t is null while a session is opening, e.g. a `connect` handler sending before the handshake completes)
    if (t !== null && !t.writesDirectly && t.writable) {
      // Answer the pending GET once per tick, with everything sent in this tick: echoing the packets of one POST
      // then costs one response instead of one for the first packet and another poll round trip for the rest.
      // (bench/e2e poll-text-50: server CPU per message 0.56x engine.io's instead of ~1.0x.)
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(flushSocket, this);
      }
    } else {
      this.flush();
    }
  }

  /** Hands the write buffer to the transport if it is writable. @internal */
  flush(): void {
    const t = this.transport;
    const wbuf = this.writeBuffer;
    if (this._readyState === "closed" || wbuf === null || t === null || !t.writable) return;
    this.emit("flush", wbuf);
    if (this.server.hasFlushListeners) this.server.onSocketFlush(this, wbuf);
    this.writeBuffer = null;
    this.bufferedBytes = 0;
    const cbs = this.pendingCallbacks;
    this.pendingCallbacks = null;
    const wantDrain =
      !t.writesDirectly || cbs !== null || this.listenerCount("drain") > 0 || this.server.hasDrainListeners;
    if (wantDrain) {
      if (this.inflight === null) this.inflight = [];
      this.inflight.push(cbs);
    }
    // A graceful close of a polling session sends the close packet in the next poll, not with these messages:
    // socket.io-client handles packets a tick late, so a `1` in the same payload would overtake its DISCONNECT.
    t.send(wbuf, wantDrain);
    if (this._readyState === "closing" && this.closeReason !== null && this.writeBuffer === null) {
      this.closeTransport();
    }
  }

  // ---------------------------------------------------------------- upgrade

  /** @internal A WebSocket arrived for this session: probe it. */
  maybeUpgrade(transport: ServerTransport): void {
    debug('might upgrade socket transport from "%s" to "%s"', this.transport?.name, transport.name);
    this.upgrading = true;
    this.probe = transport;
    this.probed = false;
    transport.owner = this;
    transport.sid = this.id;
    this.upgradeTimer = setTimeout(upgradeTimedOut, this.server.opts.upgradeTimeout, this);
  }

  /** @internal Called by the upgrade timer. */
  onUpgradeTimeout(): void {
    debug("client did not complete upgrade - closing transport");
    this.abortUpgrade("upgrade timeout");
  }

  private onProbePacket(packet: Packet): void {
    const probe = this.probe!;
    if (packet.type === "ping" && packet.data === "probe" && !this.probed) {
      debug("got probe ping packet, sending pong");
      probe.send([{ type: "pong", data: "probe" }], false);
      this.probed = true;
      this.emit("upgrading", probe);
      // release a pending poll so the client can pause the polling transport
      const t = this.transport;
      if (t?.writable) {
        if (this.writeBuffer !== null) this.flush();
        else t.releasePoll();
      }
      return;
    }
    if (packet.type === "upgrade" && this.probed && this._readyState !== "closed") {
      debug("got upgrade packet - upgrading");
      this.clearUpgrade();
      const old = this.transport;
      if (old !== null) {
        old.owner = null;
        old.discard();
        old.close();
      }
      this.attach(probe);
      this.upgraded = true;
      this.emit("upgrade", probe);
      this.flush();
      if (this._readyState === "closing" && this.writeBuffer === null) this.closeTransport();
      return;
    }
    this.abortUpgrade("unexpected packet during upgrade");
  }

  private clearUpgrade(): void {
    this.upgrading = false;
    this.probed = false;
    this.probe = null;
    if (this.upgradeTimer !== null) clearTimeout(this.upgradeTimer);
    this.upgradeTimer = null;
  }

  private abortUpgrade(why: string): void {
    const probe = this.probe;
    if (probe === null) return;
    debug("upgrade aborted: %s", why);
    this.clearUpgrade();
    probe.owner = null;
    probe.close();
    if (this._readyState === "closing" && this.writeBuffer === null) this.closeTransport();
  }

  // ---------------------------------------------------------------- closing

  /**
   * Closes the session after flushing what is buffered (reason `forced close`).
   * @returns this, for chaining
   */
  close(): this {
    this.closeWith("forced close");
    return this;
  }

  /**
   * @internal Graceful close with a given reason (`server shutting down` on server close). `awaitPoll`
   * (shutdown, which bounds the wait itself): a polling client with no GET pending gets its close packet on its
   * next poll instead of being dropped.
   */
  closeWith(reason: ServerCloseReason, awaitPoll = false): void {
    if (this._readyState === "opening") {
      this.onClose(reason);
      return;
    }
    if (this._readyState !== "open") return;
    this._readyState = "closing";
    this.closeReason = reason;
    if (this.writeBuffer !== null) {
      debug("%d packets buffered, closing after flush", this.writeBuffer.length);
      this.flush();
      return;
    }
    // Shutting down with nothing to deliver to a polling client that has no GET pending (dead, or mid-POST):
    // do not wait for its next poll (engine.io discards the transport the same way).
    const t = this.transport;
    if (reason === "server shutting down" && !awaitPoll && t !== null && !t.writable && this.probe === null)
      t.discard();
    this.closeTransport();
  }

  private closeTransport(): void {
    const reason = this.closeReason ?? "forced close";
    if (this.probe !== null) {
      // A probed client has paused polling and is about to send `5`: finish the upgrade, then close the
      // new transport (onProbePacket). An unprobed upgrade is simply dropped.
      if (this.probed) return;
      this.abortUpgrade("socket closing");
    }
    const t = this.transport;
    if (t === null) this.onClose(reason);
    else t.close(() => this.onClose(reason));
  }

  /** @internal Ends the session (idempotent). */
  onClose(reason: ServerCloseReason, description?: EioError): void {
    if (this._readyState === "closed") return;
    debug("closing socket %s: %s", this.id, reason);
    this._readyState = "closed";
    this.server.pingQueue.remove(this);
    this.server.pongQueue.remove(this);
    this.awaitingPong = false;
    this.abortUpgrade("socket closed");
    const t = this.transport;
    if (t !== null) {
      t.owner = null;
      // The sid is unregistered below, so no later poll can reach this transport: close it now instead of
      // holding it (and a 30 s timer) for an orderly close that can never be delivered.
      t.discard();
      t.close();
    }
    this.inflight = null;
    this.pendingCallbacks = null;
    this.server.onSocketClose(this, reason, description);
    // the write buffer stays readable by `close` listeners, then is dropped
    this.emit("close", reason, description);
    this.writeBuffer = null;
    this.bufferedBytes = 0;
  }
}
