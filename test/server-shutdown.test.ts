// Server.shutdown(): from the call on, new handshakes are refused (403 "Server shutting down", over polling and
// WebSocket), a held poll gets the close packet, and it resolves once the sessions are closed.
import assert from "node:assert/strict";
import { test } from "node:test";
import WebSocket from "ws";
import { handshake, raw, startServer, waitFor } from "./server-helpers.js";

test("shutdown answers the held poll with the close packet and refuses new sessions from then on", async () => {
  const h = await startServer();
  try {
    const reasons: string[] = [];
    h.engine.on("connection", (s) => s.on("close", (r: string) => reasons.push(r)));
    // a polling session holding a GET: the close packet answers it
    const { sid } = await handshake(h.port);
    const held = raw(h.port, "GET", `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
    await waitFor(() => h.engine.clients[sid]?.transport?.writable === true, 5000, "the GET is held");
    const done = h.engine.shutdown(5000);
    const poll = await held;
    assert.equal(poll.status, 200);
    assert.equal(poll.text, "1");
    const refused = await raw(h.port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.text), { code: 4, message: "Server shutting down" });
    const wsStatus = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
      ws.on("error", () => {});
    });
    assert.equal(wsStatus, 403);
    await done;
    assert.deepEqual(reasons, ["server shutting down"]);
    assert.equal(h.engine.clientsCount, 0);
  } finally {
    await h.close();
  }
});
