// The client against Debian's python-engineio (4.3.4) AsyncServer in aiohttp mode, echoing every message:
// text and binary over polling, WebSocket and the upgrade; the python-style Client; a burst of more than 16
// messages over polling (python-engineio rejects POSTs of more than 16 packets: the Client batches ≤ 16).
// Skips loudly when /usr/bin/python3 cannot import engineio and aiohttp.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AsyncClient, Client, type SocketOptions } from "../src/client/index.js";
import { collect, next, open, type Peer, pythonPeerAvailable, shut, startPython } from "./client-helpers.js";

const skipReason = pythonPeerAvailable();
if (skipReason) console.warn(`\n!!! SKIPPING the python-engineio interop tests: ${skipReason}\n`);

describe("client ↔ python-engineio (aiohttp)", { skip: skipReason }, () => {
  let peer: Peer;
  before(async () => {
    peer = await startPython();
  });
  after(async () => peer?.close());

  const modes: Array<{ name: string; opts: SocketOptions; final: string }> = [
    { name: "polling only", opts: { transports: ["polling"] }, final: "polling" },
    { name: "websocket only", opts: { transports: ["websocket"] }, final: "websocket" },
    { name: "polling + upgrade", opts: {}, final: "websocket" },
  ];
  for (const m of modes) {
    it(`${m.name}: text, JSON-looking text and binary echo`, async () => {
      const socket = await open(peer.url, { ...m.opts, maxPacketsPerPost: 16 });
      if (socket.transport.name !== m.final) await next(socket, "upgrade");
      const got = collect(socket, 4);
      socket.send("hello € 😀");
      socket.send('{"a":[1,2]}');
      socket.send(new Uint8Array([0, 1, 2, 255]));
      socket.send("x".repeat(10000));
      const [a, b, c, d] = await got;
      assert.equal(a, "hello € 😀");
      // python-engineio JSON-decodes text that looks like JSON and re-encodes it on send
      assert.deepEqual(JSON.parse(b as string), { a: [1, 2] });
      assert.deepEqual([...(c as Buffer)], [0, 1, 2, 255]);
      assert.equal((d as string).length, 10000);
      assert.equal(socket.transport.name, m.final);
      await shut(socket);
    });
  }

  it("Client (python style): connect, send on connect, receive, transport(), sid, disconnect", async () => {
    const client = new Client();
    const received: unknown[] = [];
    const events: string[] = [];
    const done = new Promise<void>((resolve) => {
      client.on("message", (data) => {
        received.push(data);
        if (received.length === 2) resolve();
      });
    });
    client.on("connect", () => {
      events.push("connect");
      client.send("from connect handler");
      client.send(new Uint8Array([7, 7]));
    });
    client.on("disconnect", (reason) => {
      events.push(`disconnect:${reason}`);
    });
    await client.connect(peer.url, { transports: ["polling"] });
    assert.equal(typeof client.sid, "string");
    assert.equal(client.transport(), "polling");
    await done;
    assert.equal(received[0], "from connect handler");
    assert.deepEqual([...(received[1] as Buffer)], [7, 7]);
    await client.disconnect();
    await client.wait();
    assert.deepEqual(events, ["connect", "disconnect:forced close"]);
    assert.equal(client.sid, null);
  });

  it("AsyncClient over polling: a burst of 60 messages (> 16 per POST) all echoed in order", async () => {
    const client = new AsyncClient();
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      client.on("message", async (d) => {
        await new Promise((r) => setTimeout(r, 0));
        got.push(d as string);
        if (got.length === 60) resolve();
      });
    });
    await client.connect(peer.url, { transports: ["polling"] });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) sends.push(client.send(`m${i}`));
    await Promise.all(sends);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      all,
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`got ${got.length}/60`)), 8000);
      }),
    ]);
    clearTimeout(timer);
    assert.deepEqual(
      got,
      Array.from({ length: 60 }, (_, i) => `m${i}`),
    );
    await client.disconnect();
  });
});
