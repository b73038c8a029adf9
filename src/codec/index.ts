/**
 * The Engine.IO v4 codec, with the fastest available backend chosen once at load.
 *
 * Selection (like ws's buffer-util): `EIO_CODEC=<name>` forces one backend; `EIO_NO_WASM=1` forces the
 * non-WASM path; otherwise the best backend that loads on this platform: `wasm-simd`, then `wasm`, then
 * `node` (Node only), then `js`.
 * @packageDocumentation
 */
import { jsCodec } from "./js.js";
import { createNativeCodec, loadNativeAddon, type NativeCodecOptions } from "./native.js";
import { nodeCodec } from "./node.js";
import { nodeBuffer } from "./node-buffer.js";
import type { BackendName, Codec } from "./types.js";
import { createWasmCodec, instantiateKernels, type WasmCodecOptions, type WasmKernels } from "./wasm.js";
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from "./wasm-modules.generated.js";

export type { BinaryData, Packet, PacketType, RawData } from "../protocol/packet.js";
export type { NativeCodecOptions } from "./native.js";
export { RAW_NATIVE } from "./native.js";
export type { BackendName, Codec } from "./types.js";
export type { WasmCodecOptions } from "./wasm.js";
export { RAW_KERNELS } from "./wasm.js";

// Thresholds, from `node --import tsx bench/codec-thresholds.bench.ts` (raw WASM SIMD kernels vs the `node`
// backend on one binary packet; Node 20 on this project's shared 2-core box; 9 interleaved rounds; median of
// per-round ratios node time ÷ WASM time, so > 1 means WASM is faster):
//   payload encode  512 B 1.14 · 1 KiB 1.20 · 4 KiB 1.08 · 16 KiB 0.83 · 64 KiB 0.78 · 256 KiB 3.07 · 512 KiB 1.80 · 1 MiB 1.20
//   payload decode  512 B 1.88 · 1 KiB 2.14 · 4 KiB 1.34 · 16 KiB 1.02 · 64 KiB 1.34 · 256 KiB 3.18 · 512 KiB 1.27 · 1 MiB 1.91
//   base64Encode    512 B 0.42 · 1 KiB 0.87 · 4 KiB 0.54 · 16 KiB 0.38 · 64 KiB 0.37 · 256 KiB 0.82 · 512 KiB 0.86 · 1 MiB 0.45
//   base64Decode    512 B 0.71 · 1 KiB 0.76 · 4 KiB 0.62 · 16 KiB 0.50 · 64 KiB 0.56 · 256 KiB 0.77 · 512 KiB 0.58 · 1 MiB 0.30
// Node's native base64 wins for the base64 string functions at every size (a string must be built either
// way, and Node builds it while encoding); for payloads WASM wins except single segments of 16–64 KiB.
// Small inputs stay on the host path (`npm run bench:codec`, 1×20 B rows). In browsers there is no native
// base64: everything from WASM_MIN_BYTES up goes to WASM (`npm run bench:browser`).
// Long-polling bodies (`node bench/codec-polling.bench.ts` with CODEC_DIR=<tsc output>, i.e. compiled code, the
// shapes the e2e echo sees, ns per call, WASM path ÷ `node`, 2026-11-27, median of 11 interleaved rounds):
//   decode 1×1 KiB bin 0.60 · 5×1 KiB 0.67 · 10×1 KiB 0.70;  encode 1×1 KiB 0.80 · 5×1 KiB 0.61 · 10×1 KiB ≈ 1.0
//   text bodies: the WASM path lost to `node` (100×20 B decode 0.87× in bench:codec: WASM needs the copy in
//   and out, `node` one isAscii + one latin1Slice), so on Node a body whose first two packets are text is
//   decoded by `node` at any size; text payloads below WASM_MIN_BYTES are encoded by `node`, which joins ≥ 2
//   packets into one string for one native UTF-8 write (3×20 B 0.69 µs vs 1.05 µs by the JS loops, 10×20 B
//   1.6 vs 3.4 µs); from WASM_MIN_BYTES up WASM still encodes text faster (100×20 B 9.5 vs 11.8 µs).

/**
 * Below this many payload bytes (text + binary; or body / base64 input bytes), the WASM backends stay on the
 * host path (`node` on Node, `js` elsewhere): the copies into WASM memory and back cost more than they save.
 */
export const WASM_MIN_BYTES = 512;

/** On Node, a payload whose largest binary packet is in [MIN, MAX) bytes is encoded by `node` (native base64). */
export const NODE_NATIVE_SEGMENT_MIN = 8192;
/** See {@link NODE_NATIVE_SEGMENT_MIN}: from 128 KiB on, the `node` path's base64 strings cost more than WASM. */
export const NODE_NATIVE_SEGMENT_MAX = 131072;

/**
 * On Node, bodies of [MIN, MAX) bytes would be decoded by `node`; the sweep found no size where that wins
 * (decoding needs a whole-body string on that path), so the window is empty.
 */
export const NODE_NATIVE_DECODE_MIN = Number.POSITIVE_INFINITY;
/** See {@link NODE_NATIVE_DECODE_MIN}. */
export const NODE_NATIVE_DECODE_MAX = Number.POSITIVE_INFINITY;

