// Engine.IO v4 codec kernels. Pure functions over linear memory: bytes in, bytes out.
//
// Nothing managed crosses the boundary. The host copies input into the scratch region (which starts at
// scratchBase() and extends to the end of memory; the host grows memory itself), calls a kernel with
// (ptr, len) arguments and reads the result back. One source gives two builds: `if (ASC_FEATURE_SIMD)`
// blocks compile out of the scalar build.

import {
  DESCRIPTOR_BYTES,
  FLAG_ASCII,
  HEAD_BASE64,
  HEAD_SEPARATOR,
  HEAD_TYPE_MASK,
  KIND_BINARY,
  KIND_ERROR,
  RECORD_BYTES,
} from "../src/codec/wasm-abi";

// ---------------------------------------------------------------------------------------------------------
// Tables (data segments). SIMD constants are loaded from memory once per call, before the loops.

/** Standard base64 alphabet. */
const ENC: usize = memory.data<u8>([
  65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90,
  97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118,
  119, 120, 121, 122, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 43, 47,
]);

/** Decode table: 256 entries, 0xff = not in the alphabet. Filled by the start function. */
const DEC: usize = memory.data(256, 16);

/** Encode: gathers each 3-byte group s0 s1 s2 into a 32-bit lane [s1 s0 s2 s1]. */
const ENC_SHUF: usize = memory.data<u8>([1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10], 16);
/** Encode: offset added to a 6-bit index, selected by its range (Muła's method). */
const ENC_LUT: usize = memory.data<u8>([71, 252, 252, 252, 252, 252, 252, 252, 252, 252, 252, 237, 240, 65, 0, 0], 16);
/** Decode: validity bit sets by low nibble and by high nibble (invalid when they intersect). */
const DEC_LO: usize = memory.data<u8>(
  [0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a],
  16,
);
const DEC_HI: usize = memory.data<u8>(
  [0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10],
  16,
);
/** Decode: offset from ASCII to the 6-bit value, by high nibble ('/' uses slot 1). */
const DEC_ROLL: usize = memory.data<u8>([0, 16, 19, 4, 191, 191, 185, 185, 0, 0, 0, 0, 0, 0, 0, 0], 16);
/** Decode: packs the 3 useful bytes of each 32-bit lane to the front (index 0xff reads as 0). */
const DEC_PACK: usize = memory.data<u8>([2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 255, 255, 255, 255], 16);

memory.fill(DEC, 0xff, 256);
for (let i: usize = 0; i < 64; i++) store<u8>(DEC + <usize>load<u8>(ENC + i), <u8>i);

const PAD: u32 = 0x3d;
const SEP: u32 = 0x1e;
const PREFIX_B: u32 = 0x62;

// ---------------------------------------------------------------------------------------------------------
// Scratch

/** First byte of the scratch region (16-byte aligned). The region extends to the end of memory. */
export function scratchBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

// ---------------------------------------------------------------------------------------------------------
// base64

/**
 * Writes standard base64 (with padding) of `src[0, n)` at `dst`; returns the number of bytes written.
 * The SIMD loop reads 16 bytes per 12 consumed, so it stops 4 bytes early; `dst` needs no slack.
 */
