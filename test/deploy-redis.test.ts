// @backends: once
// socket.io on this engine in 3 processes behind the Redis adapters, on a real redis-server started here (nothing
// persisted): broadcasts from one process reach every client on the others exactly once; rooms, fetchSockets()
// and serverSideEmit across processes, for @socket.io/redis-adapter (PUBLISH and the sharded SPUBLISH adapter)
// and @socket.io/redis-streams-adapter; then the streams adapter's connection state recovery: a client whose
// transport drops resumes on another process with the events it missed, and so does a client of a process
// stopped by SIGTERM (drained with "server shutting down").
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REDIS_SERVER, seen, startRedis, stop, stopAll, tcpSwitch } from "./cluster-helpers.js";
import { type IoNode, ioConnect, type Recorded, startIoNodes, until } from "./socketio-cluster-helpers.js";

const missing = !existsSync(REDIS_SERVER);
if (missing) console.log(`!!! ${REDIS_SERVER} not installed (apt-get install redis-server): skipping`);

/** The close reasons after which socket.io keeps a session for recovery (socket.io/lib/socket.ts). */
const RECOVERABLE = [
  "transport error",
  "transport close",
  "forced close",
  "ping timeout",
  "server shutting down",
];

describe("socket.io across 3 processes through Redis", { timeout: 60_000, skip: missing }, () => {
  const dir = mkdtempSync(join(tmpdir(), "eio-redis-"));
  let redisUrl = "";
  before(async () => {
    redisUrl = (await startRedis(dir)).url;
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ["redis", "sharded", "streams"] as const) {
    describe(`${kind} adapter`, () => {
      let nodes: IoNode[] = [];
      const clients: Recorded[] = [];
      before(async () => {
        nodes = await startIoNodes(["s1", "s2", "s3"], kind, redisUrl);
        // two clients per process, polling-only and upgrading, connected straight to their process
        for (const n of nodes)
          for (const transports of [["polling"], ["polling", "websocket"]])
            clients.push(await ioConnect(`http://127.0.0.1:${n.port}`, { transports }));
      });
      after(async () => {
        for (const c of clients) c.socket.close();
        await Promise.all(nodes.map((n) => stop(n.child)));
      });

      test("a broadcast from a client on one process reaches every client on every process exactly once", async () => {
        const sender = clients[0]!;
        for (const [i, from] of [clients[0]!, clients[2]!, clients[5]!].entries()) {
          await from.socket.timeout(5000).emitWithAck("bcast", `m${i}`);
          await until(() => clients.every((c) => c.b.length > i), `m${i} everywhere`);
        }
        // each later broadcast acts as a barrier: a duplicate of an earlier one would show up before it
        for (const c of clients) assert.deepEqual(c.b, ["m0", "m1", "m2"]);
        assert.ok(sender.socket.connected);
      });

      test("rooms: a room spans processes and only its members receive", async () => {
        const [a, , b, , c] = clients;
        await a!.socket.timeout(5000).emitWithAck("join", "room1");
        await c!.socket.timeout(5000).emitWithAck("join", "room1");
        await b!.socket.timeout(5000).emitWithAck("toRoom", "room1", "x");
        await until(() => a!.r.length === 1 && c!.r.length === 1, "room message");
        // barrier: a broadcast after the room message; by then a wrong delivery would have arrived
        await b!.socket.timeout(5000).emitWithAck("bcast", "end-rooms");
        await until(() => clients.every((k) => k.b.includes("end-rooms")), "barrier");
        for (const k of clients) assert.deepEqual(k.r, k === a || k === c ? ["x"] : []);
      });

      test("fetchSockets() lists every socket of the cluster with its rooms; serverSideEmit reaches the other processes", async () => {
        const list = (await clients[3]!.socket.timeout(5000).emitWithAck("fetch")) as {
          id: string;
          rooms: string[];
        }[];
        assert.deepEqual(list.map((s) => s.id).sort(), clients.map((c) => c.socket.id).sort());
        const room = list.find((s) => s.id === clients[0]!.socket.id)!;
        assert.ok(room.rooms.includes("room1"), JSON.stringify(room));
        const answers = await clients[0]!.socket.timeout(5000).emitWithAck("sse");
        assert.deepEqual(answers, ["s2<-s1", "s3<-s1"]);
      });

      /**
       * While `x` (socket id `id`) is away, two broadcasts go out; then its parked reconnection is released to
       * `b` (s2), where it must resume with `recovered`, the same id and every event it missed, in order.
       */
      const missesThenResumes = async (
        x: Recorded,
        id: string,
        sender: Recorded,
        relay: Awaited<ReturnType<typeof tcpSwitch>>,
        b: IoNode,
      ): Promise<void> => {
        await sender.socket.timeout(5000).emitWithAck("bcast", "missed1");
        await sender.socket.timeout(5000).emitWithAck("bcast", "missed2");
        relay.release(b.port);
        await seen(b.child, new RegExp(`^CONN ${id} true$`));
        await until(() => x.socket.connected, "reconnected");
        assert.equal(x.socket.recovered, true);
        assert.equal(x.socket.id, id, "same socket id after recovery");
        assert.equal(await x.socket.timeout(5000).emitWithAck("whoami"), "s2");
        await sender.socket.timeout(5000).emitWithAck("bcast", "after");
        await until(() => x.b.includes("after"), "after");
        assert.deepEqual(
          x.b.filter((m) => typeof m === "string" && !/^m\d$|^end-/.test(m)),
          ["before", "missed1", "missed2", "after"],
        );
      };

      if (kind === "streams")
        for (const transport of ["websocket", "polling"])
          test(`connection state recovery (${transport}): a dropped client resumes on another process with the missed events`, async () => {
            const [a, b, c] = nodes as [IoNode, IoNode, IoNode];
            const relay = await tcpSwitch(a.port);
            const sender = clients[4]!; // on s3
            let opened: Recorded | undefined;
            try {
              const x = await ioConnect(`http://127.0.0.1:${relay.port}`, {
                transports: [transport],
                reconnection: true,
                reconnectionDelay: 50,
                reconnectionDelayMax: 100,
              });
              opened = x;
              assert.equal(await x.socket.timeout(5000).emitWithAck("whoami"), "s1");
              const id = x.socket.id!;
              await sender.socket.timeout(5000).emitWithAck("bcast", "before");
              await until(() => x.b.includes("before"), "before");
              // the transport dies without a close handshake; reconnections are parked until released to s2
              relay.hold();
              relay.drop();
              const reason = (await seen(a.child, new RegExp(`^DISCONNECT ${id} (.+)$`)))[1]!;
              assert.ok(
                RECOVERABLE.includes(reason),
                `close reason "${reason}" is one socket.io recovers from`,
              );
              await missesThenResumes(x, id, sender, relay, b);
              assert.ok(c.child.proc.exitCode === null);
              console.log(`# recovery over ${transport}: close reason on the old process "${reason}"`);
            } finally {
              opened?.socket.close();
              await relay.close();
            }
          });

      if (kind === "streams")
        for (const [transport, id] of [
          ["websocket", "s4"],
          ["polling", "s5"],
        ] as const)
          test(`connection state recovery (${transport}) after SIGTERM: a client of the drained process resumes on another with the events it missed`, async () => {
            const b = nodes[1]!;
            const sender = clients[4]!; // on s3
            // a process of its own, since this one is stopped
            const [d] = (await startIoNodes([id], "streams", redisUrl)) as [IoNode];
            const relay = await tcpSwitch(d.port);
            let opened: Recorded | undefined;
            try {
              const x = await ioConnect(`http://127.0.0.1:${relay.port}`, {
                transports: [transport],
                reconnection: true,
                reconnectionDelay: 50,
                reconnectionDelayMax: 100,
              });
              opened = x;
              assert.equal(await x.socket.timeout(5000).emitWithAck("whoami"), id);
              const sid = x.socket.id!;
              await sender.socket.timeout(5000).emitWithAck("bcast", "before");
              await until(() => x.b.includes("before"), "before");
              const clientReason = new Promise<string>((resolve) => x.socket.once("disconnect", resolve));
              // the balancer takes the drained process out: reconnections are parked until released to s2
              relay.hold();
              d.child.proc.kill("SIGTERM");
              const reason = (await seen(d.child, new RegExp(`^DISCONNECT ${sid} (.+)$`)))[1]!;
              assert.equal(reason, "server shutting down");
              assert.equal(await clientReason, "transport close");
              await seen(d.child, /^DRAINED$/);
              // exit 0 after quit(): the persisted session reached Redis before the process left
              assert.deepEqual(await d.child.exited, { code: 0, signal: null });
              await missesThenResumes(x, sid, sender, relay, b);
              console.log(
                `# recovery after SIGTERM over ${transport}: server reason "${reason}", client reason "transport close", recovered on s2 with both missed events`,
              );
            } finally {
              opened?.socket.close();
              await relay.close();
              await stop(d.child);
            }
          });
    });
  }
});
