// @backends: once (codec-independent: the python matrix exercises the wire and the peers, not a backend)
// python-engineio clients (engineio.Client and engineio.AsyncClient) against this server, for every column of the
// python matrix (test/python/peers.ts: python-engineio 4.13.1 and the latest in .venv-py/, Debian's 4.3.4):
// polling, WebSocket and the upgrade; UTF-8 text and binary both ways; messages near maxPayload; the
// disconnect reasons each side sees for a server-initiated and a client-initiated close; reconnecting with the
// same client object; ping timeout (the python process is stopped with SIGSTOP). Skips loudly when a column cannot run.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type PyEvent, type PyProcess, runnableColumns, startPyClient } from "./python/peers.js";
import { type Harness, startServer, waitFor } from "./server-helpers.js";

const MAX = 1_000_000;
const BIG_TEXT = 900_000; // "4" + text stays under maxHttpBufferSize on polling
const BIG_BIN = 600_000; // "b" + base64 (800 000 bytes) stays under it on polling

// the columns run side by side, two tests at a time in each (every test has its own python process; sessions are
// told apart by sid): most of a test's time is python-engineio's reconnect waiting out its write loop's queue timeout (see below), not CPU
describe("python-engineio clients → this server", { concurrency: true }, () => {
  let h: Harness;
  // the ping-timeout tests' own server: a short heartbeat so a frozen client is dropped quickly. The message
  // tests keep a heartbeat with room to spare: a python polling client that is busy posting 900 KB under a
  // loaded machine (the coverage pass) must not miss a 1 s pong deadline and turn into "ping timeout"
  let fast: Harness;
  const disconnects = new Map<string, string>();
  before(async () => {
    fast = await startServer({ pingInterval: 500, pingTimeout: 1000 });
    fast.engine.on("disconnect", (sid, reason) => disconnects.set(sid, reason));
    h = await startServer({ pingInterval: 2000, pingTimeout: 5000, maxHttpBufferSize: MAX });
    h.engine.on("message", (sid, data) => {
      if (typeof data === "string" && data.startsWith("cmd:")) {
        const [, cmd, n] = data.split(":");
        if (cmd === "close") h.engine.disconnect(sid);
        else if (cmd === "big") h.engine.send(sid, "z".repeat(Number(n)));
        else if (cmd === "bigbin")
          h.engine.send(sid, Buffer.from(Array.from({ length: Number(n) }, (_, i) => i % 256)));
        return;
      }
      h.engine.send(sid, data);
    });
    h.engine.on("disconnect", (sid, reason) => disconnects.set(sid, reason));
  });
  after(async () => {
    await h.close();
    await fast.close();
  });

  const connected = async (
    py: PyProcess,
    from: number,
    transport: string,
    ms = 10000,
    on: Harness = h,
  ): Promise<string> => {
    py.command("connect");
    const c = await py.event((e) => e.ev === "connect" || e.ev === "error", "connect", from, ms);
    assert.equal(c.ev, "connect", JSON.stringify(c));
    if (transport === "websocket" && c.transport !== "websocket")
      await waitFor(() => on.engine.transport(c.sid as string) === "websocket", 5000, "upgrade");
    return c.sid as string;
  };
  const messages = (py: PyProcess, from: number, n: number): Promise<PyEvent[]> =>
    py.until(() => {
      const m = py.events.slice(from).filter((e) => e.ev === "message");
      return m.length >= n && m.slice(0, n);
    }, `${n} messages`);

  for (const col of runnableColumns("python-engineio clients → this server")) {
    describe(`python-engineio ${col.version}`, { skip: col.skip, concurrency: 2 }, () => {
      for (const flavour of ["sync", "async"] as const) {
        for (const [transports, final] of [
          ["polling", "polling"],
          ["websocket", "websocket"],
          ["polling,websocket", "websocket"],
        ] as const) {
          test(`${flavour === "sync" ? "Client" : "AsyncClient"} ${transports}: UTF-8, binary, near-maxPayload, server close, reconnect`, async (t) => {
            const py = startPyClient(col, flavour, h.url, transports);
            t.after(() => py.close());
            const sid = await connected(py, 0, final);
            assert.equal(h.engine.transport(sid), final);
            let from = py.events.length;
            // python-engineio 4.3.4's Client posts text through requests as latin-1 (UnicodeEncodeError on "€")
            const text = col.version === "4.3.4" && flavour === "sync" ? "hello ascii" : "hello € 😀 ✓";
            py.command(`send ${JSON.stringify(text)}`);
            py.command("sendbin 0001feff");
            const [a, b] = await messages(py, from, 2);
            assert.deepEqual([a!.text, a!.head], [[...text].length, text]);
            assert.deepEqual([b!.bin, b!.head], [4, [0, 1, 254, 255]]);
            // one large message at a time: python-engineio's polling client puts every queued packet in one POST
            // and does not split by maxPayload (a POST above maxHttpBufferSize is refused by any server)
            for (const [cmd, check] of [
              [`sendbig ${BIG_TEXT}`, (m: PyEvent) => assert.equal(m.text, BIG_TEXT)],
              [
                `sendbigbin ${BIG_BIN}`,
                (m: PyEvent) => assert.deepEqual([m.bin, m.pattern], [BIG_BIN, true]),
              ],
              [`send "cmd:big:${BIG_TEXT}"`, (m: PyEvent) => assert.equal(m.text, BIG_TEXT)],
              [
                `send "cmd:bigbin:${BIG_BIN}"`,
                (m: PyEvent) => assert.deepEqual([m.bin, m.pattern], [BIG_BIN, true]),
              ],
            ] as const) {
              from = py.events.length;
              py.command(cmd);
              const [m] = await messages(py, from, 1);
              check(m!);
            }
            // server-initiated close: python sees "server disconnect" (reason-less before 4.11)
            from = py.events.length;
            h.engine.disconnect(sid);
            const gone = await py.event((x) => x.ev === "disconnect", "python disconnect", from);
            assert.equal(gone.reason, col.reasons ? "server disconnect" : null);
            await waitFor(() => disconnects.has(sid), 5000, "server-side disconnect");
            assert.equal(disconnects.get(sid), "server disconnect"); // python-engineio's name, as its servers say
            // the same client object connects again and gets a new session. The driver first waits for the
            // old session's read loop to end (eio_client.py: wait()), which can take up to python-engineio's
            // write-loop queue timeout, max(pingInterval, pingTimeout) + 5 s = 10 s here: hence the longer bound
            from = py.events.length;
            const sid2 = await connected(py, from, final, 20000);
            assert.notEqual(sid2, sid);
            py.command(`send ${JSON.stringify("again")}`);
            const [again] = await messages(py, py.events.length - 1, 1);
            assert.equal(again!.head, "again");
            // client-initiated close
            from = py.events.length;
            py.command("disconnect");
            if (col.reasons) {
              const mine = await py.event((x) => x.ev === "disconnect", "python disconnect", from);
              assert.equal(mine.reason, "client disconnect");
            } else {
              // 4.3.4's AsyncClient does not always call its own disconnect handler on a client-initiated close
              // over polling (seen under load; fixed in later releases): wait for disconnect() to return instead
              await py.event(
                (x) => x.ev === "disconnect" || x.ev === "disconnected",
                "python disconnect",
                from,
              );
            }
            // every version's write loop runs `while self.state == 'connected'` and disconnect() sets
            // 'disconnecting' right after queueing the close packet (engineio/client.py _write_loop and
            // disconnect()): a loop still inside an earlier POST then exits without sending it, and the server only
            // learns of the close from the missing pong (pingInterval + pingTimeout = 7 s here). The driver waits
            // for the earlier POSTs to finish before it disconnects (eio_client.py), which closes that window (it
            // flaked on 4.15.1 before). Debian's 4.3.4 keeps the tolerance it had before the driver waited (not
            // re-measured with the wait)
            const lostClose = !col.reasons && final === "polling";
            await waitFor(() => disconnects.has(sid2), lostClose ? 12_000 : 5000, "server-side disconnect");
            // python-engineio's disconnect() queues its close packet for the write loop and closes the WebSocket at
            // once (engineio/client.py:124-131, async_client.py:166-173): over WebSocket the packet usually loses,
            // and python-engineio's own server then says "transport close" too (socket.py:254)
            const expected =
              final === "websocket"
                ? ["client disconnect", "transport close"]
                : lostClose
                  ? ["client disconnect", "ping timeout"]
                  : ["client disconnect"];
            assert.ok(expected.includes(disconnects.get(sid2)!), disconnects.get(sid2));
          });
        }
      }

      test(`Client websocket: a killed python client (no close packet) is "transport close"`, async (t) => {
        const py = startPyClient(col, "sync", h.url, "websocket");
        t.after(() => py.close());
        const sid = await connected(py, 0, "websocket");
        await py.close();
        await waitFor(() => disconnects.has(sid), 5000, "transport close");
        assert.equal(disconnects.get(sid), "transport close");
      });

      for (const transports of ["polling", "websocket"]) {
        test(`Client ${transports}: a frozen python client is dropped with "ping timeout"`, async (t) => {
          const py = startPyClient(col, "sync", fast.url, transports);
          t.after(async () => {
            py.freeze(false);
            await py.close();
          });
          const sid = await connected(py, 0, transports, 10000, fast);
          py.freeze(true);
          await waitFor(() => disconnects.has(sid), 8000, "ping timeout");
          assert.equal(disconnects.get(sid), "ping timeout");
        });
      }
    });
  }
});
