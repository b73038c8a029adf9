// Upgrade with probe and pause while messages flow both ways: numbered messages from client and server, sent
// continuously across the polling → WebSocket switch, must arrive with 0 lost, 0 duplicated, 0 reordered.
// Against engine.io 6.6 and this project's Server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Socket } from "../src/client/index.js";
import { next, type Peer, shut, startEngineIo, startOurs } from "./client-helpers.js";

function check(label: string, got: number[], n: number): void {
  const seen = new Set<number>();
  let dup = 0;
  let reordered = 0;
  for (let i = 0; i < got.length; i++) {
    if (seen.has(got[i]!)) dup++;
    seen.add(got[i]!);
    if (i > 0 && got[i]! < got[i - 1]!) reordered++;
  }
  const lost = n - seen.size;
  assert.deepEqual({ lost, dup, reordered }, { lost: 0, dup: 0, reordered: 0 }, label);
  assert.deepEqual(
    got,
    Array.from({ length: n }, (_, i) => i),
    label,
  );
}

async function run(peer: Peer, binary: boolean): Promise<void> {
  const N = 400;
  const socket = new Socket(peer.url, { transports: ["polling", "websocket"] });
  const fromServer: number[] = [];
  const echoed: number[] = [];
  let upgradedAt = -1;
  socket.on("message", (d) => {
    const text = typeof d === "string" ? d : Buffer.from(d as Uint8Array).toString();
    if (text.startsWith("s")) fromServer.push(Number(text.slice(1)));
    else echoed.push(Number(text.slice(1)));
  });
  socket.on("upgrade", () => {
    upgradedAt = echoed.length;
  });
  await next(socket, "open");
  assert.equal(socket.transport.name, "polling");
  const server = peer.sockets.get(socket.id!)!;
  const upgraded = next(socket, "upgrade", 5000);
  // client → server (echoed back) and server → client, one message per tick, across the switch
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      for (let k = 0; k < 4 && i < N; k++, i++) {
        const c = `c${i}`;
        socket.send(binary ? new TextEncoder().encode(c) : c);
        server.send(`s${i}`);
      }
      if (i < N) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await upgraded;
  assert.equal(socket.transport.name, "websocket");
  const deadline = Date.now() + 10000;
  while ((echoed.length < N || fromServer.length < N) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  check("server → client", fromServer, N);
  check("client → server → client", echoed, N);
  assert.ok(upgradedAt > 0 && upgradedAt < N, `the upgrade happened mid-stream (at ${upgradedAt})`);
  await shut(socket);
}

const peers: Array<{ name: string; start: () => Promise<Peer | undefined> }> = [
  { name: "engine.io 6.6", start: () => startEngineIo() },
  { name: "engineio-wasm Server", start: () => startOurs() },
];

for (const p of peers) {
  describe(`client upgrade under load ↔ ${p.name}`, () => {
    let peer: Peer | undefined;
    before(async () => {
      peer = await p.start();
      if (!peer) console.warn(`!!! SKIPPING upgrade ↔ ${p.name}: no working Server export yet`);
    });
    after(async () => peer?.close());
    for (let round = 1; round <= 3; round++) {
      it(`round ${round}: text, sequence numbers both ways`, async (t) => {
        if (!peer) return t.skip("server not available");
        await run(peer, false);
      });
    }
    it("binary messages, sequence numbers both ways", async (t) => {
      if (!peer) return t.skip("server not available");
      await run(peer, true);
    });
  });
}
