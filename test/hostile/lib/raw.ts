/**
 * Raw-socket helpers for hostile tests: hand-written HTTP requests, a strict HTTP/1.1 response parser (to
 * assert "every response is well-formed HTTP or a clean close"), and WebSocket frames built byte by byte.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export interface RawResult {
  /** Everything the server sent. */
  data: Buffer;
  /** The server closed (FIN or reset) before our timeout. */
  closed: boolean;
  /** The connection was reset (ECONNRESET/EPIPE) rather than closed cleanly. */
  reset: boolean;
  /** Our timeout fired first (the connection is then destroyed by us). */
  timedOut: boolean;
  /** A connect error (the server is not listening). */
  connectError?: string;
}

/** Opens a TCP connection to 127.0.0.x:port. */
export function open(port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host });
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

/**
 * Sends `request` (all at once, or through `write` for trickling) and collects the reply until the server closes,
 * `untilComplete` says the data is a complete answer, or `timeoutMs` passes.
 */
export function raw(
  port: number,
  request: string | Buffer | ((s: Socket) => Promise<void> | void),
  opts: { timeoutMs?: number; untilComplete?: (data: Buffer) => boolean; host?: string } = {},
): Promise<RawResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    let reset = false;
    const s = connect({ port, host: opts.host ?? "127.0.0.1" });
    const finish = (closed: boolean, timedOut: boolean, connectError?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed, reset, timedOut, connectError });
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    s.on("data", (d) => {
      chunks.push(d);
      if (opts.untilComplete?.(Buffer.concat(chunks))) finish(false, false);
    });
    s.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET" || err.code === "EPIPE") reset = true;
      else if (!s.readyState || s.connecting) return finish(false, false, err.code ?? String(err));
    });
    s.on("close", () => finish(true, false));
    s.on("connect", async () => {
      try {
        if (typeof request === "function") await request(s);
        else s.write(request);
      } catch {
        // the server may close while we are still writing: that is a legitimate answer
      }
    });
  });
}

export interface HttpResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  /** Raw header lines, in order (duplicates kept). */
  rawHeaders: [string, string][];
  body: Buffer;
}

/**
 * Parses every HTTP/1.1 response in `data` strictly. Returns the responses and the number of bytes they used, or
 * an error describing the first malformation. An incomplete final response is reported as `incomplete`.
 */
