/**
 * A lean server-side WebSocket (RFC 6455) for the common case: an HTTP/1.1 upgrade with no extension negotiated,
 * on the default `wsEngine`. The transport already frames what it sends (ws-batch.ts); this replaces what `ws`
 * still did — the handshake and the receiver — so an idle session holds one small object instead of `ws`'s
 * `WebSocket` (an EventEmitter), its `Receiver` (a `Writable` stream with its state and six listeners) and its
 * `Sender` (≈ 0.9 KB of heap per session), and a message costs no stream write, no `emit` and no callback.
 *
 * What a client can see matches `ws` 8 as a server (lib/websocket-server.js, websocket.js, receiver.js): the same
 * handshake refusals and response, the same close handshake (a close frame is echoed, then the TCP socket is
 * ended; 30 s after a close frame is sent the socket is destroyed), automatic pongs, and the same protocol
 * errors with the same codes (`WS_ERR_*`, close codes 1002 / 1007 / 1009). Everything else
 * (permessage-deflate, a custom `wsEngine`, HTTP/2, the Fetch runtimes) keeps using `ws`. `EIO_WS=ws` in the
 * environment turns this off everywhere.
 *
 * Socket listeners are module-level functions (`this` is the TCP socket, the connection is found through a
 * symbol property), and the connection calls its handler (the transport) directly: nothing is allocated per
 * session beyond the connection object, nothing per message beyond the payload view.
 */
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { type IncomingMessage, type OutgoingHttpHeaders, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { createDebug } from "../debug.js";
import { envVar } from "../env.js";

const debug = createDebug("engine:ws-lite");

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const KEY_RE = /^[+/0-9A-Za-z]{22}==$/;
/** How long a closing connection waits for the peer before the socket is destroyed (ws's `CLOSE_TIMEOUT`). */
export const CLOSE_TIMEOUT_MS = 30_000;

/** What the connection reports to (the WebSocket transport's methods of the same names). */
export interface LiteHandler {
  /** One complete message (text frames validated as UTF-8). */
  onFrame(data: Buffer, isBinary: boolean): void;
  /** One complete single-frame text message: the (validated UTF-8) bytes `[start, end)` of `b`. */
  onTextRange(b: Buffer, start: number, end: number): void;
  /** The TCP socket closed (emitted once). */
  onClose(): void;
  /** A protocol error (`code` is one of ws's `WS_ERR_*`) or a write error. */
  onError(err: Error & { code?: string }): void;
}

/**
 * Which WebSocket server connection runs the common case: `"lite"` ({@link LiteWebSocket}) or `"ws"` (the `ws`
 * package). The lean connection is the default; `EIO_WS=ws` is the kill switch.
 */
export function liteWsEnabled(): boolean {
  return envVar("EIO_WS") !== "ws";
}

// ---- handshake ---------------------------------------------------------------------------------------------

/** RFC 7230 token characters (what ws's subprotocol parser accepts). */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TOKEN[c.charCodeAt(0)] = 1;

/**
 * The first subprotocol of a `Sec-WebSocket-Protocol` header (what ws selects without `handleProtocols`), or
 * `null` when the header is malformed (ws's `subprotocol.parse` throws: empty items, bad characters, duplicates).
 */
export function firstSubprotocol(header: string): string | null {
  const seen = new Set<string>();
  let first: string | null = null;
  let start = -1;
  let end = -1;
  let i = 0;
  for (; i < header.length; i++) {
    const code = header.charCodeAt(i);
    if (end === -1 && code < 128 && TOKEN[code] === 1) {
      if (start === -1) start = i;
    } else if (i !== 0 && (code === 0x20 || code === 0x09)) {
      if (end === -1 && start !== -1) end = i;
    } else if (code === 0x2c) {
      if (start === -1) return null;
      if (end === -1) end = i;
      const p = header.slice(start, end);
      if (seen.has(p)) return null;
      seen.add(p);
      first ??= p;
      start = end = -1;
    } else return null;
  }
  if (start === -1 || end !== -1) return null;
  const p = header.slice(start, i);
  if (seen.has(p)) return null;
  return first ?? p;
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Refuses a handshake as ws's `abortHandshake` does: `Connection: close`, a text/html body, then destroy. */
export function abortHandshake(
  socket: Duplex,
  code: number,
  message?: string,
  headers?: Record<string, string>,
): void {
  const body = message || STATUS_CODES[code] || "";
  const all: Record<string, string | number> = {
    Connection: "close",
    "Content-Type": "text/html",
    "Content-Length": Buffer.byteLength(body),
    ...headers,
  };
  socket.once("finish", destroySocket);
  let head = `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\n`;
  for (const k of Object.keys(all)) head += `${k}: ${all[k]}\r\n`;
  socket.end(`${head}\r\n${body}`);
}

/**
 * Runs ws's handshake checks and, when they pass, writes the `101` response (with `extra` headers) and returns
 * the connection; otherwise answers as ws does and returns `null`. `extra` is built only once the request is
 * accepted (`headers` runs where ws emits its `headers` event).
 */
export function acceptLiteWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  maxPayload: number,
  headers: () => OutgoingHttpHeaders,
  deferHead = false,
): LiteWebSocket | null {
  const key = req.headers["sec-websocket-key"];
  const upgrade = req.headers.upgrade;
  const version = +(req.headers["sec-websocket-version"] as string);
  if (req.method !== "GET") {
    abortHandshake(socket, 405, "Invalid HTTP method");
    return null;
  }
  if (upgrade === undefined || upgrade.toLowerCase() !== "websocket") {
    abortHandshake(socket, 400, "Invalid Upgrade header");
    return null;
  }
  if (key === undefined || !KEY_RE.test(key)) {
    abortHandshake(socket, 400, "Missing or invalid Sec-WebSocket-Key header");
    return null;
  }
  if (version !== 13 && version !== 8) {
    abortHandshake(socket, 400, "Missing or invalid Sec-WebSocket-Version header", {
      "Sec-WebSocket-Version": "13, 8",
    });
    return null;
  }
  const protoHeader = req.headers["sec-websocket-protocol"];
  let protocol: string | null = null;
  if (protoHeader !== undefined) {
    protocol = firstSubprotocol(protoHeader);
    if (protocol === null) {
      abortHandshake(socket, 400, "Invalid Sec-WebSocket-Protocol header");
      return null;
    }
  }
  // the client already sent its FIN (ws's completeUpgrade)
  if (!socket.readable || !socket.writable) {
    socket.destroy();
    return null;
  }
  const digest = createHash("sha1")
    .update(key + GUID)
    .digest("base64");
  let res = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${digest}\r\n`;
  if (protocol !== null) res += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  const extra = headers();
  for (const k of Object.keys(extra)) {
    const v = extra[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) res += `${k}: ${one}\r\n`;
    else res += `${k}: ${v}\r\n`;
  }
  const c = new LiteWebSocket(socket, head, maxPayload);
  if (deferHead) {
    // The 101 goes out with the session's first frames (the open packet, written at the next tick): one syscall
    // instead of two, ~14 % of a WebSocket-only handshake's CPU (ws writes the 101 alone). Any earlier write
    // (a pong, a close frame) puts it first; if nothing is written by the end of the next tick it goes alone.
    c.pendingHead = `${res}\r\n`;
    process.nextTick(headFallback, c);
  } else socket.write(`${res}\r\n`);
  return c;
}

// ---- connection --------------------------------------------------------------------------------------------

const kLite = Symbol("engineio-wasm:ws-lite");
type TaggedSocket = Duplex & {
  [kLite]?: LiteWebSocket;
  setTimeout?: (ms: number) => void;
  setNoDelay?: () => void;
  writableLength: number;
};

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** `flags` bits. */
const F_CLOSE_SENT = 1;
const F_CLOSE_RECEIVED = 2;
/** A protocol error was raised (ws: the receiver's `errorEmitted`). */
const F_ERRORED = 4;
/** Incoming data is ignored from now on (after a close frame or an error, as ws removes its `data` listener). */
const F_STOPPED = 8;
/** The `error` was reported once (ws's `_errorEmitted`). */
const F_ERROR_REPORTED = 16;

const EMPTY = Buffer.alloc(0);
/** Buffer's own view class: a view made with it skips `subarray`'s species lookup (as ws's receiver does). */
const FastBuffer = (
  Buffer as unknown as { [Symbol.species]: new (ab: ArrayBufferLike, off: number, len: number) => Buffer }
)[Symbol.species];
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A protocol error as ws's receiver builds it (`code` is ws's, `statusCode` the close code sent). */
export class WsProtocolError extends Error {
  /** ws's error code (`WS_ERR_*`). */
  readonly code: string;
  /** The close code sent to the peer. */
  readonly statusCode: number;
  constructor(message: string, prefix: boolean, statusCode: number, code: string) {
    super(prefix ? `Invalid WebSocket frame: ${message}` : message);
    this.name = statusCode === 1007 ? "Error" : "RangeError";
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** Whether `code` may appear in a close frame (ws's `isValidStatusCode`). */
function isValidStatusCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/**
 * Unmasks `len` bytes of `b` from `off` in place with the 4-byte mask at `m` (RFC 6455 §5.3). Long payloads go
 * a 32-bit word at a time over the aligned middle (Node has no built-in; ws uses bufferutil or a byte loop).
 */
export function unmask(b: Buffer, off: number, len: number, m: number): void {
  const m0 = b[m]!;
  const m1 = b[m + 1]!;
  const m2 = b[m + 2]!;
  const m3 = b[m + 3]!;
  if ((m0 | m1 | m2 | m3) === 0) return;
  let i = 0;
  if (len >= 64) {
    const abs = b.byteOffset + off;
    const headLen = (4 - (abs & 3)) & 3;
    for (; i < headLen; i++) b[off + i]! ^= b[m + (i & 3)]!;
    const k0 = b[m + (i & 3)]!;
    const k1 = b[m + ((i + 1) & 3)]!;
    const k2 = b[m + ((i + 2) & 3)]!;
    const k3 = b[m + ((i + 3) & 3)]!;
    const word = LITTLE_ENDIAN
      ? k0 | (k1 << 8) | (k2 << 16) | (k3 << 24)
      : (k0 << 24) | (k1 << 16) | (k2 << 8) | k3;
    const n = (len - headLen) >>> 2;
    const words = new Int32Array(b.buffer, abs + headLen, n);
    for (let w = 0; w < n; w++) words[w]! ^= word;
    i = headLen + 4 * n;
  }
  for (; i < len; i++) b[off + i]! ^= b[m + (i & 3)]!;
}

/**
 * Whether `b` is UTF-8 (text frames, RFC 6455 §8.1). A short all-ASCII payload is checked here — crossing into
 * `buffer.isUtf8` costs more than the scan (ws likewise validates short payloads in JS).
 */
function validUtf8(b: Buffer, start: number, end: number): boolean {
  if (end - start < 32) {
    for (let i = start; i < end; i++) if (b[i]! >= 0x80) return isUtf8(b.subarray(start, end));
    return true;
  }
  return isUtf8(start === 0 && end === b.length ? b : b.subarray(start, end));
}

/** Writes a server frame header (FIN set, unmasked); returns the header length. */
function frameHeader(out: Buffer, first: number, len: number): number {
  out[0] = first;
  if (len < 126) {
    out[1] = len;
    return 2;
  }
  if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
    return 4;
  }
  out[1] = 127;
  out.writeUInt32BE(Math.floor(len / 0x100000000), 2);
  out.writeUInt32BE(len >>> 0, 6);
  return 10;
}

/** One frame of `payload` with `opcode` (a single buffer: control frames and the rare `send`). */
function frame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const out = Buffer.allocUnsafe(len + (len < 126 ? 2 : len < 65536 ? 4 : 10));
  const h = frameHeader(out, 0x80 | opcode, len);
  out.set(payload, h);
  return out;
}

function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  this[kLite]?.onData(chunk);
}
function onSocketEnd(this: TaggedSocket): void {
  const c = this[kLite];
  if (c !== undefined && c.readyState !== CLOSED) c.readyState = CLOSING;
  // Our FIN may be out already (the closing handshake ended the socket): a second end() only builds an
  // ERR_STREAM_ALREADY_FINISHED with its stack trace, ~4 % of a WebSocket handshake's CPU.
  if (!this.writableEnded) this.end();
}
// Two ticks: the session's frame batch is queued for the next tick after this check (see acceptLiteWebSocket).
function headFallback(c: LiteWebSocket): void {
  if (c.pendingHead !== null) process.nextTick(writePendingHead, c);
}
function writePendingHead(c: LiteWebSocket): void {
  c.writeHead();
}
function onSocketError(this: TaggedSocket): void {
  const c = this[kLite];
  if (c !== undefined && c.readyState !== CLOSED) c.readyState = CLOSING;
  this.destroy();
}
function onSocketClose(this: TaggedSocket): void {
  const c = this[kLite];
  if (c === undefined) return;
  this[kLite] = undefined;
  c.onSocketClose();
}
function onCloseFrameWritten(this: LiteWebSocket, err?: Error | null): void {
  if (err) return; // the socket's `error` listener handles it; only a written close frame matters here
  this.flags |= F_CLOSE_SENT;
  if (this.flags & (F_CLOSE_RECEIVED | F_ERRORED)) this.socket.end();
}

/**
 * One server-side WebSocket connection on its TCP socket, with the face of ws's `WebSocket` that the transport
 * uses (`readyState`, `OPEN`, `bufferedAmount`, `extensions`, `send`, `close`, `terminate`).
 */
export class LiteWebSocket {
  /** The TCP socket (frames are written onto it by the transport). */
  readonly socket: TaggedSocket;
  /** Messages and lifecycle go here (the transport). */
  handler: LiteHandler | null = null;
  /** ws's ready states: 1 open, 2 closing, 3 closed. */
  readyState: number = CONNECTING;
  /** @internal {@link F_CLOSE_SENT} … bits. */
  flags = 0;
  /** The largest message accepted (0: no limit), as ws's `maxPayload`. */
  private readonly maxPayload: number;
  /** Bytes of an incomplete frame (header or payload), kept until {@link LiteWebSocket.need} bytes are in. */
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  private need = 0;
  /** Payloads of the fragmented message being received (`null` for none, or while it has one fragment). */
  private fragments: Buffer[] | Buffer | null = null;
  /** Opcode of the fragmented message being received (0: none). */
  private fragOpcode = 0;
  /** Payload bytes of the message being received so far (ws's `_totalPayloadLength`). */
  private fragLen = 0;
  private closeTimer: NodeJS.Timeout | null = null;

  /** Takes over `socket` after the `101` was written; `head` is what the client sent after its request. */
  /**
   * The 101 answer while it waits for the session's first frames (see {@link acceptLiteWebSocket}). @internal
   */
  pendingHead: string | null = null;

  /** Writes the pending 101 answer, if any, before anything else goes out. @internal */
  writeHead(): void {
    const h = this.pendingHead;
    if (h === null) return;
    this.pendingHead = null;
    if (!this.socket.destroyed) this.socket.write(h);
  }

  constructor(socket: Duplex, head: Buffer, maxPayload: number) {
    const s = socket as TaggedSocket;
    this.socket = s;
    this.maxPayload = maxPayload;
    s[kLite] = this;
    s.setTimeout?.(0);
    s.setNoDelay?.();
    if (head.length > 0) s.unshift(head);
    s.on("close", onSocketClose);
    s.on("data", onSocketData);
    s.on("end", onSocketEnd);
    s.on("error", onSocketError);
    this.readyState = OPEN;
  }

  /** ws's `OPEN` constant. */
  get OPEN(): 1 {
    return OPEN;
  }
  /** No extension is ever negotiated here. */
  get extensions(): string {
    return "";
  }
  /** Bytes accepted but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Sends one text (string) or binary message in its own write (the transport batches its own frames). */
  send(data: string | Uint8Array, cb?: (err?: Error | null) => void): void {
    if (this.readyState !== OPEN) return;
    const f = typeof data === "string" ? frame(0x01, Buffer.from(data, "utf8")) : frame(0x02, data);
    this.writeHead();
    this.socket.write(f, cb);
  }

  /**
   * Starts (or, once the peer's close frame is in, completes) the closing handshake, as ws's `close`: a close
   * frame (empty, or `code` + `reason`), the socket ended once both close frames are through, destroyed 30 s
   * after in any case.
   */
  close(code?: number, reason?: Uint8Array): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CLOSING) {
      if (this.flags & F_CLOSE_SENT && this.flags & (F_CLOSE_RECEIVED | F_ERRORED)) this.socket.end();
      return;
    }
    let payload: Buffer = EMPTY;
    if (code !== undefined) {
      const rlen = reason === undefined ? 0 : reason.length;
      payload = Buffer.allocUnsafe(2 + rlen);
      payload.writeUInt16BE(code, 0);
      if (rlen > 0) payload.set(reason!, 2);
    }
    this.readyState = CLOSING;
    const socket = this.socket;
    this.writeHead();
    if (!socket.destroyed) socket.write(frame(0x08, payload), onCloseFrameWritten.bind(this));
    this.closeTimer = setTimeout(destroyTimedOut, CLOSE_TIMEOUT_MS, socket);
  }

  /** Destroys the socket (ws's `terminate`). */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this.socket.destroy();
  }

  /** @internal */
  onSocketClose(): void {
    this.readyState = CLOSED;
    if (this.closeTimer !== null) {
      clearTimeout(this.closeTimer);
      this.closeTimer = null;
    }
    this.pending = null;
    this.fragments = null;
    const h = this.handler;
    this.handler = null;
    h?.onClose();
  }

  /** @internal One chunk from the TCP socket. */
  onData(chunk: Buffer): void {
    if (this.flags & F_STOPPED) return;
    const pending = this.pending;
    if (pending !== null) {
      pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.need) return;
      chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, this.pendingBytes);
      this.pending = null;
      this.pendingBytes = 0;
    }
    this.parse(chunk);
  }

  /** Keeps the unparsed rest of `b` from `off` until `need` bytes of it are in. */
  private keep(b: Buffer, off: number, need: number): void {
    const rest = off === 0 ? b : b.subarray(off);
    this.pending = [rest];
    this.pendingBytes = rest.length;
    this.need = need;
  }

  /** Parses every complete frame of `b`. */
  private parse(b: Buffer): void {
    const end = b.length;
    let off = 0;
    while (off < end) {
      if (this.flags & F_STOPPED || this.socket.destroyed) return;
      const avail = end - off;
      if (avail < 2) {
        this.keep(b, off, 2);
        return;
      }
      const b0 = b[off]!;
      const b1 = b[off + 1]!;
      const fin = (b0 & 0x80) !== 0;
      let opcode = b0 & 0x0f;
      let len = b1 & 0x7f;
      // ws's getInfo, in its order
      if ((b0 & 0x30) !== 0) {
        this.fail("RSV2 and RSV3 must be clear", true, 1002, "WS_ERR_UNEXPECTED_RSV_2_3");
        return;
      }
      if ((b0 & 0x40) !== 0) {
        this.fail("RSV1 must be clear", true, 1002, "WS_ERR_UNEXPECTED_RSV_1");
        return;
      }
      if (opcode === 0x00) {
        if (this.fragOpcode === 0) {
          this.fail("invalid opcode 0", true, 1002, "WS_ERR_INVALID_OPCODE");
          return;
        }
        opcode = this.fragOpcode;
      } else if (opcode === 0x01 || opcode === 0x02) {
        if (this.fragOpcode !== 0) {
          this.fail(`invalid opcode ${opcode}`, true, 1002, "WS_ERR_INVALID_OPCODE");
          return;
        }
      } else if (opcode > 0x07 && opcode < 0x0b) {
        if (!fin) {
          this.fail("FIN must be set", true, 1002, "WS_ERR_EXPECTED_FIN");
          return;
        }
        if (len > 0x7d || (opcode === 0x08 && len === 1)) {
          this.fail(`invalid payload length ${len}`, true, 1002, "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH");
          return;
        }
      } else {
        this.fail(`invalid opcode ${opcode}`, true, 1002, "WS_ERR_INVALID_OPCODE");
        return;
      }
      if ((b1 & 0x80) === 0) {
        this.fail("MASK must be set", true, 1002, "WS_ERR_EXPECTED_MASK");
        return;
      }
      let h = 2;
      if (len === 126) {
        if (avail < 4) {
          this.keep(b, off, 4);
          return;
        }
        len = b.readUInt16BE(off + 2);
        h = 4;
      } else if (len === 127) {
        if (avail < 10) {
          this.keep(b, off, 10);
          return;
        }
        const hi = b.readUInt32BE(off + 2);
        if (hi > 2 ** 21 - 1) {
          this.fail(
            "Unsupported WebSocket frame: payload length > 2^53 - 1",
            false,
            1009,
            "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH",
          );
          return;
        }
        len = hi * 0x100000000 + b.readUInt32BE(off + 6);
        h = 10;
      }
      // ws's haveLength: the limit is on the message (every fragment so far), checked before its bytes arrive
      if (len > 0 && opcode < 0x08 && this.maxPayload > 0 && this.fragLen + len > this.maxPayload) {
        this.fail("Max payload size exceeded", false, 1009, "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH");
        return;
      }
      const total = h + 4 + len;
      if (avail < total) {
        this.keep(b, off, total);
        return;
      }
      const start = off + h + 4;
      if (len > 0) unmask(b, start, len, off + h);
      off += total;
      if (opcode === 0x01 && fin && this.fragOpcode === 0) {
        // the common case, a whole text message: validated and handed over as a range (no view)
        if (!validUtf8(b, start, off)) {
          this.fail("invalid UTF-8 sequence", true, 1007, "WS_ERR_INVALID_UTF8");
          return;
        }
        this.fragLen = 0;
        this.handler?.onTextRange(b, start, off);
        continue;
      }
      const payload = len === 0 ? EMPTY : new FastBuffer(b.buffer, b.byteOffset + start, len);
      if (opcode > 0x07) {
        this.control(opcode, payload);
        continue;
      }
      if (!fin) {
        // a fragment: keep it until the last one (ws concatenates the message's fragments)
        if (this.fragOpcode === 0) this.fragOpcode = opcode;
        this.fragLen += len;
        if (len > 0) this.addFragment(payload);
        continue;
      }
      let data = payload;
      if (this.fragOpcode !== 0) {
        if (len > 0) this.addFragment(payload);
        const f = this.fragments;
        data = f === null ? EMPTY : Buffer.isBuffer(f) ? f : Buffer.concat(f, this.fragLen + len);
        this.fragments = null;
        this.fragOpcode = 0;
      }
      this.fragLen = 0;
      if (opcode === 0x01 && !validUtf8(data, 0, data.length)) {
        this.fail("invalid UTF-8 sequence", true, 1007, "WS_ERR_INVALID_UTF8");
        return;
      }
      this.handler?.onFrame(data, opcode === 0x02);
    }
  }

  private addFragment(p: Buffer): void {
    const f = this.fragments;
    if (f === null) this.fragments = p;
    else if (Buffer.isBuffer(f)) this.fragments = [f, p];
    else f.push(p);
  }

  /** A ping, pong or close frame (ws's controlMessage, with ws's automatic pong). */
  private control(opcode: number, data: Buffer): void {
    if (opcode === 0x09) {
      if (this.readyState === OPEN && !this.socket.destroyed) {
        this.writeHead();
        this.socket.write(frame(0x0a, data));
      }
      return;
    }
    if (opcode === 0x0a) return;
    // close
    let code = 1005;
    let reason: Buffer = EMPTY;
    if (data.length > 0) {
      code = data.readUInt16BE(0);
      if (!isValidStatusCode(code)) {
        this.fail(`invalid status code ${code}`, true, 1002, "WS_ERR_INVALID_CLOSE_CODE");
        return;
      }
      reason = data.subarray(2);
      if (!validUtf8(reason, 0, reason.length)) {
        this.fail("invalid UTF-8 sequence", true, 1007, "WS_ERR_INVALID_UTF8");
        return;
      }
    }
    debug("close frame %d", code);
    this.flags |= F_CLOSE_RECEIVED | F_STOPPED;
    this.pending = null;
    this.fragments = null;
    if (code === 1005) this.close();
    else this.close(code, reason);
  }

  /**
   * A protocol error: stop reading now; at the next tick close with the error's code and report it once, as ws
   * does (its receiver's error is emitted at a tick, so what the transport queued in this tick goes first).
   */
  private fail(message: string, prefix: boolean, statusCode: number, code: string): void {
    debug("protocol error %s", code);
    this.flags |= F_ERRORED | F_STOPPED;
    this.pending = null;
    this.fragments = null;
    process.nextTick(reportFailure, this, new WsProtocolError(message, prefix, statusCode, code));
  }

  /** @internal */
  onFailure(err: WsProtocolError): void {
    if (this.readyState !== CLOSED) this.close(err.statusCode);
    if (this.flags & F_ERROR_REPORTED) return;
    this.flags |= F_ERROR_REPORTED;
    this.handler?.onError(err);
  }
}

function reportFailure(c: LiteWebSocket, err: WsProtocolError): void {
  c.onFailure(err);
}

function destroyTimedOut(socket: Duplex): void {
  socket.destroy();
}
