/**
 * Request fuzzing against a running server (in a child process): random HTTP requests and WebSocket frame
 * sequences. The process never crashes, every answer is well-formed HTTP or a clean close, WebSocket output is
 * well-formed, Object.prototype is untouched, and a healthy client still works afterwards.
 * REQUEST_FUZZ_SEED / REQUEST_FUZZ_CASES override the seed and the number of HTTP cases.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Socket } from "engine.io-client";
import { type ChildHandle, startChild } from "./lib/child.js";
import { fuzzRequests } from "./lib/request-fuzz.js";
import { HOSTILE_SERVER } from "./lib/scenarios.js";

const SEED = Number(process.env.REQUEST_FUZZ_SEED ?? 7);
const HTTP_CASES = Number(process.env.REQUEST_FUZZ_CASES ?? 1500);

describe("request fuzzing", () => {
  let server: ChildHandle;
  before(async () => {
    server = await startChild("server-child.ts", { impl: "ours", ...HOSTILE_SERVER });
  });
  after(async () => {
    await server?.stop();
  });

  it(`${HTTP_CASES} random HTTP requests and ${HTTP_CASES / 3} WebSocket frame sequences: no crash, only well-formed answers`, async (t) => {
    const report = await fuzzRequests({
      port: server.port,
      httpCases: HTTP_CASES,
      wsCases: Math.floor(HTTP_CASES / 3),
      seed: SEED,
      maxPayload: HOSTILE_SERVER.options.maxHttpBufferSize,
      concurrency: 12,
      deadline: Date.now() + 90_000,
    });
    t.diagnostic(
      `seed ${SEED}: ${report.http} HTTP, ${report.ws} WebSocket (${report.frames} frames); outcomes ${JSON.stringify(report.outcomes)}`,
    );
    assert.equal(server.exited(), null, `server died:\n${server.stderr()}`);
    assert.deepEqual(report.failures, [], report.failures.join("\n"));
    assert.ok(report.http >= HTTP_CASES * 0.95 && report.ws > 0, "fuzzing stopped early");
    // statuses seen are the documented ones only
    for (const k of Object.keys(report.outcomes)) {
      if (k.startsWith("status:"))
        assert.match(
          k,
          /^status:(101|200|400|403|404|405|408|413|414|426|431|501)( head-with-body)?$/,
          `undocumented status ${k}`,
        );
    }
    const pol = await server.rpc<{ polluted: boolean; probe: unknown }>("pollution");
    assert.deepEqual(pol, { polluted: false, probe: undefined });
    const stats = await server.rpc<{ socketErrors: number; warnings: string[] }>("stats");
    assert.deepEqual(stats.warnings, [], "process warnings (e.g. listener leaks)");
  });

  it("still serves a healthy client, and the fuzzers' sessions expire", async () => {
    const s = new Socket(`http://127.0.0.1:${server.port}`, { transports: ["polling", "websocket"] });
    const echo = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no echo")), 5000);
      s.on("open", () => s.send("still alive"));
      s.on("message", (d) => {
        clearTimeout(timer);
        resolve(String(d));
      });
      s.on("error", reject);
    });
    assert.equal(echo, "still alive");
    s.close();
    const deadline = Date.now() + 10_000;
    let count = -1;
    while (Date.now() < deadline) {
      count = (await server.rpc<{ clientsCount: number }>("stats")).clientsCount;
      if (count === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(count, 0, "sessions left behind");
  });
});
