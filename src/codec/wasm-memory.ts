/**
 * The WASM backends' memory manager: one scratch region from `scratchBase()` to the end of linear memory. Only
 * this class grows memory (never the kernels), and every growth re-creates the views (`memory.grow` detaches
 * them), so a body larger than the region grows it instead of being truncated. It also owns the copies across
 * the boundary: strings and fresh arrays out of scratch, UTF-8 into it.
 */
import { latin1String } from "./js.js";
import type { NodeBufferApi, NodeBytes } from "./node-buffer.js";

/** The exports of `assembly/index.ts` (all pointers are byte offsets into `memory`). */
export interface WasmKernels {
  memory: WebAssembly.Memory;
  scratchBase(): number;
  b64encode(src: number, n: number, dst: number): number;
  b64decode(src: number, n: number, dst: number): number;
  scan(body: number, len: number, out: number, rec: number, cap: number): number;
  scanMore(rec: number, cap: number, out: number): number;
  scanFinished(): number;
  assemble(desc: number, count: number, out: number): number;
}

/** Room kept free past every region: SIMD stores write whole 16-byte vectors. */
const SLACK = 64;
const WASM_PAGE = 65536;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The scratch region of one kernel instance, with views that stay valid across growth. */
export class Scratch {
  /** Start of the scratch region (16-byte aligned). */
  readonly base: number;
  /** Byte view of all of memory (re-created after growth). */
  u8: Uint8Array;
  /** i32 view of all of memory (re-created after growth). */
  i32: Int32Array;
  /** On Node, a `Buffer` over all of memory, for its native string methods. */
  nodeMem: NodeBytes | null;
  private buffer: ArrayBuffer;

  constructor(
    private readonly k: WasmKernels,
    private readonly nb: NodeBufferApi | null,
  ) {
    this.base = k.scratchBase();
    this.buffer = k.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.nodeMem = nb ? nb.view(this.u8) : null;
  }

  /** Makes `[base, base + bytes)` addressable, growing memory (never truncating) and refreshing views. */
  ensure(bytes: number): boolean {
    const memory = this.k.memory;
    const need = this.base + bytes + SLACK;
    if (need > memory.buffer.byteLength) {
      try {
        memory.grow(Math.ceil((need - memory.buffer.byteLength) / WASM_PAGE));
      } catch {
        return false; // the engine refused more memory: the caller falls back to the host path
      }
    }
    if (memory.buffer !== this.buffer) {
      this.buffer = memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.i32 = new Int32Array(this.buffer);
      this.nodeMem = this.nb ? this.nb.view(this.u8) : null;
    }
    return true;
  }

  /** Strict UTF-8 text of scratch bytes `[start, end)`; `null` when invalid. */
  text(start: number, end: number): string | null {
    const nb = this.nb;
    const nodeMem = this.nodeMem;
    if (nodeMem && nb) return nb.isUtf8(this.u8.subarray(start, end)) ? nodeMem.utf8Slice(start, end) : null;
    try {
      return utf8Decoder.decode(this.u8.subarray(start, end));
    } catch {
      return null;
    }
  }

  /** Latin-1 (here: ASCII) text of scratch bytes `[start, end)`. */
  latin1(start: number, end: number): string {
    const nodeMem = this.nodeMem;
    return nodeMem ? nodeMem.latin1Slice(start, end) : latin1String(this.u8, start, end);
  }

  /**
   * Copies `n` scratch bytes at `ptr` into a fresh array owned by the caller. On Node a pooled `Buffer`
   * (what `Buffer.from(text, "base64")` returns in engine.io-parser, too): a new `ArrayBuffer` per packet
   * (`slice`) made 10×1 KiB decoding ~1.5× slower.
   */
  copyOut(ptr: number, n: number): Uint8Array {
    // Not `u8.slice`: slicing WASM memory took 66–112 µs per 64 KiB in Chromium 156, `new` + `set` 3 µs.
    const out = this.nb ? this.nb.allocOut(n) : new Uint8Array(n);
    out.set(this.u8.subarray(ptr, ptr + n));
    return out;
  }

  /** Writes `s` as UTF-8 into scratch at `ptr` (at most up to `end`); returns the bytes written. */
  writeUtf8(s: string, ptr: number, end: number): number {
    const nodeMem = this.nodeMem;
    if (nodeMem) return nodeMem.utf8Write(s, ptr);
    return utf8Encoder.encodeInto(s, this.u8.subarray(ptr, end)).written;
  }
}
