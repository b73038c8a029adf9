/**
 * The one definition of the WASM kernels' ABI: record kinds, flags and layouts shared by
 * `assembly/index.ts` (which imports this file when AssemblyScript compiles it) and `wasm.ts`. Plain integer
 * constants only, so the file is valid AssemblyScript (each becomes an `i32`) and TypeScript alike.
 * @packageDocumentation
 */

/** `scan()` record kind of a decoded `b` segment (kinds 0–6 are the packet type digits). */
export const KIND_BINARY = 7;
/** `scan()` record kind of the first invalid segment (scanning stops there). */
export const KIND_ERROR = 8;
/** `scan()` record flag: the text data is pure ASCII (the host may take a faster string path). */
export const FLAG_ASCII = 1;
/** Bytes of one `scan()` record: four i32 `(kind, a, b, flags)`. */
export const RECORD_BYTES = 16;
/** i32 slots of one `scan()` record. */
export const RECORD_I32 = 4;

/** `assemble()` descriptor head flag: base64-encode the bytes (a binary packet, after a `b`). */
export const HEAD_BASE64 = 0x100;
/** `assemble()` descriptor head flag: write a 0x1e separator first. */
export const HEAD_SEPARATOR = 0x200;
/** `assemble()` descriptor head mask of the type character (0 = none). */
export const HEAD_TYPE_MASK = 0xff;
/** Bytes of one `assemble()` descriptor: three i32 `(head, src, len)`. */
export const DESCRIPTOR_BYTES = 12;
