/**
 * WebSockets of Fetch-API runtimes, seen as the `ws` surface the engine's WebSocket transport uses
 * (`send(data[, opts], cb)`, `close`, `terminate`, `readyState`, `bufferedAmount`, `message(data, isBinary)` /
 * `close` / `error` events), so Bun's `ServerWebSocket` and Deno's `WebSocket` run through the same transport
 * and session code as `ws` on Node.
 *
 * The runtimes open the socket only after the handshake response is returned, while the engine writes the
 * `open` packet at once: writes are queued until the runtime reports the socket open. Bun enforces
 * `maxPayloadLength` itself (closing with 1009); Deno has no limit, so `maxPayload` is checked here.
 */

import { createDebug } from "../../debug.js";
import { LiteEmitter, type Listener as LiteListener } from "./lite-emitter.js";

const debug = createDebug("engine:fetch");

/** The part of Bun's `ServerWebSocket` used here. */
export interface BunWebSocketLike {
  send(data: string | Uint8Array, compress?: boolean): number;
  /** Bun's typed sends: `send` without its dispatch on the argument's type. */
  sendText?(data: string, compress?: boolean): number;
  sendBinary?(data: Uint8Array, compress?: boolean): number;
  close(code?: number, reason?: string): void;
  terminate?(): void;
  getBufferedAmount?(): number;
  readonly readyState: number;
  /** The peer's address (Bun's `ServerWebSocket.remoteAddress`). */
  readonly remoteAddress?: string;
}

/** The part of the standard `WebSocket` (Deno's `Deno.upgradeWebSocket`) used here. */
export interface StandardWebSocketLike {
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  addEventListener(type: string, fn: (ev: { data?: unknown; code?: number }) => void): void;
}

type SendCallback = (err?: Error) => void;
type MessageListener = (this: FetchWebSocket, data: string | Buffer, isBinary: boolean) => void;
type Listener = LiteListener;
type Raw = { kind: "bun"; ws: BunWebSocketLike } | { kind: "standard"; ws: StandardWebSocketLike };

const CLOSE_TOO_BIG = 1009;
/** The close reason sent with {@link CLOSE_TOO_BIG} (ws's message for the same limit). */
const TOO_BIG_REASON = "Max payload size exceeded";
const BUN_TOO_BIG = "Received too big message";

function byteLength(data: string | Uint8Array): number {
  return typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
}

/** A runtime WebSocket behind `ws`'s API. */
export class FetchWebSocket extends LiteEmitter {
  /** `ws`'s OPEN while the handshake is pending too: writes are queued until the runtime opens the socket. */
  readyState = 1;
  private raw: Raw | null = null;
  private queue: { data: string | Uint8Array; cb: SendCallback | undefined }[] | null = [];
  private queuedBytes = 0;
  private closeRequested: { code?: number; reason?: string } | null = null;
  private tooBig = false;
  private closed = false;
  /**
   * Whether Bun's last `send` reported backpressure (-1): only then is its buffer non-empty, so only then is
   * `getBufferedAmount()` (a call into Bun on every message: ~5 % of a Bun-hosted echo's JS samples) asked.
   */
  private pressured = false;
  /**
   * The first `message` listener (the WebSocket transport's), called directly instead of through `emit`;
   * further ones go through the emitter as usual.
   */
  private messageListener: MessageListener | null = null;
  private moreMessageListeners = false;

  /** @param maxPayload - largest accepted message in bytes (`maxHttpBufferSize`) */
  constructor(private readonly maxPayload: number) {
    super();
  }

  /** Bytes accepted but not yet handed to the network. */
  get bufferedAmount(): number {
    const raw = this.raw;
    const n = this.queuedBytes;
    if (raw === null) return n;
    if (raw.kind === "bun") {
      if (!this.pressured) return n;
      const b = raw.ws.getBufferedAmount?.() ?? 0;
      if (b === 0) this.pressured = false;
      return n + b;
    }
    return n + raw.ws.bufferedAmount;
  }

  /** @inheritdoc (the first `message` listener is kept aside and called directly) */
  override on(event: string | symbol, listener: Listener): this {
    if (event === "message") {
      if (this.messageListener === null) {
        this.messageListener = listener as MessageListener;
        return this;
      }
      this.moreMessageListeners = true;
    }
    return super.on(event, listener);
  }

  /** @inheritdoc */
  override addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  /** @inheritdoc (a `message` listener added so goes through the emitter) */
  override once(event: string | symbol, listener: Listener): this {
    if (event === "message") this.moreMessageListeners = true;
    return super.once(event, listener);
  }

  /** @inheritdoc (a `message` listener added so goes through the emitter) */
  override prependListener(event: string | symbol, listener: Listener): this {
    if (event === "message") this.moreMessageListeners = true;
    return super.prependListener(event, listener);
  }

  /** @inheritdoc (a `message` listener added so goes through the emitter) */
  override prependOnceListener(event: string | symbol, listener: Listener): this {
    if (event === "message") this.moreMessageListeners = true;
    return super.prependOnceListener(event, listener);
  }

  /** @inheritdoc */
  override removeListener(event: string | symbol, listener: Listener): this {
    if (event === "message" && listener === this.messageListener) {
      this.messageListener = null;
      return this;
    }
    return super.removeListener(event, listener);
  }

  /** @inheritdoc */
  override off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  /** @inheritdoc */
  override listenerCount(event: string | symbol, listener?: Listener): number {
    const n = super.listenerCount(event, listener);
    if (event !== "message" || this.messageListener === null) return n;
    return listener === undefined || listener === this.messageListener ? n + 1 : n;
  }

  /** @inheritdoc */
  override removeAllListeners(event?: string | symbol): this {
    if (event === undefined || event === "message") {
      this.messageListener = null;
      this.moreMessageListeners = false;
    }
    return super.removeAllListeners(event);
  }