export function b64encode(src: usize, n: usize, dst: usize): usize {
  let i: usize = 0;
  let o = dst;
  if (ASC_FEATURE_SIMD) {
    const shuf = load<v128>(ENC_SHUF);
    const lut = load<v128>(ENC_LUT);
    const m1 = i32x4.splat(0x0000fc00);
    const m2 = i32x4.splat(0x0fc00000);
    const m3 = i32x4.splat(0x000003f0);
    const m4 = i32x4.splat(0x003f0000);
    const c51 = i8x16.splat(51);
    const c26 = i8x16.splat(26);
    const c13 = i8x16.splat(13);
    // Two blocks per iteration (24 bytes in, 32 out): independent work for the CPU to overlap.
    while (i + 28 <= n) {
      const v0 = i8x16.swizzle(v128.load(src + i), shuf);
      const v1 = i8x16.swizzle(v128.load(src + i, 12), shuf);
      const x0 = v128.or(
        v128.or(i32x4.shr_u(v128.and(v0, m1), 10), i32x4.shr_u(v128.and(v0, m2), 6)),
        v128.or(i32x4.shl(v128.and(v0, m3), 4), i32x4.shl(v128.and(v0, m4), 8)),
      );
      const x1 = v128.or(
        v128.or(i32x4.shr_u(v128.and(v1, m1), 10), i32x4.shr_u(v128.and(v1, m2), 6)),
        v128.or(i32x4.shl(v128.and(v1, m3), 4), i32x4.shl(v128.and(v1, m4), 8)),
      );
      const r0 = v128.or(i8x16.sub_sat_u(x0, c51), v128.and(i8x16.lt_u(x0, c26), c13));
      const r1 = v128.or(i8x16.sub_sat_u(x1, c51), v128.and(i8x16.lt_u(x1, c26), c13));
      v128.store(o, i8x16.add(x0, i8x16.swizzle(lut, r0)));
      v128.store(o, i8x16.add(x1, i8x16.swizzle(lut, r1)), 16);
      i += 24;
      o += 32;
    }
    while (i + 16 <= n) {
      const v = i8x16.swizzle(v128.load(src + i), shuf);
      const idx = v128.or(
        v128.or(i32x4.shr_u(v128.and(v, m1), 10), i32x4.shr_u(v128.and(v, m2), 6)),
        v128.or(i32x4.shl(v128.and(v, m3), 4), i32x4.shl(v128.and(v, m4), 8)),
      );
      const reduced = v128.or(i8x16.sub_sat_u(idx, c51), v128.and(i8x16.lt_u(idx, c26), c13));
      v128.store(o, i8x16.add(idx, i8x16.swizzle(lut, reduced)));
      i += 12;
      o += 16;
    }
  }
  const enc = ENC;
  while (i + 3 <= n) {
    const v = (<u32>load<u8>(src + i) << 16) | (<u32>load<u8>(src + i + 1) << 8) | <u32>load<u8>(src + i + 2);
    store<u32>(
      o,
      <u32>load<u8>(enc + (v >> 18)) |
        (<u32>load<u8>(enc + ((v >> 12) & 63)) << 8) |
        (<u32>load<u8>(enc + ((v >> 6) & 63)) << 16) |
        (<u32>load<u8>(enc + (v & 63)) << 24),
    );
    i += 3;
    o += 4;
  }
  const rest = n - i;
  if (rest == 1) {
    const v = <u32>load<u8>(src + i);
    store<u8>(o, load<u8>(enc + (v >> 2)));
    store<u8>(o + 1, load<u8>(enc + ((v & 3) << 4)));
    store<u8>(o + 2, <u8>PAD);
    store<u8>(o + 3, <u8>PAD);
    o += 4;
  } else if (rest == 2) {
    const v = (<u32>load<u8>(src + i) << 8) | <u32>load<u8>(src + i + 1);
    store<u8>(o, load<u8>(enc + (v >> 10)));
    store<u8>(o + 1, load<u8>(enc + ((v >> 4) & 63)));
    store<u8>(o + 2, load<u8>(enc + ((v & 15) << 2)));
    store<u8>(o + 3, <u8>PAD);
    o += 4;
  }
  return o - dst;
}

/**
 * SIMD part of base64 decoding (Muła's lookup method): decodes whole 16-character blocks of `src[0, n)` while
 * they are valid and returns how many characters it consumed (a multiple of 16; 0 in the scalar build). It
 * stops before the first block holding anything outside the alphabet — `=`, a separator, a bad byte —
 * and leaves that to the scalar code. Writes 16 bytes per 12 decoded, so `dst` needs 4 bytes of slack.
 */
// @ts-ignore: decorator
@inline
function decodeBulk(src: usize, n: usize, dst: usize): usize {
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    let o = dst;
    const lutLo = load<v128>(DEC_LO);
    const lutHi = load<v128>(DEC_HI);
    const lutRoll = load<v128>(DEC_ROLL);
    const pack = load<v128>(DEC_PACK);
    const c0f = i8x16.splat(0x0f);
    const c2f = i8x16.splat(0x2f);
    const m3f = i16x8.splat(0x3f);
    const madd = i32x4.splat(0x00011000);
    // Two blocks per iteration: one branch for both validity checks, more independent work per loop.
    while (i + 32 <= n) {
      const v0 = v128.load(src + i);
      const v1 = v128.load(src + i, 16);
      const h0 = i8x16.shr_u(v0, 4);
      const h1 = i8x16.shr_u(v1, 4);
      const bad = v128.or(
        v128.and(i8x16.swizzle(lutLo, v128.and(v0, c0f)), i8x16.swizzle(lutHi, h0)),
        v128.and(i8x16.swizzle(lutLo, v128.and(v1, c0f)), i8x16.swizzle(lutHi, h1)),
      );
      if (v128.any_true(bad)) break;
      const s0 = i8x16.add(v0, i8x16.swizzle(lutRoll, i8x16.add(i8x16.eq(v0, c2f), h0)));
      const s1 = i8x16.add(v1, i8x16.swizzle(lutRoll, i8x16.add(i8x16.eq(v1, c2f), h1)));
      const t0 = v128.or(i16x8.shl(v128.and(s0, m3f), 6), i16x8.shr_u(s0, 8));
      const t1 = v128.or(i16x8.shl(v128.and(s1, m3f), 6), i16x8.shr_u(s1, 8));
      v128.store(o, i8x16.swizzle(i32x4.dot_i16x8_s(t0, madd), pack));
      v128.store(o + 12, i8x16.swizzle(i32x4.dot_i16x8_s(t1, madd), pack));
      i += 32;
      o += 24;
    }
    while (i + 16 <= n) {
      const v = v128.load(src + i);
      const h = i8x16.shr_u(v, 4);
      if (v128.any_true(v128.and(i8x16.swizzle(lutLo, v128.and(v, c0f)), i8x16.swizzle(lutHi, h)))) break;
      const s6 = i8x16.add(v, i8x16.swizzle(lutRoll, i8x16.add(i8x16.eq(v, c2f), h)));
      const t = v128.or(i16x8.shl(v128.and(s6, m3f), 6), i16x8.shr_u(s6, 8));
      v128.store(o, i8x16.swizzle(i32x4.dot_i16x8_s(t, madd), pack));
      i += 16;
      o += 12;
    }
  }
  return i;
}

