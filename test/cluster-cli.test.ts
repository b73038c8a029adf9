// `engineio-wasm serve --workers 2`: the CLI's cluster mode, started as a real process.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { seen, signalGroup, start, stopAll } from "./cluster-helpers.js";
import { handshake } from "./server-helpers.js";

const CLI = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

after(stopAll);

for (const routing of [[], ["--routing", "shared"]]) {
  test(`serve --workers 2 ${routing.join(" ")}: sids of both workers, graceful exit on SIGTERM`, {
    timeout: 60_000,
  }, async () => {
    await workersServe(routing);
  });
}

async function workersServe(routing: string[]): Promise<void> {
  const c = start(process.execPath, [
    "--import",
    "tsx",
    CLI,
    "serve",
    "--port",
    "0",
    "--workers",
    "2",
    ...routing,
    "--echo",
  ]);
  const m = await seen(c, /listening on http:\/\/127\.0\.0\.1:(\d+)\/engine\.io\/ \(2 workers\)/);
  const port = Number(m[1]);
  const prefixes = new Set<string>();
  // with routing shared the kernel picks the accepting worker, and may pick one many times in a row
  for (let i = 0; i < 40 && prefixes.size < 2; i++) prefixes.add((await handshake(port)).sid.slice(0, 2));
  assert.deepEqual([...prefixes].sort(), ["w0", "w1"]);
  signalGroup(c, "SIGTERM");
  assert.equal((await c.exited).code, 0);
}

test("serve --node-id: every sid starts with it; a bad one is a usage error", {
  timeout: 30_000,
}, async () => {
  const c = start(process.execPath, ["--import", "tsx", CLI, "serve", "--port", "0", "--node-id", "n7"]);
  const port = Number((await seen(c, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
  assert.match((await handshake(port)).sid, /^n7[\w-]{18}$/);
  signalGroup(c, "SIGTERM");
  await c.exited;
  const bad = start(process.execPath, [
    "--import",
    "tsx",
    CLI,
    "serve",
    "--port",
    "0",
    "--node-id",
    "toolong",
  ]);
  const { code } = await bad.exited;
  assert.equal(code, 2);
  assert.match(bad.stderr(), /--node-id must be 1-4 characters/);
  const badRouting = start(process.execPath, [
    "--import",
    "tsx",
    CLI,
    "serve",
    "--workers",
    "2",
    "--routing",
    "sticky",
  ]);
  assert.equal((await badRouting.exited).code, 2);
  assert.match(badRouting.stderr(), /--routing must be handover, shared or relay, got "sticky"/);
});
