/**
 * WebSocket transport over `ws` (I/O only): one packet per frame, text frames `<type><data>`, binary messages as
 * raw binary frames (or `b`+base64 text for `b64=1` peers). Always writable: `ws` queues in order, and the
 * socket bounds what is queued through {@link WsTransport.bufferedAmount}.
 *
 * `ws` listeners are shared module-level functions (`this` is the `ws` socket); the transport is found through a
 * symbol property, so no closure is allocated per connection. Without a negotiated extension, frames are written
 * by this transport straight onto the TCP socket, one write per tick (ws-batch.ts); with permessage-deflate they go
 * through `ws.send`, which compresses them.
 */

import type { WebSocket as WsSocket } from "ws";
import { decodeTextFrameBytes, encodeMessageFrame } from "../../codec/frames.js";
import type { Codec } from "../../codec/types.js";
import { createDebug } from "../../debug.js";
import { createError } from "../../protocol/errors.js";
import type { Packet } from "../../protocol/packet.js";
import type { EngineRequest } from "../options.js";
import { LiteWebSocket } from "../ws-lite.js";
import { TransportBase } from "./base.js";
import type { ServerTransport } from "./types.js";
import { type FrameBatch, Kind, type RawWritable, releaseBatch, takeBatch } from "./ws-batch.js";

const debug = createDebug("engine:ws");

const kTransport = Symbol("engineio-wasm:ws");
type TaggedWs = WsSocket & {
  [kTransport]?: WsTransport | null;
  _sender?: { sendFrame?: (frame: readonly Buffer[], cb?: (err?: Error) => void) => void };
};

/** A frame as `ws` gives it, or a text frame as a string (Fetch runtimes' sockets, see fetch/websocket.ts). */
type Frame = Buffer | ArrayBuffer | Buffer[] | string;

function onWsMessage(this: TaggedWs, data: Frame, isBinary: boolean): void {
  this[kTransport]?.onFrame(data, isBinary);
}
function onWsClose(this: TaggedWs): void {
  this[kTransport]?.onClose();
}
function onWsError(this: TaggedWs, err: Error & { code?: string }): void {
  this[kTransport]?.onError(err);
}

const COMPRESS = { compress: true };
const NO_COMPRESS = { compress: false };

/** UTF-8 text of a frame from `start` (`ws` validated it as text; Buffer's own decoder, no copy). */
const frameText = (frame: Uint8Array, start: number): string => (frame as Buffer).toString("utf8", start);

