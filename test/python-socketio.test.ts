// @backends: once (codec-independent: the python matrix exercises the wire and the peers, not a backend)
// socket.io 4.8 bound to this engine (`io.bind(engine)`) with the python-socketio client (socketio.Client and
// socketio.AsyncClient) of every column of the python matrix (test/python/peers.ts: the python-socketio that
// pip pairs with python-engineio 4.13.1 and with the latest; Debian's 5.7.2 on 4.3.4): connect on each
// transport, emit with acknowledgement (UTF-8, JSON, binary attachments), rooms and broadcast, heartbeats (the
// engine's pings answered), server-initiated disconnect and the reasons both sides see. Skips loudly when a column cannot run.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Server as IoServer } from "socket.io";
import { runnableColumns, startPyScript } from "./python/peers.js";
import { engineOf, type Harness, startServer, waitFor } from "./server-helpers.js";

describe("python-socketio clients → socket.io on this engine", () => {
  let h: Harness;
  let io: IoServer;
  const serverReasons = new Map<string, string>();
  before(async () => {
    h = await startServer({ path: "/socket.io", pingInterval: 300, pingTimeout: 2000 });
    io = new IoServer();
    io.bind(engineOf(h.engine));
    io.on("connection", (socket) => {
      let beats = 0;
      socket.conn.on("heartbeat", () => beats++);
      socket.on("echo", (...args: unknown[]) => {
        const ack = args.pop() as (...a: unknown[]) => void;
        ack(...args);
      });
      socket.on("join", (room: string, ack: () => void) => {
        socket.join(room);
        ack();
      });
      socket.on("shout", (room: string, msg: string) => io.to(room).emit("shouted", msg));
      socket.on("heartbeats", (ack: (n: number) => void) => ack(beats));
      socket.on("bye", () => socket.disconnect(true));
      // python-socketio's `sid` is the engine.io session id in some versions, the namespace sid in others
      socket.on("disconnect", (reason) => {
        serverReasons.set(socket.id, reason);
        serverReasons.set((socket.conn as unknown as { id: string }).id, reason);
      });
    });
  });
  after(async () => {
    io.close();
    await h.close();
  });

  for (const col of runnableColumns("python-socketio clients → socket.io on this engine")) {
    describe(`python-engineio ${col.version}`, { skip: col.skip }, () => {
      for (const flavour of ["sync", "async"] as const) {
        for (const [transports, final] of [
          ["polling", "polling"],
          ["websocket", "websocket"],
          ["polling,websocket", "websocket"],
        ] as const) {
          test(`${flavour === "sync" ? "Client" : "AsyncClient"} ${transports}: ack, binary, rooms, heartbeats, server disconnect`, async (t) => {
            const py = startPyScript(col, "sio_client.py", [flavour, h.url, transports]);
            t.after(() => py.close());
            const ev = (name: string) => py.event((e) => e.ev === name, name, 0, 15000);
            const connect = await ev("connect");
            assert.equal(typeof connect.sid, "string");
            assert.deepEqual((await ev("ack")).value, ["hello € 😀", { n: 1 }]);
            assert.deepEqual((await ev("binack")).value, [{ hex: "0001ff" }, { inner: { hex: "07" } }]);
            assert.equal((await ev("room")).msg, "to the room");
            const beats = await ev("heartbeats");
            assert.ok((beats.count as number) >= 2, JSON.stringify(beats));
            assert.equal(beats.transport, final);
            const state = await ev("state");
            assert.equal(state.connected, false);
            const gone = py.events.find((e) => e.ev === "disconnect");
            // python-socketio passes python-engineio's reason names (socketio/client.py:385, 5.16.1); its sync
            // Client races its handler thread against its read loop on a server disconnect (see sio_client.py),
            // so there the handler may not run, or first see the transport end ("transport error")
            if (flavour === "async" || gone) {
              const allowed =
                flavour === "async" ? ["server disconnect"] : ["server disconnect", "transport error"];
              if (col.reasons) assert.ok(allowed.includes(gone?.reason as string), JSON.stringify(py.events));
              else assert.equal(gone?.reason, null);
            }
            await ev("done");
            await waitFor(() => serverReasons.has(connect.sid as string), 5000, "server-side disconnect");
            assert.equal(serverReasons.get(connect.sid as string), "server namespace disconnect");
          });
        }
      }
    });
  }
});
