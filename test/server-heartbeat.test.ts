// Heartbeat: server pings on schedule, a silent client is closed with `ping timeout`, and a synchronous stall of the
// server's event loop does not kill sessions whose pong only looked late because of the stall.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import WebSocket from "ws";
import type { Socket } from "../src/index.js";
import { type DeadlineNode, DeadlineQueue } from "../src/server/deadline-queue.js";
import { once, sleep, startServer, waitFor } from "./server-helpers.js";

const P = "/engine.io/";

function rawClient(
  url: string,
  answerPings: boolean,
): Promise<{ ws: WebSocket; pings: number[]; sid: string }> {
  const ws = new WebSocket(url);
  const pings: number[] = [];
  return new Promise((resolve, reject) => {
    ws.on("message", (data: Buffer) => {
      const text = data.toString();
      if (text[0] === "0") resolve({ ws, pings, sid: JSON.parse(text.slice(1)).sid });
      if (text === "2") {
        pings.push(Date.now());
        if (answerPings) ws.send("3");
      }
    });
    ws.on("error", reject);
  });
}

describe("heartbeat", () => {
  test("pings every pingInterval after the pong; a silent client is closed with ping timeout", async () => {
    const h = await startServer({ pingInterval: 100, pingTimeout: 150 });
    try {
      const good = await rawClient(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket`, true);
      const bad = await rawClient(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket`, false);
      const badSocket = h.engine.clients[bad.sid]!;
      const t0 = Date.now();
      const [reason] = await once<string>(badSocket as never, "close", 3000);
      const elapsed = Date.now() - t0;
      assert.equal(reason, "ping timeout");
      assert.ok(elapsed >= 200 && elapsed < 1000, `closed after ${elapsed} ms`);
      await sleep(450);
      assert.equal(h.engine.clients[good.sid]!.readyState, "open");
      assert.ok(good.pings.length >= 4, `pings: ${good.pings.length}`);
      for (let i = 1; i < good.pings.length; i++) {
        const gap = good.pings[i]! - good.pings[i - 1]!;
        assert.ok(gap >= 90 && gap < 400, `gap ${gap}`);
      }
      good.ws.close();
      bad.ws.close();
    } finally {
      await h.close();
    }
  });

  test("a 1.2 s synchronous stall of the server does not cause ping timeouts (pingTimeout 300 ms)", async () => {
    const h = await startServer({ pingInterval: 150, pingTimeout: 300 });
    // the client runs in a worker thread: its own event loop keeps answering while the server's is blocked
    const worker = new Worker(
      `
      const { parentPort, workerData } = require("node:worker_threads");
      const WebSocket = require("ws");
      const ws = new WebSocket(workerData.url);
      ws.on("message", (d) => {
        const t = d.toString();
        if (t[0] === "0") parentPort.postMessage({ sid: JSON.parse(t.slice(1)).sid });
        if (t === "2") ws.send("3");
      });
      ws.on("close", () => parentPort.postMessage({ closed: true }));
      parentPort.on("message", (m) => { if (m === "stop") { ws.close(); } });
      `,
      { eval: true, workerData: { url: `ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket` } },
    );
    try {
      const [first] = await once<{ sid: string }>(worker as never, "message", 5000);
      const socket: Socket = h.engine.clients[first!.sid]!;
      let reason: string | null = null;
      socket.on("close", (r) => {
        reason = r;
      });
      // stall right after the next ping is written
      await new Promise<void>((resolve) => {
        const onPacket = (p: { type: string }) => {
          if (p.type !== "ping") return;
          socket.off("packetCreate", onPacket);
          setImmediate(() => {
            const end = Date.now() + 1200;
            while (Date.now() < end) {
              // busy: the event loop is blocked
            }
            resolve();
          });
        };
        socket.on("packetCreate", onPacket);
      });
      await sleep(150 * 4);
      assert.equal(reason, null);
      assert.equal(socket.readyState, "open");
      worker.postMessage("stop");
    } finally {
      await worker.terminate();
      await h.close();
    }
  });

  test("a stall does not save a client that never answers", async () => {
    const h = await startServer({ pingInterval: 100, pingTimeout: 200 });
    try {
      const bad = await rawClient(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket`, false);
      const s = h.engine.clients[bad.sid]!;
      const closed = once<string>(s as never, "close", 3000);
      await sleep(150);
      const end = Date.now() + 400;
      while (Date.now() < end) {
        // stall across the pong deadline
      }
      const [reason] = await closed;
      assert.equal(reason, "ping timeout");
      bad.ws.close();
    } finally {
      await h.close();
    }
  });
});

describe("DeadlineQueue", () => {
  interface N extends DeadlineNode {
    id: number;
  }
  const node = (id: number): N => ({ id, dqPrev: null, dqNext: null, dqQueue: null, dqDue: 0 });

  test("expires in insertion order, supports removal and re-push", async () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(40, (n) => expired.push(n.id));
    const nodes = [0, 1, 2, 3].map(node);
    for (const n of nodes) q.push(n);
    q.remove(nodes[1]!);
    q.push(nodes[0]!); // re-push moves it to the back
    assert.equal(q.size, 3);
    await waitFor(() => expired.length === 3, 2000, "expiry");
    assert.deepEqual(expired, [2, 3, 0]);
    assert.equal(q.size, 0);
  });

  test("clear() forgets everything and stops the timer", async () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(20, (n) => expired.push(n.id));
    q.push(node(1));
    q.clear();
    await sleep(60);
    assert.deepEqual(expired, []);
  });

  test("a throwing handler does not break the queue", async () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(10, (n) => {
      expired.push(n.id);
      if (n.id === 1) throw new Error("boom");
    });
    q.push(node(1));
    q.push(node(2));
    await waitFor(() => expired.length === 2, 2000, "expiry");
  });
});
