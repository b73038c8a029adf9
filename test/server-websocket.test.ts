// WebSocket edge cases with a raw `ws` client: direct handshake, frames, `1`, client ping, oversized frames,
// b64=1, bad upgrades, a second WebSocket for one sid, middleware headers on upgrades.
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket, { WebSocketServer, type ServerOptions as WsServerOptions } from "ws";
import type { Socket } from "../src/index.js";
import { type Harness, handshake, once, raw, startServer, waitFor } from "./server-helpers.js";
import { openWs as open, websocketWireCases } from "./server-wire.js";

const P = "/engine.io/";

// the wire-level cases, shared with the Bun and Deno hosts (test/server-runtimes-wire.test.ts)
websocketWireCases("node");

describe("websocket (raw ws client)", () => {
  let h: Harness;
  const closes = new Map<string, { reason: string; code?: string }>();
  before(async () => {
    h = await startServer({ pingInterval: 5000, pingTimeout: 5000, maxHttpBufferSize: 1000 });
    h.engine.on("connection", (s: Socket) => {
      s.on("message", (m) => s.send(m));
      s.on("close", (reason, desc) => closes.set(s.id, { reason, code: desc?.code }));
    });
  });
  after(() => h.close());
  const wsUrl = (q = "") => `ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket${q}`;
  const closeOf = async (sid: string) => {
    await waitFor(() => closes.has(sid), 3000, `close of ${sid}`);
    return closes.get(sid)!;
  };

  test("`1` over WebSocket closes the session (transport close)", async () => {
    const c = await open(wsUrl());
    const sid = JSON.parse(((await c.next()) as string).slice(1)).sid;
    c.ws.send("1");
    assert.equal((await closeOf(sid)).reason, "transport close");
    assert.equal(h.engine.clients[sid], undefined);
    c.ws.close();
  });

  test("bad upgrade requests get a raw 400 and the socket is destroyed", async () => {
    for (const q of [
      `${P}?EIO=4&transport=websocket&sid=unknown`,
      `${P}?EIO=4&transport=bogus`,
      `${P}?EIO=3&transport=websocket`,
      `${P}?EIO=4&transport=polling`,
    ]) {
      const text = await new Promise<string>((resolve) => {
        const s = netConnect(h.port, "127.0.0.1", () => {
          s.write(
            `GET ${q} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
          );
        });
        let out = "";
        s.on("data", (d) => (out += d));
        s.on("close", () => resolve(out));
        s.on("error", () => {});
        setTimeout(() => s.destroy(), 2000);
      });
      assert.match(text, /^HTTP\/1\.1 400 Bad Request/, q);
    }
  });

  test("garbage upgrade (no Sec-WebSocket-Key) does not register a session", async () => {
    const before = h.engine.clientsCount;
    await new Promise<void>((resolve) => {
      const s = netConnect(h.port, "127.0.0.1", () => {
        s.write(
          `GET ${P}?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
        );
      });
      s.on("data", () => {});
      s.on("close", () => resolve());
      s.on("error", () => {});
      setTimeout(() => s.destroy(), 2000);
    });
    // the server closed the connection: it has handled the request (a session would be registered by now)
    assert.equal(h.engine.clientsCount, before);
  });

  test("upgrade of a polling session; second WebSocket for the sid is closed; polling after upgrade → 400", async () => {
    const { sid } = await handshake(h.port);
    const events: string[] = [];
    const s = h.engine.clients[sid]!;
    s.on("upgrading", (t) => events.push(`upgrading ${t.name}`));
    s.on("upgrade", (t) => events.push(`upgrade ${t.name}`));
    const c = await open(wsUrl(`&sid=${sid}`));
    c.ws.send("2probe");
    assert.equal(await c.next(), "3probe");
    assert.equal(s.upgrading, true);
    // a second websocket for the same sid while upgrading is closed
    const c2 = await open(wsUrl(`&sid=${sid}`));
    await once(c2.ws, "close");
    c.ws.send("5");
    await waitFor(() => h.engine.clients[sid]?.transport?.name === "websocket", 3000, "upgrade");
    assert.equal(h.engine.clients[sid]!.upgraded, true);
    assert.deepEqual(events, ["upgrading websocket", "upgrade websocket"]);
    c.ws.send("4after");
    assert.equal(await c.next(), "4after");
    const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.text).code, 3);
    const c3 = await open(wsUrl(`&sid=${sid}`));
    await once(c3.ws, "close");
    c.ws.close();
  });

  test("upgradeTimeout: a probe without `5` is closed, the polling session lives on", async () => {
    const h2 = await startServer({ upgradeTimeout: 200 });
    try {
      const { sid } = await handshake(h2.port);
      const c = await open(`ws://127.0.0.1:${h2.port}${P}?EIO=4&transport=websocket&sid=${sid}`);
      c.ws.send("2probe");
      assert.equal(await c.next(), "3probe");
      await once(c.ws, "close", 5000);
      const s = h2.engine.clients[sid]!;
      assert.equal(s.readyState, "open");
      assert.equal(s.transport?.name, "polling");
      assert.equal(s.upgrading, false);
    } finally {
      await h2.close();
    }
  });

  test("upgrade middleware headers (CORS) reach the handshake response", async () => {
    const h2 = await startServer({ cors: { origin: "http://good.example" } });
    try {
      const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${h2.port}${P}?EIO=4&transport=websocket`, {
          headers: { origin: "http://good.example" },
        });
        ws.on("upgrade", (res) => {
          resolve(res.headers);
          ws.close();
        });
        ws.on("error", reject);
      });
      assert.equal(headers["access-control-allow-origin"], "http://good.example");
    } finally {
      await h2.close();
    }
  });

  test("upgrades to other paths are destroyed (destroyUpgrade)", async () => {
    const h2 = await startServer({ destroyUpgradeTimeout: 100 });
    try {
      const err = await new Promise<unknown>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${h2.port}/other`);
        ws.on("error", resolve);
        ws.on("open", () => resolve(null));
      });
      assert.ok(err instanceof Error);
    } finally {
      await h2.close();
    }
  });
  test("perMessageDeflate is passed to ws (compressed frames round-trip)", async () => {
    const h2 = await startServer({ perMessageDeflate: { threshold: 0 } });
    try {
      h2.engine.on("connection", (s: Socket) => s.on("message", (m) => s.send(m)));
      const ws = new WebSocket(`ws://127.0.0.1:${h2.port}${P}?EIO=4&transport=websocket`, {
        perMessageDeflate: true,
      });
      const frames: string[] = [];
      await new Promise<void>((resolve, reject) => {
        ws.on("message", (d: Buffer) => {
          frames.push(d.toString());
          if (frames.length === 1) ws.send(`4${"z".repeat(5000)}`);
          else resolve();
        });
        ws.on("error", reject);
      });
      assert.match(ws.extensions, /permessage-deflate/);
      assert.equal(frames[1], `4${"z".repeat(5000)}`);
      ws.close();
    } finally {
      await h2.close();
    }
  });

  test("initialPacket is sent right after the open packet; wsEngine is used", async () => {
    let constructed = 0;
    class CountingWss extends WebSocketServer {
      // engine.io's wsEngine contract hands the options as a plain record; they are ws's own options
      constructor(opts: Record<string, unknown>) {
        super(opts as WsServerOptions);
        constructed++;
      }
    }
    const h2 = await startServer({ initialPacket: "hello", wsEngine: CountingWss });
    try {
      const c = await open(`ws://127.0.0.1:${h2.port}${P}?EIO=4&transport=websocket`);
      assert.equal(((await c.next()) as string)[0], "0");
      assert.equal(await c.next(), "4hello");
      assert.equal(constructed, 1);
      c.ws.close();
    } finally {
      await h2.close();
    }
  });
  test("allowUpgrades: false → handshake advertises no upgrade and an upgrade attempt gets 400", async () => {
    const h2 = await startServer({ allowUpgrades: false });
    try {
      const { sid, open: o } = await handshake(h2.port);
      assert.deepEqual(o.upgrades, []);
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${h2.port}${P}?EIO=4&transport=websocket&sid=${sid}`);
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => resolve(101));
        ws.on("error", () => {});
      });
      assert.equal(status, 400);
      assert.equal(h2.engine.clients[sid]!.readyState, "open");
    } finally {
      await h2.close();
    }
  });

  test("server close while an async connect handler runs: the handshake is answered, nothing leaks", async () => {
    const h2 = await startServer();
    try {
      h2.engine.on("connect", async () => {
        // the server shuts down while this handler is still running: it resumes only after close()
        await new Promise<void>((resume) =>
          setImmediate(() => {
            h2.engine.close();
            resume();
          }),
        );
      });
      const r = await raw(h2.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(r.status, 400);
      assert.equal(h2.engine.clientsCount, 0);
    } finally {
      await h2.close();
    }
  });
  test("cookie: the WebSocket handshake response sets io=<sid>", async () => {
    const h2 = await startServer({ cookie: true });
    try {
      const { cookie, sid } = await new Promise<{ cookie: string; sid: string }>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${h2.port}${P}?EIO=4&transport=websocket`);
        let cookie = "";
        ws.on("upgrade", (res) => {
          cookie = String(res.headers["set-cookie"]);
        });
        ws.once("message", (d: Buffer) => {
          resolve({ cookie, sid: JSON.parse(d.toString().slice(1)).sid });
          ws.close();
        });
        ws.on("error", reject);
      });
      assert.equal(cookie, `io=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    } finally {
      await h2.close();
    }
  });
});

// Batches frame into one output buffer shared by every connection (src/server/transports/ws-batch.ts) when the
// kernel takes a write whole; a connection whose peer stops reading keeps its queued chunks, and frames written to
// other connections meanwhile must not land in them.
describe("websocket output memory shared across connections", () => {
  let h: Harness;
  const sessions: Socket[] = [];
  before(async () => {
    h = await startServer({ pingInterval: 60000, pingTimeout: 60000, maxBufferedBytes: 0 });
    h.engine.on("connection", (s: Socket) => sessions.push(s));
  });
  after(() => h.close());

  /** Message `i` of a stream: 15 KiB (copied into the batch, under the zero-copy size) with `i` in every byte pair. */
  const message = (stream: number, i: number) => {
    const b = Buffer.alloc(15 * 1024);
    for (let p = 0; p < b.length; p += 2) b.writeUInt16BE((stream << 12) | (i & 0xfff), p);
    return b;
  };

  test("a stalled peer's queued frames stay intact while other connections' batches are written", async () => {
    const url = `ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket`;
    const a = await open(url);
    await a.next(); // open packet
    const b = await open(url);
    await b.next();
    await waitFor(() => sessions.length === 2, 3000, "two sessions");
    const [sa, sb] = sessions as [Socket, Socket];
    const tcpA = (a.ws as unknown as { _socket: import("node:net").Socket })._socket;
    tcpA.pause(); // A's kernel buffers fill up, then the server queues A's batches in its stream
    let sentA = 0;
    let sentB = 0;
    let congestedBatches = 0;
    // 4 messages (60 KiB) per batch to each; bounded: 2,000 batches is 120 MB, far past loopback buffers
    for (let round = 0; round < 2000 && congestedBatches < 20; round++) {
      for (let k = 0; k < 4; k++) sa.send(message(1, sentA++));
      for (let k = 0; k < 4; k++) sb.send(message(2, sentB++));
      await new Promise((r) => setImmediate(r));
      if (sa.transport!.bufferedAmount > 0) congestedBatches++;
    }
    assert.equal(congestedBatches, 20, "A's writes were never queued: the case did not happen");
    const check = async (c: typeof a, stream: number, count: number) => {
      for (let i = 0; i < count; i++) {
        const f = await c.next(10000);
        assert.ok(Buffer.isBuffer(f), `stream ${stream} message ${i} is binary`);
        assert.ok(f.equals(message(stream, i)), `stream ${stream} message ${i} arrived intact`);
      }
    };
    await check(b, 2, sentB);
    tcpA.resume();
    await check(a, 1, sentA);
    a.ws.close();
    b.ws.close();
  });
});
