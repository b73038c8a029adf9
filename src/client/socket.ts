/**
 * The client socket: engine.io-client's state machine (handshake, heartbeat, write buffer, upgrade with probe
 * and pause) over this package's codec and transports. Same options, events and methods as engine.io-client's
 * `Socket`, so code written for it (including socket.io-client's `Manager` semantics) carries over.
 */

import { resolveCodec } from "../codec/index.js";
import { base64Length, toBytes, utf8Length } from "../codec/js.js";
import type { Codec } from "../codec/types.js";
import { createDebug } from "../debug.js";
import { createError, type EioError } from "../protocol/errors.js";
import { socketMessage } from "../protocol/message.js";
import type { CloseReason } from "../protocol/names.js";
import type { Packet } from "../protocol/packet.js";
import { unrefTimer } from "../timers.js";
import type { CookieJar } from "./cookies.js";
import { Emitter } from "./emitter.js";
import { TransportError } from "./errors.js";
import {
  type BinaryInput,
  type BinaryType,
  type MessageData,
  type ResolvedOptions,
  resolveClientOptions,
  type SocketOptions,
  type TransportName,
} from "./options.js";
import { platform } from "./platform.js";
import type { Platform } from "./platform-types.js";
import { probeTransport } from "./probe.js";
import type { CloseDetails, Transport, TransportHost } from "./transport.js";
import { Polling } from "./transports/polling.js";
import { WebSocketTransport } from "./transports/websocket.js";

const debug = createDebug("engine:client:socket");

/** The handshake data the server sends in the `open` packet. */
export interface HandshakeData {
  /** Session id. */
  sid: string;
  /** Transports the session may upgrade to. */
  upgrades: string[];
  /** Milliseconds between the server's pings. */
  pingInterval: number;
  /** Milliseconds the server waits for a pong. */
  pingTimeout: number;
  /** Largest payload the server accepts, in bytes (absent from older python-engineio servers). */
  maxPayload?: number;
}

/** Ready states of a {@link Socket}. */
export type SocketState = "opening" | "open" | "closing" | "closed";

export type { CloseReason } from "../protocol/names.js";

/** A packet as the application sees it: binary data already in the socket's {@link BinaryType}. */
export interface ClientPacket {
  /** Packet type. */
  type: Packet["type"];
  /** Text or binary payload. */
  data?: string | MessageData | BinaryInput;
  /** Write options. */
  options?: WriteOptions;
}

/** Options of {@link Socket.send}. */
export interface WriteOptions {
  /** Allow per-message deflate for this message (WebSocket, Node). @default true */
  compress?: boolean;
}

/** Events of a {@link Socket}. */
export type SocketEvents = {
  /** The session is open (after the handshake). */
  open: [];
  /** The handshake data arrived. */
  handshake: [data: HandshakeData];
  /** A message from the server. */
  message: [data: MessageData];
  /** Same as `message` (engine.io-client emits both). */
  data: [data: MessageData];
  /** Any packet from the server. */
  packet: [packet: ClientPacket];
  /** A packet is about to be buffered for sending. */
  packetCreate: [packet: ClientPacket];
  /** The server pinged (the pong is already queued). */
  ping: [];
  /** The client answered a ping. */
  pong: [];
  /** Any packet arrived: the connection is alive. */
  heartbeat: [];
  /** The write buffer is empty. */
  drain: [];
  /** A batch of packets was handed to the transport. */
  flush: [];
  /** The probe succeeded; the socket is switching transports. */
  upgrading: [transport: Transport];
  /** The socket now uses `transport`. */
  upgrade: [transport: Transport];
  /** The upgrade failed; the socket stays on its current transport. */
  upgradeError: [err: Error];
  /**
   * A failure; a `close` follows unless the error was about one message (`EIO_ERR_PAYLOAD_TOO_LARGE`). Always
   * coded: a {@link TransportError} for a failed request or connection (with `status`, `serverMessage`, `data`,
   * `systemCode`, `address`, `port` when known), else an {@link EioError}; `err.code` needs no cast.
   */
  error: [err: TransportError | EioError];
  /**
   * The socket closed. Emitted once. `description` is the coded error of a failure, or the transport's
   * {@link CloseDetails} for a clean close.
   */
  close: [reason: CloseReason, description?: CloseDetails | TransportError | EioError];
};

