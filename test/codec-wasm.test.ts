// @backends: self — iterates every backend itself (availableCodecs()), so it runs once.
// The WASM backends as WASM: module size, synchronous instantiation, memory growth past the scratch region
// (bodies are never truncated), repeated use without leaks, and backend selection by environment.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import * as parser from "engine.io-parser";
import { createWasmBackend, RAW_KERNELS } from "../src/codec/index.js";
import { jsCodec } from "../src/codec/js.js";
import { loadNativeAddon } from "../src/codec/native.js";
import { nodeCodec } from "../src/codec/node.js";
import { nodeBuffer } from "../src/codec/node-buffer.js";
import { compileKernels, createWasmCodec, instantiateKernels, type WasmKernels } from "../src/codec/wasm.js";
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64, WASM_SIZES } from "../src/codec/wasm-modules.generated.js";
import type { Packet } from "../src/protocol/packet.js";

/** The default where the native addon was built (`npm install` with cargo) is `native`, else WASM. */
const NATIVE_BUILT = process.env.EIO_NO_NATIVE !== "1" && loadNativeAddon() !== null;

function load(base64: string): WasmKernels | null {
  const module = compileKernels(base64);
  return module && instantiateKernels(module);
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >> 8)) & 255;
  return out;
}

describe("WASM modules", () => {
  it("are at most 8 KB each and instantiate synchronously", () => {
    assert.ok(WASM_SIZES.simd <= 8192, `simd.wasm is ${WASM_SIZES.simd} B`);
    assert.ok(WASM_SIZES.scalar <= 8192, `scalar.wasm is ${WASM_SIZES.scalar} B`);
    for (const b64 of [SIMD_WASM_BASE64, SCALAR_WASM_BASE64]) {
      const k = load(b64);
      assert.ok(k, "instantiates");
      assert.equal(typeof k.scan, "function");
      assert.ok(k.scratchBase() % 16 === 0);
    }
  });

  it("a corrupt module yields null (the loader falls back), never a throw", () => {
    assert.equal(compileKernels("AGFzbQ=="), null); // truncated header: CompileError
    assert.equal(compileKernels("not base64!"), null);
    assert.equal(compileKernels(""), null);
  });
});

for (const name of ["wasm-simd", "wasm"] as const) {
  describe(`${name}: memory`, () => {
    it("grows memory for a body larger than the scratch region and round-trips it exactly", () => {
      const k = load(name === "wasm-simd" ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64)!;
      const scratch = k.memory.buffer.byteLength - k.scratchBase();
      const codec = createWasmBackend(name, RAW_KERNELS)!;
      // Three binary packets, together ~6× the initial scratch region, plus text around them.
      const blobs = [pattern(scratch * 2, 1), pattern(scratch + 7, 2), pattern(scratch * 3 + 1, 3)];
      const packets: Packet[] = [
        { type: "message", data: "héllo" },
        ...blobs.map((data): Packet => ({ type: "message", data })),
        { type: "message", data: "x".repeat(scratch) },
      ];
      const body = codec.encodePayload(packets);
      let ref = "";
      parser.encodePayload(packets as parser.Packet[], (s) => {
        ref = s;
      });
      assert.ok(body.length > scratch * 8, "body is bigger than the scratch region");
      assert.ok(Buffer.from(body).equals(Buffer.from(ref)), "encoded bytes identical to engine.io-parser");
      const back = codec.decodePayload(body);
      assert.equal(back.length, packets.length);
      assert.equal(back[0]!.data, "héllo");
      for (let i = 0; i < blobs.length; i++) {
        assert.ok(Buffer.from(back[i + 1]!.data as Uint8Array).equals(Buffer.from(blobs[i]!)), `blob ${i}`);
      }
      assert.equal(back[4]!.data, "x".repeat(scratch));
      // base64 entry points on inputs bigger than the region.
      const big = pattern(scratch * 4, 9);
      const b64 = codec.base64Encode(big);
      assert.equal(b64, Buffer.from(big).toString("base64"));
      assert.ok(Buffer.from(codec.base64Decode(b64)!).equals(Buffer.from(big)));
    });

    it("decodes bodies with more packets than one scan call records", () => {
      const codec = createWasmBackend(name, RAW_KERNELS)!;
      const packets: Packet[] = [];
      for (let i = 0; i < 3000; i++) {
        packets.push(
          i % 3 === 0 ? { type: "message", data: pattern(i % 50, i) } : { type: "message", data: `m${i}` },
        );
      }
      const back = codec.decodePayload(codec.encodePayload(packets));
      assert.equal(back.length, 3000);
      assert.equal(back[2999]!.data, "m2999");
      assert.ok(Buffer.from(back[2997]!.data as Uint8Array).equals(Buffer.from(pattern(2997 % 50, 2997))));
      // An error far into a long body stops there.
      const bad = Buffer.concat([Buffer.from(codec.encodePayload(packets)), Buffer.from("\x1ex")]);
      const out = codec.decodePayload(bad);
      assert.equal(out.length, 3001);
      assert.deepEqual(out[3000], { type: "error", data: "parser error" });
    });

    it("keeps WASM memory at its high-water mark over many calls (the kernels allocate nothing per call)", () => {
      const k = load(name === "wasm-simd" ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64)!;
      const codec = createWasmCodec(name, k, nodeCodec ?? jsCodec, nodeBuffer, RAW_KERNELS);
      const packets: Packet[] = Array.from({ length: 10 }, (_, i) => ({
        type: "message",
        data: pattern(1024, i),
      }));
      const body = codec.encodePayload(packets);
      codec.decodePayload(body);
      // The first round trip grew memory to what these sizes need; with the stub runtime, any allocation per
      // call would grow it again (2,000 calls × ≥ 10 KiB would need hundreds of pages).
      const pages = k.memory.buffer.byteLength;
      for (let i = 0; i < 2000; i++) codec.decodePayload(codec.encodePayload(packets));
      assert.equal(k.memory.buffer.byteLength, pages, "WASM memory grew after the first call");
    });
  });
}

describe("selection by environment", () => {
  const probe = `import("./src/codec/index.ts").then((m) => console.log(m.codecBackend()))`;
  function backendWith(env: Record<string, string>): string {
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", probe], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { ...process.env, EIO_CODEC: "", EIO_NO_WASM: "", ...env },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  }

  it("defaults to wasm-simd, EIO_NO_WASM=1 forces the non-WASM path, EIO_CODEC forces one backend", () => {
    assert.equal(backendWith({}), NATIVE_BUILT ? "native" : "wasm-simd");
    assert.equal(backendWith({ EIO_NO_WASM: "1" }), NATIVE_BUILT ? "native" : "node");
    assert.equal(backendWith({ EIO_NO_WASM: "1", EIO_NO_NATIVE: "1" }), "node");
    assert.equal(backendWith({ EIO_NO_NATIVE: "1" }), "wasm-simd");
    assert.equal(backendWith({ EIO_CODEC: "js" }), "js");
    assert.equal(backendWith({ EIO_CODEC: "wasm" }), "wasm");
    assert.equal(backendWith({ EIO_CODEC: "node" }), "node");
  });
});
