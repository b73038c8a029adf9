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
  PACKET_TYPES_BY_CODE,
  type Packet,
  SEPARATOR_BYTE,
} from "../protocol/packet.js";
import {
  base64Length,
  decodeFrameWith,
  decodePayloadString,
  encodePacketWith,
  isBinary,
  isChunks,
  normalizePackets,
  type StringBase64Decoder,
  toBytes,
  utf8Length,
} from "./common.js";
import { jsBase64DecodeString } from "./js.js";
import type { NodeBufferApi } from "./node-buffer.js";
import type { BackendName, Codec, PayloadBody } from "./types.js";
import {
  DESCRIPTOR_BYTES,
  FLAG_ASCII,
  HEAD_BASE64,
  HEAD_SEPARATOR,
  KIND_BINARY,
  RECORD_BYTES,
  RECORD_I32,
} from "./wasm-abi.js";
import { TYPE_CODES } from "./wasm-abi-js.js";
import { Scratch, type WasmKernels } from "./wasm-memory.js";
import { Routing } from "./wasm-routing.js";
import { webBase64 } from "./web-base64.js";

export type { WasmKernels } from "./wasm-memory.js";

/**
 * Compiles one embedded module synchronously (like undici's llhttp loader); `null` if this engine cannot (no
 * WebAssembly, or no SIMD support for the SIMD build — compiling then throws a CompileError).
 */
