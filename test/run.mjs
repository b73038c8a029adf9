// Runs the whole node:test suite (TypeScript through tsx), then the codec-dependent suites again on the
// pure-TypeScript backend (EIO_CODEC=js), so both paths stay green. Node 20 does not expand globs itself.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}
const only = process.argv.slice(2);
const all = only.length ? only : collect(join(root, "test"));
// Files whose behaviour depends on the codec backend; re-run with EIO_CODEC=js.
const jsPass = all.filter((f) => /codec|polling|interop|upgrade/.test(f));

function run(files, extraEnv, label) {
  if (files.length === 0) return 0;
  console.log(`\n### ${label}: ${files.length} files`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-timeout=120000", ...files], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...extraEnv },
  });
  return r.status ?? 1;
}
let status = run(all, {}, "default codec");
if (!only.length && !process.env.EIO_CODEC) status ||= run(jsPass, { EIO_CODEC: "js" }, "EIO_CODEC=js");
process.exit(status);
