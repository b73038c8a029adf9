// Heartbeat: server pings on schedule, a silent client is closed with `ping timeout`, and a synchronous stall of the
// server's event loop does not kill sessions whose pong only looked late because of the stall.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { Worker } from "node:worker_threads";
import type { Socket } from "../src/index.js";
import { type DeadlineNode, DeadlineQueue, STALL_THRESHOLD_MS } from "../src/server/deadline-queue.js";
import { once, startServer } from "./server-helpers.js";
import { heartbeatWireCases, pingClient as rawClient } from "./server-wire.js";

const P = "/engine.io/";

// the wire-level case, shared with the Bun and Deno hosts (test/server-runtimes-wire.test.ts)
heartbeatWireCases("node");

describe("heartbeat", () => {
  // The exact schedule (ping after pingInterval, close pingTimeout after an unanswered ping) is asserted on the
  // state machine with mock timers in server-socket.test.ts; over real sockets the observable is the order.
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
      const [first] = await once<{ sid: string }>(worker, "message", 5000);
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
      // survived the stall: the session keeps beating afterwards (a ping timeout would come first)
      await once(socket, "heartbeat", 5000);
      await once(socket, "heartbeat", 5000);
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
      const closed = once(s, "close", 5000);
      // stall from just after the ping (pong due 200 ms later) until past the pong deadline
      await new Promise<void>((resolve) => {
        const onPacket = (p: { type: string }) => {
          if (p.type !== "ping") return;
          s.off("packetCreate", onPacket);
          setImmediate(resolve);
        };
        s.on("packetCreate", onPacket);
      });
      const end = Date.now() + 400;
      while (Date.now() < end) {
        // stall across the pong deadline
      }
      const [reason] = await closed;
      assert.equal(reason, "ping timeout");
      // the client's side of the closing handshake ends before the next suite mocks the timers (which would
      // catch ws's clearTimeout of its 30 s close timer and keep this process alive for it)
      const clientClosed = once(bad.ws, "close", 5000);
      bad.ws.close();
      await clientClosed;
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

  // mock.timers drives setTimeout, setImmediate and Date.now, so expiry times are exact.
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setImmediate", "Date"], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test("expires in insertion order, supports removal and re-push", () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(40, (n) => expired.push(n.id), true);
    const nodes = [0, 1, 2, 3].map(node);
    for (const n of nodes.slice(0, 3)) q.push(n);
    mock.timers.tick(10);
    q.push(nodes[3]!); // due at 50
    q.remove(nodes[1]!);
    q.push(nodes[0]!); // re-push moves it to the back: due at 50
    assert.equal(q.size, 3);
    mock.timers.tick(29);
    assert.deepEqual(expired, []);
    mock.timers.tick(1); // 40
    assert.deepEqual(expired, [2]);
    mock.timers.tick(10); // 50
    assert.deepEqual(expired, [2, 3, 0]);
    assert.equal(q.size, 0);
  });

  test("an emptied queue keeps its timer: later pushes still expire at their own deadline, not before", () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(40, (n) => expired.push(n.id), true);
    const a = node(1);
    q.push(a); // the timer is for 40
    q.remove(a);
    mock.timers.tick(10);
    q.push(node(2)); // due at 50: the kept timer fires at 40, finds it not due, and re-arms
    mock.timers.tick(30); // 40
    assert.deepEqual(expired, []);
    mock.timers.tick(9); // 49
    assert.deepEqual(expired, []);
    mock.timers.tick(1); // 50
    assert.deepEqual(expired, [2]);
    // the clock went back by 30 while a kept timer waits (for 90): a new entry's deadline comes first
    const c = node(3);
    q.push(c); // the timer is for 90
    q.remove(c);
    mock.timers.setTime(1_000_000 + 50 - 30);
    q.push(node(4)); // due at 60, before the kept timer
    mock.timers.tick(39); // clock 59
    assert.deepEqual(expired, [2]);
    mock.timers.tick(1); // clock 60
    assert.deepEqual(expired, [2, 4]);
  });

  test("clear() forgets everything and stops the timer", () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(20, (n) => expired.push(n.id));
    q.push(node(1));
    q.clear();
    assert.equal(q.size, 0);
    mock.timers.tick(1000);
    assert.deepEqual(expired, []);
    q.push(node(2)); // still usable
    mock.timers.tick(20);
    assert.deepEqual(expired, [2]);
  });

  test("a throwing handler does not break the queue", () => {
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(10, (n) => {
      expired.push(n.id);
      if (n.id === 1) throw new Error("boom");
    });
    q.push(node(1));
    q.push(node(2));
    mock.timers.tick(10);
    assert.deepEqual(expired, [1, 2]);
  });

  // The clock jumps past the deadline without the timer running (the event loop was blocked), then it fires.
  // setImmediate stays real here: the deferral it gives is what is under test.
  const lateTimer = (): void => {
    mock.timers.setTime(1_000_000 + 100 + STALL_THRESHOLD_MS + 1);
    mock.timers.tick(0);
  };
  const realImmediate = (): void => {
    mock.timers.reset();
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  };

  test("a timer that fires late defers reply-timeout expiry past one I/O phase", async () => {
    realImmediate();
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(100, (n) => expired.push(n.id), true);
    const n = node(1);
    q.push(n);
    lateTimer();
    assert.deepEqual(expired, [], "deferred to setImmediate");
    q.remove(n); // the reply processed in the poll phase cancels it
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(expired, []);
  });

  test("a late timer without a reply still expires, after the I/O phase", async () => {
    realImmediate();
    const expired: number[] = [];
    const q = new DeadlineQueue<N>(100, (n) => expired.push(n.id), true);
    q.push(node(1));
    lateTimer();
    assert.deepEqual(expired, []);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(expired, [1]);
  });
});
