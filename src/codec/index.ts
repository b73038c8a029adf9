/**
 * The Engine.IO v4 codec: backends behind one {@link Codec} interface, created as objects on demand.
 *
 * Nothing is compiled at import. A WASM backend compiles its module the first time one is created (once per
 * process; each codec gets its own instance and scratch memory), and the shared {@link defaultCodec} picks
 * its backend on its first call — so `import` stays free of side effects and `EIO_NO_WASM`/`EIO_CODEC` set
 * any time before the first encode still apply. Each `Server` and client takes a `codec` option (a codec
 * object or a backend name) and falls back to the shared default, like undici hands each connection the
 * llhttp instance it compiled lazily.
 *
 * Selection (like ws's buffer-util): `EIO_CODEC=<name>` forces one backend; `EIO_NO_WASM=1` removes the WASM
 * backends and `EIO_NO_NATIVE=1` the native (napi-rs) one; otherwise the best backend that loads on this
 * platform: `native` (Node, where its addon was built), then `wasm-simd`, then `wasm`, then `node` (Node only),
 * then `js`.
 * @packageDocumentation
 */
import { envVar } from "../env.js";
import { codecError } from "../protocol/errors.js";
import { jsCodec } from "./js.js";
import { createNativeCodec, loadNativeAddon, type NativeAddon, type NativeCodecOptions } from "./native.js";
import { nodeCodec } from "./node.js";
import { nodeBuffer } from "./node-buffer.js";
import type { BackendName, Codec, PayloadBody } from "./types.js";
import {
  compileKernels,
  createWasmCodec,
  instantiateKernels,
  RAW_KERNELS,
  type WasmCodecOptions,
} from "./wasm.js";
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from "./wasm-modules.generated.js";

export type { BinaryData, Packet, PacketType, RawData } from "../protocol/packet.js";
export type { NativeCodecOptions, NativeTier } from "./native.js";
export { nativeDecodeTier, nativeEncodeTier, RAW_NATIVE } from "./native.js";
export type { BackendName, Codec, PayloadBody } from "./types.js";
export type { WasmCodecOptions } from "./wasm.js";
export { RAW_KERNELS } from "./wasm.js";

// The thresholds below come from the sweeps in bench/results/codec-thresholds.md (raw WASM SIMD kernels vs
// the `node` backend per size) and bench/results/codec-polling.md (the polling transport's body shapes).

/**
 * Below this many payload bytes (text + binary; or body / base64 input bytes), the WASM backends stay on the
 * host path (`node` on Node, `js` elsewhere): the copies into WASM memory and back cost more than they save
 * (bench/results/codec.md, the 1×20 B rows).
 */
export const WASM_MIN_BYTES = 512;

/**
 * On Node, a payload whose largest binary packet is in [MIN, MAX) bytes is encoded by `node` (native base64):
 * bench/results/codec-thresholds.md, "payload encode" row, 16–64 KiB.
 */
export const NODE_NATIVE_SEGMENT_MIN = 8192;
/** See {@link NODE_NATIVE_SEGMENT_MIN}: from 128 KiB on, the `node` path's base64 strings cost more than WASM. */
export const NODE_NATIVE_SEGMENT_MAX = 131072;

/**
 * On Node, bodies of [MIN, MAX) bytes would be decoded by `node`; the sweep found no size where that wins
 * (decoding needs a whole-body string on that path; "payload decode" row), so the window is empty.
 */
export const NODE_NATIVE_DECODE_MIN = Number.POSITIVE_INFINITY;
/** See {@link NODE_NATIVE_DECODE_MIN}. */
export const NODE_NATIVE_DECODE_MAX = Number.POSITIVE_INFINITY;

/** On Node, the base64 string functions always use Node's native base64 ("base64Encode/Decode" rows). */
export const NODE_NATIVE_STRING_BASE64 = true;

const defaultOptions: WasmCodecOptions = {
  minBytes: WASM_MIN_BYTES,
  nativeSegmentMin: NODE_NATIVE_SEGMENT_MIN,
  nativeSegmentMax: NODE_NATIVE_SEGMENT_MAX,
  nativeDecodeMin: NODE_NATIVE_DECODE_MIN,
  nativeDecodeMax: NODE_NATIVE_DECODE_MAX,
  nativeStringBase64: NODE_NATIVE_STRING_BASE64,
  webBase64: true,
};

/** The host codec of the WASM backends (the steps the kernels do not win). */
const host: Codec = nodeCodec ?? jsCodec;

/** Compiled modules, once per process: `undefined` until tried, `null` where this engine cannot run them. */
const modules: { "wasm-simd"?: WebAssembly.Module | null; wasm?: WebAssembly.Module | null } = {};

type WasmName = "wasm-simd" | "wasm";

function compiled(name: WasmName): WebAssembly.Module | null {
  let m = modules[name];
  if (m === undefined) {
    m = compileKernels(name === "wasm-simd" ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64);
    modules[name] = m;
  }
  return m;
}

function wasmBackend(name: WasmName, options: WasmCodecOptions): Codec | null {
  const module = compiled(name);
  const kernels = module && instantiateKernels(module);
  return kernels ? createWasmCodec(name, kernels, host, nodeBuffer, options) : null;
}