export function compileKernels(base64: string): WebAssembly.Module | null {
  if (typeof WebAssembly !== "object" || base64 === "") return null;
  try {
    const bytes = jsBase64DecodeString(base64, 0, base64.length);
    if (bytes === null) return null;
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch {
    return null;
  }
}

/** A fresh instance (own memory) of a compiled module; `null` if the engine refuses to instantiate it. */
export function instantiateKernels(module: WebAssembly.Module): WasmKernels | null {
  try {
    return new WebAssembly.Instance(module, {}).exports as unknown as WasmKernels;
  } catch {
    return null;
  }
}

/** Whether joining `texts` makes a surrogate pair across a boundary (so the joined UTF-8 is not their concatenation). */
function joinPairsSurrogates(texts: readonly string[]): boolean {
  for (let i = 0; i + 1 < texts.length; i++) {
    const a = texts[i]!;
    const last = a.charCodeAt(a.length - 1);
    const first = texts[i + 1]!.charCodeAt(0);
    if (last >= 0xd800 && last <= 0xdbff && first >= 0xdc00 && first <= 0xdfff) return true;
  }
  return false;
}

/** Tuning of a WASM backend; the defaults come from `bench/codec.bench.ts` (see index.ts). */
export interface WasmCodecOptions {
  /** Payloads/frames with fewer binary (or body) bytes than this stay on the host path. */
  minBytes: number;
  /** On Node: a payload whose largest binary packet has at least this many bytes is encoded by `node`… */
  nativeSegmentMin: number;
  /** …and below this size (bigger segments go back to WASM). */
  nativeSegmentMax: number;
  /** On Node: a body of at least this many bytes (and below `nativeDecodeMax`) is decoded by `node`. */
  nativeDecodeMin: number;
  /** On Node: from this body size on, WASM decodes again (the `node` path must build a whole-body string). */
  nativeDecodeMax: number;
  /** On Node: `base64Encode`/`base64Decode` and `b`-frames use Node's native base64 at any size. */
  nativeStringBase64: boolean;
  /**
   * Outside Node, where the engine has its own `Uint8Array` base64 (see web-base64.ts): bodies given as
   * strings, `b`-frames and the base64 functions go to the `js` host, which uses it. Bodies as bytes and
   * payload encoding stay in WASM, which measured faster there (`npm run bench:browser`: the engine's
   * decoders take strings, and turning bytes into one costs more than the kernel; `toBase64` plus
   * `encodeInto` is slower than the `assemble` kernel).
   */
  webBase64: boolean;
}

/** Options that switch every threshold off, so the kernels handle every input (tests, benchmarks). */
export const RAW_KERNELS: Readonly<WasmCodecOptions> = Object.freeze({
  minBytes: 0,
  nativeSegmentMin: Number.POSITIVE_INFINITY,
  nativeSegmentMax: Number.POSITIVE_INFINITY,
  nativeDecodeMin: Number.POSITIVE_INFINITY,
  nativeDecodeMax: Number.POSITIVE_INFINITY,
  nativeStringBase64: false,
  webBase64: false,
});

/** Records per scan() call (16 bytes each). Bodies with more packets are scanned in several calls. */
const SCAN_CAP = 1024;
/** Descriptor head flags of the `assemble` kernel (low byte: the type character). */
const align = (p: number) => (p + 15) & ~15;

const utf8Encoder = new TextEncoder();

/**
 * Builds a WASM backend. `host` is the codec used for the steps the kernels do not win (small inputs; on
 * Node, mid-size base64 through native `Buffer`): the `node` backend on Node, `js` elsewhere.
 */
export function createWasmCodec(
  name: Extract<BackendName, "wasm" | "wasm-simd">,
  k: WasmKernels,
  host: Codec,
  nb: NodeBufferApi | null,
  options: WasmCodecOptions,
): Codec {
  const m = new Scratch(k, nb);
  const base = m.base;
  const route = new Routing(options, nb !== null && host.name === "node");
  const native = route.native;
  const minBytes = options.minBytes;
  // The host's own base64 is the engine's native one: base64 held in strings goes there.
  const web = !native && options.webBase64 && webBase64 !== null && host.name === "js";
  const nativeString = route.nativeString || web;

  /** Total bytes of the ASCII text records in `i32[from, to)` (records of four i32). */
  function asciiTextBytes(from: number, to: number): number {
    const i32 = m.i32;
    let sum = 0;
    for (let r = from; r < to; r += RECORD_I32)
      if (i32[r]! < KIND_BINARY && i32[r + 3] === FLAG_ASCII) sum += i32[r + 2]! - i32[r + 1]!;
    return sum;
  }

  /** Base64-decodes ASCII already in scratch at `[base, base + n)`. */
  function decodeInScratch(n: number): Uint8Array | null {
    const out = base + n + 16;
    const written = k.b64decode(base, n, out);
    return written < 0 ? null : m.copyOut(out, written);
  }

  const b64String: StringBase64Decoder = (s, start, end) => {
    const n = end - start;
    if (n < minBytes || nativeString) return hostB64String(s, start, end);
    if (!m.ensure(n * 4 + 16)) return hostB64String(s, start, end);
    // Non-ASCII chars become multi-byte UTF-8, which the kernel rejects: the same verdict as the JS path.
    const w = utf8Encoder.encodeInto(
      start === 0 && end === s.length ? s : s.slice(start, end),
      m.u8.subarray(base),
    ).written;
    return decodeInScratch(w);
  };
  const hostB64String: StringBase64Decoder = (s, start, end) => {
    const bytes = host.base64Decode(start === 0 && end === s.length ? s : s.slice(start, end));
    return bytes;
  };

  function base64Encode(bytes: Uint8Array): string {
    const n = bytes.length;
    if (n < minBytes || nativeString) return host.base64Encode(bytes);
    const outLen = base64Length(n);
    if (!m.ensure(n + 16 + outLen)) return host.base64Encode(bytes);
    m.u8.set(bytes, base);
    const out = base + n + 16;
    k.b64encode(base, n, out);
    return m.latin1(out, out + outLen);
  }

  function base64Decode(input: string | Uint8Array): Uint8Array | null {
    if (typeof input === "string") return b64String(input, 0, input.length);
    const n = input.length;
    if (n < minBytes || nativeString) return host.base64Decode(input);
    if (!m.ensure(n * 2 + 32)) return host.base64Decode(input);
    m.u8.set(input, base);
    return decodeInScratch(n);
  }

  function encodePayload(input: readonly Packet[]): Uint8Array {
    // Sized on the input as given (one pass); data outside the types (numbers, objects) is rare and goes to
    // the host, which normalizes it. Small payloads then reach the host with no second pass here.
    const packets = input;
    const count = packets.length;
    let chars = 0;
    let binBytes = 0;
    let binCount = 0;
    let largest = 0;
    for (let i = 0; i < count; i++) {
      const d = packets[i]!.data as unknown;
      if (d === undefined || d === null) continue;
      if (typeof d === "string") {
        chars += d.length;
      } else {
        if (!(d instanceof Uint8Array) && !isBinary(d)) return host.encodePayload(normalizePackets(input));
        const n = toBytes(d).length;
        binBytes += n;
        binCount++;
        if (n > largest) largest = n;
      }
    }
    if (binBytes + chars < minBytes || route.segmentOnHost(largest)) {
      return host.encodePayload(packets);
    }

    // Layout: [descriptors: 3 × i32 per packet][text: ≤ 3 bytes per UTF-16 unit][binary staging][body]
    const descPtr = base;
    const textPtr = align(descPtr + count * DESCRIPTOR_BYTES);
    const stagePtr = align(textPtr + chars * 3 + 16);
    const outPtr = align(stagePtr + binBytes + binCount * 16 + 16);
    const outBound = count * 2 + chars * 3 + base64Length(binBytes) + binCount * 4;
    if (!m.ensure(outPtr - base + outBound)) return host.encodePayload(packets);
    const u8 = m.u8;
    const i32 = m.i32;

    // All text in one native call (a string crossing costs ~100 ns; `join` builds one flat string). UTF-8
    // is longer than UTF-16 for any non-ASCII unit, so equal lengths mean ASCII and each string's bytes sit
    // at its character offsets.
    const texts: string[] = [];
    for (let i = 0; i < count; i++) {
      const d = packets[i]!.data;
      if (typeof d === "string" && d !== "") texts.push(d);
    }
    const batch = texts.length === 1 ? texts[0]! : texts.join("");
    const ascii = batch === "" || m.writeUtf8(batch, textPtr, textPtr + chars * 3 + 16) === batch.length;
    // Non-ASCII: the batch's bytes are still each string's bytes in order (only their lengths are needed),
    // unless joining paired a lone high surrogate at the end of one text with a low one starting the next.
    const rewrite = !ascii && joinPairsSurrogates(texts);

    let t = textPtr;
    let stage = stagePtr;
    let w = descPtr >> 2;
    for (let i = 0; i < count; i++) {
      const p = packets[i]!;
      const d = p.data;
      const sep = i > 0 ? HEAD_SEPARATOR : 0;
      if (d !== undefined && d !== null && typeof d !== "string") {
        const bytes = toBytes(d);
        u8.set(bytes, stage);
        i32[w++] = sep | HEAD_BASE64 | BINARY_PREFIX_BYTE;
        i32[w++] = stage;
        i32[w++] = bytes.length;
        stage = align(stage + bytes.length);
        continue;
      }
      let len = 0;
      if (d) len = ascii ? d.length : rewrite ? m.writeUtf8(d, t, textPtr + chars * 3 + 16) : utf8Length(d);
      i32[w++] = sep | TYPE_CODES[p.type];
      i32[w++] = t;
      i32[w++] = len;
      t += len;
    }
    const size = k.assemble(descPtr, count, outPtr);
    return m.copyOut(outPtr, size);
  }

  function decodePayload(body: PayloadBody): Packet[] {
    if (typeof body === "string")
      return web ? host.decodePayload(body) : decodePayloadString(body, b64String);
    const chunks = isChunks(body) ? body : null;
    let len = 0;
    if (chunks === null) len = (body as Uint8Array).length;
    else for (let i = 0; i < chunks.length; i++) len += chunks[i]!.length;
    if (len < minBytes || route.bodyOnHost(len)) return host.decodePayload(body);
    // Text bodies (judged by the first two packets: a POST carries one kind of message, and socket.io's
    // binary events are a text packet followed by binary ones): `node` validates and transcodes the whole
    // body natively, with no copy into WASM memory. (A chunked body is judged by its first chunk.)
    const head = chunks === null ? (body as Uint8Array) : chunks[0]!;
    if (native && head[0] !== BINARY_PREFIX_BYTE) {
      const sep = head.indexOf(SEPARATOR_BYTE);
      if (sep === -1 || head[sep + 1] !== BINARY_PREFIX_BYTE) return host.decodePayload(body);
    }
    // Layout: [body: len][decoded binary: ≤ 3/4 len][records: SCAN_CAP × 16 bytes]
    const outPtr = base + ((len + 16) & ~15);
    const recPtr = outPtr + ((((len * 3) >> 2) + 32) & ~15);
    if (!m.ensure(recPtr - base + SCAN_CAP * RECORD_BYTES)) return host.decodePayload(body);
    const u8 = m.u8;
    const i32 = m.i32;
    if (chunks === null) u8.set(body as Uint8Array, base);
    else {
      // each chunk straight into WASM memory: no concatenated copy first
      let pos = base;
      for (let i = 0; i < chunks.length; i++) {
        u8.set(chunks[i]!, pos);
        pos += chunks[i]!.length;
      }
    }
    const packets: Packet[] = [];
    // When ASCII text makes up a good part of the body, it is sliced out of one string of the whole body
    // (one native call instead of one per packet); otherwise each text gets its own string, so a small
    // text next to a large binary does not copy the binary's base64 into a string.
    let whole: string | null = null;
    let useWhole: boolean | null = null;
    let n = k.scan(base, len, outPtr, recPtr, SCAN_CAP);
    for (;;) {
      // The binary packets of this batch of records are views into one copy of their decoded bytes: one
      // allocation per body instead of one per packet (a typed array costs microseconds in Chromium), and
      // never a view into WASM memory, which the next call overwrites.
      let binFrom = -1;
      let binTo = 0;
      for (let r = recPtr >> 2, end = r + n * RECORD_I32; r < end; r += RECORD_I32) {
        if (i32[r] !== KIND_BINARY) continue;
        if (binFrom === -1) binFrom = i32[r + 1]!;
        binTo = i32[r + 2]!;
      }
      const decoded = binFrom === -1 ? null : m.copyOut(outPtr + binFrom, binTo - binFrom);
      for (let r = recPtr >> 2, end = r + n * RECORD_I32; r < end; r += RECORD_I32) {
        const kind = i32[r]!;
        const a = i32[r + 1]!;
        const b = i32[r + 2]!;
        if (kind < KIND_BINARY) {
          const type = PACKET_TYPES_BY_CODE[kind]!;
          if (a === b) {
            packets.push({ type });
          } else {
            let data: string | null;
            if (i32[r + 3] !== FLAG_ASCII) {
              data = m.text(base + a, base + b);
            } else {
              useWhole ??= asciiTextBytes(r, end) * 4 >= len;
              if (useWhole) {
                whole ??= m.latin1(base, base + len);
                data = whole.slice(a, b);
              } else {
                data = m.latin1(base + a, base + b);
              }
            }
            if (data === null) {
              packets.push(errorPacket());
              return packets;
            }
            packets.push({ type, data });
          }
        } else if (kind === KIND_BINARY) {
          packets.push({ type: "message", data: decoded!.subarray(a - binFrom, b - binFrom) });
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
    encodePacket: (packet, supportsBinary) =>
      encodePacketWith(packet, supportsBinary, (bytes) => `b${base64Encode(bytes)}`),
    decodePacket: (frame) => decodeFrameWith(frame, b64String),
    encodePayload,
    decodePayload,
    base64Encode,
    base64Decode,
  };
}