function writeBatchOf(t: WsTransport): void {
  t.writeBatch();
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

type RawSocket = { cork(): void; uncork(): void };
const rawSocket = (ws: WsSocket | LiteWebSocket): RawSocket | undefined =>
  (ws as unknown as { _socket?: RawSocket | null })._socket ?? undefined;

function uncorkTransport(t: WsTransport): void {
  t.corked = false;
  rawSocket(t.socket)?.uncork();
}

/**
 * Batches every frame written in this tick into one `writev`: the first write of a tick corks the TCP socket and
 * a `process.nextTick` uncorks it (`ws` corks/uncorks around each frame; nested corks only count down). Echoing
 * the frames of one TCP read then costs one syscall instead of one per message — `writev` was ~50 % of the
 * server's CPU in the ws echo benchmark (bench/e2e, `--cpu-prof`); with this the CPU per message fell from
 * ~0.85× to ~0.57× of engine.io's (text) and ~1.0× to ~0.7× (1 KiB binary). nextTick runs before any I/O, so no
 * latency is added.
 */
function corkUntilNextTick(t: WsTransport): void {
  const raw = rawSocket(t.socket);
  if (raw === undefined) return;
  t.corked = true;
  raw.cork();
  process.nextTick(uncorkTransport, t);
}

/** The WebSocket transport of one session. */
export class WsTransport extends TransportBase implements ServerTransport {
  /** @inheritdoc (a prototype getter, like {@link WsTransport.writesDirectly}: no field on every session) */
  get name(): "websocket" {
    return "websocket";
  }
  /** @inheritdoc */
  writable = true;
  /** @inheritdoc */
  get writesDirectly(): boolean {
    return true;
  }
  /** The underlying WebSocket: `ws`'s, or the lean connection of the common case (ws-lite.ts). */
  readonly socket: WsSocket | LiteWebSocket;
  private readonly deflate: boolean;
  private readonly codec: Codec;
  private onSentLast: ((err?: Error) => void) | null = null;
  /** @internal Whether the TCP socket is corked until the next tick (see {@link corkUntilNextTick}). */
  corked = false;
  /** The TCP socket, when this transport frames its messages itself (no extension negotiated). */
  private readonly raw: RawWritable | null;
  /** Frames queued in this tick (written at the next tick); `null` when none are. */
  private batch: FrameBatch | null = null;
  /** Sends of the queued batch that asked for `onTransportDrain`. */
  private batchDrains = 0;
  /** Drains owed by batches being written, in order. */
  private drainCounts: number[] | null = null;
  private onBatchWritten: ((err?: Error | null) => void) | null = null;

  /**
   * @param raw - the TCP socket `ws` runs on, when the engine owns the handshake (HTTP/1.1): frames are then
   *   written onto it directly unless an extension was negotiated
   */
  constructor(
    ws: WsSocket | LiteWebSocket,
    req: EngineRequest,
    deflate: boolean,
    codec: Codec,
    raw: RawWritable | null = null,
  ) {
    super(req._query);
    this.socket = ws;
    this.codec = codec;
    this.deflate = deflate;
    this.raw = raw !== null && !ws.extensions ? raw : null;
    if (ws instanceof LiteWebSocket) {
      // calls onFrame / onClose / onError directly: no listeners
      ws.handler = this;
      return;
    }
    // a Fetch runtime's socket has no TCP socket to cork (Bun corks inside its message callback itself)
    if (rawSocket(ws) === undefined) this.corked = true;
    (ws as TaggedWs)[kTransport] = this;
    ws.on("message", onWsMessage);
    ws.on("close", onWsClose); // emitted once; `on` avoids a once-wrapper per session
    ws.on("error", onWsError);
  }

  /** @inheritdoc */
  get bufferedAmount(): number {
    const b = this.batch;
    return b === null ? this.socket.bufferedAmount : this.socket.bufferedAmount + b.bytes;
  }

  /** Queues one frame for the write at the next tick. */
  private enqueue(kind: Kind, data: string | Uint8Array | readonly Buffer[]): void {
    let b = this.batch;
    if (b === null) {
      b = this.batch = takeBatch();
      process.nextTick(writeBatchOf, this);
    }
    b.add(kind, data);
  }

  /** @internal Writes the frames queued in this tick (at the next tick, or at once before a close). */
  writeBatch(): void {
    const b = this.batch;
    if (b === null) return;
    this.batch = null;
    let cb: ((err?: Error | null) => void) | undefined;
    if (this.batchDrains > 0) {
      if (this.drainCounts === null) this.drainCounts = [];
      this.drainCounts.push(this.batchDrains);
      this.batchDrains = 0;
      cb = this.onBatchWritten ??= (err?: Error | null): void => {
        if (err) {
          this.onError(err);
          return;
        }
        let d = this.drainCounts?.shift() ?? 0;
        while (d-- > 0) this.owner?.onTransportDrain(this);
      };
    }
    const raw = this.raw!;
    const ws = this.socket;
    if (ws instanceof LiteWebSocket && ws.pendingHead !== null) {
      // the connection's deferred 101 and this first batch leave in one writev
      raw.cork();
      ws.writeHead();
      b.writeTo(raw, cb);
      raw.uncork();
    } else b.writeTo(raw, cb);
    releaseBatch(b);
  }

  /** Queues a message frame (raw path). */
  private enqueueMessage(data: string | Uint8Array, opts: Packet["options"]): void {
    const pre = opts?.wsPreEncodedFrame as readonly Buffer[] | undefined;
    if (pre !== undefined && this.supportsBinary) this.enqueue(Kind.PreEncoded, pre);
    else if (typeof data === "string") this.enqueue(Kind.Message, data);
    else if (this.supportsBinary) this.enqueue(Kind.Binary, data);
    else this.enqueue(Kind.Text, `b${this.codec.base64Encode(data)}`);
  }

  /** @internal */
  onFrame(data: Frame, isBinary: boolean): void {
    const owner = this.owner;
    if (owner === null) return;
    if (typeof data === "string") {
      // Bun and Deno hand text frames over as strings: decode them as such, not through a UTF-8 round trip
      if (data.charCodeAt(0) === 0x34) owner.onTransportMessage(this, data.slice(1));
      else this.onTextPacket(owner, this.codec.decodePacket(data));
      return;
    }
    if (isBinary) {
      owner.onTransportMessage(this, toBuffer(data));
      return;
    }
    const bytes = toBuffer(data);
    if (bytes[0] === 0x34) {
      // a `4` message: no packet object
      owner.onTransportMessage(this, bytes.toString("utf8", 1));
      return;
    }
    this.onTextPacket(owner, decodeTextFrameBytes(this.codec, bytes, frameText));
  }

  /** @internal A whole text message from the lean connection: UTF-8 bytes `[start, end)` of `b`. */
  onTextRange(b: Buffer, start: number, end: number): void {
    const owner = this.owner;
    if (owner === null) return;
    if (end > start && b[start] === 0x34) {
      // a `4` message: no packet object, no view
      owner.onTransportMessage(this, b.toString("utf8", start + 1, end));
      return;
    }
    this.onTextPacket(owner, decodeTextFrameBytes(this.codec, b.subarray(start, end), frameText));
  }

  private onTextPacket(owner: NonNullable<WsTransport["owner"]>, packet: Packet): void {
    if (packet.type === "close") {
      // python-engineio treats `1` on WebSocket as a disconnect; engine.io ignores it. We close.
      debug("got close packet over websocket");
      this.peerClosed = true;
      this.closePacket = true;
      this.close();
      this.onClose();
      return;
    }
    owner.onTransportPacket(this, packet);
  }

  /** @inheritdoc */
  sendMessage(data: string | Uint8Array, opts: Packet["options"], cb: boolean): void {
    if (this.raw !== null) {
      if (this.socket.readyState !== 1) return;
      this.enqueueMessage(data, opts);
      if (cb) this.batchDrains++;
      return;
    }
    // without a raw socket this is always ws's WebSocket (the lean one always has one)
    const ws = this.socket as WsSocket;
    if (!this.corked) corkUntilNextTick(this);
    const done = cb ? this.sentCallback() : undefined;
    if (opts !== undefined) {
      const pre = opts.wsPreEncodedFrame as readonly Buffer[] | undefined;
      if (pre !== undefined && this.canSendFrame()) {
        (ws as TaggedWs)._sender!.sendFrame!(pre, done);
        return;
      }
    }
    const frame = encodeMessageFrame(this.codec, data, this.supportsBinary);
    if (this.deflate) ws.send(frame, opts?.compress === false ? NO_COMPRESS : COMPRESS, done);
    else ws.send(frame, done);
  }

  /** Whether a pre-encoded frame may be written as is (no deflate, binary-capable peer, ws internals present). */
  private canSendFrame(): boolean {
    return (
      !this.deflate &&
      this.supportsBinary &&
      this.socket.readyState === 1 &&
      typeof (this.socket as TaggedWs)._sender?.sendFrame === "function"
    );
  }

  /** @inheritdoc */
  send(packets: Packet[], wantDrain: boolean): void {
    const ws = this.socket as WsSocket;
    if (ws.readyState !== 1) return;
    const n = packets.length;
    if (this.raw !== null) {
      for (let i = 0; i < n; i++) {
        const packet = packets[i]!;
        const d = packet.data;
        if (packet.type === "message" && (typeof d === "string" || d instanceof Uint8Array)) {
          this.enqueueMessage(d, packet.options);
        } else {
          const frame = this.codec.encodePacket(packet, this.supportsBinary);
          if (typeof frame === "string") this.enqueue(Kind.Text, frame);
          else this.enqueue(Kind.Binary, frame);
        }
      }
      if (wantDrain) this.batchDrains++;
      return;
    }
    if (!this.corked) corkUntilNextTick(this);
    for (let i = 0; i < n; i++) {
      const packet = packets[i]!;
      const done = wantDrain && i === n - 1 ? this.sentCallback() : undefined;
      const opts = packet.options;
      const pre = opts?.wsPreEncodedFrame as readonly Buffer[] | undefined;
      if (pre !== undefined && this.canSendFrame()) {
        // a frame already built by socket.io's adapter with ws's Sender.frame(): write it as is
        (ws as TaggedWs)._sender!.sendFrame!(pre, done);
        continue;
      }
      const frame = this.codec.encodePacket(packet, this.supportsBinary);
      if (this.deflate) ws.send(frame, opts?.compress === false ? NO_COMPRESS : COMPRESS, done);
      else ws.send(frame, done);
    }
  }

  private sentCallback(): (err?: Error) => void {
    if (this.onSentLast === null) {
      this.onSentLast = (err?: Error): void => {
        if (err) {
          this.onError(err);
          return;
        }
        this.owner?.onTransportDrain(this);
      };
    }
    return this.onSentLast;
  }

  /** Whether the client sent the close packet (then none is sent back). */
  private peerClosed = false;

  /** @inheritdoc (a WebSocket holds no poll) */
  releasePoll(): void {}

  /** @inheritdoc */
  close(fn?: () => void): void {
    if (this.readyState === "closed" || this.readyState === "closing") return;
    this.readyState = "closing";
    debug("closing");
    this.writable = false;
    // python-engineio sends a close packet before closing a WebSocket (engineio/socket.py:126, 4.13.1): its
    // clients report "server disconnect" after it and "transport error" without it. engine.io's clients
    // ignore it. Not sent back to a peer that closed first, nor on a discarded probe.
    const raw = this.raw;
    if (raw !== null) {
      if (!this.peerClosed && !this.discarded && this.socket.readyState === this.socket.OPEN)
        this.enqueue(Kind.Text, "1");
      // what this tick queued goes before ws's close frame, in the same writev (engine.close() of 19,800
      // sessions: 1.2 s with a write each)
      raw.cork();
      this.writeBatch();
    } else if (!this.peerClosed && !this.discarded && this.socket.readyState === this.socket.OPEN)
      this.socket.send("1");
    try {
      this.socket.close();
    } catch {
      this.socket.terminate();
    }
    raw?.uncork();
    fn?.();
  }

  /** @internal */
  onClose(): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.writable = false;
    const ws = this.socket;
    if (ws instanceof LiteWebSocket) ws.handler = null;
    else (ws as TaggedWs)[kTransport] = null;
    const owner = this.owner;
    this.owner = null;
    owner?.onTransportClose(this);
  }

  /** @internal */
  onError(err: Error & { code?: string }): void {
    const owner = this.owner;
    if (owner === null) return;
    const eio =
      err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"
        ? createError("EIO_ERR_PAYLOAD_TOO_LARGE", "payload too large", { cause: err.message })
        : createError("EIO_ERR_TRANSPORT", err.message || "websocket error", { cause: err.code });
    owner.onTransportError(this, eio);
  }
}
