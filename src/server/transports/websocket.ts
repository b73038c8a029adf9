/**
 * WebSocket transport over `ws` (I/O only): one packet per frame, text frames `<type><data>`, binary messages as
 * raw binary frames (or `b`+base64 text for `b64=1` peers). Always writable: `ws` queues in order, and the
 * socket bounds what is queued through {@link WsTransport.bufferedAmount}.
 *
 * `ws` listeners are shared module-level functions (`this` is the `ws` socket); the transport is found through a
 * symbol property, so no closure is allocated per connection.
 */
import createDebug from "debug";
import type { WebSocket as WsSocket } from "ws";
import { decodeTextFrameBytes, encodeMessageFrame } from "../../codec/frames.js";
import type { Codec } from "../../codec/types.js";
import { createError } from "../../protocol/errors.js";
import type { Packet } from "../../protocol/packet.js";
import type { EngineRequest } from "../options.js";
import { TransportBase } from "./base.js";
import type { ServerTransport } from "./types.js";

const debug = createDebug("engine:ws");

const kTransport = Symbol("engineio-wasm:ws");
type TaggedWs = WsSocket & {
  [kTransport]?: WsTransport | null;
  _sender?: { sendFrame?: (frame: readonly Buffer[], cb?: (err?: Error) => void) => void };
};

function onWsMessage(this: TaggedWs, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
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

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

type RawSocket = { cork(): void; uncork(): void };
const rawSocket = (ws: WsSocket): RawSocket | undefined =>
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
  /** @inheritdoc */
  readonly name = "websocket" as const;
  /** @inheritdoc */
  writable = true;
  /** @inheritdoc */
  readonly writesDirectly = true;
  /** The underlying `ws` socket. */
  readonly socket: WsSocket;
  private readonly deflate: boolean;
  private readonly codec: Codec;
  private onSentLast: ((err?: Error) => void) | null = null;
  /** @internal Whether the TCP socket is corked until the next tick (see {@link corkUntilNextTick}). */
  corked = false;

  constructor(ws: WsSocket, req: EngineRequest, deflate: boolean, codec: Codec) {
    super(req._query);
    this.socket = ws;
    this.codec = codec;
    this.deflate = deflate;
    (ws as TaggedWs)[kTransport] = this;
    ws.on("message", onWsMessage);
    ws.on("close", onWsClose); // emitted once; `on` avoids a once-wrapper per session
    ws.on("error", onWsError);
  }

  /** @inheritdoc */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** @internal */
  onFrame(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const owner = this.owner;
    if (owner === null) return;
    if (isBinary) {
      owner.onTransportPacket(this, { type: "message", data: toBuffer(data) });
      return;
    }
    const packet = decodeTextFrameBytes(this.codec, toBuffer(data), frameText);
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
    const ws = this.socket;
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
    const ws = this.socket;
    if (ws.readyState !== 1) return;
    if (!this.corked) corkUntilNextTick(this);
    const n = packets.length;
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
    if (!this.peerClosed && !this.discarded && this.socket.readyState === this.socket.OPEN)
      this.socket.send("1");
    try {
      this.socket.close();
    } catch {
      this.socket.terminate();
    }
    fn?.();
  }

  /** @internal */
  onClose(): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.writable = false;
    (this.socket as TaggedWs)[kTransport] = null;
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
