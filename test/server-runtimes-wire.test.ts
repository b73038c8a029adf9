// @backends: once — the Bun/Deno processes pick their own codec (the WASM default)
// The wire-level server cases of test/server-polling, server-websocket and server-heartbeat (moved to
// test/server-wire.ts, which those files run on Node's http) against the Fetch handler
// hosted on Bun (`Bun.serve`) and Deno (`Deno.serve`) by test/runtimes/host.mjs: the same test bodies, the same
// expected statuses, JSON bodies and close reasons as on Node's http. Skips loudly when a binary is missing.
import { hostUnavailable } from "./runtimes/hosts.js";
import { heartbeatWireCases, pollingWireCases, websocketWireCases } from "./server-wire.js";

for (const runtime of ["bun", "deno"] as const) {
  const skip = hostUnavailable(runtime);
  if (skip) console.warn(`\n!!! SKIPPING the ${runtime} wire cases: ${skip}\n`);
  for (const cases of [pollingWireCases, websocketWireCases, heartbeatWireCases])
    cases(runtime, skip ? { skip } : {});
}
