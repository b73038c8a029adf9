// Builds the native codec tier (`npm install` runs this from `prepare`): `napi build --release --platform`
// into native/ when cargo is on PATH; otherwise one line and exit 0, so installing never needs Rust (the
// codec then uses WASM). `node native/build.mjs check` runs `cargo test` and `cargo clippy -D warnings`.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const check = process.argv[2] === "check";

const probe = spawnSync("cargo", ["--version"], { stdio: "ignore" });
if (probe.error || probe.status !== 0) {
  console.log(
    `native: cargo not on PATH, ${check ? "cargo test/clippy skipped" : "native codec tier not built (WASM stays the default)"}`,
  );
  process.exit(0);
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (check) {
  run("cargo", ["test", "--quiet"], here);
  run("cargo", ["clippy", "--quiet", "--all-targets", "--", "-D", "warnings"], here);
} else {
  const napi = join(root, "node_modules", "@napi-rs", "cli", "dist", "cli.js");
  run(
    process.execPath,
    [napi, "build", "--release", "--platform", "--no-js", "--manifest-path", "native/Cargo.toml", "--output-dir", "native", "--package-json-path", "package.json", "--dts", "native.generated.d.ts"],
    root,
  );
}
