/**
 * Nothing lost: sequence-numbered messages both ways while sessions upgrade polling → WebSocket; graceful
 * shutdown flushes what `send` accepted; a 2-second synchronous stall does not kill sessions whose pongs it
 * delayed. (`npm run soak` runs the upgrade check with 200 sessions.)
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";
import { type EitherClientOptions, eitherClient } from "../client-helpers.js";
import { startChild } from "./lib/child.js";
import { runUpgradeSeq } from "./lib/scenarios.js";
import { analyzeSeq } from "./lib/seq.js";

describe("nothing lost", () => {
  it("upgrade under load: 24 sessions × 600 messages each way, 0 lost / duplicated / reordered", async (t) => {
    const r = await runUpgradeSeq({ sessions: 24, messages: 600, batch: 6, paceMs: 3, timeoutMs: 45_000 });
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.errors, []);
    assert.ok(r.complete, "not every message arrived");
    assert.equal(r.upgraded, 24);
    assert.deepEqual(r.toServer, { received: 24 * 600, lost: 0, dup: 0, reordered: 0 });
    assert.deepEqual(r.toClient, { received: 24 * 600, lost: 0, dup: 0, reordered: 0 });
    // both sides hold their second half until the upgrade: every session switches mid-stream
    assert.equal(r.midStream, 24, `only ${r.midStream} sessions upgraded mid-stream`);
  });
});

describe("graceful shutdown", () => {
  for (const mode of ["close()", "shutdown()"] as const) {
    it(`${mode}: every message accepted by send reaches its client before the session closes`, async (t) => {
      const server = await startChild("server-child.ts", {
        impl: "ours",
        options: { pingInterval: 5000, pingTimeout: 10000 },
      });
      try {
        const url = `http://127.0.0.1:${server.port}`;
        const clients = await Promise.all(
          Array.from({ length: 18 }, (_, i) => {
            const modes: EitherClientOptions["transports"][] = [
              ["polling"],
              ["websocket"],
              ["polling", "websocket"],
            ];
            const transports = modes[i % 3]!;
            const socket = eitherClient(i % 2 === 0 ? "ours" : "eio", url, { transports });
            const c = { i, transports, got: [] as number[], closed: null as string | null, socket };
            socket.on("message", (d: unknown) => {
              if (typeof d === "string" && d.startsWith("m:")) c.got.push(Number(d.slice(2)));
            });
            socket.on("close", (reason: unknown) => {
              c.closed = String(reason);
            });
            return new Promise<typeof c>((resolve) => socket.on("open", () => resolve(c)));
          }),
        );
        // let the upgrading ones settle on WebSocket
        await new Promise((r) => setTimeout(r, 300));
        const COUNT = 500;
        const r = await server.rpc<{ perSocket: Record<string, number>; ms: number; clientsCount: number }>(
          "sendAndClose",
          {
            count: COUNT,
            shutdown: mode === "shutdown()",
          },
        );
        assert.equal(Object.keys(r.perSocket).length, 18);
        const deadline = Date.now() + 10_000;
        while (clients.some((c) => c.closed === null) && Date.now() < deadline)
          await new Promise((res) => setTimeout(res, 50));
        let lost = 0;
        for (const c of clients) {
          const v = analyzeSeq(c.got, COUNT);
          lost += v.lost;
          assert.deepEqual(
            v,
            { received: COUNT, lost: 0, dup: 0, reordered: 0 },
            `client ${c.i} (${c.transports.join("+")})`,
          );
          assert.ok(c.closed !== null, `client ${c.i} not closed`);
        }
        const stats = await server.rpc<{ closes: Record<string, number>; clientsCount: number }>("stats");
        t.diagnostic(
          `${mode}: ${18 * COUNT} messages accepted, ${lost} lost; server closes ${JSON.stringify(stats.closes)}; shutdown() took ${r.ms} ms`,
        );
        assert.equal(stats.closes["server shutting down"], 18);
        assert.equal(stats.clientsCount, 0);
      } finally {
        await server.stop();
      }
    });
  }
});

describe("heartbeat under a 2-second synchronous stall of the server", () => {
  const STALL = 2000;

  it("engine.io-client and this project's client (polling, WebSocket) survive it", async (t) => {
    // pingTimeout > stall: the clients' own timeout (pingInterval + pingTimeout) outlasts the stall
    const server = await startChild("server-child.ts", {
      impl: "ours",
      options: { pingInterval: 300, pingTimeout: 3000 },
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const closes: string[] = [];
      const sockets = await Promise.all(
        Array.from({ length: 8 }, (_, i) => {
          const s = eitherClient(i % 2 === 0 ? "ours" : "eio", url, {
            transports: i % 4 < 2 ? ["polling"] : ["websocket"],
          });
          s.on("close", (r: unknown) => closes.push(`client ${i}: ${String(r)}`));
          return new Promise<typeof s>((resolve) => s.on("open", () => resolve(s)));
        }),
      );
      await new Promise((r) => setTimeout(r, 700)); // a few heartbeats first
      await server.rpc("stall", { ms: STALL });
      await new Promise((r) => setTimeout(r, 1500)); // several heartbeats after
      const stats = await server.rpc<{ closes: Record<string, number>; clientsCount: number }>("stats");
      t.diagnostic(
        `after the stall: server closes ${JSON.stringify(stats.closes)}, client closes ${JSON.stringify(closes)}`,
      );
      assert.deepEqual(closes, []);
      assert.deepEqual(stats.closes, {});
      assert.equal(stats.clientsCount, 8);
      for (const s of sockets) s.close();
    } finally {
      await server.stop();
    }
  });

  it("pongs delayed by the stall itself do not cause a ping timeout (pingTimeout shorter than the stall)", async (t) => {
    const server = await startChild("server-child.ts", {
      impl: "ours",
      options: { pingInterval: 300, pingTimeout: 800 },
    });
    try {
      const open = (answer: boolean) =>
        new Promise<{ ws: WebSocket; closed: () => boolean; pings: () => number }>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.port}/engine.io/?EIO=4&transport=websocket`);
          let closed = false;
          let pings = 0;
          ws.on("message", (d) => {
            const text = String(d);
            if (text[0] === "0") resolve({ ws, closed: () => closed, pings: () => pings });
            if (text === "2") {
              pings++;
              if (answer) ws.send("3"); // answered at once: during the stall the pong waits in the server's socket
            }
          });
          ws.on("close", () => {
            closed = true;
          });
          ws.on("error", reject);
        });
      const answering = await Promise.all(Array.from({ length: 6 }, () => open(true)));
      const silent = await open(false); // control: never answers, must still time out
      await new Promise((r) => setTimeout(r, 250));
      await server.rpc("stallAfterNextPing", { ms: STALL });
      await new Promise((r) => setTimeout(r, 300 + STALL + 1500));
      const stats = await server.rpc<{ closes: Record<string, number> }>("stats");
      t.diagnostic(
        `server closes ${JSON.stringify(stats.closes)}; pings seen per answering client ${answering.map((a) => a.pings()).join(",")}`,
      );
      assert.deepEqual(
        answering.map((a) => a.closed()),
        answering.map(() => false),
        "an answering client was closed",
      );
      assert.ok(
        answering.every((a) => a.pings() >= 3),
        "heartbeat stopped after the stall",
      );
      assert.equal(silent.closed(), true, "the silent client was not timed out");
      assert.deepEqual(stats.closes, { "ping timeout": 1 });
      for (const a of answering) a.ws.close();
    } finally {
      await server.stop();
    }
  });
});

describe("SIGTERM on the CLI (engineio-wasm serve --echo)", () => {
  it("echoes already accepted are flushed before the sessions close; what arrives is a gap-free prefix", async (t) => {
    const cli = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "serve", "--port", "0", "--echo", "--ping-interval", "5000"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`no URL: ${out}`)), 15_000);
        child.stdout!.on("data", (d) => {
          out += d;
          const m = /listening on (http:\/\/\S+?)\/engine\.io\/\n/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const N = 2000;
      const clients = await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const s = eitherClient(i % 2 === 0 ? "ours" : "eio", url, {
            transports: i % 3 === 0 ? ["polling"] : i % 3 === 1 ? ["websocket"] : ["polling", "websocket"],
          });
          const c = { i, got: [] as number[], atSignal: 0, closed: false };
          s.on("message", (d: unknown) => {
            if (typeof d === "string" && d.startsWith("e:")) c.got.push(Number(d.slice(2)));
          });
          s.on("close", () => {
            c.closed = true;
          });
          return new Promise<typeof c>((resolve) =>
            s.on("open", () => {
              let k = 0;
              const pump = () => {
                for (let j = 0; j < 20 && k < N; j++) s.send(`e:${k++}`);
                if (k < N && !c.closed) setTimeout(pump, 4);
              };
              pump();
              resolve(c);
            }),
          );
        }),
      );
      const until = Date.now() + 10_000;
      while (clients.some((c) => c.got.length < 100) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 5));
      for (const c of clients) c.atSignal = c.got.length;
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
      const end = Date.now() + 5000;
      while (clients.some((c) => !c.closed) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      let after = 0;
      for (const c of clients) {
        const k = c.got.length;
        after += k - c.atSignal;
        assert.deepEqual(
          analyzeSeq(c.got, k),
          { received: k, lost: 0, dup: 0, reordered: 0 },
          `client ${c.i}`,
        );
        assert.ok(c.closed, `client ${c.i} not closed`);
      }
      t.diagnostic(
        `exit ${code}; echoes received ${clients.reduce((n, c) => n + c.got.length, 0)} of ${12 * N} sent, ${after} of them after SIGTERM`,
      );
      assert.equal(code, 0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
