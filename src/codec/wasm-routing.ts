/**
 * Which steps a WASM backend hands to its host codec (`node` on Node, `js` elsewhere): the measured policy,
 * kept apart from the marshalling. The thresholds come from {@link WasmCodecOptions} (defaults in index.ts,
 * measured in bench/results/codec-thresholds.md and codec-polling.md).
 */
import type { WasmCodecOptions } from "./wasm.js";

/** The routing decisions of one WASM backend. */
export class Routing {
  /** Whether the host is Node's native `Buffer` backend (the windows below apply only then). */
  readonly native: boolean;
  /** The base64 string functions and `b`-frames always use Node's native base64. */
  readonly nativeString: boolean;
  private readonly segmentMin: number;
  private readonly segmentMax: number;
  private readonly decodeMin: number;
  private readonly decodeMax: number;

  constructor(options: WasmCodecOptions, native: boolean) {
    this.native = native;
    this.nativeString = native && options.nativeStringBase64;
    this.segmentMin = native ? options.nativeSegmentMin : Number.POSITIVE_INFINITY;
    this.segmentMax = options.nativeSegmentMax;
    this.decodeMin = native ? options.nativeDecodeMin : Number.POSITIVE_INFINITY;
    this.decodeMax = options.nativeDecodeMax;
  }

  /** A payload whose largest binary packet has `largest` bytes is encoded by the host. */
  segmentOnHost(largest: number): boolean {
    return largest >= this.segmentMin && largest < this.segmentMax;
  }

  /** A body of `len` bytes is decoded by the host. */
  bodyOnHost(len: number): boolean {
    return len >= this.decodeMin && len < this.decodeMax;
  }
}
