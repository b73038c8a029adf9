// The official engine.io-client 6.6 against this server: polling only, websocket only, upgrade, binary both ways,
// large messages, heartbeat over several short intervals, server close, client close, graceful server shutdown.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Socket as EioClient, type SocketOptions } from "engine.io-client";
import type { Socket } from "../src/index.js";
import { type Harness, once, startServer, waitFor } from "./server-helpers.js";

type Transports = ("polling" | "websocket")[];

function connect(h: Harness, transports: Transports, extra: Partial<SocketOptions> = {}): Promise<EioClient> {
  const c = new EioClient(h.url, { transports, ...extra } as SocketOptions);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("client open timeout")), 5000);
    c.once("open", () => {
      clearTimeout(timer);
      resolve(c);
    });
    c.once("error", (e: unknown) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function nextMessage(c: EioClient, ms = 5000): Promise<string | ArrayBuffer | Buffer> {
  return once<string | ArrayBuffer | Buffer>(c, "message", ms).then((a) => a[0]!);
}

function bytesOf(m: unknown): Uint8Array {
  if (m instanceof ArrayBuffer) return new Uint8Array(m);
  if (ArrayBuffer.isView(m)) return new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
  throw new Error(`not binary: ${typeof m}`);
}

const MODES: [string, Transports, boolean][] = [
  ["polling only", ["polling"], false],
  ["websocket only", ["websocket"], false],
  ["polling with upgrade", ["polling", "websocket"], true],
];

describe("engine.io-client 6.6 → this server", () => {
  let h: Harness;
  const serverSockets: Socket[] = [];
  before(async () => {
    h = await startServer({ pingInterval: 300, pingTimeout: 400, maxHttpBufferSize: 3e6 });
    h.engine.on("connection", (s) => {
      serverSockets.push(s);
      s.on("message", (m) => {
        if (m === "close-me") s.close();
        else s.send(m);
      });
    });
  });
  after(async () => {
    await h.close();
  });

  for (const [name, transports, upgrade] of MODES) {
    describe(name, () => {
      test("open, echo text and binary both ways, final transport", async () => {
        const c = await connect(h, transports);
        try {
          if (upgrade) {
            await once(c, "upgrade");
          }
          assert.equal(c.transport.name, upgrade ? "websocket" : transports[0]);
          const s = h.engine.clients[c.id!]!;
          await waitFor(() => s.transport?.name === c.transport.name, 3000, "server-side transport switch");
          assert.ok(s, "server knows the sid");
          assert.equal(s.transport?.name, c.transport.name);
          assert.equal(s.protocol, 4);
          assert.equal(s.readyState, "open");
          assert.equal(s.request._query.EIO, "4");
          assert.ok(s.remoteAddress.includes("127.0.0.1"));

          c.send("héllo €");
          assert.equal(await nextMessage(c), "héllo €");

          const bin = new Uint8Array([0, 1, 2, 253, 254, 255]);
          c.send(bin);
          assert.deepEqual([...bytesOf(await nextMessage(c))], [...bin]);

          // server → client binary from every kind of binary input
          for (const data of [
            Buffer.from([9, 8, 7]),
            new Uint8Array([9, 8, 7]).buffer,
            new Uint16Array([0x0809, 0x0007]),
          ]) {
            const p = nextMessage(c);
            s.send(data);
            const got = bytesOf(await p);
            assert.equal(got.length, data.byteLength);
          }
          // message with no data
          const p = nextMessage(c);
          s.send("");
          assert.ok(
            (await p) === undefined || (await p) === "",
            "empty message arrives (engine.io-client gives undefined)",
          );
        } finally {
          c.close();
        }
      });

      test("large messages (1 MB text, 700 KB binary) both ways", async () => {
        const c = await connect(h, transports);
        try {
          if (upgrade) await once(c, "upgrade");
          const text = "x€".repeat(350_000); // ~1.05 MB of UTF-8
          c.send(text);
          assert.equal(await nextMessage(c, 10000), text);
          const bin = new Uint8Array(700_000);
          for (let i = 0; i < bin.length; i++) bin[i] = (i * 31) & 255;
          c.send(bin);
          const got = bytesOf(await nextMessage(c, 10000));
          assert.equal(got.length, bin.length);
          assert.ok(Buffer.from(got).equals(Buffer.from(bin)));
        } finally {
          c.close();
        }
      });

      test("heartbeat keeps an idle session alive over > 3 intervals", async () => {
        const c = await connect(h, transports);
        try {
          const s = h.engine.clients[c.id!]!;
          let beats = 0;
          s.on("heartbeat", () => beats++);
          let closed = false;
          c.on("close", () => {
            closed = true;
          });
          // three pongs answered in a row: the session outlived three ping intervals and three ping timeouts
          await waitFor(() => beats >= 3 || closed, 10_000, "three heartbeats");
          assert.equal(closed, false);
          assert.ok(beats >= 3, `heartbeats: ${beats}`);
          assert.equal(s.readyState, "open");
        } finally {
          c.close();
        }
      });

      test("server-side close: client sees the close, server reason forced close", async () => {
        const c = await connect(h, transports);
        const s = h.engine.clients[c.id!]!;
        const serverClose = once<string>(s, "close");
        const clientClose = once<string>(c, "close");
        c.send("close-me");
        const [reason] = await serverClose;
        assert.equal(reason, "forced close");
        await clientClose;
        assert.equal(h.engine.clients[c.id!], undefined);
      });

      test("client close: server reason transport close", async () => {
        const c = await connect(h, transports);
        if (upgrade) await once(c, "upgrade");
        const s = h.engine.clients[c.id!]!;
        const serverClose = once<string>(s, "close");
        c.close();
        const [reason] = await serverClose;
        assert.equal(reason, "transport close");
      });
    });
  }

  test("graceful server shutdown: every message sent before close() arrives, then 'server shutting down'", async () => {
    const h2 = await startServer({ pingInterval: 1000, pingTimeout: 1000 });
    try {
      const clients = await Promise.all([connect(h2, ["polling"]), connect(h2, ["websocket"])]);
      const received = clients.map(() => [] as string[]);
      clients.forEach((c, i) => {
        c.on("message", (m) => received[i]!.push(String(m)));
      });
      const reasons: string[] = [];
      for (const sid of Object.keys(h2.engine.clients)) {
        const s = h2.engine.clients[sid]!;
        s.on("close", (r) => reasons.push(r));
        for (let i = 0; i < 100; i++) s.send(`m${i}`);
      }
      const closed = clients.map((c) => once(c, "close"));
      await h2.engine.shutdown(3000);
      await Promise.all(closed);
      assert.deepEqual(reasons, ["server shutting down", "server shutting down"]);
      for (const r of received)
        assert.deepEqual(
          r,
          Array.from({ length: 100 }, (_, i) => `m${i}`),
        );
      assert.equal(h2.engine.clientsCount, 0);
    } finally {
      await h2.close();
    }
  });

  test("clientsCount follows sessions", async () => {
    await waitFor(() => h.engine.clientsCount === 0, 3000, "clientsCount 0");
    const c = await connect(h, ["websocket"]);
    assert.equal(h.engine.clientsCount, 1);
    c.close();
    await waitFor(() => h.engine.clientsCount === 0, 3000, "clientsCount 0 after close");
  });
});
