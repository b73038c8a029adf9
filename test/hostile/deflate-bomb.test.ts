/**
 * Decompression bombs: with permessage-deflate on, a 50 MB message compressed to a few kB must be refused at
 * maxHttpBufferSize of *inflated* data (close 1009, EIO_ERR_PAYLOAD_TOO_LARGE) without the server inflating it all.
 * POST bodies are never decompressed (Content-Encoding is ignored), so they cannot be bombs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deflateRawSync, gzipSync } from "node:zlib";
import { WebSocket } from "ws";
import { type ChildHandle, startChild } from "./lib/child.js";
import { hasCompleteResponse, httpRequest, parseResponses, raw } from "./lib/raw.js";

describe("decompression bombs", () => {
  let server: ChildHandle;
  before(async () => {
    server = await startChild("server-child.ts", {
      impl: "ours",
      options: { perMessageDeflate: true, maxHttpBufferSize: 1e6, pingInterval: 5000, pingTimeout: 5000 },
    });
  });
  after(async () => {
    await server?.stop();
  });

  it("a 50 MB deflated WebSocket message is refused at 1 MB inflated: close 1009, RSS flat", async (t) => {
    await server.rpc("resetPeak");
    const rss0 = (await server.rpc<{ memory: NodeJS.MemoryUsage }>("stats")).memory.rss;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/engine.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: true,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("message", () => resolve()); // the open packet
      ws.once("error", reject);
    });
    const bomb = `4${"a".repeat(50 * 1024 * 1024)}`;
    t.diagnostic(`compressed size ${deflateRawSync(Buffer.from(bomb)).length} bytes`);
    const code = await new Promise<number>((resolve) => {
      ws.once("close", (c) => resolve(c));
      ws.send(bomb, { compress: true });
    });
    const stats = await server.rpc<{ closeCodes: Record<string, number>; peakRss: number }>("stats");
    t.diagnostic(
      `close ${code}; server RSS ${(rss0 / 1e6).toFixed(0)} MB → peak ${(stats.peakRss / 1e6).toFixed(0)} MB`,
    );
    assert.equal(code, 1009);
    assert.ok((stats.closeCodes.EIO_ERR_PAYLOAD_TOO_LARGE ?? 0) >= 1);
    assert.ok(stats.peakRss - rss0 < 30e6, "the server inflated the bomb");
  });

  it("a gzip POST body is not inflated (taken as bytes: a parse error, not a bomb)", async () => {
    const open = await raw(
      server.port,
      httpRequest("GET", "/engine.io/?EIO=4&transport=polling", { Connection: "close" }),
      {
        untilComplete: hasCompleteResponse,
      },
    );
    const sid = /"sid":"([^"]+)"/.exec(open.data.toString())![1]!;
    const body = gzipSync(Buffer.from(`4${"a".repeat(20 * 1024 * 1024)}`));
    const r = await raw(
      server.port,
      httpRequest(
        "POST",
        `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
        { "Content-Encoding": "gzip", "Content-Type": "text/plain;charset=UTF-8", Connection: "close" },
        body,
      ),
      { untilComplete: hasCompleteResponse },
    );
    const res = parseResponses(r.data).responses[0];
    assert.equal(res?.status, 200); // accepted as (undecodable) bytes; the session then closes with parse error
    const stats = await server.rpc<{ closes: Record<string, number> }>("stats");
    assert.ok((stats.closes["parse error"] ?? 0) >= 1);
  });
});