/**
 * Every backend name, best first (the order the default tries them in). `native` comes first where its addon
 * loads (built by `npm install` when cargo is present): it is `wasm-simd` plus the Rust kernels for the
 * binary payloads where they measured faster (see the NATIVE_* thresholds).
 */
export const BACKEND_ORDER: readonly BackendName[] = ["native", "wasm-simd", "wasm", "node", "js"];

// Routing of the native backend (the default on Node where the addon is built): each payload goes straight
// to the tier `npm run bench:codec` measured fastest for its kind and size (bench/results/codec.md: the
// `node`, `wasm-simd raw` and `native raw` columns are the three tiers, the `default picks` column is this).

/** Payloads (text + binary bytes) and bodies below this size go to `node`: see {@link WASM_MIN_BYTES}. */
export const NATIVE_HOST_BELOW = WASM_MIN_BYTES;
/**
 * Binary payloads and bodies from {@link NATIVE_HOST_BELOW} up to this size go to the WASM kernels, larger
 * ones to the Rust kernels: per call, the addon's typed-array arguments and output Buffer cost more than the
 * kernels save on one 1 KiB packet (1×1 KiB binary rows), and from a few KiB on the AVX2 base64 and the
 * absent copy into WASM memory win (3×1 KiB, 10×1 KiB, 64 KiB, 1 MiB rows).
 */
export const NATIVE_RUST_FROM = 2048;
/**
 * Text-only payloads of two or more packets and at least this many characters are laid out by the WASM
 * `assemble` kernel (100×20 B text encode row); shorter ones by `node` (one joined string, one UTF-8 write).
 */
export const NATIVE_TEXT_WASM_FROM = 512;

/** The default routing of the native backend. */
export const NATIVE_ROUTING: Readonly<NativeCodecOptions> = Object.freeze({
  hostBelow: NATIVE_HOST_BELOW,
  rustFrom: NATIVE_RUST_FROM,
  textWasmFrom: NATIVE_TEXT_WASM_FROM,
  textRustFrom: Number.POSITIVE_INFINITY,
  textBodiesToHost: true,
});

/** The addon, loaded the first time a native backend is created: `undefined` until tried, `null` if absent. */
let addon: NativeAddon | null | undefined;

function nativeBackend(options: NativeCodecOptions): Codec | null {
  if (!nodeCodec || !nodeBuffer) return null;
  addon ??= loadNativeAddon();
  if (!addon) return null;
  // Its WASM tier is its own wasm-simd instance with every threshold off (the routing is the native
  // backend's); without it (EIO_NO_WASM=1, no SIMD) those payloads go to `node`.
  const wasm = allowed("wasm-simd") ? wasmBackend("wasm-simd", RAW_KERNELS) : null;
  return createNativeCodec(addon, nodeCodec, wasm, nodeBuffer, options);
}

/**
 * Builds a native backend with custom thresholds over the `node` backend (tests and benchmarks use
 * {@link RAW_NATIVE} to run the kernels on every payload), or returns `null` if the addon does not load
 * here (or `EIO_NO_NATIVE=1`).
 */
export function createNativeBackend(options: Partial<NativeCodecOptions> = {}): Codec | null {
  return nativeBackend({ ...NATIVE_ROUTING, ...options });
}

/** Whether the kill switches allow a backend (an unavailable platform is found out by creating it). */
function allowed(name: BackendName): boolean {
  if (name === "native") return envVar("EIO_NO_NATIVE") !== "1";
  return !(envVar("EIO_NO_WASM") === "1" && (name === "wasm-simd" || name === "wasm"));
}

function build(name: BackendName): Codec | null {
  if (!allowed(name)) return null;
  switch (name) {
    case "wasm-simd":
    case "wasm":
      return wasmBackend(name, defaultOptions);
    case "native":
      return nativeBackend(NATIVE_ROUTING);
    case "node":
      return nodeCodec;
    case "js":
      return jsCodec;
    default:
      return null;
  }
}

/**
 * Creates a codec. With a name, that backend (a WASM backend gets its own instance and scratch memory, so
 * codecs of different servers never share or grow each other's memory); without one (or `"auto"`), the best
 * backend allowed here (`EIO_CODEC`, then {@link BACKEND_ORDER}).
 * @throws RangeError with `code` `EIO_ERR_UNKNOWN_CODEC` if the named backend is unknown, switched off by
 * `EIO_NO_WASM`, or cannot load on this platform.
 */
export function createCodec(name: BackendName | "auto" = "auto"): Codec {
  if (name === "auto") {
    const forced = envVar("EIO_CODEC") as BackendName | undefined;
    if (forced && (BACKEND_ORDER as readonly string[]).includes(forced)) {
      const codec = build(forced);
      if (codec) return codec;
    }
    for (const candidate of BACKEND_ORDER) {
      const codec = build(candidate);
      if (codec) return codec;
    }
    return jsCodec;
  }
  const codec = (BACKEND_ORDER as readonly string[]).includes(name) ? build(name) : null;
  if (codec === null) throw codecError(name);
  return codec;
}

