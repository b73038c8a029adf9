/**
 * The engine's own base64 on `Uint8Array` (TC39 "Uint8Array to/from base64": `Uint8Array.fromBase64`,
 * `Uint8Array.prototype.setFromBase64`, `Uint8Array.prototype.toBase64`; Chromium 140+, Firefox 133+,
 * Safari 18.2+), feature-detected at load. Browsers' implementations are native (simdutf in Chromium), so where
 * they exist the `js` backend uses them for binary packets instead of its JS loops, and the WASM backends hand
 * binary payloads to it (no copy into WASM memory and back).
 *
 * Strictness: these decoders skip ASCII whitespace and, in their default "loose" mode, accept a missing
 * padding but refuse a partial one ("QQ="). The codec's rule (see `Codec.base64Decode`) is stricter on the
 * first and more lenient on the second, so {@link WebBase64.decodeInto} strips the padding itself, hands
 * over only the unpadded text, and accepts a result only if it has exactly the length the text implies
 * (whitespace skipped makes it shorter; anything else outside the alphabet throws, and is refused).
 */

interface Base64Target {
  setFromBase64(text: string): { read: number; written: number };
  toBase64(): string;
}

/** The feature-detected operations. */
export interface WebBase64 {
  /** Standard padded base64 of `bytes` (native). */
  encode(bytes: Uint8Array): string;
  /**
   * Decodes `text[start, end)` into `out` at `pos`; returns the number of bytes written, or -1 when the text
   * is invalid by the codec's rule. `out` must have room for `((end - start) * 3) >> 2` bytes after `pos`.
   */
  decodeInto(text: string, start: number, end: number, out: Uint8Array, pos: number): number;
  /** Decodes `text[start, end)` into fresh bytes, or returns `null` when invalid. */
  decode(text: string, start: number, end: number): Uint8Array | null;
}

/** Bytes that `n` unpadded base64 characters decode to, or -1 for a length of 1 mod 4. */
export function base64DecodedLength(n: number): number {
  const rest = n & 3;
  return rest === 1 ? -1 : (n >> 2) * 3 + (rest === 0 ? 0 : rest - 1);
}

function detect(): WebBase64 | null {
  const proto = Uint8Array.prototype as Partial<Base64Target>;
  if (typeof proto.setFromBase64 !== "function" || typeof proto.toBase64 !== "function") return null;
  const api: WebBase64 = {
    encode: (bytes) => (bytes as unknown as Base64Target).toBase64(),
    decode(text, start, end) {
      const out = new Uint8Array(((end - start) * 3) >> 2);
      const n = api.decodeInto(text, start, end, out, 0);
      return n < 0 ? null : n === out.length ? out : out.subarray(0, n);
    },
    decodeInto(text, start, end, out, pos) {
      let e = end;
      if (e > start && text.charCodeAt(e - 1) === 0x3d) e--;
      if (e > start && text.charCodeAt(e - 1) === 0x3d) e--;
      const expected = base64DecodedLength(e - start);
      if (expected <= 0) return expected;
      try {
        const target = out.subarray(pos, pos + expected) as unknown as Base64Target;
        const r = target.setFromBase64(start === 0 && e === text.length ? text : text.slice(start, e));
        return r.written === expected && r.read === e - start ? expected : -1;
      } catch {
        return -1; // a character outside the alphabet, or `=` before the end
      }
    },
  };
  return api;
}

/** The engine's base64, or `null` where it does not exist (Node 20–24, older browsers). */
export const webBase64: WebBase64 | null = detect();
