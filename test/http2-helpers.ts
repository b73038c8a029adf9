// HTTP/2 test helpers: a self-signed certificate made with the openssl binary, an h2 (allowHTTP1) server with an
// engine attached, requests over a node:http2 session, and raw WebSocket frames (RFC 6455 §5.2) for RFC 8441
// streams.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  createSecureServer,
  type Http2SecureServer,
  type IncomingHttpHeaders,
} from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server, type ServerOptions } from "../src/index.js";

/** A key and certificate for 127.0.0.1 / localhost. */
export interface Cert {
  key: Buffer;
  cert: Buffer;
}

/** Why certificates cannot be made here (no openssl binary), or undefined. */
export function certUnavailable(): string | undefined {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return undefined;
  } catch {
    return "the openssl binary is missing (apt-get install openssl)";
  }
}

/** Makes a one-day self-signed certificate with `openssl req` (RSA 2048, SAN 127.0.0.1 and localhost). */
export function makeCert(): Cert {
  const dir = mkdtempSync(join(tmpdir(), "eio-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
      ],
      { stdio: "pipe" },
    );
    return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An h2 server (with HTTP/1.1 allowed) and its engine. */
export interface H2Harness {
  engine: Server;
  server: Http2SecureServer;
  port: number;
  origin: string;
  close(): Promise<void>;
}

/** Starts `http2.createSecureServer({ allowHTTP1, enableConnectProtocol })` on 127.0.0.1:0 with an engine attached. */
export async function startH2(
  cert: Cert,
  opts: ServerOptions = {},
  onOther?: Parameters<typeof createSecureServer>[1],
): Promise<H2Harness> {
  const server = createSecureServer(
    { allowHTTP1: true, settings: { enableConnectProtocol: true }, key: cert.key, cert: cert.cert },
    onOther ??
      ((_req, res) => {
        res.writeHead(404);
        res.end("not found");
      }),
  );
  const engine = new Server(opts);
  engine.attach(server);
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("secureConnection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    engine,
    server,
    port,
    origin: `https://127.0.0.1:${port}`,
    async close() {
      await engine.shutdown(1000);
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens an h2 client session to `origin` (self-signed certificates accepted); waits for the server's SETTINGS. */
export async function h2Session(origin: string): Promise<ClientHttp2Session> {
  const session = connect(origin, { rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no h2 remoteSettings")), 5000);
    session.once("remoteSettings", () => {
      clearTimeout(timer);
      resolve();
    });
    session.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return session;
}

/** An h2 response. */
export interface H2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request on an h2 session; resolves with the whole response (bounded by `ms`). */
export function h2Request(
  session: ClientHttp2Session,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
  ms = 5000,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": method, ":path": path, ...headers });
    const timer = setTimeout(() => {
      stream.close();
      reject(new Error(`h2 ${method} ${path}: no answer within ${ms} ms`));
    }, ms);
    let status = 0;
    let resHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      resHeaders = h;
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      clearTimeout(timer);
      resolve({ status, headers: resHeaders, body: Buffer.concat(chunks) });
    });
    stream.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    stream.end(body);
  });
}

/** A WebSocket frame read from a stream. */
export interface Frame {
  opcode: number;
  payload: Buffer;
}

/** Builds a masked client frame (FIN set). */
export function clientFrame(opcode: number, payload: string | Buffer): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  let header: Buffer;
  if (data.length < 126) header = Buffer.from([0x80 | opcode, 0x80 | data.length]);
  else if (data.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(data.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

/** Reads unmasked server frames from `stream` as they arrive. */
export class FrameReader {
  private buf = Buffer.alloc(0);
  private readonly frames: Frame[] = [];
  private waiter: (() => void) | null = null;
  /** Whether the stream ended. */
  ended = false;

  constructor(stream: ClientHttp2Stream) {
    stream.on("data", (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.parse();
    });
    const end = () => {
      this.ended = true;
      this.waiter?.();
    };
    stream.on("end", end);
    stream.on("close", end);
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      let len = this.buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) return;
      this.frames.push({ opcode: this.buf[0]! & 0x0f, payload: this.buf.subarray(off, off + len) });
      this.buf = this.buf.subarray(off + len);
      this.waiter?.();
    }
  }

  /** The next frame, or throws after `ms` (or when the stream ended first). */
  async next(ms = 5000): Promise<Frame> {
    const end = Date.now() + ms;
    while (this.frames.length === 0) {
      if (this.ended) throw new Error("stream ended before a frame arrived");
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.frames.shift()!;
  }
}

/** Opens an RFC 8441 WebSocket stream (`:method CONNECT`, `:protocol websocket`) on `session`. */
export async function h2WebSocket(
  session: ClientHttp2Session,
  path: string,
  headers: Record<string, string> = { "sec-websocket-version": "13" },
): Promise<{ stream: ClientHttp2Stream; status: number; headers: IncomingHttpHeaders; frames: FrameReader }> {
  const stream = session.request(
    { ":method": "CONNECT", ":protocol": "websocket", ":path": path, ":scheme": "https", ...headers },
    { endStream: false },
  );
  const frames = new FrameReader(stream);
  const h = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer to the extended CONNECT")), 5000);
    stream.once("response", (rh) => {
      clearTimeout(timer);
      resolve(rh);
    });
    stream.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return { stream, status: Number(h[":status"]), headers: h, frames };
}
