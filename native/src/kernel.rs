//! The codec kernels, free of Node-API so `cargo test` exercises them directly. Every function takes
//! slices and returns a verdict; none indexes past a length it has not checked, so bad input (any bytes,
//! any sizes passed from JS) yields an error value, never a panic.

/// Record separator joining packets in a long-polling body.
pub const SEP: u8 = 0x1e;
/// Prefix of a base64 binary packet in a body.
pub const PREFIX_B: u8 = b'b';
/// Descriptor head flag for `assemble`: the source range is in `big`, not in `src`.
pub const HEAD_BIG: i32 = 0x400;
/// Record kind of a binary packet (0–6 are the text packet type digits).
pub const KIND_BINARY: i32 = 7;
/// Record kind of the first invalid segment (scanning stops there).
pub const KIND_ERROR: i32 = 8;
/// Record flag: the text is pure ASCII (the host may slice it as latin1).
pub const FLAG_ASCII: i32 = 1;
/// Descriptor head flag for `assemble`: base64-encode the source.
pub const HEAD_BASE64: i32 = 0x100;
/// Descriptor head flag for `assemble`: write a separator first.
pub const HEAD_SEPARATOR: i32 = 0x200;
/// Header of the record array: `[count, next body position, next out position, done]`.
pub const REC_HEADER: usize = 4;

const PAD: u8 = b'=';
const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

const fn dec_table() -> [u8; 256] {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
}
static DEC: [u8; 256] = dec_table();

/// Returns the index of the first separator in `s` (or `s.len()`) and whether the bytes before it are all
/// ASCII. Eight bytes at a time (SWAR): a zero byte of `w ^ SEP×8` marks a separator.
pub fn find_separator(s: &[u8]) -> (usize, bool) {
    let mut high = 0u64;
    let mut chunks = s.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let w = u64::from_le_bytes(b);
        let x = w ^ (LO * SEP as u64);
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            break;
        }
        high |= w & HI;
        base += 8;
    }
    let mut ascii = high == 0;
    for (i, &c) in s[base..].iter().enumerate() {
        if c == SEP {
            return (base + i, ascii);
        }
        ascii &= c < 0x80;
    }
    (s.len(), ascii)
}

/// Strict base64 decoding of `src` (padding optional, trailing bits ignored) into `out`; returns the byte
/// count, or `None` for characters outside the alphabet, a length of 1 mod 4, padding before the end, or an
/// `out` too small (`src.len() * 3 / 4` suffices).
pub fn base64_decode(src: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut end = src.len();
    if end > 0 && src[end - 1] == PAD {
        end -= 1;
    }
    if end > 0 && src[end - 1] == PAD {
        end -= 1;
    }
    let rest = end & 3;
    if rest == 1 {
        return None;
    }
    let whole = end - rest;
    let n = whole / 4 * 3 + if rest == 0 { 0 } else { rest - 1 };
    if out.len() < n {
        return None;
    }
    let bulk = whole / 4 * 3;
    if whole > 0 {
        // Whole quanta have no trailing bits, so the SIMD decoder's strictness is exactly ours there.
        let done = base64_simd::STANDARD
            .decode(&src[..whole], base64_simd::Out::from_slice(&mut out[..bulk]))
            .ok()?;
        if done.len() != bulk {
            return None;
        }
    }
    let t = &src[whole..end];
    if rest >= 2 {
        let a = DEC[t[0] as usize];
        let b = DEC[t[1] as usize];
        if (a | b) == 0xff {
            return None;
        }
        out[bulk] = (a << 2) | (b >> 4);
        if rest == 3 {
            let c = DEC[t[2] as usize];
            if c == 0xff {
                return None;
            }
            out[bulk + 1] = ((b & 15) << 4) | (c >> 2);
        }
    }
    Some(n)
}

/// Length of padded base64 for `n` bytes.
pub fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Standard padded base64 of `src` into `out`; returns the length, or `None` if `out` is too small.
pub fn base64_encode(src: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = base64_len(src.len());
    if out.len() < n {
        return None;
    }
    Some(base64_simd::STANDARD.encode(src, base64_simd::Out::from_slice(&mut out[..n])).len())
}

