/**
 * Hostile-client suite (short version; `npm run soak` runs it longer): 50 healthy clients echo continuously
 * while attackers on loopback send oversized bodies and frames, slowloris headers and bodies, handshake floods,
 * unknown sids, overlapping polls, bad upgrades, and vanish mid-request. The server runs in a child process.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeReports, runHostile } from "./lib/scenarios.js";

/**
 * Latency bound. The issue asks for p99 within 3× of the quiet baseline, which `npm run soak` checks and reports.
 * This short run shares 2 cores with the rest of the suite (and whatever else runs), where the measuring process
 * itself is sometimes starved for hundreds of ms; it asserts the larger of 3× and baseline + 1 s, and prints the
 * ratio.
 */
function latencyBound(baselineP99: number): number {
  return Math.max(3 * baselineP99, baselineP99 + 1000);
}

describe("hostile clients", () => {
  it("keeps serving 50 healthy clients through every attack, answers attackers as documented, gives memory back", async (t) => {
    const r = await runHostile({ attackMs: 5000, log: (l) => t.diagnostic(l) });
    assert.equal(r.serverExit, null, `server died:\n${r.serverStderr}`);
    const reports = mergeReports(r.reports);
    for (const rep of reports) {
      t.diagnostic(`${rep.name}: ${rep.attempts} attempts ${JSON.stringify(rep.outcomes)}`);
      assert.ok(rep.attempts > 0, `${rep.name} never ran`);
      assert.deepEqual(rep.unexpected, [], `${rep.name}: unexpected outcomes`);
    }
    for (const d of r.during) {
      assert.deepEqual(d.errors, [], "a healthy client saw an error or a close");
      assert.equal(d.corrupt, 0, "a healthy client got a wrong echo");
      assert.ok(d.received > 1000, `healthy clients were starved (${d.received} echoes)`);
      const bound = latencyBound(r.baseline.p99);
      t.diagnostic(
        `healthy p99 ${d.p99} ms vs quiet ${r.baseline.p99} ms (×${(d.p99 / r.baseline.p99).toFixed(2)}); test-process loop delay max ${r.testLoopDelayMax.toFixed(0)} ms, server p99 ${r.serverLoopDelay.p99.toFixed(0)} ms`,
      );
      assert.ok(d.p99 <= bound, `healthy p99 ${d.p99} ms > ${bound} ms`);
    }
    assert.ok(r.clientsAfter <= 50, `attacker sessions not expired: ${r.clientsAfter}`);
    const before = r.memBefore.heapUsed + r.memBefore.external;
    const after = r.memAfter.heapUsed + r.memAfter.external;
    t.diagnostic(
      `heap+external before ${(before / 1e6).toFixed(2)} MB, after ${(after / 1e6).toFixed(2)} MB (${(((after - before) / before) * 100).toFixed(1)} %)`,
    );
    assert.ok(after <= before * 1.1, `memory did not come back: ${before} → ${after}`);
  });
});
