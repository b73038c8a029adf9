// @backends: once (codec-independent: the python matrix exercises the wire and the peers, not a backend)
// This project's clients against python-engineio servers, for every column of the python matrix
// (test/python/peers.ts) and every server mode the column has: AsyncServer + ASGIApp under uvicorn, AsyncServer
// under aiohttp, Server (threading) + WSGIApp under werkzeug's threaded server. The engine.io-style Socket over
// polling, WebSocket and the upgrade: UTF-8 text and binary both ways, messages near max_http_buffer_size, the
// server-initiated close, the close reason python sees; the python-style Client and AsyncClient: connect,
// send, receive, server-initiated disconnect, reconnect; ping timeout against a frozen (SIGSTOP) server.
// Codec-independent in intent. Skips loudly when a column cannot run.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AsyncClient, Client, type SocketOptions } from "../src/client/index.js";
import { collect, next, open, shut } from "./client-helpers.js";
import { type PyServer, runnableColumns, startPyServer } from "./python/peers.js";

const BIG_TEXT = 900_000;
const BIG_BIN = 600_000;
const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));

describe("this project's clients → python-engineio servers", () => {
  for (const col of runnableColumns("this project's clients → python-engineio servers")) {
    for (const mode of col.modes) {
      describe(`python-engineio ${col.version} ${mode}`, { skip: col.skip }, () => {
        let py: PyServer;
        before(async () => {
          py = await startPyServer(col, mode, { ping_interval: 1, ping_timeout: 1 });
        });
        after(() => py?.close());

        const modes: Array<{ name: string; opts: SocketOptions; final: string }> = [
          { name: "polling", opts: { transports: ["polling"] }, final: "polling" },
          { name: "websocket", opts: { transports: ["websocket"] }, final: "websocket" },
          { name: "polling + upgrade", opts: {}, final: "websocket" },
        ];
        for (const m of modes) {
          test(`Socket ${m.name}: UTF-8, binary, near-maxPayload both ways, server close`, async (t) => {
            // python-engineio drops a POST of more than 16 packets
            const socket = await open(py.url, { ...m.opts, maxPacketsPerPost: 16 });
            t.after(() => shut(socket));
            if (socket.transport.name !== m.final) await next(socket, "upgrade");
            const got = collect(socket, 2);
            socket.send("hello € 😀 ✓");
            socket.send(new Uint8Array([0, 1, 254, 255]));
            const [a, b] = await got;
            assert.equal(a, "hello € 😀 ✓");
            assert.deepEqual([...(b as Buffer)], [0, 1, 254, 255]);
            // python-engineio's aiohttp driver reads a POST body with one StreamReader.read(length), which returns
            // only what is buffered (engineio/async_socket.py:111 with async_drivers/aiohttp.py:25, 4.13.1 and
            // 4.15.1): large uploads over polling are truncated by the peer, so they are only sent over WebSocket.
            const uploads =
              mode === "aiohttp" && m.final === "polling"
                ? []
                : ([
                    ["y".repeat(BIG_TEXT), (d: unknown) => assert.equal((d as string).length, BIG_TEXT)],
                    [pattern(BIG_BIN), (d: unknown) => assert.ok(pattern(BIG_BIN).equals(d as Buffer))],
                  ] as const);
            for (const [send, check] of [
              ...uploads,
              [`cmd:big:${BIG_TEXT}`, (d: unknown) => assert.equal((d as string).length, BIG_TEXT)],
              [`cmd:bigbin:${BIG_BIN}`, (d: unknown) => assert.ok(pattern(BIG_BIN).equals(d as Buffer))],
            ] as const) {
              const one = collect(socket, 1, 10000);
              socket.send(send);
              check((await one)[0]);
            }
            assert.equal(socket.transport.name, m.final);
            const sid = socket.id;
            const closed = next(socket, "close");
            socket.send("cmd:close");
            const [reason] = await closed;
            // over polling python-engineio may have answered the pending GET before the close packet was
            // queued; the next GET is then refused (400, session gone) and the close is a "transport error"
            const closeReasons =
              m.final === "polling" ? ["transport close", "transport error"] : ["transport close"];
            assert.ok(closeReasons.includes(reason as string), String(reason));
            const seen = await py.proc.event(
              (e) => e.ev === "disconnect" && e.sid === sid,
              "python disconnect",
            );
            assert.equal(seen.reason, col.reasons ? "server disconnect" : null);
          });
        }

        test("AsyncClient polling: JSON-looking text, and a burst of 60 messages (> 16 per POST) echoed in order", async (t) => {
          const client = new AsyncClient();
          t.after(() => client.disconnect());
          const got: unknown[] = [];
          client.on("message", (d) => {
            got.push(d);
          });
          await client.connect(py.url, { transports: ["polling"] });
          await client.send('{"a":[1,2]}');
          await py.proc.until(() => got.length === 1, "JSON echo");
          // python-engineio JSON-decodes text that looks like JSON and re-encodes it when sending
          assert.deepEqual(JSON.parse(got[0] as string), { a: [1, 2] });
          await Promise.all(Array.from({ length: 60 }, (_, i) => client.send(`m${i}`)));
          await py.proc.until(() => got.length === 61, "60 echoes");
          const want = Array.from({ length: 60 }, (_, i) => `m${i}`);
          // python-engineio's threading Server runs each message handler in its own thread (async_handlers,
          // engineio/server.py _trigger_event run_async): its echoes may come back reordered
          if (mode === "wsgi") assert.deepEqual([...(got.slice(1) as string[])].sort(), [...want].sort());
          else assert.deepEqual(got.slice(1), want);
        });

        test("Socket websocket: the python server sees 'client disconnect' when we close", async () => {
          const socket = await open(py.url, { transports: ["websocket"] });
          const sid = socket.id;
          await shut(socket);
          const seen = await py.proc.event(
            (e) => e.ev === "disconnect" && e.sid === sid,
            "python disconnect",
          );
          assert.equal(seen.reason, col.reasons ? "client disconnect" : null);
        });

        for (const [name, Ctor] of [
          ["Client", Client],
          ["AsyncClient", AsyncClient],
        ] as const) {
          test(`${name}: connect, send, receive, server disconnect, reconnect`, async (t) => {
            // both flavours share the event API; AsyncClient.send returns a Promise, Client.send does not
            const client = new Ctor() as Client;
            t.after(() => client.disconnect());
            const received: unknown[] = [];
            const reasons: string[] = [];
            client.on("message", (d) => {
              received.push(d);
            });
            client.on("disconnect", (r) => {
              reasons.push(r);
            });
            for (const round of [1, 2]) {
              await client.connect(py.url, { transports: ["polling", "websocket"] });
              assert.equal(typeof client.sid, "string");
              const before = received.length;
              await client.send(`round ${round}`);
              await client.send(new Uint8Array([round]));
              await py.proc.until(() => received.length >= before + 2, "echoes");
              assert.equal(received[before], `round ${round}`);
              assert.deepEqual([...(received[before + 1] as Buffer)], [round]);
              await client.send("cmd:close");
              await py.proc.until(
                () => reasons.length === round && client.state === "disconnected",
                "disconnect",
              );
            }
            // a python server closes with a close packet: python-engineio's client says "server disconnect" too
            assert.deepEqual(reasons, ["server disconnect", "server disconnect"]);
            // and our disconnect(): "client disconnect" on both sides (python-engineio's socket.py on a close packet)
            await client.connect(py.url, { transports: ["polling"] });
            const sid = client.sid;
            await client.disconnect();
            assert.equal(reasons.at(-1), "client disconnect");
            const seen = await py.proc.event(
              (e) => e.ev === "disconnect" && e.sid === sid,
              "python disconnect",
            );
            assert.equal(seen.reason, col.reasons ? "client disconnect" : null);
          });
        }

        test("Socket websocket: a frozen python server is dropped with 'ping timeout'", async (t) => {
          const socket = await open(py.url, { transports: ["websocket"] });
          t.after(async () => {
            py.proc.freeze(false);
            await shut(socket);
          });
          const closed = next(socket, "close", 8000);
          py.proc.freeze(true);
          const [reason] = await closed;
          py.proc.freeze(false);
          assert.equal(reason, "ping timeout");
        });
      });
    }
  }
});
