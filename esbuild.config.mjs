// Builds the browser bundles of the client with esbuild:
//   dist/browser/engineio.esm.js  (ES module, named exports + callable default)
//   dist/browser/engineio.min.js  (minified IIFE, global `eio`)
// The WASM kernels are inlined (the codec embeds them as base64). Node-only code is kept out: the client's
// `platform.js` is swapped for `platform.browser.js` (as the package's `browser` field does for user bundlers),
// `debug` is replaced by a no-op (as engine.io-client's own bundles strip it), and the codec's Node-only backends
// (null in browsers) are left out. Prints raw and gzip sizes.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, "dist", "browser");
mkdirSync(out, { recursive: true });

/** Browser stand-ins: `debug` becomes a no-op; the codec's Node-only backends become `null`. */
const STUBS = {
  // both the `debug` package and src/debug.ts (whose Node half, locating the package to require `debug` from,
  // has nothing to do in a page)
  debug:
    "const noop = () => {}; noop.enabled = false; export function createDebug() { return noop; } export default createDebug;",
  "./node.js": "export const nodeCodec = null;",
  "./node-buffer.js": "export const nodeBuffer = null;",
  "./native.js":
    "export const RAW_NATIVE = {}; export const loadNativeAddon = () => null; export const createNativeCodec = () => null;",
};

/** One `debug("format", args…);` statement on one line (the client's logging style). */
const DEBUG_CALL = /\bdebug\((?:"[^"\n]*"|'[^'\n]*')(?:,[^;\n]*)?\);/g;

/** @type {import("esbuild").Plugin} */
const browserOnly = {
  name: "engineio-browser",
  setup(b) {
    b.onResolve({ filter: /\/platform\.js$/ }, (args) =>
      args.importer.includes(`${join("src", "client")}`)
        ? { path: join(dirname(args.importer), "platform.browser.ts") }
        : undefined,
    );
    b.onResolve({ filter: /^debug$|\/debug\.js$/ }, (args) =>
      args.path === "debug" || args.importer.includes(`${sep}src${sep}`)
        ? { path: "debug", namespace: "engineio-stub" }
        : undefined,
    );
    // The codec's Node backends find `node:buffer` at run time and are null in browsers anyway: leave their code
    // out. If the codec starts importing more names from these modules, esbuild fails loudly (no such export).
    b.onResolve({ filter: /^\.\/(node(-buffer)?|native)\.js$/ }, (args) =>
      args.importer.includes(join("src", "codec")) ? { path: args.path, namespace: "engineio-stub" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "engineio-stub" }, (args) => ({
      contents: STUBS[args.path],
      loader: "js",
    }));
    // `debug` is a no-op in the bundles: drop the client's calls too, format strings included
    b.onLoad({ filter: /[\\/]src[\\/]client[\\/].*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, "utf8").replace(DEBUG_CALL, "void 0;"),
      loader: "ts",
    }));
    // anything Node-only that still slips in is a build error, not a silently broken bundle
    b.onResolve({ filter: /^(node:|ws$|http$|https$|net$|tls$|zlib$|stream$|buffer$)/ }, (args) => ({
      errors: [{ text: `Node-only module "${args.path}" imported by ${args.importer} in the browser bundle` }],
    }));
  },
};

const common = {
  entryPoints: [join(root, "src", "client", "browser.ts")],
  bundle: true,
  platform: "browser",
  // ES2022 keeps private class members native (lowering them adds WeakMap helpers): Chrome 94, Firefox 93, Safari 15.4
  target: ["es2022"],
  plugins: [browserOnly],
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
};

await build({ ...common, format: "esm", outfile: join(out, "engineio.esm.js"), minify: true });
await build({
  ...common,
  format: "iife",
  globalName: "eio",
  footer: { js: "eio=eio.default;" },
  minify: true,
  outfile: join(out, "engineio.min.js"),
});

for (const f of ["engineio.esm.js", "engineio.min.js"]) {
  const bytes = readFileSync(join(out, f));
  const gz = gzipSync(bytes, { level: 9 }).length;
  console.log(`dist/browser/${f}: ${(bytes.length / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzipped`);
}
