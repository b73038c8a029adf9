/**
 * Slow consumers: a client stops reading while the application sends it 100 MB (ignoring back-pressure). The
 * server's `maxBufferedBytes` bound (default 10 MiB) closes that socket with `transport error` /
 * `EIO_ERR_BUFFER_FULL`; the server's RSS stays bounded and the other clients are unaffected.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ChildHandle, startChild } from "./lib/child.js";
import { HealthyPool } from "./lib/healthy.js";
import { hasCompleteResponse, httpRequest, OP, parseResponses, RawWs, raw } from "./lib/raw.js";

const MB = 1024 * 1024;
const BLAST = 100 * MB;

interface BlastResult {
  sent: number;
  peakBuffered: number;
  closeReason?: string;
  closeCode?: string;
  rssBefore: number;
  rssPeak: number;
}

describe("slow consumers", () => {
  let server: ChildHandle;
  let pool: HealthyPool;
  before(async () => {
    // default maxBufferedBytes (10 MiB)
    server = await startChild("server-child.ts", {
      impl: "ours",
      options: { pingInterval: 2000, pingTimeout: 5000 },
    });
    pool = new HealthyPool(server.port, 12, 50);
    await pool.connect();
    pool.start();
    await server.rpc("mem");
  });
  after(async () => {
    await pool?.stop(2000);
    await server?.stop();
  });

  async function check(t: { diagnostic(s: string): void }, label: string, sid: string): Promise<BlastResult> {
    const [r, healthy] = await Promise.all([
      server.rpc<BlastResult>("blast", { sid, bytes: BLAST, chunk: 64 * 1024, timeoutMs: 30_000 }, 60_000),
      pool.window(1500),
    ]);
    const growth = (r.rssPeak - r.rssBefore) / MB;
    t.diagnostic(
      `${label}: accepted ${(r.sent / MB).toFixed(1)} MB of ${BLAST / MB} MB before close (${r.closeReason}/${r.closeCode}); ` +
        `peak bufferedAmount ${(r.peakBuffered / MB).toFixed(1)} MB; RSS ${(r.rssBefore / MB).toFixed(0)} → peak ${(r.rssPeak / MB).toFixed(0)} MB (+${growth.toFixed(1)}); ` +
        `healthy p99 ${healthy.p99} ms, ${healthy.errors.length} errors`,
    );
    assert.equal(r.closeReason, "transport error");
    assert.equal(r.closeCode, "EIO_ERR_BUFFER_FULL");
    assert.ok(r.sent < 40 * MB, `accepted ${r.sent} bytes before closing`);
    assert.ok(growth < 60, `RSS grew by ${growth.toFixed(1)} MB`);
    assert.deepEqual(healthy.errors, []);
    assert.equal(healthy.corrupt, 0);
    assert.ok(healthy.received > 50, "healthy clients starved");
    return r;
  }

  it("WebSocket client that stops reading: closed with EIO_ERR_BUFFER_FULL, RSS bounded", async (t) => {
    const ws = await RawWs.connect(server.port, "/engine.io/?EIO=4&transport=websocket&sink=1");
    const open = await ws.waitFor((f) => f.opcode === OP.text && f.payload[0] === 0x30, 3000);
    assert.ok(open, "no open packet");
    const sid = JSON.parse(open.payload.subarray(1).toString()).sid as string;
    ws.socket.pause(); // stop reading: the kernel buffers fill, then ws's queue
    await check(t, "websocket", sid);
    ws.destroy();
  });

  it("polling client that stops polling: closed with EIO_ERR_BUFFER_FULL, RSS bounded", async (t) => {
    const r = await raw(
      server.port,
      httpRequest("GET", "/engine.io/?EIO=4&transport=polling&sink=1", { Connection: "close" }),
      {
        untilComplete: hasCompleteResponse,
      },
    );
    const body = parseResponses(r.data).responses[0]?.body.toString() ?? "";
    const sid = /"sid":"([^"]+)"/.exec(body)?.[1];
    assert.ok(sid, `no handshake: ${body}`);
    await check(t, "polling", sid);
  });

  it("after both, the server still echoes and holds no extra sessions", async () => {
    const h = await pool.window(500);
    assert.deepEqual(h.errors, []);
    const stats = await server.rpc<{ clientsCount: number }>("stats");
    assert.equal(stats.clientsCount, 12);
  });
});
