/**
 * Node's native `Buffer` primitives, found at run time without a static `import "node:buffer"` so the
 * codec still bundles and runs in browsers and workers (where this resolves to `null`).
 */

/** The `Buffer` methods the codec uses (long-standing, undocumented fast paths behind `toString`/`write`). */
export interface NodeBytesMethods {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  base64Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number): number;
  utf8Write(text: string, offset: number): number;
}

/** A Node `Buffer`, typed by what the codec uses. */
export type NodeBytes = Uint8Array & NodeBytesMethods;

/** The parts of the `node:buffer` module the codec uses. */
export interface NodeBufferApi {
  /** `Buffer.allocUnsafe` (pooled below 4 KiB). */
  allocUnsafe(size: number): NodeBytes;
  /** `Buffer.from(arrayBuffer, byteOffset, length)`: a view, no copy. */
  view(bytes: Uint8Array): NodeBytes;
  /**
   * A fresh `Buffer` for codec output (decoded binary packets, encoded bodies): up to 8 KiB cut from a shared
   * 64 KiB slab (like Node's pool, which is 8 KiB for up to 4 KiB: a new `ArrayBuffer` per 8 KiB pool was
   * 18 % of decoding 5×1 KiB binary, and one per GET body 17 % of encoding it, in `node --cpu-prof`), so a
   * long-lived packet keeps at most one slab alive; larger outputs get their own (`allocUnsafe`).
   */
  allocOut(size: number): NodeBytes;
  /** `Buffer.from(text, "base64")` (lenient: skips characters outside the alphabet). */
  fromBase64(text: string): NodeBytes;
  /** `Buffer.from(text, "utf8")` (lone surrogates become U+FFFD, like `TextEncoder`). */
  fromUtf8(text: string): NodeBytes;
  /** `Buffer.byteLength(text, "utf8")`. */
  byteLength(text: string): number;
  /** `buffer.isAscii` (simdutf). */
  isAscii(bytes: Uint8Array): boolean;
  /** `buffer.isUtf8` (simdutf). */
  isUtf8(bytes: Uint8Array): boolean;
}

interface BufferCtor {
  allocUnsafe(size: number): NodeBytes;
  allocUnsafeSlow(size: number): NodeBytes;
  from(a: ArrayBufferLike, byteOffset: number, length: number): NodeBytes;
  from(text: string, encoding: "base64" | "utf8"): NodeBytes;
  byteLength(text: string, encoding: "utf8"): number;
  isBuffer(value: unknown): boolean;
  prototype: Partial<NodeBytesMethods>;
}

interface BufferModule {
  Buffer: BufferCtor;
  isAscii?: (bytes: Uint8Array) => boolean;
  isUtf8?: (bytes: Uint8Array) => boolean;
}

const SLAB_SIZE = 65536;
const SLAB_MAX = 8192;

function load(): NodeBufferApi | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:buffer") as BufferModule | undefined;
  if (!mod?.Buffer || !mod.isAscii || !mod.isUtf8) return null;
  const { Buffer, isAscii, isUtf8 } = mod;
  let slab: ArrayBuffer | null = null;
  let slabOffset = 0;
  const proto = Buffer.prototype;
  if (
    !proto.latin1Slice ||
    !proto.utf8Slice ||
    !proto.base64Slice ||
    !proto.latin1Write ||
    !proto.utf8Write
  ) {
    return null;
  }
  return {
    allocUnsafe: (size) => Buffer.allocUnsafe(size),
    view: (bytes) =>
      Buffer.isBuffer(bytes)
        ? (bytes as NodeBytes)
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
    allocOut(size) {
      if (size > SLAB_MAX) return Buffer.allocUnsafe(size);
      if (slab === null || slabOffset + size > SLAB_SIZE) {
        slab = Buffer.allocUnsafeSlow(SLAB_SIZE).buffer as ArrayBuffer;
        slabOffset = 0;
      }
      const at = slabOffset;
      slabOffset = (at + size + 7) & ~7;
      return Buffer.from(slab, at, size);
    },
    fromBase64: (text) => Buffer.from(text, "base64"),
    fromUtf8: (text) => Buffer.from(text, "utf8"),
    byteLength: (text) => Buffer.byteLength(text, "utf8"),
    isAscii,
    isUtf8,
  };
}

/** Node's `Buffer` primitives, or `null` outside Node (browsers, workers, Node < 20.16). */
export const nodeBuffer: NodeBufferApi | null = load();
