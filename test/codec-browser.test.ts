// @backends: self — checks every backend inside Chromium, so it runs once.
// The codec bundled for the browser (esbuild) and run in headless Chromium: spec vectors on the WASM and
// JS backends, with no Node Buffer in the page. Skips loudly when Chromium is not installed.
import assert from "node:assert/strict";
import { it } from "node:test";
import { CHROMIUM_PATH, hasChromium, withCodecPage } from "../bench/browser-harness.js";

it("codec in headless Chromium: spec vectors on wasm-simd, wasm (also with thresholds off) and js", async (t) => {
  if (!hasChromium()) {
    const reason = `chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium): browser codec test SKIPPED`;
    console.warn(`!!! ${reason}`);
    t.skip(reason);
    return;
  }
  const vectors = await withCodecPage((evaluate) =>
    evaluate<{ backend: string; hasBuffer: boolean; results: Record<string, string[]> }>(
      "__eioCodec.vectors()",
    ),
  );
  assert.equal(vectors.hasBuffer, false, "no Buffer in the page");
  assert.equal(vectors.backend, "wasm-simd", "Chromium runs the SIMD build");
  assert.deepEqual(Object.keys(vectors.results).sort(), [
    "js",
    "wasm",
    "wasm raw",
    "wasm-simd",
    "wasm-simd raw",
  ]);
  for (const [name, fails] of Object.entries(vectors.results))
    assert.deepEqual(fails, [], `${name} failed checks`);
});