interface Queued {
  packet: Packet;
  cb?: (() => void) | undefined;
}

type TransportCtor = new (
  opts: ResolvedOptions,
  query: Record<string, string>,
  host: TransportHost,
) => Transport;

const TRANSPORTS: Record<TransportName, TransportCtor> = {
  polling: Polling,
  websocket: WebSocketTransport,
};

/** The `offline` listeners of every live socket (one global listener, as service workers require). */
const offlineListeners = new Set<() => void>();
const withEventListeners =
  typeof addEventListener === "function" && typeof removeEventListener === "function";
if (withEventListeners)
  addEventListener(
    "offline",
    () => {
      for (const fn of offlineListeners) fn();
    },
    false,
  );

function finite(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

/** Validates the `open` packet's JSON; `undefined` when it is not a usable handshake. */
export function parseHandshake(data: unknown): HandshakeData | undefined {
  if (typeof data !== "string") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.sid !== "string" || o.sid.length === 0) return undefined;
  if (!finite(o.pingInterval) || !finite(o.pingTimeout)) return undefined;
  const upgrades = Array.isArray(o.upgrades)
    ? o.upgrades.filter((u): u is string => typeof u === "string")
    : [];
  const hs: HandshakeData = {
    sid: o.sid,
    upgrades,
    pingInterval: o.pingInterval,
    pingTimeout: o.pingTimeout,
  };
  if (finite(o.maxPayload) && o.maxPayload > 0) hs.maxPayload = o.maxPayload;
  return hs;
}

/**
 * An Engine.IO v4 client connection, API-compatible with engine.io-client's `Socket`.
 *
 * ```ts
 * const socket = new Socket("http://localhost:3000");
 * socket.on("open", () => socket.send("hello"));
 * socket.on("message", (data) => console.log(data));
 * ```
 */
export class Socket extends Emitter<SocketEvents> implements TransportHost {
  /** Engine.IO protocol revision. */
  static readonly protocol = 4;
  /** Whether the last WebSocket connection of this process/page succeeded (for `rememberUpgrade`). */
  static priorWebsocketSuccess = false;

  /** Session id; `null` before the handshake and after close. */
  id: string | null = null;
  /** The active transport. */
  transport!: Transport;
  /** Ready state. */
  readyState: SocketState = "opening";
  /** How binary messages are delivered: `nodebuffer` (Node default), `arraybuffer` (browser default), `blob`, `uint8array`. */
  binaryType: BinaryType;
  /** True while switching transports. */
  upgrading = false;
  /** Packets waiting to be written. */
  writeBuffer: Packet[] = [];
  /** Transports this socket may use, in order. */
  readonly transports: TransportName[];
  /** The resolved options. */
  readonly opts: ResolvedOptions;
  /** The platform services (Node or browser). */
  readonly platform: Platform = platform;
  /** Cookie jar (Node with `withCredentials`). */
  readonly cookieJar: CookieJar | undefined;
  /** The codec of this client's transports (the `codec` option, or the shared default). */
  readonly codec: Codec;

  #queue: Queued[] = [];
  #prevBufferLen = 0;
  #upgrades: string[] = [];
  #pingInterval = -1;
  #pingTimeout = -1;
  #maxPayload = 0;
  #pingTimeoutTime = Number.POSITIVE_INFINITY;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #beforeunload: (() => void) | undefined;
  #offline: (() => void) | undefined;
  #onTransportDrain = () => this.#onDrain();
  #onTransportPacket = (p: Packet) => this.#onPacket(p);
  #onTransportError = (e: TransportError) => this.#onError(e);
  #onTransportClose = (d?: CloseDetails) => this.#onClose("transport close", d);

