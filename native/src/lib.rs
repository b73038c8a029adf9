//! Node-API entry points of the native codec tier. Each is one call per body (the boundary costs ~15 ns
//! per call and ~100 ns per Buffer argument, napi-rs#1973), works in JS-owned buffers only (no Buffer is
//! created natively: that costs microseconds) and never lets a panic cross into JS: the kernels are written
//! not to panic, and `catch_unwind` turns any that slips through into `-1`, on which the JS side falls
//! back to the `node` backend.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod kernel;

use napi::bindgen_prelude::{Int32ArraySlice, Uint8ArraySlice};
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};

fn guarded(f: impl FnOnce() -> Option<usize>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Some(n)) => i32::try_from(n).unwrap_or(-1),
        _ => -1,
    }
}

// SAFETY (every `as_mut` below): the call is synchronous on the JS thread, so nothing else touches the
// memory while it runs, and src/codec/native.ts never passes one buffer as both an input and an output.
// The borrowed `*Slice` types are used because the owned ones create a napi reference per argument.

/// Scans a long-polling body (see `kernel::scan`); returns the record count, or -1 for unusable arguments.
#[napi]
pub fn scan(
    body: Uint8ArraySlice,
    pos: u32,
    mut out: Uint8ArraySlice,
    out_pos: u32,
    mut rec: Int32ArraySlice,
) -> i32 {
    let (out, rec) = unsafe { (out.as_mut(), rec.as_mut()) };
    guarded(|| kernel::scan(&body, pos as usize, out, out_pos as usize, rec))
}

/// Assembles a long-polling body (see `kernel::assemble`); returns its length, or -1.
#[napi]
pub fn assemble(
    desc: Int32ArraySlice,
    count: u32,
    src: Uint8ArraySlice,
    big: Uint8ArraySlice,
    mut out: Uint8ArraySlice,
) -> i32 {
    let out = unsafe { out.as_mut() };
    guarded(|| kernel::assemble(&desc, count as usize, &src, &big, out))
}

/// Strict base64 decoding into `out` (see `kernel::base64_decode`); returns the length, or -1 if invalid.
#[napi]
pub fn base64_decode(src: Uint8ArraySlice, mut out: Uint8ArraySlice) -> i32 {
    let out = unsafe { out.as_mut() };
    guarded(|| kernel::base64_decode(&src, out))
}

/// Padded base64 of `src` into `out`; returns the length, or -1 if `out` is too small.
#[napi]
pub fn base64_encode(src: Uint8ArraySlice, mut out: Uint8ArraySlice) -> i32 {
    let out = unsafe { out.as_mut() };
    guarded(|| kernel::base64_encode(&src, out))
}
