// @backends: self — counts WASM compiles of the default selection in fresh processes (EIO_CODEC cleared), so it runs once.
// Importing the package must compile no WASM; the first encode compiles exactly one module (the SIMD build),
// and a server with `codec: "js"` never compiles any. Counted in a fresh process, where nothing else has run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadNativeAddon } from "../src/codec/native.js";

/** The default where the native addon was built (`npm install` with cargo) is `native`, else WASM. */
const NATIVE_BUILT = process.env.EIO_NO_NATIVE !== "1" && loadNativeAddon() !== null;

const root = fileURLToPath(new URL("..", import.meta.url));

function countCompiles(body: string, env: Record<string, string> = {}): Record<string, unknown> {
  const script = `
    let compiled = 0;
    const Real = WebAssembly.Module;
    WebAssembly.Module = new Proxy(Real, { construct(t, args) { compiled++; return Reflect.construct(t, args); } });
    const out = { afterImport: 0 };
    const pkg = await import("./src/index.ts");
    out.afterImport = compiled;
    ${body}
    process.stdout.write(JSON.stringify(out));
  `;
  const env2: Record<string, string | undefined> = { ...process.env, ...env };
  delete env2.EIO_CODEC;
  Object.assign(env2, env);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    env: env2,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

it("import compiles nothing; the first encode compiles one module, later ones none", () => {
  const out = countCompiles(`
    const codec = pkg.defaultCodec();
    out.afterGet = compiled;
    codec.encodePayload([{ type: "message", data: new Uint8Array(2048) }]);
    out.afterFirst = compiled;
    codec.encodePayload([{ type: "message", data: new Uint8Array(2048) }]);
    new pkg.Server();
    out.afterMore = compiled;
    out.backend = codec.name;
  `);
  assert.deepEqual(out, {
    afterImport: 0,
    afterGet: 0,
    afterFirst: 1,
    afterMore: 1,
    backend: NATIVE_BUILT ? "native" : "wasm-simd",
  });
});

it("a server on codec: 'js' compiles no WASM; EIO_NO_WASM picks node for the default", () => {
  const js = countCompiles(`
    const s = new pkg.Server({ codec: "js" });
    s.codec.encodePayload([{ type: "message", data: new Uint8Array(2048) }]);
    out.compiled = compiled;
    out.backend = s.codec.name;
  `);
  assert.deepEqual(js, { afterImport: 0, compiled: 0, backend: "js" });
  const noWasm = countCompiles(
    `pkg.defaultCodec().encodePayload([{ type: "message", data: "x".repeat(4096) }]);
     out.compiled = compiled; out.backend = pkg.codecBackend();`,
    { EIO_NO_WASM: "1" },
  );
  // With the native addon built, the default is native over `node` (still no WASM compiled).
  assert.deepEqual(noWasm, { afterImport: 0, compiled: 0, backend: NATIVE_BUILT ? "native" : "node" });
});