/// Scans a long-polling body from `pos`, decoding binary segments into `out` from `out_pos`, writing
/// records `(kind, a, b, flags)` after the header in `rec`: text kinds 0–6 with the data range `[a, b)` of
/// `body`, kind 7 with the decoded range `[a, b)` of `out`, kind 8 for the first invalid segment (a text
/// segment that is not valid UTF-8 is invalid, as in every other backend). Stops when `rec` is full; the
/// header says where to resume and whether the body is done. Returns the record count, or `None` when the
/// arguments cannot hold a scan (`out` needs `body.len() * 3 / 4` bytes).
pub fn scan(body: &[u8], pos: usize, out: &mut [u8], out_pos: usize, rec: &mut [i32]) -> Option<usize> {
    if rec.len() < REC_HEADER + 4 || pos > body.len() || out_pos > out.len() {
        return None;
    }
    let cap = (rec.len() - REC_HEADER) / 4;
    let mut p = pos;
    let mut o = out_pos;
    let mut count = 0;
    let mut done = false;
    let n = body.len();
    while count < cap {
        let seg_end;
        let (mut kind, mut a, mut b, mut flags) = (KIND_ERROR, 0usize, 0usize, 0i32);
        let first = if p < n { body[p] } else { 0 };
        if first == PREFIX_B {
            seg_end = p + 1 + find_separator(&body[p + 1..]).0;
            if let Some(w) = base64_decode(&body[p + 1..seg_end], &mut out[o..]) {
                kind = KIND_BINARY;
                a = o;
                b = o + w;
                o += w;
            }
        } else {
            let (len, ascii) = find_separator(&body[p..]);
            seg_end = p + len;
            if seg_end > p && (b'0'..=b'6').contains(&first) {
                let text = &body[p + 1..seg_end];
                if ascii || std::str::from_utf8(text).is_ok() {
                    kind = (first - b'0') as i32;
                    a = p + 1;
                    b = seg_end;
                    flags = if ascii { FLAG_ASCII } else { 0 };
                }
            }
        }
        let r = REC_HEADER + count * 4;
        rec[r] = kind;
        rec[r + 1] = a as i32;
        rec[r + 2] = b as i32;
        rec[r + 3] = flags;
        count += 1;
        if kind == KIND_ERROR || seg_end >= n {
            done = true;
            p = n;
            break;
        }
        p = seg_end + 1;
    }
    rec[0] = count as i32;
    rec[1] = p as i32;
    rec[2] = o as i32;
    rec[3] = done as i32;
    Some(count)
}

