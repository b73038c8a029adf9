/**
 * The WASM backends (`wasm-simd`, `wasm`): the AssemblyScript kernels of `assembly/index.ts`, compiled
 * synchronously from the inline base64 of `wasm-modules.generated.ts` (like undici's llhttp loader), so
 * they work in Node, browsers and workers, from ESM and CommonJS alike.
 *
 * Memory model: one scratch region from `scratchBase()` to the end of linear memory. JS copies input in,
 * calls a kernel with `(ptr, len)` and copies the result out; nothing managed crosses. Only this file grows
 * memory (never the kernels), and every growth refreshes the views, so a body larger than the region grows
 * it instead of being truncated.
 */
import {
  BINARY_PREFIX_BYTE,
  errorPacket,
  PACKET_TYPES,
  PACKET_TYPES_BY_CODE,
  type Packet,
  SEPARATOR_BYTE,
} from "../protocol/packet.js";
import {
  base64Length,
  decodeFrameString,
  decodePayloadString,
  encodeTextFrame,
  packetSize,
  SHORT_TEXT,
  type StringBase64Decoder,
  toBytes,
  utf8Length,
  writeAscii,
} from "./common.js";
import { jsBase64DecodeString, latin1String } from "./js.js";
import type { NodeBufferApi, NodeBytes } from "./node-buffer.js";
import type { BackendName, Codec } from "./types.js";

/** The exports of `assembly/index.ts` (all pointers are byte offsets into `memory`). */
export interface WasmKernels {
  memory: WebAssembly.Memory;
  scratchBase(): number;
  b64encode(src: number, n: number, dst: number): number;
  b64decode(src: number, n: number, dst: number): number;
  scan(body: number, len: number, out: number, rec: number, cap: number): number;
  scanMore(rec: number, cap: number, out: number): number;
  scanFinished(): number;
  assemble(desc: number, count: number): number;
}

/**
 * Compiles and instantiates one embedded module synchronously; `null` if this engine cannot (no
 * WebAssembly, or no SIMD support for the SIMD build — compiling then throws a CompileError).
 */
export function instantiateKernels(base64: string): WasmKernels | null {
  if (typeof WebAssembly !== "object" || base64 === "") return null;
  try {
    const bytes = jsBase64DecodeString(base64, 0, base64.length);
    if (bytes === null) return null;
    const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    return new WebAssembly.Instance(module, {}).exports as unknown as WasmKernels;
  } catch {
    return null;
  }
}

/** Tuning of a WASM backend; the defaults come from `bench/codec.bench.ts` (see index.ts). */
export interface WasmCodecOptions {
  /** Payloads/frames with fewer binary (or body) bytes than this stay on the host path. */
  minBytes: number;
  /** On Node, a payload whose largest binary segment reaches this goes to native `Buffer` base64. */
  nativeBase64Min: number;
}

/** Records per scan() call (16 bytes each). Bodies with more packets are scanned in several calls. */
const SCAN_CAP = 1024;
/** Room kept free past every region: SIMD stores write whole 16-byte vectors. */
const SLACK = 64;
const WASM_PAGE = 65536;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Builds a WASM backend. `host` is the codec used for the steps the kernels do not win (small inputs; on
 * Node, large base64 through simdutf): the `node` backend on Node, `js` elsewhere.
 */