/**
 * Decodes standard base64 `src[0, n)` (padding optional) to `dst`; returns the byte count, or -1 when the
 * input is invalid (a character outside the alphabet, length 1 mod 4 once padding is removed, padding
 * anywhere but the last two places). Trailing bits of the last quantum are ignored, like Node's decoder.
 * `dst` needs 4 bytes of slack past the decoded length (the loops store whole words). `dst <= src` is
 * allowed (in-place decoding): every store lands behind the next load.
 */
export function b64decode(src: usize, n: usize, dst: usize): isize {
  if (n > 0 && <u32>load<u8>(src + n - 1) == PAD) n--;
  if (n > 0 && <u32>load<u8>(src + n - 1) == PAD) n--;
  const rest = n & 3;
  if (rest == 1) return -1;
  let i: usize = decodeBulk(src, n, dst);
  let o = dst + (i >> 2) * 3;
  const dec = DEC;
  const whole = n - rest;
  while (i < whole) {
    const a = <u32>load<u8>(dec + <usize>load<u8>(src + i));
    const b = <u32>load<u8>(dec + <usize>load<u8>(src + i + 1));
    const c = <u32>load<u8>(dec + <usize>load<u8>(src + i + 2));
    const d = <u32>load<u8>(dec + <usize>load<u8>(src + i + 3));
    if ((a | b | c | d) > 63) return -1;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o + 1, <u8>(v >> 8));
    store<u8>(o + 2, <u8>v);
    i += 4;
    o += 3;
  }
  if (rest == 2) {
    const a = <u32>load<u8>(dec + <usize>load<u8>(src + i));
    const b = <u32>load<u8>(dec + <usize>load<u8>(src + i + 1));
    if ((a | b) > 63) return -1;
    store<u8>(o, <u8>((a << 2) | (b >> 4)));
    o += 1;
  } else if (rest == 3) {
    const a = <u32>load<u8>(dec + <usize>load<u8>(src + i));
    const b = <u32>load<u8>(dec + <usize>load<u8>(src + i + 1));
    const c = <u32>load<u8>(dec + <usize>load<u8>(src + i + 2));
    if ((a | b | c) > 63) return -1;
    store<u8>(o, <u8>((a << 2) | (b >> 4)));
    store<u8>(o + 1, <u8>(((b & 15) << 4) | (c >> 2)));
    o += 2;
  }
  return <isize>(o - dst);
}

// ---------------------------------------------------------------------------------------------------------
// Payload scan: split a long-polling body on 0x1e, classify each segment, decode `b` segments.


let scanBody: usize = 0;
let scanEnd: usize = 0;
let scanPos: usize = 0;
let scanOut: usize = 0;
let scanDone: bool = true;

/**
 * Returns the offset of the first separator in [p, end) (or `end`) and whether all bytes before it are
 * ASCII, packed as `(offset << 1) | nonAscii`.
 */
// @ts-ignore: decorator
@inline
function findSeparator(p: usize, end: usize): u64 {
  let high: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const sep = i8x16.splat(<i8>SEP);
    while (p + 16 <= end) {
      const v = v128.load(p);
      const m = <u32>i8x16.bitmask(i8x16.eq(v, sep));
      const h = <u32>i8x16.bitmask(v);
      if (m != 0) {
        const k = ctz(m);
        high |= h & ((<u32>1 << k) - 1);
        return ((<u64>(p + k)) << 1) | <u64>(high != 0);
      }
      high |= h;
      p += 16;
    }
  }
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c == SEP) break;
    high |= c & 0x80;
    p++;
  }
  return ((<u64>p) << 1) | <u64>(high != 0);
}

