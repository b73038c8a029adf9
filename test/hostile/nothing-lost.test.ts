/**
 * Nothing lost: sequence-numbered messages both ways while sessions upgrade polling → WebSocket; graceful
 * shutdown flushes what `send` accepted; a 2-second synchronous stall does not kill sessions whose pongs it
 * delayed. (`npm run soak` runs the upgrade check with 200 sessions.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runUpgradeSeq } from "./lib/scenarios.js";

describe("nothing lost", () => {
  it("upgrade under load: 24 sessions × 600 messages each way, 0 lost / duplicated / reordered", async (t) => {
    const r = await runUpgradeSeq({ sessions: 24, messages: 600, batch: 6, paceMs: 3, timeoutMs: 45_000 });
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.errors, []);
    assert.ok(r.complete, "not every message arrived");
    assert.equal(r.upgraded, 24);
    assert.deepEqual(r.toServer, { received: 24 * 600, lost: 0, dup: 0, reordered: 0 });
    assert.deepEqual(r.toClient, { received: 24 * 600, lost: 0, dup: 0, reordered: 0 });
    assert.ok(r.midStream >= 12, `only ${r.midStream} sessions upgraded mid-stream`);
  });
});
