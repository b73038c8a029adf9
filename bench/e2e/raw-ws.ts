/**
 * A minimal WebSocket client for the load generator's echo cases: a `net` socket, an HTTP/1.1 upgrade, frames
 * built once and written as they are, and a frame splitter that hands each complete server frame over as an
 * opcode and a view of its payload.
 *
 * Why not `ws`: in the closed-loop 50-client cases the load generator ran at 100 % of a core (ws's per-send
 * masking and framing, its receiver's per-frame allocations and events) while the server under test did not, so
 * a faster server was handed fewer messages per read — the benchmark measured its load generator. This client
 * spends a few hundred nanoseconds per message: its frames are what a `ws` client sends on the wire (same header,
 * a real mask key; the payload is masked once, up front, since the bytes are the same every time), and the
 * messages a read of echoes prompts leave together in one `writev`, as a corked `ws` client's would: a
 * write syscall per message here, against the one write a server makes for all the echoes of one read (Bun's
 * uWS corks its handler's sends), had left the load generator at 100 % of its core in the closed-loop text
 * cases while the servers under test idled.
 *
 * Not a general client: no fragmentation on receive (servers under test send whole frames), no extensions, no
 * check of `Sec-WebSocket-Accept` (a bench, loopback only).
 */
import { randomBytes } from "node:crypto";
import net from "node:net";

/** WebSocket opcodes the echo cases read. */
export const OP_TEXT = 1;
export const OP_BINARY = 2;
export const OP_CLOSE = 8;
export const OP_PING = 9;

/** Builds one masked client frame (FIN set) around `payload`, ready to be written as many times as needed. */
export function clientFrame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + ext + 4 + n);
  out[0] = 0x80 | opcode;
  if (ext === 0) out[1] = 0x80 | n;
  else if (ext === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  const maskAt = 2 + ext;
  const mask = randomBytes(4);
  mask.copy(out, maskAt);
  for (let i = 0; i < n; i++) out[maskAt + 4 + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return out;
}

/** One open connection. */
export interface RawWs {
  /** Writes a prebuilt frame ({@link clientFrame}). */
  write(frame: Buffer): void;
  /** Sends a close frame and ends the socket; resolves when it is closed (or after `ms`, destroying it). */
  close(ms?: number): Promise<void>;
  /** The underlying socket (for `destroy`). */
  readonly socket: net.Socket;
}

const CLOSE_FRAME = clientFrame(OP_CLOSE, Buffer.from([0x03, 0xe8]));

/** `bench:e2e --uncorked`: every message written on its own, as this client did before (for comparisons). */
const CORK = process.env.EIO_BENCH_UNCORKED !== "1";

/**
 * Connects and upgrades; resolves with the connection once the server's `101` has arrived. `onFrame` receives
 * every later frame: its opcode, its payload (a view into the read buffer, valid during the call) and the
 * connection (frames can arrive with the `101`, before the promise has settled).
 */
export function connectRawWs(opts: {
  port: number;
  path: string;
  localAddress?: string;
  onFrame: (opcode: number, payload: Buffer, conn: RawWs) => void;
  onError?: (err: Error) => void;
  timeoutMs?: number;
}): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port: opts.port, localAddress: opts.localAddress });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("raw ws: upgrade timed out"));
    }, opts.timeoutMs ?? 15000);
    let upgraded = false;
    let pending: Buffer | null = null;
    const fail = (err: Error) => {
      clearTimeout(timer);
      if (!upgraded) reject(err);
      else opts.onError?.(err);
    };
    socket.on("error", fail);
    socket.on("connect", () => {
      socket.write(
        `GET ${opts.path} HTTP/1.1\r\nHost: 127.0.0.1:${opts.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n\r\n`,
      );
    });
    const conn: RawWs = {
      socket,
      write: (frame) => {
        socket.write(frame);
      },
      close: (ms = 5000) =>
        new Promise<void>((done) => {
          if (socket.destroyed) return done();
          const t = setTimeout(() => socket.destroy(), ms);
          socket.once("close", () => {
            clearTimeout(t);
            done();
          });
          socket.end(CLOSE_FRAME);
        }),
    };
    socket.on("data", (chunk: Buffer) => {
      const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      let at = 0;
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) {
          pending = buf;
          return;
        }
        const status = buf.toString("latin1", 0, 12);
        if (!status.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          return fail(new Error(`raw ws: upgrade refused: ${buf.toString("latin1", 0, end)}`));
        }
        upgraded = true;
        clearTimeout(timer);
        resolve(conn);
        at = end + 4;
      }
      // whole frames; a frame cut by the end of the chunk waits for the next one. The writes they prompt (the
      // next messages of a closed loop) leave in one writev at the uncork: a server that answered k messages in
      // one write gets the next k in one read, instead of k syscalls on this side for its one
      if (CORK) socket.cork();
      while (buf.length - at >= 2) {
        const b1 = buf[at + 1] as number;
        let len = b1 & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length - at < 4) break;
          len = buf.readUInt16BE(at + 2);
          head = 4;
        } else if (len === 127) {
          if (buf.length - at < 10) break;
          len = Number(buf.readBigUInt64BE(at + 2));
          head = 10;
        }
        if (b1 & 0x80) head += 4; // a masking server is a protocol error, but skip its key rather than misparse
        if (buf.length - at < head + len) break;
        opts.onFrame((buf[at] as number) & 0x0f, buf.subarray(at + head, at + head + len), conn);
        at += head + len;
      }
      if (CORK) socket.uncork();
      if (at < buf.length) pending = buf.subarray(at);
    });
  });
}
