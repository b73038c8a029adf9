/**
 * WebSocket frames written straight onto the TCP socket, one `socket.write` per tick: the frames a session sends in
 * one tick (typically the echoes of one TCP read) are framed (RFC 6455 §5.2, server frames are unmasked) into one
 * buffer and written at `process.nextTick`, before any I/O, so no latency is added. Going through `ws.send` costs,
 * per message, an options object, a header Buffer, two stream writes and a cork/uncork pair; here a message costs
 * its bytes. Small binary payloads are copied (a memcpy of 1 KiB is cheaper than one more stream write), payloads
 * from {@link ZERO_COPY_MIN} bytes on are written as they are. Only used when no extension (permessage-deflate) was
 * negotiated; otherwise frames go through `ws`, which compresses them.
 */

/** Binary payloads from this size on are written without a copy (their own chunk in the `writev`). */
export const ZERO_COPY_MIN = 16 * 1024;

/**
 * What is queued in a batch: `Text` (the whole text payload, a string), `Binary` (a binary payload), `Message` (a
 * `4` message: the payload is `4` followed by the string) or `PreEncoded` (a frame already built by `ws`'s
 * `Sender.frame()`, an array of buffers, as socket.io's `wsPreEncodedFrame`).
 */
export const Kind = { Text: 0, Binary: 1, Message: 2, PreEncoded: 3 } as const;
/** One of {@link Kind}. */
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The TCP socket side a batch needs. */
export interface RawWritable {
  readonly destroyed: boolean;
  /** Bytes queued in the stream: 0 right after a `write` means the kernel took them all (nothing retains the chunk). */
  readonly writableLength: number;
  readonly writableCorked: number;
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
}

type Item = string | Uint8Array | readonly Buffer[];

/** The size of the output buffer batches reuse (and the largest batch that reuses it). */
const SPARE_SIZE = 64 * 1024;

/**
 * One output buffer shared by every connection's batch: a `write` that the kernel took whole (libuv's
 * `uv_try_write`, the common case on loopback and on any uncongested connection) leaves nothing pointing at it, so
 * the next batch frames into the same memory. Fresh output buffers were about a third of the allocation rate of a
 * 1 KiB binary echo (each a new ArrayBuffer above Buffer's 4 KiB pool limit) and the external memory drove the
 * collector. Node only: other runtimes' `node:net` may keep the chunk after `write` returns.
 */
let spare: Buffer | null = null;
const reuseSpare = typeof process !== "undefined" && !process.versions.bun && !("Deno" in globalThis);

/** Reused batches (a batch lives one tick, so idle sessions hold none). */
const free: FrameBatch[] = [];

/** A batch for one tick of one connection (give it back with {@link releaseBatch} once written). */
export function takeBatch(): FrameBatch {
  return free.pop() ?? new FrameBatch();
}

/** Returns a written batch to the pool. */
export function releaseBatch(b: FrameBatch): void {
  if (free.length < 256) free.push(b);
}

/** Frames queued in this tick for one connection. */
export class FrameBatch {
  /** Kind, data, kind, data, … */
  private readonly items: unknown[] = [];
  private n = 0;
  /** Upper bound of the framed size (what is allocated). */
  private bound = 0;
  /** Payload bytes queued (what `bufferedAmount` reports). */
  bytes = 0;

  /** Queues one frame. */
  add(kind: Kind, data: Item): void {
    const items = this.items;
    items[this.n++] = kind;
    items[this.n++] = data;
    let len: number;
    if (kind === Kind.Binary) {
      len = (data as Uint8Array).byteLength;
      this.bound += len >= ZERO_COPY_MIN ? 10 : 10 + len;
    } else if (kind === Kind.PreEncoded) {
      len = 0;
      for (const b of data as readonly Buffer[]) len += b.length;
      this.bound += len;
    } else {
      len = (data as string).length + 1;
      this.bound += 10 + 3 * len;
    }
    this.bytes += len;
  }

  /** Writes every queued frame to `raw` (one `write`, or a corked `writev` around large payloads). */
  writeTo(raw: RawWritable, cb: ((err?: Error | null) => void) | undefined): void {
    const items = this.items;
    const n = this.n;
    const bound = this.bound;
    // a stream with bytes queued (congested) or corked keeps this write's chunk: give it memory of its own size
    const reuse = reuseSpare && bound <= SPARE_SIZE && raw.writableLength === 0 && raw.writableCorked === 0;
    let out: Buffer;
    if (!reuse) out = Buffer.allocUnsafe(bound);
    else if (spare !== null) {
      out = spare;
      spare = null;
    } else out = Buffer.allocUnsafeSlow(SPARE_SIZE);
    let off = 0;
    let start = 0;
    let chunks: Uint8Array[] | null = null;
    for (let i = 0; i < n; i += 2) {
      const kind = items[i] as Kind;
      const data = items[i + 1] as Item;
      items[i + 1] = undefined;
      if (kind === Kind.Binary) {
        const bytes = data as Uint8Array;
        const len = bytes.byteLength;
        off = writeHeader(out, off, 0x82, len);
        if (len >= ZERO_COPY_MIN) {
          if (chunks === null) chunks = [];
          chunks.push(out.subarray(start, off), bytes);
          start = off;
        } else {
          out.set(bytes, off);
          off += len;
        }
      } else if (kind === Kind.PreEncoded) {
        for (const b of data as readonly Buffer[]) {
          out.set(b, off);
          off += b.length;
        }
      } else {
        off = writeText(out, off, data as string, kind === Kind.Message);
      }
    }
    this.n = 0;
    this.bound = 0;
    this.bytes = 0;
    if (raw.destroyed) {
      if (reuse) spare = out;
      return;
    }
    if (chunks === null) {
      raw.write(out.subarray(0, off), cb);
      if (reuse && raw.writableLength === 0) spare = out;
      return;
    }
    if (off > start) chunks.push(out.subarray(start, off));
    raw.cork();
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) raw.write(chunks[i]!);
    raw.write(chunks[last]!, cb);
    raw.uncork();
    if (reuse && raw.writableLength === 0) spare = out;
  }
}

/** Writes a frame header (FIN set, no mask) at `off`; returns the offset of the payload. */
function writeHeader(out: Buffer, off: number, first: number, len: number): number {
  out[off] = first;
  if (len < 126) {
    out[off + 1] = len;
    return off + 2;
  }
  if (len < 65536) {
    out[off + 1] = 126;
    out[off + 2] = len >>> 8;
    out[off + 3] = len & 0xff;
    return off + 4;
  }
  out[off + 1] = 127;
  out.writeUInt32BE(Math.floor(len / 0x100000000), off + 2);
  out.writeUInt32BE(len >>> 0, off + 6);
  return off + 10;
}

/** Writes a text frame (`4` + `s` for a message, else `s`) at `off`; returns the offset after it. */
function writeText(out: Buffer, off: number, s: string, message: boolean): number {
  const prefix = message ? 1 : 0;
  if (3 * s.length + prefix < 126) {
    // short: the header is 2 bytes whatever the UTF-8 length; write the text first, then its length
    let p = off + 2;
    if (message) out[p++] = 0x34;
    const len = out.write(s, p, "utf8") + prefix;
    out[off] = 0x81;
    out[off + 1] = len;
    return off + 2 + len;
  }
  const len = Buffer.byteLength(s, "utf8") + prefix;
  let p = writeHeader(out, off, 0x81, len);
  if (message) out[p++] = 0x34;
  return p + out.write(s, p, "utf8");
}
