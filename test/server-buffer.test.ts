// Outgoing buffer bound (maxBufferedBytes), bufferedAmount, drain and send callbacks, for both transports.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import WebSocket from "ws";
import { DEFAULT_MAX_BUFFERED_BYTES, type Socket } from "../src/index.js";
import { handshake, once, raw, startServer, waitFor } from "./server-helpers.js";

const P = "/engine.io/";

async function wsSession(port: number): Promise<{ ws: WebSocket; sid: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${P}?EIO=4&transport=websocket`);
  const sid = await new Promise<string>((resolve, reject) => {
    ws.once("message", (d: Buffer) => resolve(JSON.parse(d.toString().slice(1)).sid));
    ws.once("error", reject);
  });
  return { ws, sid };
}

describe("outgoing buffer bound", () => {
  test("default is 10 MiB", () => {
    assert.equal(DEFAULT_MAX_BUFFERED_BYTES, 10 * 1024 * 1024);
  });

  test("WebSocket client that stops reading: closed with transport error / EIO_ERR_BUFFER_FULL, others unaffected", async () => {
    const h = await startServer({ maxBufferedBytes: 2 * 1024 * 1024 });
    try {
      const slow = await wsSession(h.port);
      const healthy = await wsSession(h.port);
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const s = h.engine.clients[slow.sid]!;
      let reason = "";
      let code: string | undefined;
      s.on("close", (r, d) => {
        reason = r;
        code = d?.code;
      });
      const chunk = Buffer.alloc(256 * 1024, 7);
      let sent = 0;
      let maxBuffered = 0;
      for (let i = 0; i < 400 && s.readyState === "open"; i++) {
        s.send(chunk);
        sent += chunk.length;
        maxBuffered = Math.max(maxBuffered, s.bufferedAmount);
        // let the I/O phase run so the kernel buffers fill (a yield, not a wait for time)
        if (i % 8 === 7) await new Promise((r) => setImmediate(r));
      }
      assert.equal(reason, "transport error");
      assert.equal(code, "EIO_ERR_BUFFER_FULL");
      assert.ok(maxBuffered <= 2 * 1024 * 1024, `bufferedAmount stayed bounded: ${maxBuffered}`);
      assert.ok(sent < 100 * 1024 * 1024);
      // the healthy client still works
      const hs = h.engine.clients[healthy.sid]!;
      hs.on("message", (m) => hs.send(m));
      const echo = new Promise<string>((resolve) =>
        healthy.ws.once("message", (d: Buffer) => resolve(d.toString())),
      );
      healthy.ws.send("4still here");
      assert.equal(await echo, "4still here");
      slow.ws.terminate();
      healthy.ws.close();
    } finally {
      await h.close();
    }
  });

  test("polling client that never polls: closed with EIO_ERR_BUFFER_FULL once the bound is reached", async () => {
    const h = await startServer({ maxBufferedBytes: 10_000 });
    try {
      const { sid } = await handshake(h.port);
      const s = h.engine.clients[sid]!;
      const closed = once(s, "close");
      let n = 0;
      while (s.readyState === "open" && n < 1000) {
        s.send("x".repeat(199));
        n++;
      }
      const [reason, desc] = await closed;
      assert.equal(reason, "transport error");
      assert.equal(desc?.code, "EIO_ERR_BUFFER_FULL");
      assert.ok(n >= 45 && n <= 51, `accepted ${n} messages of 200 bytes`);
    } finally {
      await h.close();
    }
  });

  test("bufferedAmount, drain and send callbacks (WebSocket, slow then fast reader)", async () => {
    const h = await startServer();
    try {
      const c = await wsSession(h.port);
      const raw = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      raw.pause();
      const s: Socket = h.engine.clients[c.sid]!;
      let drains = 0;
      s.on("drain", () => drains++);
      let callbacks = 0;
      const chunk = Buffer.alloc(512 * 1024);
      for (let i = 0; i < 16; i++) s.send(chunk, () => callbacks++);
      // 8 MiB to a reader that is paused cannot all be in the kernel
      assert.ok(s.bufferedAmount > 0, `bufferedAmount ${s.bufferedAmount}`);
      assert.ok(callbacks < 16, `callbacks before resume: ${callbacks}`);
      raw.resume();
      await waitFor(() => callbacks === 16, 5000, "send callbacks");
      await waitFor(() => drains >= 1 && s.bufferedAmount === 0, 5000, "drain");
      c.ws.close();
    } finally {
      await h.close();
    }
  });

  test("polling: callbacks run and drain fires once the GET carrying the messages is written", async () => {
    const h = await startServer();
    try {
      const { sid } = await handshake(h.port);
      const s: Socket = h.engine.clients[sid]!;
      let drained = 0;
      s.on("drain", () => drained++);
      const done: number[] = [];
      s.send("a", () => done.push(1));
      s.send(new Uint8Array([1, 2]), { compress: false }, () => done.push(2));
      assert.ok(s.bufferedAmount > 0);
      assert.deepEqual(done, []);
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(r.text, "4a\x1ebAQI=");
      assert.deepEqual(done, [1, 2]);
      assert.equal(drained, 1);
      assert.equal(s.bufferedAmount, 0);
    } finally {
      await h.close();
    }
  });

  test("send after close is ignored; write is an alias of send", async () => {
    const h = await startServer();
    try {
      const { sid } = await handshake(h.port);
      const s: Socket = h.engine.clients[sid]!;
      s.write("w");
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(r.text, "4w");
      s.close();
      s.send("ignored");
      assert.equal(s.bufferedAmount, 0);
      // the next poll carries the close packet, not the message sent after close()
      const last = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(last.text.split("\x1e").at(-1), "1");
      assert.doesNotMatch(last.text, /ignored/);
    } finally {
      await h.close();
    }
  });
});