export function createWasmCodec(
  name: Extract<BackendName, "wasm" | "wasm-simd">,
  k: WasmKernels,
  host: Codec,
  nb: NodeBufferApi | null,
  options: WasmCodecOptions,
): Codec {
  const base = k.scratchBase();
  let buffer = k.memory.buffer;
  let u8 = new Uint8Array(buffer);
  let i32 = new Int32Array(buffer);
  let nodeMem: NodeBytes | null = nb ? nb.view(u8) : null;
  const { minBytes, nativeBase64Min } = options;
  const native = nb !== null && host.name === "node";

  /** Makes `[base, base + bytes)` addressable, growing memory (never truncating) and refreshing views. */
  function ensure(bytes: number): void {
    const need = base + bytes + SLACK;
    if (need > k.memory.buffer.byteLength) {
      k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / WASM_PAGE));
    }
    if (k.memory.buffer !== buffer) {
      buffer = k.memory.buffer;
      u8 = new Uint8Array(buffer);
      i32 = new Int32Array(buffer);
      nodeMem = nb ? nb.view(u8) : null;
    }
  }

  /** Strict UTF-8 text of scratch bytes `[start, end)`; `null` when invalid. */
  function text(start: number, end: number): string | null {
    if (nodeMem && nb) return nb.isUtf8(u8.subarray(start, end)) ? nodeMem.utf8Slice(start, end) : null;
    try {
      return utf8Decoder.decode(u8.subarray(start, end));
    } catch {
      return null;
    }
  }

  /** Copies `n` scratch bytes at `ptr` into a fresh array owned by the caller. */
  function copyOut(ptr: number, n: number): Uint8Array {
    return u8.slice(ptr, ptr + n);
  }

  /** Base64-decodes ASCII already in scratch at `[base, base + n)`. */
  function decodeInScratch(n: number): Uint8Array | null {
    const out = base + n + 16;
    const written = k.b64decode(base, n, out);
    return written < 0 ? null : copyOut(out, written);
  }

  const b64String: StringBase64Decoder = (s, start, end) => {
    const n = end - start;
    if (n < minBytes || (native && n >= nativeBase64Min)) return hostB64String(s, start, end);
    ensure(n * 4 + 16);
    // Non-ASCII chars become multi-byte UTF-8, which the kernel rejects: the same verdict as the JS path.
    const w = utf8Encoder.encodeInto(
      start === 0 && end === s.length ? s : s.slice(start, end),
      u8.subarray(base),
    ).written;
    return decodeInScratch(w);
  };
  const hostB64String: StringBase64Decoder = (s, start, end) => {
    const bytes = host.base64Decode(start === 0 && end === s.length ? s : s.slice(start, end));
    return bytes;
  };

  function base64Encode(bytes: Uint8Array): string {
    const n = bytes.length;
    if (n < minBytes || (native && n >= nativeBase64Min)) return host.base64Encode(bytes);
    const outLen = base64Length(n);
    ensure(n + 16 + outLen);
    u8.set(bytes, base);
    const out = base + n + 16;
    k.b64encode(base, n, out);
    return nodeMem ? nodeMem.latin1Slice(out, out + outLen) : latin1String(u8, out, out + outLen);
  }

  function base64Decode(input: string | Uint8Array): Uint8Array | null {
    if (typeof input === "string") return b64String(input, 0, input.length);
    const n = input.length;
    if (n < minBytes || (native && n >= nativeBase64Min)) return host.base64Decode(input);
    ensure(n * 2 + 32);
    u8.set(input, base);
    return decodeInScratch(n);
  }

  function encodePayload(packets: readonly Packet[]): Uint8Array {
    const count = packets.length;
    let binBytes = 0;
    let binCount = 0;
    let largest = 0;
    for (let i = 0; i < count; i++) {
      const d = packets[i]!.data;
      if (d !== undefined && d !== null && typeof d !== "string") {
        const n = toBytes(d).length;
        binBytes += n;
        binCount++;
        if (n > largest) largest = n;
      }
    }
    if (binBytes < minBytes || (native && largest >= nativeBase64Min)) return host.encodePayload(packets);

    let size = count > 0 ? count - 1 : 0;
    const measure = { longTextLength: nb ? nb.byteLength : utf8Length };
    for (let i = 0; i < count; i++) size += packetSize(packets[i]!, measure);
    // Layout: [body: size][staging: binary bytes, 16-aligned each][descriptors: 3 × i32 per binary packet]
    const staging = base + ((size + 16) & ~15);
    const descPtr = staging + ((binBytes + binCount * 16 + 16) & ~15);
    ensure(descPtr - base + binCount * 12);
    let pos = base;
    let stage = staging;
    let d12 = descPtr >> 2;
    for (let i = 0; i < count; i++) {
      if (i > 0) u8[pos++] = SEPARATOR_BYTE;
      const p = packets[i]!;
      const d = p.data;
      if (d !== undefined && d !== null && typeof d !== "string") {
        const bytes = toBytes(d);
        u8[pos++] = BINARY_PREFIX_BYTE;
        u8.set(bytes, stage);
        i32[d12++] = stage;
        i32[d12++] = bytes.length;
        i32[d12++] = pos;
        stage = (stage + bytes.length + 15) & ~15;
        pos += base64Length(bytes.length);
        continue;
      }
      if (p.type !== "error") u8[pos++] = PACKET_TYPES[p.type].charCodeAt(0);
      if (d) {
        const end = d.length <= SHORT_TEXT ? writeAscii(d, u8, pos) : -1;
        if (end !== -1) pos = end;
        else if (nodeMem) pos += nodeMem.utf8Write(d, pos);
        else pos += utf8Encoder.encodeInto(d, u8.subarray(pos, base + size)).written;
      }
    }
    k.assemble(descPtr, binCount);
    const out = nb ? nb.allocUnsafe(pos - base) : new Uint8Array(pos - base);
    out.set(u8.subarray(base, pos));
    return out;
  }

  function decodePayload(body: Uint8Array | string): Packet[] {
    if (typeof body === "string") return decodePayloadString(body, b64String);
    const len = body.length;
    if (len < minBytes) return host.decodePayload(body);
    if (native && len >= nativeBase64Min && body[0] === BINARY_PREFIX_BYTE) return host.decodePayload(body);
    // Layout: [body: len][decoded binary: ≤ 3/4 len][records: SCAN_CAP × 16 bytes]
    const outPtr = base + ((len + 16) & ~15);
    const recPtr = outPtr + ((((len * 3) >> 2) + 32) & ~15);
    ensure(recPtr - base + SCAN_CAP * 16);
    u8.set(body, base);
    const packets: Packet[] = [];
    // ASCII text is sliced out of one string of the whole body: one native call instead of one per packet.
    let whole: string | null = null;
    let n = k.scan(base, len, outPtr, recPtr, SCAN_CAP);
    for (;;) {
      for (let r = recPtr >> 2, end = r + n * 4; r < end; r += 4) {
        const kind = i32[r]!;
        const a = i32[r + 1]!;
        const b = i32[r + 2]!;
        if (kind < 7) {
          const type = PACKET_TYPES_BY_CODE[kind]!;
          if (a === b) {
            packets.push({ type });
          } else {
            let data: string | null;
            if (i32[r + 3] === 1) {
              whole ??= nodeMem ? nodeMem.latin1Slice(base, base + len) : latin1String(u8, base, base + len);
              data = whole.slice(a, b);
            } else {
              data = text(base + a, base + b);
            }
            if (data === null) {
              packets.push(errorPacket());
              return packets;
            }
            packets.push({ type, data });
          }
        } else if (kind === 7) {
          packets.push({ type: "message", data: copyOut(outPtr + a, b - a) });
        } else {
          packets.push(errorPacket());
          return packets;
        }
      }
      if (k.scanFinished()) return packets;
      n = k.scanMore(recPtr, SCAN_CAP, outPtr);
    }
  }

  return {
    name,
    encodePacket(packet, supportsBinary) {
      const data = packet.data;
      if (data !== undefined && data !== null && typeof data !== "string") {
        const bytes = toBytes(data);
        return supportsBinary ? bytes : `b${base64Encode(bytes)}`;
      }
      return encodeTextFrame(packet);
    },
    decodePacket(frame) {
      if (typeof frame !== "string") return { type: "message", data: frame };
      return decodeFrameString(frame, b64String);
    },
    encodePayload,
    decodePayload,
    base64Encode,
    base64Decode,
  };
}
