/**
 * The long reliability run (`npm run soak`): the hostile-client suite for several rounds, request fuzzing,
 * slow consumers, upgrade under load with 200 sessions, and 100,000 churn cycles. Prints the figures and exits
 * with status 1 if any check failed.
 *
 *   node --import tsx test/hostile/soak.ts [--quick] [--only hostile,fuzz,slow,upgrade,churn]
 *     [--rounds 3] [--attack-ms 20000] [--http-cases 20000] [--sessions 200] [--messages 2000] [--churn 100000]
 */

import { startChild } from "./lib/child.js";
import { runChurn } from "./lib/churn.js";
import { HealthyPool } from "./lib/healthy.js";
import { OP, RawWs } from "./lib/raw.js";
import { fuzzRequests } from "./lib/request-fuzz.js";
import { HOSTILE_SERVER, mergeReports, runHostile, runUpgradeSeq } from "./lib/scenarios.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
const quick = process.argv.includes("--quick");
const onlyIdx = process.argv.indexOf("--only");
const only = onlyIdx === -1 ? null : process.argv[onlyIdx + 1]!.split(",");
const want = (phase: string) => only === null || only.includes(phase);

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const started = Date.now();

if (want("hostile")) {
  const rounds = arg("rounds", quick ? 1 : 3);
  const attackMs = arg("attack-ms", quick ? 5000 : 20_000);
  console.log(
    `\n## hostile clients: 50 healthy echo clients, ${rounds} round(s) of ${attackMs / 1000} s with all nine attacks`,
  );
  const r = await runHostile({ attackMs, rounds, baselineMs: 5000, log: (l) => console.log(`  ${l}`) });
  const reports = mergeReports(r.reports);
  let attempts = 0;
  for (const rep of reports) {
    attempts += rep.attempts;
    console.log(`  ${rep.name}: ${rep.attempts} attempts ${JSON.stringify(rep.outcomes)}`);
    check(
      rep.unexpected.length === 0,
      `${rep.name}: documented answers only ${rep.unexpected.slice(0, 3).join("; ")}`,
    );
  }
  console.log(`  attacks tried: ${attempts}`);
  console.log(
    `  event-loop delay during the attacks: server p99 ${r.serverLoopDelay.p99.toFixed(0)} ms, max ${r.serverLoopDelay.max.toFixed(0)} ms; measuring process max ${r.testLoopDelayMax.toFixed(0)} ms`,
  );
  check(r.serverExit === null, "server process alive (no crash)");
  for (const [i, d] of r.during.entries()) {
    const ratio = d.p99 / r.baseline.p99;
    console.log(
      `  round ${i + 1}: healthy p99 ${d.p99} ms vs quiet ${r.baseline.p99} ms = ×${ratio.toFixed(2)}; p50 ${d.p50} ms; ${d.received} echoes`,
    );
    check(
      d.errors.length === 0 && d.corrupt === 0,
      `round ${i + 1}: healthy clients saw no error (${d.errors.length}) and no wrong echo (${d.corrupt})`,
    );
    for (const e of d.errors.slice(0, 10)) console.log(`      ${e}`);
    check(ratio <= 3, `round ${i + 1}: healthy p99 within 3× of quiet baseline (×${ratio.toFixed(2)})`);
  }
  const before = r.memBefore.heapUsed + r.memBefore.external;
  const after = r.memAfter.heapUsed + r.memAfter.external;
  console.log(
    `  server memory (heap+external after GC): ${mb(before)} before, ${mb(after)} after; RSS ${mb(r.memBefore.rss)} → ${mb(r.memAfter.rss)}`,
  );
  check(
    after <= before * 1.1,
    `memory back within 10 % (${(((after - before) / before) * 100).toFixed(1)} %)`,
  );
  check(r.clientsAfter <= 50, `attackers' sessions expired (${r.clientsAfter} left)`);
}

if (want("fuzz")) {
  const httpCases = arg("http-cases", quick ? 2000 : 20_000);
  console.log(
    `\n## request fuzzing: ${httpCases} HTTP requests, ${Math.floor(httpCases / 3)} WebSocket frame sequences`,
  );
  const server = await startChild("server-child.ts", { impl: "ours", ...HOSTILE_SERVER });
  try {
    const rep = await fuzzRequests({
      port: server.port,
      httpCases,
      wsCases: Math.floor(httpCases / 3),
      seed: Date.now() & 0xffff,
      maxPayload: HOSTILE_SERVER.options.maxHttpBufferSize,
      concurrency: 16,
    });
    console.log(
      `  ${rep.http} HTTP, ${rep.ws} WebSocket (${rep.frames} frames): ${JSON.stringify(rep.outcomes)}`,
    );
    check(server.exited() === null, "server alive after fuzzing");
    check(rep.failures.length === 0, `only well-formed answers ${rep.failures.slice(0, 3).join("; ")}`);
    const pol = await server.rpc<{ polluted: boolean }>("pollution");
    check(!pol.polluted, "Object.prototype untouched");
  } finally {
    await server.stop();
  }
}