/// Writes a long-polling body into `out` from descriptors of three i32 `(head, offset, len)` over `src`:
/// a separator if `head & HEAD_SEPARATOR`, the type character `head & 0xff` if non-zero, then
/// `src[offset, offset + len)` (or `big[…]` if `head & HEAD_BIG`: a large binary packet passed as is, not
/// copied into `src` first) copied, or base64-encoded if `head & HEAD_BASE64`. Uses the first `count`
/// descriptors. Returns the body length, or `None` if a range is out of bounds or `out` is too small.
pub fn assemble(desc: &[i32], count: usize, src: &[u8], big: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut o = 0usize;
    for d in desc.get(..count.checked_mul(3)?)?.chunks_exact(3) {
        let head = d[0];
        let start = usize::try_from(d[1]).ok()?;
        let len = usize::try_from(d[2]).ok()?;
        let from = if head & HEAD_BIG != 0 { big } else { src };
        let part = from.get(start..start.checked_add(len)?)?;
        if head & HEAD_SEPARATOR != 0 {
            *out.get_mut(o)? = SEP;
            o += 1;
        }
        let t = (head & 0xff) as u8;
        if t != 0 {
            *out.get_mut(o)? = t;
            o += 1;
        }
        if head & HEAD_BASE64 != 0 {
            o += base64_encode(part, out.get_mut(o..)?)?;
        } else {
            out.get_mut(o..o.checked_add(len)?)?.copy_from_slice(part);
            o += len;
        }
    }
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(body: &[u8]) -> (Vec<[i32; 4]>, Vec<u8>) {
        let mut out = vec![0u8; body.len() * 3 / 4 + 4];
        let mut rec = vec![0i32; REC_HEADER + 4 * 2];
        let mut recs = Vec::new();
        let (mut pos, mut opos) = (0usize, 0usize);
        loop {
            let n = scan(body, pos, &mut out, opos, &mut rec).expect("arguments fit");
            for r in 0..n {
                let i = REC_HEADER + r * 4;
                recs.push([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
            }
            if rec[3] == 1 {
                return (recs, out);
            }
            pos = rec[1] as usize;
            opos = rec[2] as usize;
        }
    }

    #[test]
    fn base64_verdicts() {
        let mut out = [0u8; 64];
        assert_eq!(base64_decode(b"aGVsbG8=", &mut out), Some(5));
        assert_eq!(&out[..5], b"hello");
        assert_eq!(base64_decode(b"aGVsbG8", &mut out), Some(5));
        assert_eq!(base64_decode(b"", &mut out), Some(0));
        assert_eq!(base64_decode(b"a", &mut out), None);
        assert_eq!(base64_decode(b"aGV=bG8=", &mut out), None);
        assert_eq!(base64_decode(b"aGVs-G8=", &mut out), None);
        assert_eq!(base64_decode(b"aGVsbG8===", &mut out), None);
        assert_eq!(base64_decode(b"QR==", &mut out), Some(1)); // trailing bits ignored
        assert_eq!(base64_decode(b"aGVsbG8=", &mut out[..2]), None);
        let mut enc = [0u8; 8];
        assert_eq!(base64_encode(b"hello", &mut enc), Some(8));
        assert_eq!(&enc, b"aGVsbG8=");
        assert_eq!(base64_encode(b"hello", &mut enc[..7]), None);
    }

    #[test]
    fn scan_splits_and_resumes() {
        let (recs, out) = scan_all(b"4hi\x1ebAQID\x1e2\x1e4\xc3\xa9");
        assert_eq!(recs.len(), 4);
        assert_eq!(recs[0], [4, 1, 3, FLAG_ASCII]);
        assert_eq!(recs[1][0], KIND_BINARY);
        assert_eq!(&out[recs[1][1] as usize..recs[1][2] as usize], &[1, 2, 3]);
        assert_eq!(recs[2], [2, 11, 11, FLAG_ASCII]);
        assert_eq!(recs[3], [4, 13, 15, 0]);
    }

    #[test]
    fn scan_stops_at_first_invalid_segment() {
        for body in [&b""[..], b"4a\x1e", b"\x1e4a", b"9x", b"4\xff\xfe", b"b!!!!", b"4a\x1e\x1e4b"] {
            let (recs, _) = scan_all(body);
            assert_eq!(recs.last().map(|r| r[0]), Some(KIND_ERROR), "{body:?}");
        }
    }

    #[test]
    fn scan_and_assemble_refuse_bad_arguments() {
        let mut out = [0u8; 4];
        let mut rec = [0i32; 3];
        assert_eq!(scan(b"4a", 0, &mut out, 0, &mut rec), None);
        let mut rec = [0i32; 8];
        assert_eq!(scan(b"4a", 9, &mut out, 0, &mut rec), None);
        assert_eq!(assemble(&[0x34, 0, 9], 1, b"ab", b"", &mut out), None);
        assert_eq!(assemble(&[0x34, -1, 1], 1, b"ab", b"", &mut out), None);
        assert_eq!(assemble(&[0x34, 0, 2], 2, b"ab", b"", &mut out), None);
        assert_eq!(assemble(&[0x34, 0, 2], 1, b"ab", b"", &mut out[..2]), None);
    }

    #[test]
    fn assemble_writes_a_body() {
        let mut out = [0u8; 32];
        let desc = [0x34, 0, 2, HEAD_SEPARATOR | HEAD_BASE64 | PREFIX_B as i32, 2, 3, HEAD_SEPARATOR | HEAD_BIG | HEAD_BASE64 | PREFIX_B as i32, 0, 1];
        let n = assemble(&desc, 3, b"hi\x01\x02\x03", b"\xff", &mut out).expect("fits");
        assert_eq!(&out[..n], b"4hi\x1ebAQID\x1eb/w==");
    }
}