  /**
   * Opens a connection. `uri` gives scheme, host, port and query (its path is ignored: see `opts.path`);
   * both arguments are optional, as in engine.io-client.
   */
  constructor(uri?: string | SocketOptions, opts: SocketOptions = {}) {
    super();
    if (uri !== undefined && typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    this.opts = resolveClientOptions(uri, opts);
    this.codec = resolveCodec(this.opts.codec);
    this.transports = this.opts.transports;
    this.binaryType = this.platform.defaultBinaryType;
    this.cookieJar = this.opts.withCredentials ? this.platform.createCookieJar() : undefined;
    if (withEventListeners) {
      if (this.opts.closeOnBeforeunload) {
        // close silently: no `disconnect` at the application level when the page is closed or reloaded
        this.#beforeunload = () => {
          if (this.transport) {
            this.transport.removeAllListeners();
            this.transport.close();
          }
        };
        addEventListener("beforeunload", this.#beforeunload, false);
      }
      if (this.opts.hostname !== "localhost") {
        this.#offline = () => this.#onClose("transport close", { description: "network connection lost" });
        offlineListeners.add(this.#offline);
      }
    }
    this.#open();
  }

  /** Creates (without opening) a transport of this session. */
  createTransport(name: TransportName): Transport {
    debug('creating transport "%s"', name);
    const query: Record<string, string> = { ...this.opts.query, EIO: "4", transport: name };
    if (this.id) query.sid = this.id;
    const opts = { ...this.opts, ...(this.opts.transportOptions?.[name] ?? {}) } as ResolvedOptions;
    return new TRANSPORTS[name](opts, query, this);
  }

  #open(): void {
    if (this.transports.length === 0) {
      this.#timer(() => this.emit("error", createError("EIO_ERR_INVALID_ARG", "No transports available")), 0);
      return;
    }
    const name: TransportName =
      this.opts.rememberUpgrade && Socket.priorWebsocketSuccess && this.transports.includes("websocket")
        ? "websocket"
        : this.transports[0]!;
    this.readyState = "opening";
    const transport = this.createTransport(name);
    transport.open();
    this.setTransport(transport);
  }

  /** @internal Makes `transport` the session's transport (open, or after a successful probe). */
  setTransport(transport: Transport): void {
    debug("setting transport %s", transport.name);
    if (this.transport) this.#detach(this.transport);
    this.transport = transport;
    transport
      .on("drain", this.#onTransportDrain)
      .on("packet", this.#onTransportPacket)
      .on("error", this.#onTransportError)
      .on("close", this.#onTransportClose);
  }

  #detach(t: Transport): void {
    t.off("drain", this.#onTransportDrain)
      .off("packet", this.#onTransportPacket)
      .off("error", this.#onTransportError)
      .off("close", this.#onTransportClose);
  }

  #onOpen(): void {
    debug("socket open");
    this.readyState = "open";
    Socket.priorWebsocketSuccess = this.transport.name === "websocket";
    this.emit("open");
    this.flush();
    if (this.readyState === "open" && this.opts.upgrade) {
      for (const u of this.#upgrades) probeTransport(this, u as TransportName);
    }
  }

  #onPacket(packet: Packet): void {
    if (this.readyState !== "opening" && this.readyState !== "open" && this.readyState !== "closing") {
      debug('packet received with socket readyState "%s"', this.readyState);
      return;
    }
    const data = packet.data;
    const app: ClientPacket =
      data !== undefined && typeof data !== "string"
        ? { type: packet.type, data: this.platform.toBinary(toBytes(data), this.binaryType) }
        : (packet as ClientPacket);
    this.emit("packet", app);
    this.emit("heartbeat");
    switch (packet.type) {
      case "open":
        if (this.id !== null) {
          debug("ignoring a second open packet");
          break;
        }
        this.#onHandshake(packet.data);
        break;
      case "ping":
        this.#resetPingTimeout();
        this.#sendPacket("pong");
        this.emit("ping");
        this.emit("pong");
        break;
      case "message":
        this.emit("data", (app.data ?? "") as MessageData);
        this.emit("message", (app.data ?? "") as MessageData);
        break;
      case "close":
        // polling turns `1` into a transport close; a server may also send it over WebSocket (python-engineio)
        this.#onClose("transport close", { description: "closed by the server", closePacket: true });
        break;
      default:
        // noop (`6`) is ignored on every transport; pong/upgrade are never sent by a server outside a probe
        break;
    }
  }

  #onHandshake(raw: Packet["data"]): void {
    const data = parseHandshake(raw);
    if (!data) {
      this.#onError(
        new TransportError("EIO_ERR_HANDSHAKE", "invalid handshake data", { transport: this.transport.name }),
        "parse error",
      );
      return;
    }
    this.emit("handshake", data);
    this.id = data.sid;
    this.transport.query.sid = data.sid;
    // only upgrades this socket may use, and never to the transport it is already on
    this.#upgrades = data.upgrades.filter(
      (u) => u !== this.transport.name && this.transports.includes(u as TransportName),
    );
    this.#pingInterval = data.pingInterval;
    this.#pingTimeout = data.pingTimeout;
    this.#maxPayload = data.maxPayload ?? 0;
    this.#applyPollTimeout(this.transport);
    this.#onOpen();
    if (this.readyState === "closed") return;
    this.#resetPingTimeout();
  }

  #applyPollTimeout(t: Transport): void {
    if (t instanceof Polling && this.opts.requestTimeout > 0) {
      t.pollTimeout = Math.max(this.opts.requestTimeout, this.#pingInterval + this.#pingTimeout + 5000);
    }
  }

  #timer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(fn, ms);
    if (this.opts.autoUnref) unrefTimer(t);
    return t;
  }

  #resetPingTimeout(): void {
    if (this.#pingTimer !== undefined) clearTimeout(this.#pingTimer);
    const delay = this.#pingInterval + this.#pingTimeout;
    this.#pingTimeoutTime = Date.now() + delay;
    const check = () => {
      // timers are throttled in background tabs and suspended processes: trust the wall clock
      const left = this.#pingTimeoutTime - Date.now();
      if (left > 0) this.#pingTimer = this.#timer(check, left);
      else this.#onClose("ping timeout");
    };
    this.#pingTimer = this.#timer(check, delay);
  }

  /**
   * Whether the heartbeat deadline has passed without the timer noticing (throttled timers). When it has, the
   * socket closes with `ping timeout` on the next tick, as engine.io-client's `_hasPingExpired`.
   */
  hasPingExpired(): boolean {
    if (this.#pingTimeoutTime === 0) return true;
    const expired = Date.now() > this.#pingTimeoutTime;
    if (expired) {
      this.#pingTimeoutTime = 0;
      this.platform.nextTick(() => this.#onClose("ping timeout"));
    }
    return expired;
  }

  #onDrain(): void {
    const done = this.#queue.splice(0, this.#prevBufferLen);
    this.writeBuffer.splice(0, this.#prevBufferLen);
    // resetting is essential: the upgrade packet is sent outside the buffer and drains too
    this.#prevBufferLen = 0;
    for (const q of done) q.cb?.();
    if (this.#queue.length === 0) this.emit("drain");
    else this.flush();
  }

  /** Writes buffered packets if the transport can take them. */
  flush(): void {
    if (
      this.readyState !== "closed" &&
      this.transport.writable &&
      !this.upgrading &&
      this.#queue.length > 0
    ) {
      const n = this.#batchLength();
      debug("flushing %d packets in socket", n);
      this.transport.send(this.#queue.slice(0, n).map((q) => q.packet));
      this.#prevBufferLen = n;
      this.emit("flush");
    }
  }

  /** How many buffered packets fit in one write: polling respects `maxPayload` and `maxPacketsPerPost`. */
  #batchLength(): number {
    const q = this.#queue;
    if (this.transport.name !== "polling") return q.length;
    const n = Math.min(q.length, Math.max(1, this.opts.maxPacketsPerPost));
    if (!this.#maxPayload) return n;
    let size = 0;
    for (let i = 0; i < n; i++) {
      size += this.#packetSize(q[i]!.packet, true) + (i > 0 ? 1 : 0);
      if (i > 0 && size > this.#maxPayload) return i;
    }
    return n;
  }

  /** Encoded size of one packet on polling (`b`+base64 for binary) or WebSocket. */
  #packetSize(packet: Packet, polling: boolean): number {
    const d = packet.data;
    if (d === undefined) return 1;
    if (typeof d === "string") return 1 + utf8Length(d);
    const n = toBytes(d).byteLength;
    return polling || this.opts.forceBase64 ? 1 + base64Length(n) : n;
  }

  /**
   * Sends a message. `cb` runs once the message has been handed to the transport (WebSocket) or its POST
   * completed (polling). Dropped silently while closing or closed, as engine.io-client.
   */
  send(data: string | BinaryInput, options?: WriteOptions | (() => void), cb?: () => void): this {
    this.#sendPacket("message", data, options, cb);
    return this;
  }

  /** Same as {@link Socket.send}. */
  write(data: string | BinaryInput, options?: WriteOptions | (() => void), cb?: () => void): this {
    return this.send(data, options, cb);
  }

  #sendPacket(
    type: Packet["type"],
    data?: string | BinaryInput,
    options?: WriteOptions | (() => void),
    cb?: () => void,
  ): void {
    if (typeof options === "function") {
      cb = options;
      options = undefined;
    }
    // the send rule (src/protocol/message.ts) holds in every state, so misuse is found before the first close
    if (data !== undefined) socketMessage(data);
    if (this.readyState === "closing" || this.readyState === "closed") return;
    if (type === "message" && this.#pingInterval >= 0 && this.hasPingExpired()) return;
    const packet: Packet = {
      type,
      ...(data !== undefined ? { data } : {}),
      options: { compress: options?.compress !== false },
    };
    if (this.#maxPayload && type === "message") {
      const size = this.#packetSize(packet, this.transport.name === "polling");
      if (size > this.#maxPayload) {
        // one oversized message would make the server drop the whole session (413 / close 1009): refuse it
        // here, keep the session, and say exactly why
        this.emit(
          "error",
          createError("EIO_ERR_PAYLOAD_TOO_LARGE", `message of ${size} bytes exceeds maxPayload`, {
            size,
            maxPayload: this.#maxPayload,
          }),
        );
        return;
      }
    }
    this.emit("packetCreate", packet as ClientPacket);
    this.#queue.push({ packet, cb });
    this.writeBuffer.push(packet);
    this.flush();
  }

  /** Closes the connection, after the write buffer is flushed and any upgrade has finished. */
  close(): this {
    const close = () => {
      // python-engineio's client sends a close packet on WebSocket too (engineio/client.py disconnect(), 4.13.1):
      // its server then reports "client disconnect" instead of "transport close". engine.io servers ignore it.
      if (this.transport?.name === "websocket") this.transport.send([{ type: "close" }]);
      this.#onClose("forced close");
      debug("socket closing - telling transport to close");
    };
    const cleanupAndClose = () => {
      this.off("upgrade", cleanupAndClose);
      this.off("upgradeError", cleanupAndClose);
      close();
    };
    const waitForUpgrade = () => {
      // packets cannot be sent while a transport is paused: let the upgrade finish first
      this.once("upgrade", cleanupAndClose);
      this.once("upgradeError", cleanupAndClose);
    };
    if (this.readyState === "opening" || this.readyState === "open") {
      this.readyState = "closing";
      if (this.#queue.length > 0) {
        this.once("drain", () => (this.upgrading ? waitForUpgrade() : close()));
      } else if (this.upgrading) {
        waitForUpgrade();
      } else {
        close();
      }
    }
    return this;
  }

  #onError(err: TransportError | EioError, reason: CloseReason = "transport error"): void {
    debug("socket error %O", err);
    Socket.priorWebsocketSuccess = false;
    if (this.opts.tryAllTransports && this.transports.length > 1 && this.readyState === "opening") {
      debug("failed to open %s, trying the next transport", this.transports[0]);
      this.transports.shift();
      this.#detach(this.transport);
      this.transport.close();
      this.#open();
      return;
    }
    this.emit("error", err);
    this.#onClose(err.code === "EIO_ERR_PARSE" ? "parse error" : reason, err);
  }

  #onClose(reason: CloseReason, description?: CloseDetails | TransportError | EioError): void {
    if (this.readyState !== "opening" && this.readyState !== "open" && this.readyState !== "closing") return;
    debug('socket close with reason: "%s"', reason);
    if (this.#pingTimer !== undefined) clearTimeout(this.#pingTimer);
    this.#pingTimeoutTime = Number.POSITIVE_INFINITY;
    const t = this.transport;
    if (t) {
      t.off("close", this.#onTransportClose);
      t.close();
      t.removeAllListeners();
    }
    if (withEventListeners) {
      if (this.#beforeunload) removeEventListener("beforeunload", this.#beforeunload, false);
      if (this.#offline) offlineListeners.delete(this.#offline);
    }
    this.readyState = "closed";
    this.id = null;
    this.emit("close", reason, description);
    // cleared after the event so listeners can still read what was not sent
    this.writeBuffer = [];
    this.#queue = [];
    this.#prevBufferLen = 0;
  }
}
