// @backends: self — checks the native loader and kernels directly, so it runs once.
// The native (napi-rs) tier: how it loads and refuses to load, its kill switch, and that malformed bodies and
// malformed calls come back as values (the error packet, -1) instead of a panic crossing into JS.
// Differential, mutation and fuzz coverage of `native` is in codec-differential/vectors/fuzz, which iterate
// every available backend plus `native (raw kernels)`.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { availableCodecs, createNativeBackend, RAW_NATIVE } from "../src/codec/index.js";
import { jsCodec } from "../src/codec/js.js";
import { loadNativeAddon, nativeLoadError, nativePlatforms } from "../src/codec/native.js";
import type { Packet } from "../src/protocol/packet.js";

const addon = loadNativeAddon();
const skip = addon ? false : `native addon not built (${nativeLoadError}); run \`npm run build:native\``;
if (skip) console.log(`!!! codec-native: ${skip}`);

/** Runs a snippet in a fresh Node process with the given environment; returns its stdout. */
function child(code: string, env: Record<string, string>): string {
  return execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    env: { ...process.env, EIO_CODEC: "", ...env },
    encoding: "utf8",
    timeout: 30_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const LIST = `import { availableCodecs, codecBackend } from "./src/codec/index.ts";
console.log(JSON.stringify({ names: availableCodecs().map((c) => c.name), backend: codecBackend() }));`;

describe("native codec loader", { skip }, () => {
  it("lists native first among the available backends (it routes to wasm-simd what it does not win)", () => {
    const names = availableCodecs().map((c) => c.name);
    assert.equal(names[0], "native", names.join(","));
  });

  it("is the default; EIO_CODEC=wasm-simd and useCodec pick others", () => {
    assert.equal((JSON.parse(child(LIST, { EIO_CODEC: "" })) as { backend: string }).backend, "native");
    const out = JSON.parse(child(LIST, { EIO_CODEC: "wasm-simd" })) as { backend: string };
    assert.equal(out.backend, "wasm-simd");
  });

  it("EIO_NO_NATIVE=1 leaves it out and WASM is the default", () => {
    const out = JSON.parse(child(LIST, { EIO_NO_NATIVE: "1" })) as { names: string[]; backend: string };
    assert.ok(!out.names.includes("native"));
    assert.equal(out.backend, "wasm-simd");
  });

  it("a missing binary is a null logged under DEBUG=engine:codec, and WASM stays the default", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import { loadNativeAddon, nativeLoadError } from "./src/codec/native.ts";
import { availableCodecs } from "./src/codec/index.ts";
console.log(JSON.stringify({ addon: loadNativeAddon(), why: nativeLoadError, names: availableCodecs().map((c) => c.name) }));`,
      ],
      {
        env: {
          ...process.env,
          EIO_CODEC: "",
          EIO_NATIVE_PATH: "/nonexistent/engineio-wasm.node",
          DEBUG: "engine:codec",
        },
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { addon: null; why: string; names: string[] };
    assert.equal(out.addon, null);
    assert.match(out.why, /nonexistent/);
    assert.match(r.stderr, /engine:codec native codec tier not loaded: .*nonexistent/);
    assert.ok(!out.names.includes("native"));
    assert.equal(out.names[0], "wasm-simd", "WASM is the default without the addon");
  });

  it("names binaries the napi-rs way", () => {
    assert.deepEqual(nativePlatforms("linux", "x64"), ["linux-x64-gnu", "linux-x64-musl"]);
    assert.deepEqual(nativePlatforms("darwin", "arm64"), ["darwin-arm64"]);
    assert.deepEqual(nativePlatforms("win32", "x64"), ["win32-x64-msvc"]);
  });
});

describe("native codec: bad input is a value, never an abort", { skip }, () => {
  const raw = createNativeBackend(RAW_NATIVE);

  it("malformed bodies decode to the error packet, like the reference (js) backend", () => {
    assert.ok(raw);
    const bodies = [
      "",
      "4a\x1e",
      "\x1e4a",
      "9x",
      "b!!!!",
      "bQ",
      "bAA=A",
      "4a\x1e\x1e4b",
      "4ok\x1eb====",
      "x".repeat(5000),
    ];
    for (const text of bodies) {
      const got = raw.decodePayload(Buffer.from(text, "latin1"));
      assert.deepEqual(
        got.at(-1),
        { type: "error", data: "parser error" },
        JSON.stringify(text.slice(0, 20)),
      );
      assert.deepEqual(
        got,
        jsCodec.decodePayload(Buffer.from(text, "latin1")),
        "the reference backend agrees",
      );
    }
    // Invalid UTF-8 inside a text packet (engine.io-parser would see U+FFFD; every backend here refuses).
    assert.deepEqual(raw.decodePayload(new Uint8Array([0x34, 0x61, 0x1e, 0x34, 0xff, 0xfe])), [
      { type: "message", data: "a" },
      { type: "error", data: "parser error" },
    ]);
  });

  it("calls with unusable arguments return -1 and the process lives on", () => {
    assert.ok(addon);
    const body = Buffer.from("4hello");
    assert.equal(addon.scan(body, 0, Buffer.alloc(8), 0, new Int32Array(3)), -1, "record array too small");
    assert.equal(addon.scan(body, 99, Buffer.alloc(8), 0, new Int32Array(16)), -1, "position past the end");
    assert.equal(addon.assemble(new Int32Array([0x34, 0, 99]), 1, body, body, Buffer.alloc(8)), -1);
    assert.equal(addon.assemble(new Int32Array([0x34, 0, 5]), 9, body, body, Buffer.alloc(8)), -1);
    assert.equal(addon.base64Decode(Buffer.from("QUJD"), Buffer.alloc(1)), -1);
    assert.equal(addon.base64Encode(Buffer.from("ABC"), Buffer.alloc(1)), -1);
  });

  it("a body with more packets than one scan call holds is decoded across calls", () => {
    assert.ok(raw);
    const packets: Packet[] = [];
    for (let i = 0; i < 3000; i++)
      packets.push(
        i % 3 ? { type: "message", data: `m${i}` } : { type: "message", data: Buffer.from([i & 255, 1]) },
      );
    const body = raw.encodePayload(packets);
    const again = raw.decodePayload(body);
    assert.equal(again.length, 3000);
    assert.deepEqual(Array.from(again[2997]!.data as Uint8Array), [2997 & 255, 1]);
    assert.equal(again[2999]!.data, "m2999");
  });
});