export function parseResponses(
  data: Buffer,
  opts: { head?: boolean } = {},
): {
  responses: HttpResponse[];
  used: number;
  error?: string;
  incomplete?: boolean;
} {
  const responses: HttpResponse[] = [];
  let pos = 0;
  while (pos < data.length) {
    const headEnd = data.indexOf("\r\n\r\n", pos);
    if (headEnd === -1) return { responses, used: pos, incomplete: true, error: "incomplete head" };
    const head = data.subarray(pos, headEnd).toString("latin1");
    const lines = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3}) ([^\r\n]*)$/.exec(lines[0]!);
    if (!m)
      return { responses, used: pos, error: `bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}` };
    const headers: Record<string, string> = {};
    const rawHeaders: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const hm = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line);
      if (!hm) return { responses, used: pos, error: `bad header line ${JSON.stringify(line.slice(0, 80))}` };
      rawHeaders.push([hm[1]!, hm[2]!]);
      const key = hm[1]!.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${hm[2]}` : hm[2]!;
    }
    const status = Number(m[1]);
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if (opts.head || status === 101 || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0);
    } else if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf("\r\n", bodyStart);
        if (lineEnd === -1) return { responses, used: pos, incomplete: true, error: "incomplete chunk size" };
        const size = Number.parseInt(data.subarray(bodyStart, lineEnd).toString("latin1").split(";")[0]!, 16);
        if (Number.isNaN(size)) return { responses, used: pos, error: "bad chunk size" };
        const chunkStart = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = data.indexOf("\r\n", chunkStart);
          if (trailerEnd === -1)
            return { responses, used: pos, incomplete: true, error: "incomplete trailer" };
          bodyStart = trailerEnd + 2;
          break;
        }
        if (data.length < chunkStart + size + 2)
          return { responses, used: pos, incomplete: true, error: "incomplete chunk" };
        parts.push(data.subarray(chunkStart, chunkStart + size));
        bodyStart = chunkStart + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (!Number.isInteger(n) || n < 0) return { responses, used: pos, error: "bad content-length" };
      if (data.length < bodyStart + n)
        return { responses, used: pos, incomplete: true, error: "incomplete body" };
      body = data.subarray(bodyStart, bodyStart + n);
      bodyStart += n;
    } else {
      // Body until close.
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    responses.push({ status, reason: m[2]!, headers, rawHeaders, body });
    pos = bodyStart;
    if (status === 101) break; // what follows is WebSocket data
  }
  return { responses, used: pos };
}

/** True once `data` holds at least one complete response (for {@link raw}'s `untilComplete`). */
export function hasCompleteResponse(data: Buffer, opts: { head?: boolean } = {}): boolean {
  const r = parseResponses(data, opts);
  return r.responses.length > 0 && (r.responses[0]!.status === 101 || !r.incomplete);
}

/** Builds an HTTP/1.1 request. */
export function httpRequest(
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: string | Buffer,
): Buffer {
  const h: Record<string, string | number> = { Host: "127.0.0.1", ...headers };
  if (body !== undefined && h["Content-Length"] === undefined && h["Transfer-Encoding"] === undefined) {
    h["Content-Length"] = Buffer.byteLength(body);
  }
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(h)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
  return body === undefined
    ? Buffer.from(head, "latin1")
    : Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body)]);
}

// ------------------------------------------------------------------------------------------- WebSocket

export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A client WebSocket frame (masked unless `mask: false`); `declaredLength` lies about the length. */
export function wsFrame(
  opcode: number,
  payload: string | Buffer | Uint8Array = Buffer.alloc(0),
  opts: { fin?: boolean; mask?: boolean; rsv?: number; declaredLength?: number } = {},
): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const fin = opts.fin ?? true;
  const mask = opts.mask ?? true;
  const len = opts.declaredLength ?? data.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opcode & 0x0f)];
  const m = mask ? 0x80 : 0;
  let ext: Buffer;
  if (len < 126) {
    head.push(m | len);
    ext = Buffer.alloc(0);
  } else if (len < 65536) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, data]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Parses unmasked server frames; returns the frames and the bytes left over. */
export function parseFrames(data: Buffer): { frames: ServerFrame[]; rest: Buffer; error?: string } {
  const frames: ServerFrame[] = [];
  let pos = 0;
  while (data.length - pos >= 2) {
    const b0 = data[pos]!;
    const b1 = data[pos + 1]!;
    if (b1 & 0x80) return { frames, rest: data.subarray(pos), error: "server frame is masked" };
    let len = b1 & 0x7f;
    let off = pos + 2;
    if (len === 126) {
      if (data.length < off + 2) break;
      len = data.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (data.length < off + 8) break;
      len = Number(data.readBigUInt64BE(off));
      off += 8;
    }
    if (data.length < off + len) break;
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: data.subarray(off, off + len) });
    pos = off + len;
  }
  return { frames, rest: data.subarray(pos) };
}

/** The upgrade request of a WebSocket handshake. */
export function wsUpgradeRequest(path: string, headers: Record<string, string> = {}): Buffer {
  return httpRequest("GET", path, {
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
    ...headers,
  });
}

/**
 * A raw WebSocket connection: performs the upgrade, then collects frames. `closed` resolves when the TCP
 * connection ends.
 */
export class RawWs {
  frames: ServerFrame[] = [];
  private buf = Buffer.alloc(0);
  closed: Promise<void>;
  isClosed = false;
  error?: string;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w();
        resolve();
      }),
    );
    socket.on("error", () => {});
  }

  static async connect(port: number, path: string, timeoutMs = 5000): Promise<RawWs> {
    const s = await open(port);
    const ws = new RawWs(s);
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error("upgrade timed out")), timeoutMs);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) return;
        s.off("data", onData);
        clearTimeout(timer);
        const status = head.subarray(0, end).toString("latin1").split("\r\n")[0]!;
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          s.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        ws.attach(head.subarray(end + 4));
        resolve();
      };
      s.on("data", onData);
      s.once("close", () => {
        clearTimeout(timer);
        reject(new Error("closed during upgrade"));
      });
      s.write(wsUpgradeRequest(path));
    });
    return ws;
  }

  private attach(initial: Buffer): void {
    const feed = (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      const { frames, rest, error } = parseFrames(this.buf);
      if (error) this.error = error;
      this.buf = Buffer.from(rest);
      if (frames.length) {
        this.frames.push(...frames);
        for (const w of this.waiters.splice(0)) w();
      }
    };
    this.socket.on("data", feed);
    if (initial.length) feed(initial);
  }

  send(frame: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(frame);
  }

  /** Waits until a frame matches (returns it) or the timeout/close (returns undefined). */
  async waitFor(pred: (f: ServerFrame) => boolean, timeoutMs = 5000): Promise<ServerFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.frames.length; seen++) if (pred(this.frames[seen]!)) return this.frames[seen];
      if (this.isClosed || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The close frame's code, if the server sent one. */
  closeCode(): number | undefined {
    const f = this.frames.find((x) => x.opcode === OP.close);
    return f && f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
