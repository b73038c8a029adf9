// @backends: self — checks every backend inside Chromium, so it runs once.
// The codec bundled for the browser (esbuild) and run in headless Chromium: spec vectors on the WASM and
// JS backends, with no Node Buffer in the page. Skips loudly when Chromium is not installed.
import assert from "node:assert/strict";
import { it } from "node:test";
import { CHROMIUM_PATH, hasChromium, withCodecPage } from "../bench/browser-harness.js";

it("codec in headless Chromium: spec vectors and tricky base64 on wasm-simd, wasm (also with thresholds off), js and pure js", async (t) => {
  if (!hasChromium()) {
    const reason = `chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium): browser codec test SKIPPED`;
    console.warn(`!!! ${reason}`);
    t.skip(reason);
    return;
  }
  const vectors = await withCodecPage((evaluate) =>
    evaluate<{ backend: string; hasBuffer: boolean; webBase64: boolean; results: Record<string, string[]> }>(
      "__eioCodec.vectors()",
    ),
  );
  assert.equal(vectors.hasBuffer, false, "no Buffer in the page");
  // Chromium ≥ 140 has Uint8Array.fromBase64/setFromBase64/toBase64: the js path (and the WASM backends'
  // binary payloads) run on it, checked against the pure-JS loops ("js (pure)") on tricky and mutated bodies.
  assert.equal(vectors.webBase64, true, "the engine's Uint8Array base64 is detected");
  assert.equal(vectors.backend, "wasm-simd", "Chromium runs the SIMD build");
  assert.deepEqual(Object.keys(vectors.results).sort(), [
    "js",
    "js (pure)",
    "wasm",
    "wasm raw",
    "wasm-simd",
    "wasm-simd raw",
  ]);
  for (const [name, fails] of Object.entries(vectors.results))
    assert.deepEqual(fails, [], `${name} failed checks`);
});
