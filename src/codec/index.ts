/**
 * The Engine.IO v4 codec, with the fastest available backend chosen once at load.
 *
 * Selection (like ws's buffer-util): `EIO_CODEC=<name>` forces one backend; `EIO_NO_WASM=1` forces the
 * non-WASM path; otherwise the best backend that loads on this platform: `wasm-simd`, then `wasm`, then
 * `node` (Node only), then `js`.
 * @packageDocumentation
 */
import { jsCodec } from "./js.js";
import { nodeCodec } from "./node.js";
import { nodeBuffer } from "./node-buffer.js";
import type { BackendName, Codec } from "./types.js";
import { createWasmCodec, instantiateKernels, type WasmCodecOptions, type WasmKernels } from "./wasm.js";
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from "./wasm-modules.generated.js";

export type { BinaryData, Packet, PacketType, RawData } from "../protocol/packet.js";
export type { BackendName, Codec } from "./types.js";
export type { WasmCodecOptions } from "./wasm.js";

/**
 * Below this many binary bytes in a payload (or bytes of a body / base64 input), the WASM backends stay on
 * the host path (`node` on Node, `js` elsewhere): copying into WASM memory and back costs more than it
 * saves. Measured by `npm run bench:codec` (bench/results/codec.md): see the README's "Codec" section.
 */
export const WASM_MIN_BYTES = 512;

/**
 * On Node, a payload whose largest binary segment (or a base64 input) reaches this size is handed to
 * Node's native simdutf base64 (`Buffer`), which beats copy-in + WASM SIMD + copy-out at large sizes.
 * Measured by `npm run bench:codec`: see the README's "Codec" section.
 */
export const NODE_NATIVE_BASE64_MIN = 16384;

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

const defaultOptions = { minBytes: WASM_MIN_BYTES, nativeBase64Min: NODE_NATIVE_BASE64_MIN };

/** Compiled kernels, once per process (null where the engine cannot run that build). */
const kernels: { simd: WasmKernels | null; scalar: WasmKernels | null } = {
  simd: env("EIO_NO_WASM") === "1" ? null : instantiateKernels(SIMD_WASM_BASE64),
  scalar: env("EIO_NO_WASM") === "1" ? null : instantiateKernels(SCALAR_WASM_BASE64),
};

const host: Codec = nodeCodec ?? jsCodec;

const all: Codec[] = [];
if (kernels.simd) all.push(createWasmCodec("wasm-simd", kernels.simd, host, nodeBuffer, defaultOptions));
if (kernels.scalar) all.push(createWasmCodec("wasm", kernels.scalar, host, nodeBuffer, defaultOptions));
if (nodeCodec) all.push(nodeCodec);
all.push(jsCodec);

/** Every backend that loads on this platform, best first. */
export function availableCodecs(): Codec[] {
  return all.slice();
}

/**
 * Builds a WASM backend with custom thresholds (the benchmark uses this to measure the raw kernels), or
 * returns `null` if that build does not load here.
 */
export function createWasmBackend(
  name: "wasm-simd" | "wasm",
  options: Partial<WasmCodecOptions> = {},
): Codec | null {
  const k = name === "wasm-simd" ? kernels.simd : kernels.scalar;
  if (!k) return null;
  // Separate instances: a custom backend must not share (and grow) the default backends' scratch memory.
  const own = instantiateKernels(name === "wasm-simd" ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64);
  return own && createWasmCodec(name, own, host, nodeBuffer, { ...defaultOptions, ...options });
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

/** Name of the active backend (`wasm-simd`, `wasm`, `node` or `js`). */
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
