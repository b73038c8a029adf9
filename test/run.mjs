// Runs the whole node:test suite (TypeScript through tsx), then the codec-dependent suites again on the
// pure-TypeScript backend (EIO_CODEC=js), so both paths stay green. Node 20 does not expand globs itself.
import { spawn } from "node:child_process";
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

async function run(files, extraEnv, label) {
  if (files.length === 0) return { status: 0, pass: 0, fail: 0 };
  console.log(`\n### ${label}: ${files.length} files`);
  const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-timeout=120000", ...files], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...extraEnv },
  });
  let tail = "";
  child.stdout.on("data", (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString("utf8")).slice(-4096);
  });
  const status = await new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  const count = (name) => Number(tail.match(new RegExp(`^# ${name} (\\d+)$`, "m"))?.[1] ?? 0);
  return { status, pass: count("pass"), fail: count("fail") };
}

// Both passes always run, so a failure in the first does not hide the second; the closing lines add them up.
const passes = [await run(all, {}, "default codec")];
if (!only.length && !process.env.EIO_CODEC)
  passes.push(await run(jsPass, { EIO_CODEC: "js" }, "EIO_CODEC=js"));
const failed = passes.some((p) => p.status !== 0);
console.log(`\n### all passes: ${passes.length}`);
console.log(`# pass ${passes.reduce((n, p) => n + p.pass, 0)}`);
console.log(`# fail ${passes.reduce((n, p) => n + p.fail, 0) || (failed ? 1 : 0)}`);
process.exit(failed ? 1 : 0);