  /** Hands one message to the listeners. */
  private deliver(data: string | Buffer, isBinary: boolean): void {
    const fn = this.messageListener;
    if (fn !== null) fn.call(this, data, isBinary);
    if (this.moreMessageListeners) this.emit("message", data, isBinary);
  }

  /** The peer's address once Bun opened the socket (`""` before, and on Deno). */
  get remoteAddress(): string {
    const raw = this.raw;
    return raw?.kind === "bun" ? (raw.ws.remoteAddress ?? "") : "";
  }

  /** `ws.send(data[, options][, cb])`. */
  send(data: string | Uint8Array, optsOrCb?: object | SendCallback, cb?: SendCallback): void {
    const done = typeof optsOrCb === "function" ? (optsOrCb as SendCallback) : cb;
    if (this.readyState !== 1) {
      if (done) queueMicrotask(() => done(new Error("WebSocket is not open")));
      return;
    }
    if (this.queue !== null) {
      this.queue.push({ data, cb: done });
      this.queuedBytes += byteLength(data);
      return;
    }
    this.write(data);
    if (done) queueMicrotask(done);
  }

  private write(data: string | Uint8Array): void {
    const raw = this.raw;
    if (raw === null) return;
    try {
      if (raw.kind === "bun") {
        const ws = raw.ws;
        const r =
          typeof data === "string"
            ? (ws.sendText?.(data) ?? ws.send(data))
            : (ws.sendBinary?.(data) ?? ws.send(data));
        if (r === -1) this.pressured = true;
      } else raw.ws.send(data);
    } catch (e) {
      debug("websocket write failed: %O", e);
    }
  }

  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    if (this.raw === null || this.queue !== null) {
      this.closeRequested = { code, reason };
      if (this.raw === null) return;
    }
    this.closeRaw(code, reason);
  }

  private closeRaw(code = 1000, reason?: string): void {
    // The WHATWG WebSocket API (Deno's socket) refuses every code but 1000 and 3000-4999 with an
    // InvalidAccessError, so 1009 cannot be sent there: send 1000 with the reason instead of throwing.
    const standard = this.raw?.kind === "standard" && code !== 1000 && (code < 3000 || code > 4999);
    try {
      this.raw?.ws.close(standard ? 1000 : code, reason);
    } catch (e) {
      debug("websocket close failed: %O", e);
    }
  }

  /** Drops the connection. */
  terminate(): void {
    const raw = this.raw;
    if (raw?.kind === "bun" && typeof raw.ws.terminate === "function") raw.ws.terminate();
    else this.closeRaw(1000);
    this.onRawClose(1006);
  }

  /** Bun's `websocket.open(ws)`. @internal */
  openBun(ws: BunWebSocketLike): void {
    this.raw = { kind: "bun", ws };
    this.flush();
  }

  /** Deno: the standard socket from `Deno.upgradeWebSocket`, opened later. @internal */
  attachStandard(ws: StandardWebSocketLike): void {
    this.raw = { kind: "standard", ws };
    ws.binaryType = "arraybuffer";
    ws.addEventListener("open", () => this.flush());
    ws.addEventListener("message", (ev) => this.onRawMessage(ev.data as string | ArrayBuffer));
    ws.addEventListener("close", (ev) => this.onRawClose(ev.code ?? 1005));
    ws.addEventListener("error", () => {
      if (!this.closed) debug("websocket error event");
    });
  }

  private flush(): void {
    const queue = this.queue;
    this.queue = null;
    this.queuedBytes = 0;
    if (queue !== null) {
      for (const { data, cb } of queue) {
        this.write(data);
        if (cb) queueMicrotask(cb);
      }
    }
    const close = this.closeRequested;
    if (close !== null) {
      this.closeRequested = null;
      this.closeRaw(close.code, close.reason);
    }
  }

  /** One message from the runtime. @internal */
  onRawMessage(data: string | ArrayBuffer | Uint8Array): void {
    if (this.closed || this.tooBig) return;
    if (typeof data === "string") {
      // Text stays a string (the transport decodes strings directly); its UTF-8 size is only computed when
      // the UTF-16 length does not already settle the limit (≤ 3 bytes per code unit)
      if (data.length * 3 > this.maxPayload && Buffer.byteLength(data) > this.maxPayload) this.rejectTooBig();
      else this.deliver(data, false);
      return;
    }
    const buf =
      data instanceof ArrayBuffer
        ? Buffer.from(data)
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (buf.length > this.maxPayload) this.rejectTooBig();
    else this.deliver(buf, true);
  }

  private rejectTooBig(): void {
    this.reportTooBig();
    this.close(CLOSE_TOO_BIG, TOO_BIG_REASON);
  }

  private reportTooBig(): void {
    if (this.tooBig) return;
    this.tooBig = true;
    const err = new RangeError("Max payload size exceeded") as RangeError & { code: string };
    err.code = "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH";
    this.emit("error", err);
  }

  /** The runtime closed the socket (Bun's `websocket.close(ws, code)`, Deno's `close` event). @internal */
  onRawClose(code: number, reason = ""): void {
    if (this.closed) return;
    // Bun drops a message above its maxPayloadLength itself (1006 "Received too big message" to us, 1009 to
    // the peer): report it as ws does, so the session closes with EIO_ERR_PAYLOAD_TOO_LARGE
    if (code === CLOSE_TOO_BIG || reason === BUN_TOO_BIG) this.reportTooBig();
    this.closed = true;
    this.readyState = 3;
    const queue = this.queue;
    this.queue = null;
    if (queue !== null) for (const { cb } of queue) if (cb) queueMicrotask(() => cb(new Error("closed")));
    this.emit("close", code);
  }
}
