/**
 * The `native` backend: the default on Node where its addon is built. A router over three tiers, each
 * payload sent by one decision to the one measured fastest for its kind and size (`npm run bench:codec`):
 * Node's own `Buffer` (simdutf) for small payloads, text bodies, frames and the base64 string functions;
 * the WASM kernels (`wasm-simd`, thresholds off) for binary payloads of a few KiB; the Rust kernels of
 * `native/` (napi-rs, AVX2 base64) for larger ones. Node only.
 *
 * Boundary (Node-API costs ~15 ns per call and ~100 ns per Buffer argument, and creating Buffers natively
 * costs microseconds, napi-rs#1973): one call per body, in JS-owned memory only. Decoding passes the body,
 * one output Buffer for every binary packet (the packets are views into it) and a reused record array; text
 * is sliced from the body as one latin1 string (ASCII) or UTF-8 (validated natively). Encoding stages text
 * and small binaries in one reused Buffer, passes the largest binary as is, and one call lays out the body.
 *
 * Loading: the addon is looked up next to the crate (`native/engineio-wasm.<platform>.node`, what
 * `npm install` builds when cargo is present), then in the per-platform package `engineio-wasm-<platform>`
 * (napi-rs layout, filled at publish); any failure is logged under `DEBUG=engine:codec` and leaves the
 * backend out. `EIO_NO_NATIVE=1` is the kill switch.
 */
import { createDebug } from "../debug.js";
import { envVar } from "../env.js";
import { packageModuleDir, packageRequire } from "../module-dir.js";
import { BINARY_PREFIX_BYTE, errorPacket, PACKET_TYPES_BY_CODE, type Packet } from "../protocol/packet.js";
import {
  base64Length,
  isBinary,
  isChunks,
  joinChunks,
  normalizePackets,
  SHORT_TEXT,
  toBytes,
  writeAscii,
} from "./common.js";
import type { HostCodec } from "./node.js";
import type { NodeBufferApi, NodeBytes } from "./node-buffer.js";
import type { Codec, PayloadBody } from "./types.js";
// The Rust kernels speak the same record and descriptor ABI as the WASM ones.
import { FLAG_ASCII, HEAD_BASE64, HEAD_SEPARATOR, KIND_BINARY, TYPE_CODES } from "./wasm-abi-js.js";

const debug = createDebug("engine:codec");

/** The functions the addon exports (`native/src/lib.rs`); every one returns -1 for unusable arguments. */
export interface NativeAddon {
  scan(body: Uint8Array, pos: number, out: Uint8Array, outPos: number, rec: Int32Array): number;
  assemble(desc: Int32Array, count: number, src: Uint8Array, big: Uint8Array, out: Uint8Array): number;
  base64Decode(src: Uint8Array, out: Uint8Array): number;
  base64Encode(src: Uint8Array, out: Uint8Array): number;
}

/**
 * Where the native backend sends each payload: `node` (Node's `Buffer`, simdutf), `wasm` (its own
 * `wasm-simd` instance with every threshold off) or `rust` (the addon's kernels).
 */
export type NativeTier = "node" | "wasm" | "rust";

/** Tuning of the native backend (defaults in index.ts, from `npm run bench:codec`). */
export interface NativeCodecOptions {
  /** Payloads with fewer text + binary bytes (or bodies shorter) than this go to `node`. */
  hostBelow: number;
  /** Binary payloads and bodies from `hostBelow` up to this size go to `wasm`; from this size on, to `rust`. */
  rustFrom: number;
  /** Text-only payloads of two or more packets and at least this many characters are encoded by `wasm`. */
  textWasmFrom: number;
  /** Text-only payloads of at least this many characters are encoded by `rust` (checked before `wasm`). */
  textRustFrom: number;
  /** Bodies whose first two packets are text are decoded by `node` (one validation, one string). */
  textBodiesToHost: boolean;
}

