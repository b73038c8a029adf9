// Echo server on this project, imported from the built package (dist/esm) so no tsx/esbuild transform runs in
// the measured process. `EIO_NO_WASM=1` in the environment selects the pure-TS codec.
// `EIO_BENCH_SRC=1` imports ../../../src/index.ts instead (needs `node --import tsx`; for development only).
import { echo, engineOptions, runServer } from "./harness.mjs";

// `EIO_BENCH_DIST=<dir>` imports <dir>/index.js instead (A/B experiments on a patched copy of dist/esm; keep the
// copy under the repository so `ws`, `debug` … resolve from its node_modules).
const entry =
  process.env.EIO_BENCH_SRC === "1"
    ? "../../../src/index.ts"
    : process.env.EIO_BENCH_DIST
      ? new URL(`file://${process.env.EIO_BENCH_DIST}/index.js`).href
      : "../../../dist/esm/index.js";
const mod = await import(entry);
if (typeof mod.Server !== "function") {
  console.error(`[ours] ${entry} does not export Server yet`);
  process.exit(3);
}

const codec = await import(new URL("./codec/index.js", new URL(entry, import.meta.url)).href).catch(
  () => null,
);

await runServer(
  process.env.EIO_NO_WASM === "1" ? "ours-js" : "ours",
  (http) => {
    const engine = new mod.Server(engineOptions);
    engine.attach(http);
    engine.on("connection", echo);
    return engine;
  },
  { codec: codec?.codecBackend?.() ?? codec?.backend ?? "unknown" },
);
