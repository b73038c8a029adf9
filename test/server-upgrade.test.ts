// Nothing lost, duplicated or reordered across the polling → WebSocket upgrade, in either direction:
// 50 engine.io-client sessions exchange sequence-numbered messages continuously while they upgrade.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Socket as EioClient } from "engine.io-client";
import type { Socket } from "../src/index.js";
import { startServer, waitFor } from "./server-helpers.js";

const SESSIONS = 50;

interface Tally {
  got: number[];
  endAt: number; // -1 until the peer's end marker arrives
}

function check(label: string, t: Tally): { lost: number; duplicated: number; reordered: number } {
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  const seen = new Set<number>();
  let last = -1;
  for (const n of t.got) {
    if (seen.has(n)) duplicated++;
    else if (n < last) reordered++;
    seen.add(n);
    last = Math.max(last, n);
  }
  for (let i = 0; i < t.endAt; i++) if (!seen.has(i)) lost++;
  if (lost || duplicated || reordered)
    console.warn(label, { lost, duplicated, reordered, n: t.got.length, endAt: t.endAt });
  return { lost, duplicated, reordered };
}

test(`${SESSIONS} sessions upgrade while messages flow both ways: 0 lost, 0 duplicated, 0 reordered`, async () => {
  const h = await startServer({ pingInterval: 10000, pingTimeout: 10000 });
  const serverTallies = new Map<string, Tally>();
  const serverSent = new Map<string, number>();
  const sockets = new Map<string, Socket>();
  h.engine.on("connection", (s) => {
    const tally: Tally = { got: [], endAt: -1 };
    serverTallies.set(s.id, tally);
    serverSent.set(s.id, 0);
    sockets.set(s.id, s);
    s.on("close", (reason) => {
      if (sending) errors.push(`server close ${reason}`);
    });
    s.on("message", (m) => {
      const text = String(m);
      if (text.startsWith("end:")) tally.endAt = Number(text.slice(4));
      else tally.got.push(Number(text));
    });
  });
  const clients: EioClient[] = [];
  const clientTallies: Tally[] = [];
  const clientSent: number[] = [];
  let sending = true;
  const errors: string[] = [];
  try {
    for (let i = 0; i < SESSIONS; i++) {
      const c = new EioClient(h.url, { transports: ["polling", "websocket"] });
      const tally: Tally = { got: [], endAt: -1 };
      clients.push(c);
      clientTallies.push(tally);
      clientSent.push(0);
      c.on("error", (e: unknown) => {
        errors.push(
          String((e as Error)?.message ?? e) +
            " " +
            String((e as { description?: unknown }).description ?? ""),
        );
      });
      c.on("message", (m) => {
        const text = String(m);
        if (text.startsWith("end:")) tally.endAt = Number(text.slice(4));
        else tally.got.push(Number(text));
      });
    }
    // both directions pump every few ms, from before the upgrades until after all of them
    const pump = setInterval(() => {
      if (!sending) return;
      clients.forEach((c, i) => {
        if (c.readyState !== "open") return;
        for (let k = 0; k < 2; k++) c.send(String(clientSent[i]!++));
      });
      for (const [sid, s] of sockets) {
        if (s.readyState !== "open") continue;
        let n = serverSent.get(sid)!;
        for (let k = 0; k < 2; k++) s.send(String(n++));
        serverSent.set(sid, n);
      }
    }, 5);
    try {
      await waitFor(
        () =>
          clients.every((c) => c.transport?.name === "websocket") &&
          [...sockets.values()].filter((s) => s.upgraded).length === SESSIONS,
        20000,
        "all sessions upgraded",
      );
    } catch (e) {
      // say which sessions are stuck, and where
      const stuck = clients
        .map((c, i) => ({ i, client: c.transport?.name, readyState: c.readyState, id: c.id }))
        .filter((x) => x.client !== "websocket")
        .map((x) => {
          const s = x.id ? sockets.get(x.id) : undefined;
          return { ...x, server: s?.transport?.name, upgrading: s?.upgrading, state: s?.readyState };
        });
      console.warn("not upgraded:", JSON.stringify(stuck), "client errors:", errors.slice(0, 5));
      throw e;
    }
    // keep flowing on WebSocket: every session carries 20 more messages each way after its upgrade
    const clientMark = clientTallies.map((t) => t.got.length);
    const serverMark = new Map([...serverTallies].map(([sid, t]) => [sid, t.got.length]));
    await waitFor(
      () =>
        clientTallies.every((t, i) => t.got.length >= clientMark[i]! + 20) &&
        [...serverTallies].every(([sid, t]) => t.got.length >= (serverMark.get(sid) ?? 0) + 20),
      20000,
      "20 more messages each way on every upgraded session",
    );
    sending = false;
    clearInterval(pump);
    clients.forEach((c, i) => {
      c.send(`end:${clientSent[i]}`);
    });
    for (const [sid, s] of sockets) s.send(`end:${serverSent.get(sid)}`);
    await waitFor(
      () =>
        clientTallies.every((t) => t.endAt >= 0) && [...serverTallies.values()].every((t) => t.endAt >= 0),
      10000,
      "end markers",
    );
    const totals = { lost: 0, duplicated: 0, reordered: 0, messages: 0 };
    clientTallies.forEach((t, i) => {
      const r = check(`client ${i} (server → client)`, t);
      totals.lost += r.lost;
      totals.duplicated += r.duplicated;
      totals.reordered += r.reordered;
      totals.messages += t.got.length;
    });
    for (const [sid, t] of serverTallies) {
      const r = check(`server ${sid} (client → server)`, t);
      totals.lost += r.lost;
      totals.duplicated += r.duplicated;
      totals.reordered += r.reordered;
      totals.messages += t.got.length;
    }
    // every sequence is exact
    for (const t of clientTallies) assert.equal(t.got.length, t.endAt);
    for (const t of serverTallies.values()) assert.equal(t.got.length, t.endAt);
    assert.deepEqual(
      { lost: totals.lost, duplicated: totals.duplicated, reordered: totals.reordered },
      { lost: 0, duplicated: 0, reordered: 0 },
    );
    assert.ok(totals.messages > SESSIONS * 20, `messages exchanged: ${totals.messages}`);
    // report the counts in the test output
    console.log(
      `upgrade: ${SESSIONS} sessions, ${totals.messages} messages, lost 0, duplicated 0, reordered 0`,
    );
  } finally {
    sending = false;
    for (const c of clients) c.close();
    await h.close();
  }
});
