/**
 * Churn (short version; `npm run soak` runs 100,000 cycles): connect/exchange/disconnect cycles with mixed
 * transports and close paths. Afterwards: clientsCount 0, no timer/socket/listener left behind
 * (process.getActiveResourcesInfo() and listener counts as before), heap growth after GC < 5 MB.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runChurn } from "./lib/churn.js";

const CYCLES = Number(process.env.CHURN_CYCLES ?? 5000);

describe("churn", () => {
  it(`${CYCLES} connect/exchange/disconnect cycles leave nothing behind`, async (t) => {
    const r = await runChurn({ cycles: CYCLES });
    t.diagnostic(
      `${r.cycles} cycles in ${r.elapsedMs} ms; closes ${JSON.stringify(r.closes)}; heap ${(r.heapBefore / 1e6).toFixed(2)} → ${(r.heapAfter / 1e6).toFixed(2)} MB; resources ${JSON.stringify(r.resourcesAfter)}`,
    );
    assert.deepEqual(r.failures, []);
    assert.equal(r.clientsAfter, 0);
    assert.deepEqual(r.resourcesAfter, r.resourcesBefore);
    assert.deepEqual(r.listenersAfter, r.listenersBefore);
    assert.ok(
      r.heapAfter - r.heapBefore < 5e6,
      `heap grew by ${((r.heapAfter - r.heapBefore) / 1e6).toFixed(2)} MB`,
    );
    for (const reason of ["transport close", "forced close", "ping timeout", "transport error"]) {
      assert.ok((r.closes[reason] ?? 0) > 0, `no session closed with ${reason}`);
    }
  });
});
