// Server.broadcast: one message framed once, delivered to WebSocket (binary-capable, b64=1, permessage-deflate)
// and polling sessions alike, with sids/except (and python-style to/skip_sid) selection and the slow-consumer bound.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type WebSocket from "ws";
import type { Socket } from "../src/index.js";
import { wsFrame } from "../src/server/broadcast.js";
import { type Harness, handshake, once, raw, startServer, waitFor } from "./server-helpers.js";
import { openWs } from "./server-wire.js";

const P = "/engine.io/";

interface WsPeer {
  ws: WebSocket;
  sid: string;
  next(ms?: number): Promise<string | Buffer>;
}

async function wsPeer(h: Harness, query = "", opts: WebSocket.ClientOptions = {}): Promise<WsPeer> {
  const { ws, next } = await openWs(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket${query}`, opts);
  const openPacket = await next();
  assert.equal(typeof openPacket, "string");
  const sid = JSON.parse((openPacket as string).slice(1)).sid as string;
  return { ws, sid, next };
}

/** Polls once and returns the packets of the answer. */
async function poll(h: Harness, sid: string): Promise<string[]> {
  const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(r.status, 200);
  return r.text.split("\x1e");
}

const sizes = [0, 1, 125, 126, 65535, 65536, 70000];
const textOf = (n: number) => "é".repeat(Math.floor(n / 2)) + "x".repeat(n % 2); // n UTF-8 bytes
const bytesOf = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff));

describe("Server.broadcast", () => {
  let h: Harness;
  before(async () => {
    h = await startServer({ perMessageDeflate: { threshold: 0 }, maxHttpBufferSize: 1e6 });
  });
  after(() => h.close());

  test("every kind of session gets each text and binary message exactly, at every frame-length boundary", async () => {
    const plain = [await wsPeer(h), await wsPeer(h)];
    const b64 = await wsPeer(h, "&b64=1");
    const deflated = await wsPeer(h, "", { perMessageDeflate: true });
    assert.ok(deflated.ws.extensions.includes("permessage-deflate"), "deflate negotiated");
    const polling = (await handshake(h.port)).sid;
    await waitFor(() => h.engine.clientsCount === 5);
    for (const n of sizes) {
      assert.equal(h.engine.broadcast(textOf(n)), 5);
      assert.equal(h.engine.broadcast(bytesOf(n)), 5);
    }
    for (const peer of [...plain, deflated]) {
      for (const n of sizes) {
        assert.equal(await peer.next(), `4${textOf(n)}`);
        const bin = await peer.next();
        assert.ok(Buffer.isBuffer(bin), `binary frame of ${n} bytes`);
        assert.deepEqual(bin, bytesOf(n));
      }
    }
    for (const n of sizes) {
      assert.equal(await b64.next(), `4${textOf(n)}`);
      assert.equal(await b64.next(), `b${bytesOf(n).toString("base64")}`);
    }
    // a polling session without b64 gets binary as base64 in the payload too (v4 payloads are text)
    const got: string[] = [];
    while (got.length < sizes.length * 2) got.push(...(await poll(h, polling)));
    assert.deepEqual(
      got,
      sizes.flatMap((n) => [`4${textOf(n)}`, `b${bytesOf(n).toString("base64")}`]),
    );
    for (const p of [...plain, b64, deflated]) p.ws.close();
    await waitFor(() => h.engine.clientsCount === 1);
    h.engine.clients[polling]!.close();
    // a polling session's close packet goes out with its next poll (after a noop that releases a held one)
    assert.equal((await poll(h, polling)).at(-1), "1");
    await waitFor(() => h.engine.clientsCount === 0);
  });

  test("sids / except and the python-style to / skip_sid choose the sessions; JSON values go as JSON", async () => {
    const peers = [await wsPeer(h), await wsPeer(h), await wsPeer(h)];
    const [a, b, c] = peers as [WsPeer, WsPeer, WsPeer];
    await waitFor(() => h.engine.clientsCount === 3);
    assert.equal(h.engine.broadcast("1", { sids: [a.sid, "nope"] }), 1);
    assert.equal(h.engine.broadcast("2", { except: a.sid }), 2);
    assert.equal(h.engine.broadcast("3", { to: c.sid }), 1);
    assert.equal(h.engine.broadcast("4", { skip_sid: [a.sid, b.sid] }), 1);
    assert.equal(h.engine.broadcast({ n: 5 }, { sids: new Set([b.sid]), except: [b.sid] }), 0);
    assert.equal(h.engine.broadcast([6]), 3);
    assert.deepEqual([await a.next(), await a.next()], ["41", "4[6]"]);
    assert.deepEqual([await b.next(), await b.next()], ["42", "4[6]"]);
    assert.deepEqual(
      [await c.next(), await c.next(), await c.next(), await c.next()],
      ["42", "43", "44", "4[6]"],
    );
    for (const p of peers) p.ws.close();
    await waitFor(() => h.engine.clientsCount === 0);
  });

  test("bad data and bad options are TypeErrors with a code, and nothing is sent", () => {
    for (const [data, opts] of [
      [undefined, undefined],
      [() => 1, undefined],
      ["x", { sids: 5 }],
      ["x", { except: {} }],
    ] as const) {
      assert.throws(
        () => h.engine.broadcast(data as never, opts as never),
        (e: Error & { code?: string }) => e instanceof TypeError && e.code === "EIO_ERR_INVALID_ARG",
      );
    }
  });

  test("a consumer that stops reading is closed by maxBufferedBytes; the others get everything", async () => {
    const small = await startServer({ maxBufferedBytes: 256 * 1024 });
    try {
      const fast = await wsPeer(small);
      const slow = await wsPeer(small);
      await waitFor(() => small.engine.clientsCount === 2);
      const slowSocket = small.engine.clients[slow.sid] as Socket;
      const closed = once(slowSocket, "close");
      // the slow peer stops reading: its kernel buffers fill, then the server's
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const chunk = bytesOf(64 * 1024);
      // one message at a time, each awaited by the fast peer: only the slow one accumulates
      let delivered = 0;
      for (let i = 0; i < 400 && slowSocket.readyState === "open"; i++) {
        small.engine.broadcast(chunk);
        assert.deepEqual(await fast.next(), chunk);
        delivered++;
      }
      const [reason] = await closed;
      assert.equal(reason, "transport error");
      assert.ok(delivered < 400, "the slow consumer was closed before the loop ended");
      small.engine.broadcast("after");
      assert.equal(await fast.next(), "4after");
      fast.ws.close();
      slow.ws.terminate();
    } finally {
      await small.close();
    }
  });

  test("wsFrame builds RFC 6455 headers at the 7-bit, 16-bit and 64-bit length boundaries", () => {
    assert.deepEqual([...wsFrame(Buffer.alloc(125), false)[0]!], [0x81, 125]);
    assert.deepEqual([...wsFrame(Buffer.alloc(126), true)[0]!], [0x82, 126, 0, 126]);
    assert.deepEqual([...wsFrame(Buffer.alloc(65535), true)[0]!], [0x82, 126, 0xff, 0xff]);
    assert.deepEqual([...wsFrame(Buffer.alloc(65536), false)[0]!], [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  });
});