/**
 * Builds a WASM backend with custom thresholds (tests and benchmarks use {@link RAW_KERNELS} to run the
 * kernels on every input), or returns `null` if that build does not load here. Not subject to `EIO_NO_WASM`
 * (an explicit request).
 */
export function createWasmBackend(name: WasmName, options: Partial<WasmCodecOptions> = {}): Codec | null {
  return wasmBackend(name, { ...defaultOptions, ...options });
}

/** Every backend that loads here (and is not switched off), best first. Creates (compiles) each of them. */
export function availableCodecs(): Codec[] {
  const out: Codec[] = [];
  for (const name of BACKEND_ORDER) {
    const codec = build(name);
    if (codec) out.push(codec);
  }
  return out;
}

/**
 * The process-wide default codec: one object whose backend is chosen on its first call (so importing compiles
 * nothing) and can be switched with {@link useCodec}. Servers and clients without a `codec` option use it.
 */
class DefaultCodec implements Codec {
  #target: Codec | null = null;

  /** The backend behind it, chosen now if not yet. */
  target(): Codec {
    return this.#target ?? this.retarget(createCodec());
  }

  /**
   * Points every method at the backend's own (bound) function, so a call on the shared default costs one
   * call, not a delegation per call: on a 20-byte poll response the extra hop measured ~8 % of the encode.
   * The prototype methods below only run until a backend is chosen.
   */
  retarget(codec: Codec): Codec {
    this.#target = codec;
    this.encodePacket = codec.encodePacket.bind(codec);
    this.decodePacket = codec.decodePacket.bind(codec);
    this.encodePayload = codec.encodePayload.bind(codec);
    this.decodePayload = codec.decodePayload.bind(codec);
    this.base64Encode = codec.base64Encode.bind(codec);
    this.base64Decode = codec.base64Decode.bind(codec);
    return codec;
  }

  get name(): BackendName {
    return this.target().name;
  }
  encodePacket(packet: Parameters<Codec["encodePacket"]>[0], supportsBinary: boolean): string | Uint8Array {
    return this.target().encodePacket(packet, supportsBinary);
  }
  decodePacket(frame: string | Uint8Array): ReturnType<Codec["decodePacket"]> {
    return this.target().decodePacket(frame);
  }
  encodePayload(packets: Parameters<Codec["encodePayload"]>[0]): Uint8Array {
    return this.target().encodePayload(packets);
  }
  decodePayload(body: PayloadBody): ReturnType<Codec["decodePayload"]> {
    return this.target().decodePayload(body);
  }
  base64Encode(bytes: Uint8Array): string {
    return this.target().base64Encode(bytes);
  }
  base64Decode(text: string | Uint8Array): Uint8Array | null {
    return this.target().base64Decode(text);
  }
}

const shared = new DefaultCodec();

/** The shared default codec (backend chosen on first use; see {@link useCodec}). */
export function defaultCodec(): Codec {
  return shared;
}

/**
 * Resolves a `codec` option: a codec object as given, a backend name through {@link createCodec}, nothing
 * as the shared default.
 * @throws RangeError `EIO_ERR_UNKNOWN_CODEC` for an unavailable backend name.
 */
export function resolveCodec(option: Codec | BackendName | undefined): Codec {
  if (option === undefined) return shared;
  if (typeof option === "string") return createCodec(option);
  return option;
}

/**
 * Switches the backend of the shared default codec (the programmatic kill switch); servers and clients
 * created with their own `codec` option are not affected.
 * @throws RangeError with `code` `EIO_ERR_UNKNOWN_CODEC` if the backend does not exist or did not load.
 */
export function useCodec(name: BackendName): void {
  shared.retarget(createCodec(name));
}

/** The shared default codec's backend object (its backend is chosen now if it was not yet). */
export function getCodec(): Codec {
  return shared.target();
}

/** Name of the shared default codec's backend (chosen now if it was not yet). */
export function codecBackend(): BackendName {
  return shared.target().name;
}

// Convenience functions on the shared default codec (for applications; the engine's transports use the codec
// object they were given). Like the default itself, they compile nothing until first called.

/** {@inheritDoc Codec.encodePacket} */
export const encodePacket: Codec["encodePacket"] = (packet, supportsBinary) =>
  shared.encodePacket(packet, supportsBinary);
/** {@inheritDoc Codec.decodePacket} */
export const decodePacket: Codec["decodePacket"] = (frame) => shared.decodePacket(frame);
/** {@inheritDoc Codec.encodePayload} */
export const encodePayload: Codec["encodePayload"] = (packets) => shared.encodePayload(packets);
/** {@inheritDoc Codec.decodePayload} */
export const decodePayload: Codec["decodePayload"] = (body) => shared.decodePayload(body);
/** {@inheritDoc Codec.base64Encode} */
export const base64Encode: Codec["base64Encode"] = (bytes) => shared.base64Encode(bytes);
/** {@inheritDoc Codec.base64Decode} */
export const base64Decode: Codec["base64Decode"] = (text) => shared.base64Decode(text);