/** Options that send every payload through the Rust kernels (tests, benchmarks). */
export const RAW_NATIVE: Readonly<NativeCodecOptions> = Object.freeze({
  hostBelow: 0,
  rustFrom: 0,
  textWasmFrom: Number.POSITIVE_INFINITY,
  textRustFrom: 0,
  textBodiesToHost: false,
});

/**
 * The tier {@link createNativeCodec} encodes a payload with, from its text characters, binary bytes and
 * packet count (`hasBinary`: at least one binary packet). Pure, so benchmarks can print the routing.
 */
export function nativeEncodeTier(
  o: NativeCodecOptions,
  chars: number,
  binBytes: number,
  count: number,
  hasBinary: boolean,
): NativeTier {
  if (count === 0) return "node";
  if (!hasBinary) {
    if (chars >= o.textRustFrom) return "rust";
    return count >= 2 && chars >= o.textWasmFrom ? "wasm" : "node";
  }
  const total = chars + binBytes;
  return total < o.hostBelow ? "node" : total < o.rustFrom ? "wasm" : "rust";
}

/** The tier {@link createNativeCodec} decodes a body of bytes with (strings always go to `node`). */
export function nativeDecodeTier(o: NativeCodecOptions, body: Uint8Array): NativeTier {
  const len = body.length;
  if (len < o.hostBelow) return "node";
  if (o.textBodiesToHost && body[0] !== BINARY_PREFIX_BYTE) {
    const sep = body.indexOf(0x1e);
    if (sep === -1 || body[sep + 1] !== BINARY_PREFIX_BYTE) return "node";
  }
  return len < o.rustFrom ? "wasm" : "rust";
}

/** Name of the addon file for this process's platform, napi-rs style (`linux-x64-gnu`, `darwin-arm64`, …). */
export function nativePlatforms(platform: string, arch: string): string[] {
  if (platform === "linux") return [`linux-${arch}-gnu`, `linux-${arch}-musl`];
  if (platform === "win32") return [`win32-${arch}-msvc`];
  return [`${platform}-${arch}`];
}

/** The napi `binaryName` (package.json `napi` field). */
export const NATIVE_BINARY_NAME = "engineio-wasm";

interface ProcessLike {
  platform?: string;
  arch?: string;
  getBuiltinModule?: (id: string) => unknown;
  versions?: Record<string, string | undefined>;
}

/** Why the last {@link loadNativeAddon} returned null (for tests and logs). */
export let nativeLoadError: string | null = null;

/**
 * Loads the addon, or returns `null` (logging why under `engine:codec`): outside Node, under
 * `EIO_NO_NATIVE=1`, or when no binary for this platform exists or loads. `EIO_NATIVE_PATH` names a file
 * to load instead of searching.
 */