if (want("slow")) {
  console.log("\n## slow consumers: 3 clients stop reading while the application sends each 100 MB");
  const server = await startChild("server-child.ts", {
    impl: "ours",
    options: { pingInterval: 2000, pingTimeout: 5000 },
  });
  const pool = new HealthyPool(server.port, 20, 50);
  try {
    await pool.connect();
    pool.start();
    const sids: string[] = [];
    const sockets: RawWs[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = await RawWs.connect(server.port, "/engine.io/?EIO=4&transport=websocket&sink=1");
      const open = await ws.waitFor((f) => f.opcode === OP.text && f.payload[0] === 0x30, 3000);
      sids.push(JSON.parse(open!.payload.subarray(1).toString()).sid);
      ws.socket.pause();
      sockets.push(ws);
    }
    const [results, healthy] = await Promise.all([
      Promise.all(
        sids.map((sid) =>
          server.rpc<{ sent: number; closeCode?: string; rssBefore: number; rssPeak: number }>(
            "blast",
            { sid, bytes: 100 * 1024 * 1024 },
            120_000,
          ),
        ),
      ),
      pool.window(3000),
    ]);
    for (const r of results) {
      console.log(
        `  accepted ${mb(r.sent)} then ${r.closeCode}; RSS ${mb(r.rssBefore)} → peak ${mb(r.rssPeak)}`,
      );
      check(r.closeCode === "EIO_ERR_BUFFER_FULL", "closed with EIO_ERR_BUFFER_FULL");
    }
    const peak = Math.max(...results.map((r) => r.rssPeak - r.rssBefore));
    check(peak < 120e6, `server RSS growth bounded (${mb(peak)} for 300 MB sent)`);
    check(healthy.errors.length === 0, `other clients unaffected (p99 ${healthy.p99} ms)`);
    for (const s of sockets) s.destroy();
  } finally {
    await pool.stop(2000);
    await server.stop();
  }
}

if (want("upgrade")) {
  const sessions = arg("sessions", quick ? 50 : 200);
  const messages = arg("messages", quick ? 500 : 2000);
  console.log(
    `\n## upgrade under load: ${sessions} sessions, ${messages} sequence-numbered messages each way`,
  );
  const r = await runUpgradeSeq({ sessions, messages, batch: 5, paceMs: 5, timeoutMs: 300_000 });
  console.log(`  ${JSON.stringify(r)}`);
  check(r.complete && r.errors.length === 0, "every message arrived, no client error");
  check(r.upgraded === sessions, `all sessions upgraded (${r.upgraded}); ${r.midStream} mid-stream`);
  check(r.toServer.lost + r.toClient.lost === 0, `lost: ${r.toServer.lost + r.toClient.lost}`);
  check(r.toServer.dup + r.toClient.dup === 0, `duplicated: ${r.toServer.dup + r.toClient.dup}`);
  check(
    r.toServer.reordered + r.toClient.reordered === 0,
    `reordered: ${r.toServer.reordered + r.toClient.reordered}`,
  );
}

if (want("churn")) {
  const cycles = arg("churn", quick ? 5000 : 100_000);
  console.log(`\n## churn: ${cycles} connect/exchange/disconnect cycles`);
  const r = await runChurn({ cycles, concurrency: 48 });
  console.log(
    `  ${cycles} cycles in ${(r.elapsedMs / 1000).toFixed(0)} s; closes ${JSON.stringify(r.closes)}`,
  );
  console.log(
    `  heap after GC ${mb(r.heapBefore)} → ${mb(r.heapAfter)}; resources ${JSON.stringify(r.resourcesAfter)}`,
  );
  check(r.failures.length === 0, `no cycle failed ${r.failures.slice(0, 3).join("; ")}`);
  check(r.clientsAfter === 0, `clientsCount 0 (${r.clientsAfter})`);
  check(
    JSON.stringify(r.resourcesAfter) === JSON.stringify(r.resourcesBefore),
    "no timer/socket left (getActiveResourcesInfo as before)",
  );
  check(JSON.stringify(r.listenersAfter) === JSON.stringify(r.listenersBefore), "no listener left");
  check(r.heapAfter - r.heapBefore < 5e6, `heap growth < 5 MB (${mb(r.heapAfter - r.heapBefore)})`);
}

console.log(
  `\nsoak finished in ${((Date.now() - started) / 60000).toFixed(1)} min: ${failures.length} failed check(s)`,
);
for (const f of failures) console.log(`  FAIL ${f}`);
process.exit(failures.length ? 1 : 0);