/**
 * Starts scanning the body `[body, body + len)`, decoding binary segments to `out` (which needs
 * `len * 3 / 4 + 16` bytes and may not overlap the body), and writes at most `cap` records of four i32
 * `(kind, a, b, flags)` at `rec`: text kinds 0–6 with the data range `[a, b)` relative to `body`, kind 7
 * with the decoded bytes at `[a, b)` relative to `out`, kind 8 for the first invalid segment (scanning
 * stops there). Returns the record count; call {@link scanMore} while {@link scanFinished} is false.
 */
export function scan(body: usize, len: usize, out: usize, rec: usize, cap: i32): i32 {
  scanBody = body;
  scanEnd = body + len;
  scanPos = body;
  scanOut = out;
  scanDone = false;
  return scanMore(rec, cap, out);
}

/** Whether the last scan()/scanMore() reached the end of the body or an invalid segment. */
export function scanFinished(): bool {
  return scanDone;
}

/** Continues a scan, writing up to `cap` more records at `rec`; `out` is the same as given to scan(). */
export function scanMore(rec: usize, cap: i32, out: usize): i32 {
  let count: i32 = 0;
  let p = scanPos;
  const end = scanEnd;
  const body = scanBody;
  let o = scanOut;
  while (count < cap) {
    const r = rec + <usize>count * RECORD_BYTES;
    count++;
    let kind = KIND_ERROR;
    let a: i32 = 0;
    let b: i32 = 0;
    let flags: i32 = 0;
    let segEnd: usize;
    const first = p < end ? <u32>load<u8>(p) : 0;
    if (first == PREFIX_B) {
      // Fused: decode valid blocks straight away (a block holding the separator is invalid, so the bulk
      // loop stops before it), then find the separator in what is left and finish with the scalar code.
      const bulk = decodeBulk(p + 1, end - p - 1, o);
      const q = p + 1 + bulk;
      segEnd = <usize>(findSeparator(q, end) >> 1);
      const rest = b64decode(q, segEnd - q, o + (bulk >> 2) * 3);
      if (rest >= 0) {
        const written = <i32>((bulk >> 2) * 3) + <i32>rest;
        kind = KIND_BINARY;
        a = <i32>(o - out);
        b = a + written;
        o += <usize>written;
      }
    } else {
      const found = findSeparator(p, end);
      segEnd = <usize>(found >> 1);
      if (segEnd > p && first - 0x30 <= 6) {
        kind = <i32>(first - 0x30);
        a = <i32>(p + 1 - body);
        b = <i32>(segEnd - body);
        flags = (found & 1) != 0 ? 0 : FLAG_ASCII;
      }
    }
    store<i32>(r, kind);
    store<i32>(r, a, 4);
    store<i32>(r, b, 8);
    store<i32>(r, flags, 12);
    if (kind == KIND_ERROR || segEnd >= end) {
      scanDone = true;
      break;
    }
    p = segEnd + 1;
  }
  scanPos = p;
  scanOut = o;
  return count;
}

// ---------------------------------------------------------------------------------------------------------
// Payload assembly: the host has written every text packet's UTF-8 (in one batch where it can) and copied
// every binary packet's bytes into scratch; one call lays out the whole body: separators, type characters,
// text bytes and base64.

/** Descriptor head bits: low byte = type character (0 = none), then these flags. */

/**
 * Writes a long-polling body at `out` from `count` descriptors of three i32 `(head, src, len)` at `desc`:
 * for each, a separator if `head & 0x200`, the type character `head & 0xff` if non-zero, then
 * `[src, src + len)` copied, or base64-encoded if `head & 0x100`. Returns the body length.
 * `out` may not overlap any source.
 */
export function assemble(desc: usize, count: i32, out: usize): usize {
  let o = out;
  for (let k: i32 = 0; k < count; k++) {
    const d = desc + <usize>k * DESCRIPTOR_BYTES;
    const head = load<u32>(d);
    const src = <usize>load<i32>(d, 4);
    const len = <usize>load<i32>(d, 8);
    if (head & <u32>HEAD_SEPARATOR) store<u8>(o++, <u8>SEP);
    const t = head & <u32>HEAD_TYPE_MASK;
    if (t != 0) store<u8>(o++, <u8>t);
    if (head & <u32>HEAD_BASE64) {
      o += b64encode(src, len, o);
    } else if (len <= 16) {
      for (let i: usize = 0; i < len; i++) store<u8>(o + i, load<u8>(src + i));
      o += len;
    } else {
      memory.copy(o, src, len);
      o += len;
    }
  }
  return o - out;
}