export function loadNativeAddon(): NativeAddon | null {
  const proc = (globalThis as { process?: ProcessLike }).process;
  const fail = (why: string): null => {
    nativeLoadError = why;
    debug("native codec tier not loaded: %s", why);
    return null;
  };
  if (envVar("EIO_NO_NATIVE") === "1") return fail("EIO_NO_NATIVE=1");
  const get = proc?.getBuiltinModule;
  if (!get) return fail("not Node.js");
  // Bun and Deno can load Node-API addons, but the addon is built and tested for Node only; the WASM codec is
  // the tier for the other runtimes.
  if (proc.versions?.bun !== undefined || (globalThis as { Deno?: unknown }).Deno !== undefined) {
    return fail("not Node.js (Bun/Deno use the WASM codec)");
  }
  const path = get("node:path") as { join(...p: string[]): string };
  const fs = get("node:fs") as { existsSync(p: string): boolean };
  const root = packageModuleDir();
  if (!root) return fail("cannot locate the module directory");
  const requireHere = packageRequire();
  if (requireHere === null) return fail("cannot create a require function");
  const dir = path.join(root, "codec");
  const candidates: string[] = [];
  const forced = envVar("EIO_NATIVE_PATH");
  if (forced) {
    candidates.push(forced);
  } else {
    for (const p of nativePlatforms(proc.platform ?? "", proc.arch ?? "")) {
      const file = `${NATIVE_BINARY_NAME}.${p}.node`;
      // src/codec/ (tsx) and dist/{esm,cjs}/codec/ both sit below the package root's native/.
      for (const up of ["../..", "../../.."]) {
        const at = path.join(dir, up, "native", file);
        if (fs.existsSync(at)) candidates.push(at);
      }
      candidates.push(`${NATIVE_BINARY_NAME}-${p}`);
    }
  }
  const errors: string[] = [];
  for (const c of candidates) {
    try {
      const addon = requireHere(c) as Partial<NativeAddon>;
      if (typeof addon.scan !== "function" || typeof addon.assemble !== "function") {
        errors.push(`${c}: not this addon`);
        continue;
      }
      debug("native codec tier loaded from %s", c);
      nativeLoadError = null;
      return addon as NativeAddon;
    } catch (err) {
      errors.push(`${c}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return fail(errors.length ? errors.join("; ") : "no binary for this platform");
}

/** Total bytes of the ASCII text records in `rec[from, to)` (records of four i32). */
function asciiTextBytes(rec: Int32Array, from: number, to: number): number {
  let sum = 0;
  for (let r = from; r < to; r += 4) {
    if (rec[r]! < KIND_BINARY && rec[r + 3] === FLAG_ASCII) sum += rec[r + 2]! - rec[r + 1]!;
  }
  return sum;
}

/** Records per scan call (four i32 each) after the four-i32 header `[count, pos, outPos, done]`. */
const SCAN_CAP = 1024;
const REC_HEADER = 4;
/** Native-only `assemble` head flag: the packet's bytes are the separate large argument, not in the arena. */
const HEAD_BIG = 0x400;
const EMPTY = new Uint8Array(0);

/**
 * Builds the native backend over a loaded addon: a router that sends each payload to the tier measured
 * fastest for its kind and size ({@link nativeEncodeTier}, {@link nativeDecodeTier}) with one decision and
 * no nested routing. `host` (the `node` backend) also takes frames and the base64 string functions
 * (simdutf in Node); `wasm` is a `wasm-simd` backend with its thresholds off, or `null` (then `node`).
 */
export function createNativeCodec(
  addon: NativeAddon,
  host: HostCodec,
  wasm: Codec | null,
  nb: NodeBufferApi,
  options: NativeCodecOptions,
): Codec {
  const rec = new Int32Array(REC_HEADER + SCAN_CAP * 4);
  let desc = new Int32Array(64 * 3);
  let stage: NodeBytes = nb.allocUnsafe(4096);

  const mid = wasm ?? host;

  function decodePayload(input: PayloadBody): Packet[] {
    if (typeof input === "string") return host.decodePayload(input);
    const body = isChunks(input) ? joinChunks(input) : input;
    const tier = nativeDecodeTier(options, body);
    if (tier !== "rust") return (tier === "wasm" ? mid : host).decodePayload(body);
    const len = body.length;
    const src = nb.view(body);
    const out = nb.allocOut(((len * 3) >> 2) + 4);
    const packets: Packet[] = [];
    let whole: string | null = null;
    let useWhole: boolean | null = null;
    let pos = 0;
    let outPos = 0;
    for (;;) {
      const n = addon.scan(src, pos, out, outPos, rec);
      if (n < 0) return host.decodePayload(body); // never for a well-formed call; the host's verdict stands
      for (let r = REC_HEADER, end = REC_HEADER + n * 4; r < end; r += 4) {
        const kind = rec[r]!;
        const a = rec[r + 1]!;
        const b = rec[r + 2]!;
        if (kind < 7) {
          const type = PACKET_TYPES_BY_CODE[kind]!;
          if (a === b) {
            packets.push({ type });
          } else if (rec[r + 3] === FLAG_ASCII) {
            // Short ASCII texts: sliced from one latin1 string of the body when text is most of it (one
            // native call per body), else built by a JS loop (≤ 32 chars) or one latin1Slice each — so a
            // small text next to a large binary does not copy the binary's base64 into a string.
            if (b - a > 256) {
              packets.push({ type, data: src.latin1Slice(a, b) });
            } else {
              useWhole ??= asciiTextBytes(rec, r, end) * 4 >= len;
              if (useWhole) {
                whole ??= src.latin1Slice(0, len);
                packets.push({ type, data: whole.slice(a, b) });
              } else if (b - a <= SHORT_TEXT) {
                let t = "";
                for (let i = a; i < b; i++) t += String.fromCharCode(src[i]!);
                packets.push({ type, data: t });
              } else {
                packets.push({ type, data: src.latin1Slice(a, b) });
              }
            }
          } else {
            packets.push({ type, data: src.utf8Slice(a, b) }); // validated by the scan
          }
        } else if (kind === KIND_BINARY) {
          packets.push({ type: "message", data: nb.view(out.subarray(a, b)) });
        } else {
          packets.push(errorPacket());
          return packets;
        }
      }
      if (rec[3] === 1) return packets;
      pos = rec[1]!;
      outPos = rec[2]!;
    }
  }

  function encodePayload(input: readonly Packet[]): Uint8Array {
    const count = input.length;
    let chars = 0;
    let binBytes = 0;
    let largest = -1;
    let largestBytes = 0;
    for (let i = 0; i < count; i++) {
      const d = input[i]!.data as unknown;
      if (d === undefined || d === null) continue;
      if (typeof d === "string") {
        chars += d.length;
      } else {
        if (!isBinary(d)) return host.encodePayload(normalizePackets(input));
        const n = toBytes(d).length;
        binBytes += n;
        if (n >= largestBytes) {
          largest = i;
          largestBytes = n;
        }
      }
    }
    const tier = nativeEncodeTier(options, chars, binBytes, count, largest !== -1);
    // every packet was looked at above (strings, binary, nothing): the host skips its own normalization
    if (tier === "node") return host.encodeNormalized(input);
    if (tier !== "rust") return mid.encodePayload(input);
    const stageBound = chars * 3 + binBytes - largestBytes;
    if (stage.length < stageBound) stage = nb.allocUnsafe(Math.max(stageBound, stage.length * 2));
    if (desc.length < count * 3) desc = new Int32Array(count * 3 * 2);
    let s = 0;
    let size = count - 1;
    let big: Uint8Array = EMPTY;
    for (let i = 0, w = 0; i < count; i++, w += 3) {
      const p = input[i]!;
      const d = p.data;
      const sep = i > 0 ? HEAD_SEPARATOR : 0;
      if (d !== undefined && d !== null && typeof d !== "string") {
        const bytes = toBytes(d);
        size += 1 + base64Length(bytes.length);
        const head = sep | HEAD_BASE64 | BINARY_PREFIX_BYTE;
        if (i === largest) {
          big = bytes;
          desc[w] = head | HEAD_BIG;
          desc[w + 1] = 0;
        } else {
          desc[w] = head;
          stage.set(bytes, s);
          desc[w + 1] = s;
          s += bytes.length;
        }
        desc[w + 2] = bytes.length;
        continue;
      }
      const t = TYPE_CODES[p.type];
      // Short ASCII texts by a JS loop (a native string call costs ~100 ns), the rest by one utf8Write.
      let len = 0;
      if (d) {
        const e = d.length <= SHORT_TEXT ? writeAscii(d, stage, s) : -1;
        len = e === -1 ? stage.utf8Write(d, s) : e - s;
      }
      desc[w] = sep | t;
      desc[w + 1] = s;
      desc[w + 2] = len;
      s += len;
      size += len + (t === 0 ? 0 : 1);
    }
    const out = nb.allocOut(size);
    const written = addon.assemble(desc, count, stage, big, out);
    return written === size ? out : host.encodePayload(input); // -1 never happens for a well-formed call
  }

  return {
    name: "native",
    encodePacket: (packet, supportsBinary) => host.encodePacket(packet, supportsBinary),
    decodePacket: (frame) => host.decodePacket(frame),
    encodePayload,
    decodePayload,
    base64Encode: (bytes) => host.base64Encode(bytes),
    base64Decode: (text) => host.base64Decode(text),
  };
}
