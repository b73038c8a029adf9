/**
 * Just enough HTTP/1.1 framing for the cluster primary to relay bytes without parsing messages: where a head
 * ends, the few header fields that decide a body's length (RFC 9112 §6), and a counter that finds where a
 * `Content-Length` or chunked body ends. The primary never builds header objects or re-serialises a message:
 * it only needs to know where one request (or response) stops and the next one starts.
 */

/** Longest head accepted (request line + headers), as Node's default `maxHeaderSize`. */
export const MAX_HEAD = 16 * 1024;

/** What the relay needs from a request or response head. */
export interface Head {
  /** Bytes of the head, including the blank line. */
  length: number;
  /** Request: the method; response: "" */
  method: string;
  /** Request: the request target; response: "" */
  target: string;
  /** Response: the status code; request: 0 */
  status: number;
  /** `Content-Length`, or -1 without one. */
  contentLength: number;
  /** `Transfer-Encoding` ends in `chunked`. */
  chunked: boolean;
  /** Has a `Transfer-Encoding` that is not chunked (a response body then runs to the connection's end). */
  otherEncoding: boolean;
  /** `Connection: close` (or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** Has an `Upgrade` header. */
  upgrade: boolean;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/**
 * Parses the head at the start of `buf`: `undefined` when it is not complete yet, `null` when it is malformed
 * (or longer than {@link MAX_HEAD}).
 */
export function parseHead(buf: Buffer, isRequest: boolean): Head | null | undefined {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) return buf.length > MAX_HEAD ? null : undefined;
  if (end > MAX_HEAD) return null;
  // latin1: header bytes map 1:1 to characters, so offsets stay byte offsets
  const text = buf.toString("latin1", 0, end);
  const lines = text.split("\r\n");
  const first = lines[0]!.split(" ");
  const head: Head = {
    length: end + 4,
    method: "",
    target: "",
    status: 0,
    contentLength: -1,
    chunked: false,
    otherEncoding: false,
    close: false,
    upgrade: false,
  };
  let version: string;
  if (isRequest) {
    if (first.length !== 3) return null;
    head.method = first[0]!;
    head.target = first[1]!;
    version = first[2]!;
  } else {
    version = first[0]!;
    head.status = Number(first[1]);
    if (!Number.isInteger(head.status) || head.status < 100 || head.status > 999) return null;
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") return null;
  let keepAlive = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") {
      if (!/^\d{1,15}$/.test(value)) return null;
      const n = Number(value);
      // two different lengths make the framing ambiguous (request smuggling): refuse
      if (head.contentLength >= 0 && head.contentLength !== n) return null;
      head.contentLength = n;
    } else if (name === "transfer-encoding") {
      const last = value.toLowerCase().split(",").pop()!.trim();
      if (last === "chunked") head.chunked = true;
      else head.otherEncoding = true;
    } else if (name === "connection") {
      const v = value.toLowerCase();
      if (/(^|,)\s*close\s*(,|$)/.test(v)) head.close = true;
      if (/(^|,)\s*keep-alive\s*(,|$)/.test(v)) keepAlive = true;
    } else if (name === "upgrade") head.upgrade = true;
  }
  if (version === "HTTP/1.0" && !keepAlive) head.close = true;
  // a request with both is refused (RFC 9112 §6.1: a proxy must not forward it as is)
  if (isRequest && (head.chunked || head.otherEncoding) && head.contentLength >= 0) return null;
  if (isRequest && head.otherEncoding) return null;
  return head;
}

enum Chunk {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  Done,
}

/** Counts the bytes of one message body: a fixed length, chunked, or (responses) until the connection ends. */
export class BodyCounter {
  private left: number;
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;
  /** Set when the body ended inside the bytes given to {@link BodyCounter.take}. */
  done: boolean;
  /** Set when the chunked framing was malformed. */
  invalid = false;

  /** `length` ≥ 0: that many bytes; -1: chunked; -2: until the connection closes. */
  constructor(private readonly length: number) {
    this.left = length;
    this.done = length === 0;
  }

  /** How many bytes of `buf` from `off` belong to the body (all of them unless it ends inside). */
  take(buf: Buffer, off: number): number {
    if (this.done) return 0;
    const avail = buf.length - off;
    if (this.length === -2) return avail;
    if (this.length >= 0) {
      const n = Math.min(avail, this.left);
      this.left -= n;
      this.done = this.left === 0;
      return n;
    }
    let i = off;
    while (i < buf.length && !this.done) {
      const c = buf[i]!;
      switch (this.state) {
        case Chunk.Size: {
          const d = hexDigit(c);
          if (d >= 0) {
            if (++this.digits > 12) return this.fail(i);
            this.size = this.size * 16 + d;
          } else if (this.digits === 0) return this.fail(i);
          else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) this.state = Chunk.Ext;
          else if (c === 0x0d) this.state = Chunk.SizeLf;
          else return this.fail(i);
          i++;
          break;
        }
        case Chunk.Ext:
          if (c === 0x0d) this.state = Chunk.SizeLf;
          i++;
          break;
        case Chunk.SizeLf:
          if (c !== 0x0a) return this.fail(i);
          i++;
          this.state = this.size === 0 ? Chunk.TrailerStart : Chunk.Data;
          this.left = this.size;
          break;
        case Chunk.Data: {
          const n = Math.min(buf.length - i, this.left);
          i += n;
          this.left -= n;
          if (this.left === 0) this.state = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          if (c !== 0x0d) return this.fail(i);
          i++;
          this.state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (c !== 0x0a) return this.fail(i);
          i++;
          this.state = Chunk.Size;
          this.size = 0;
          this.digits = 0;
          break;
        case Chunk.TrailerStart:
          // an empty line ends the message; anything else is a trailer field line
          this.state = c === 0x0d ? Chunk.TrailerLf : Chunk.TrailerLine;
          i++;
          break;
        case Chunk.TrailerLine:
          if (c === 0x0a) this.state = Chunk.TrailerStart;
          i++;
          break;
        case Chunk.TrailerLf:
          if (c !== 0x0a) return this.fail(i);
          i++;
          this.state = Chunk.Done;
          this.done = true;
          break;
      }
    }
    return i - off;
  }

  private fail(i: number): number {
    this.invalid = true;
    this.done = true;
    return i;
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** The body length of a response to `method` with `head` for {@link BodyCounter} (RFC 9112 §6.3). */
export function responseBodyLength(method: string, head: Head): number {
  if (method === "HEAD" || head.status === 204 || head.status === 304 || head.status < 200) return 0;
  if (head.chunked) return -1;
  if (head.otherEncoding) return -2;
  return head.contentLength >= 0 ? head.contentLength : -2;
}
