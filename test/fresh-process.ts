// A fresh Node process running an ES module script from the repository root with tsx, for what only a new
// process shows (what an import loads, what DEBUG set at import time turns on).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Runs `script` (ES module source; relative imports resolve from the repository root) in a fresh `node --import tsx`
 * with `env` over this process's environment; asserts it exits 0 and returns its output. Its coverage is not merged
 * into the run's: Node 20 mapped such children's ranges onto the wrong lines (files they ran showed as uncovered).
 */
export function runFresh(
  script: string,
  env: Record<string, string | undefined> = {},
): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root,
    env: { ...process.env, NODE_V8_COVERAGE: undefined, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}
