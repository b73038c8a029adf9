/**
 * A minimal HTTP/1.1 keep-alive client for the load generator's long-polling cases: one `net` socket, one request
 * at a time (later ones wait in a queue, no pipelining), and a response reader for `Content-Length` and chunked
 * bodies.
 *
 * Why not `node:http`: with 50 clients its per-request machinery (ClientRequest, the agent, IncomingMessage and
 * its stream events) held the load generator at 98–100 % of a core in the polling echo cases while the fastest
 * server did not saturate, so the benchmark measured its load generator (see raw-ws.ts for the WebSocket twin).
 * The bytes on the wire are what node:http sends for these requests: the request line, `Host`,
 * `Connection: keep-alive`, and for a body `Content-Type` and `Content-Length`.
 */
import net from "node:net";

/** What a request's callback receives. */
export type RawHttpCallback = (err: Error | null, status: number, body: string) => void;

interface Pending {
  data: string;
  cb: RawHttpCallback;
}

/** One kept-alive connection to `127.0.0.1:port`, opened on the first request and again after the server closes it. */
export class RawHttpConn {
  private socket: net.Socket | null = null;
  private readonly queue: Pending[] = [];
  /** The request on the wire, if any. */
  private current: Pending | null = null;
  private buf: Buffer | null = null;
  private destroyed = false;

  constructor(
    private readonly port: number,
    private readonly localAddress: string,
  ) {}

  /** Sends `method path` (with `body` as text/plain when given); `cb` gets the status and the body as text. */
  request(method: "GET" | "POST", path: string, body: string | null, cb: RawHttpCallback): void {
    let data = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nConnection: keep-alive\r\n`;
    data +=
      body === null
        ? "\r\n"
        : `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    this.queue.push({ data, cb });
    if (this.current === null) this.next();
  }

  /** Closes the connection; a request still waiting gets an error. */
  destroy(): void {
    this.destroyed = true;
    this.socket?.destroy();
    this.socket = null;
    this.failAll(new Error("raw http: destroyed"));
  }

  private next(): void {
    const req = this.queue.shift();
    if (req === undefined) return;
    if (this.destroyed) {
      req.cb(new Error("raw http: destroyed"), 0, "");
      return;
    }
    this.current = req;
    this.connection().write(req.data);
  }

  private connection(): net.Socket {
    if (this.socket !== null) return this.socket;
    const s = net.connect({ host: "127.0.0.1", port: this.port, localAddress: this.localAddress });
    s.setNoDelay(true);
    s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("error", () => {
      // "close" follows and fails the request on the wire
    });
    s.on("close", () => {
      if (this.socket === s) this.socket = null;
      this.buf = null;
      const req = this.current;
      this.current = null;
      if (req !== null) req.cb(new Error("raw http: connection closed"), 0, "");
      if (this.destroyed) this.failAll(new Error("raw http: destroyed"));
      else this.next();
    });
    this.socket = s;
    return s;
  }

  private failAll(err: Error): void {
    const req = this.current;
    this.current = null;
    if (req !== null) req.cb(err, 0, "");
    for (const q of this.queue.splice(0)) q.cb(err, 0, "");
  }

  private onData(chunk: Buffer): void {
    const buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = null;
    const headEnd = buf.indexOf("\r\n\r\n");
    if (headEnd === -1) {
      this.buf = buf;
      return;
    }
    const head = buf.toString("latin1", 0, headEnd).toLowerCase();
    const status = Number(head.slice(9, 12));
    let body: Buffer | null;
    let used: number;
    const cl = /\r\ncontent-length: *(\d+)/.exec(head);
    if (cl !== null) {
      const n = Number(cl[1]);
      used = headEnd + 4 + n;
      body = buf.length >= used ? buf.subarray(headEnd + 4, used) : null;
    } else if (/\r\ntransfer-encoding: *chunked/.test(head)) {
      ({ body, used } = dechunk(buf, headEnd + 4));
    } else {
      body = Buffer.alloc(0); // 204/304 or an empty answer
      used = headEnd + 4;
    }
    if (body === null) {
      this.buf = buf;
      return;
    }
    if (used < buf.length) this.buf = buf.subarray(used); // a server never sends more; keep it for the error path
    const req = this.current;
    this.current = null;
    req?.cb(null, status, body.toString());
    if (this.current === null) this.next();
  }
}

/** A chunked body starting at `from`: the joined chunks and where the message ends, or `null` if incomplete. */
function dechunk(buf: Buffer, from: number): { body: Buffer | null; used: number } {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf("\r\n", at);
    if (eol === -1) return { body: null, used: 0 };
    const size = Number.parseInt(buf.toString("latin1", at, eol), 16);
    if (size === 0) {
      const end = buf.indexOf("\r\n\r\n", eol);
      if (end === -1 && buf.length < eol + 4) return { body: null, used: 0 };
      return { body: Buffer.concat(parts), used: end === -1 ? eol + 4 : end + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return { body: null, used: 0 };
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