/** On Node, the base64 string functions always use Node's native base64 (see the sweep above). */
export const NODE_NATIVE_STRING_BASE64 = true;

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

const defaultOptions: WasmCodecOptions = {
  minBytes: WASM_MIN_BYTES,
  nativeSegmentMin: NODE_NATIVE_SEGMENT_MIN,
  nativeSegmentMax: NODE_NATIVE_SEGMENT_MAX,
  nativeDecodeMin: NODE_NATIVE_DECODE_MIN,
  nativeDecodeMax: NODE_NATIVE_DECODE_MAX,
  nativeStringBase64: NODE_NATIVE_STRING_BASE64,
};

/** Compiled kernels, once per process (null where the engine cannot run that build). */
const kernels: { simd: WasmKernels | null; scalar: WasmKernels | null } = {
  simd: env("EIO_NO_WASM") === "1" ? null : instantiateKernels(SIMD_WASM_BASE64),
  scalar: env("EIO_NO_WASM") === "1" ? null : instantiateKernels(SCALAR_WASM_BASE64),
};

const host: Codec = nodeCodec ?? jsCodec;

const all: Codec[] = [];
if (kernels.simd) all.push(createWasmCodec("wasm-simd", kernels.simd, host, nodeBuffer, defaultOptions));
if (kernels.scalar) all.push(createWasmCodec("wasm", kernels.scalar, host, nodeBuffer, defaultOptions));
/** Native payloads below this many bytes stay on `node` (see the native rows of `npm run bench:codec`). */
export const NATIVE_MIN_BYTES = 512;
const nativeOptions: NativeCodecOptions = { minBytes: NATIVE_MIN_BYTES, textBodiesToHost: true };
// Opt-in (EIO_CODEC=native / useCodec("native")): listed after WASM, which the benchmark prefers.
const addon = nodeCodec && nodeBuffer ? loadNativeAddon() : null;
if (addon && nodeCodec && nodeBuffer)
  all.push(createNativeCodec(addon, nodeCodec, nodeBuffer, nativeOptions));
if (nodeCodec) all.push(nodeCodec);
all.push(jsCodec);

/** Every backend that loads on this platform, best first. */
export function availableCodecs(): Codec[] {
  return all.slice();
}

/**
 * Builds a WASM backend with custom thresholds (tests and benchmarks use {@link RAW_KERNELS} to run the
 * kernels on every input), or returns `null` if that build does not load here.
 */
export function createWasmBackend(
  name: "wasm-simd" | "wasm",
  options: Partial<WasmCodecOptions> = {},
): Codec | null {
  // Not subject to EIO_NO_WASM (this is an explicit request). A separate instance: a custom backend must not
  // share (and grow) the default backends' scratch memory.
  const own = instantiateKernels(name === "wasm-simd" ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64);
  return own && createWasmCodec(name, own, host, nodeBuffer, { ...defaultOptions, ...options });
}

/** Builds a native backend with custom thresholds (e.g. {@link RAW_NATIVE}), or `null` if it does not load. */
export function createNativeBackend(options: Partial<NativeCodecOptions> = {}): Codec | null {
  const own = nodeCodec && nodeBuffer ? loadNativeAddon() : null;
  return own && nodeCodec && nodeBuffer
    ? createNativeCodec(own, nodeCodec, nodeBuffer, { ...nativeOptions, ...options })
    : null;
}

function choose(): Codec {
  const forced = env("EIO_CODEC");
  if (forced) {
    const found = all.find((c) => c.name === forced);
    if (found) return found;
  }
  return all[0]!;
}

let active: Codec = choose();

/** Name of the active backend (`wasm-simd`, `wasm`, `native`, `node` or `js`). */
export let backend: BackendName = active.name;

/**
 * Switches the active backend for the whole process (the programmatic kill switch).
 * @throws RangeError with `code` `EIO_ERR_UNKNOWN_CODEC` if the backend does not exist or did not load.
 */
export function useCodec(name: BackendName): void {
  const found = all.find((c) => c.name === name);
  if (!found) {
    const err = new RangeError(`codec backend "${name}" is not available`) as RangeError & { code: string };
    err.code = "EIO_ERR_UNKNOWN_CODEC";
    throw err;
  }
  active = found;
  backend = found.name;
}

/** The active backend object. */
export function getCodec(): Codec {
  return active;
}

/** {@inheritDoc Codec.encodePacket} */
export const encodePacket: Codec["encodePacket"] = (packet, supportsBinary) =>
  active.encodePacket(packet, supportsBinary);
/** {@inheritDoc Codec.decodePacket} */
export const decodePacket: Codec["decodePacket"] = (frame) => active.decodePacket(frame);
/** {@inheritDoc Codec.encodePayload} */
export const encodePayload: Codec["encodePayload"] = (packets) => active.encodePayload(packets);
/** {@inheritDoc Codec.decodePayload} */
export const decodePayload: Codec["decodePayload"] = (body) => active.decodePayload(body);
/** {@inheritDoc Codec.base64Encode} */
export const base64Encode: Codec["base64Encode"] = (bytes) => active.base64Encode(bytes);
/** {@inheritDoc Codec.base64Decode} */
export const base64Decode: Codec["base64Decode"] = (text) => active.base64Decode(text);
