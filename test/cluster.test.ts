// engineio-wasm/cluster for real: a node:cluster primary with 2 workers, routing by the sid prefix,
// per request on keep-alive connections, restarting a SIGKILLed worker, draining on SIGTERM — in each routing:
// handover (the primary hands each connection over), shared (the workers accept themselves), relay.
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { connect, type Socket as NetSocket } from "node:net";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Socket } from "../src/client/index.js";
import { runCluster } from "../src/cluster/index.js";
import { collect, next, open, shut } from "./client-helpers.js";
import { type Child, seen, signalGroup, start, stopAll } from "./cluster-helpers.js";
import { waitFor } from "./server-helpers.js";

const APP = fileURLToPath(new URL("./fixtures/cluster-app.ts", import.meta.url));
const P = "/engine.io/";

function http(
  port: number,
  method: string,
  path: string,
  opts: { agent?: Agent | false; body?: string } = {},
): Promise<{ status: number; text: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: opts.agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, reused: req.reusedSocket }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

async function handshake(port: number, agent?: Agent | false): Promise<string> {
  const r = await http(port, "GET", `${P}?EIO=4&transport=polling`, { agent });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text.split("\x1e")[0]!.slice(1)).sid;
}

/**
 * Handshakes on new connections until one lands on worker `prefix` (bounded). With routing "shared" the kernel
 * picks the accepting worker (and a handshake is served where it is accepted); with handover least-connections
 * alternates.
 */
async function sidOn(port: number, prefix: string): Promise<string> {
  for (let i = 0; i < 40; i++) {
    const sid = await handshake(port, false);
    if (sid.startsWith(prefix)) return sid;
  }
  throw new Error(`no handshake reached ${prefix} in 40 connections`);
}

/** Sends "whoami" on a polling session and returns the answer ("<nodeId>:<pid>"), skipping pings. */
async function whoami(port: number, sid: string, agent?: Agent): Promise<string> {
  const post = await http(port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, {
    agent,
    body: "4whoami",
  });
  assert.equal(post.status, 200, post.text);
  for (let i = 0; i < 10; i++) {
    const r = await http(port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`, { agent });
    assert.equal(r.status, 200, r.text);
    for (const p of r.text.split("\x1e")) if (p.startsWith("4")) return p.slice(1);
    // a ping arrived first: answer it so the session stays up
    await http(port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, { agent, body: "3" });
  }
  throw new Error("no whoami answer in 10 polls");
}

/** Writes one request on `sock` and resolves with its response's body (Content-Length framed). */
function exchange(sock: NetSocket, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const len = Number(/content-length: *(\d+)/i.exec(buf.toString("latin1", 0, end))?.[1] ?? "0");
      if (buf.length < end + 4 + len) return;
      sock.off("data", onData).off("error", reject).off("close", onClose);
      clearTimeout(t);
      resolve(buf.toString("utf8", end + 4, end + 4 + len));
    };
    const onClose = (): void => reject(new Error(`connection closed; got ${JSON.stringify(String(buf))}`));
    sock.on("data", onData).once("error", reject).once("close", onClose);
    const t = setTimeout(() => reject(new Error(`no response; got ${JSON.stringify(String(buf))}`)), 10_000);
    sock.write(request);
  });
}

/** A masked client WebSocket text frame (payload < 126 bytes). */
function wsFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([
    Buffer.from([0x81, 0x80 | payload.length]),
    mask,
    payload.map((b, i) => b ^ mask[i % 4]!),
  ]);
}

/** The routing tests every routing must pass, on a started cluster at `portOf()`. */
function routingTests(portOf: () => number, handedOver: boolean, upgrade: "handed" | "tunnelled"): void {
  test(`a WebSocket upgrade of the other worker's session, on a connection that carried one of this worker's, reaches its owner (${upgrade})`, async () => {
    const sock = connect(portOf(), "127.0.0.1");
    try {
      await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
      const hs = await exchange(sock, `GET ${P}?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n`);
      const own = JSON.parse(hs.split("\x1e")[0]!.slice(1)).sid as string;
      const foreign = await sidOn(portOf(), own.startsWith("w0") ? "w1" : "w0");
      let text = "";
      const got = async (re: RegExp): Promise<RegExpExecArray> => {
        await waitFor(() => re.test(text), 10_000, `${re} in ${JSON.stringify(text)}`);
        return re.exec(text)!;
      };
      sock.setEncoding("latin1").on("data", (d: string) => {
        text += d;
      });
      sock.write(
        `GET ${P}?EIO=4&transport=websocket&sid=${foreign} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n` +
          "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
      await got(/^HTTP\/1\.1 101 /);
      // the Engine.IO upgrade (probe, then 5), then a message the owner answers with its node id
      sock.write(wsFrame("2probe"));
      await got(/3probe/);
      sock.write(wsFrame("5"));
      sock.write(wsFrame("4upgradeport"));
      const m = await got(new RegExp(`4${foreign.slice(0, 2)}:(\\d+)`));
      // passed to the owner (shared: through the primary; relay: by the primary) it sees the client's own port;
      // tunnelled by the worker that had the connection (handover), that worker's
      if (upgrade === "handed") assert.equal(Number(m[1]), sock.localPort);
      else assert.notEqual(Number(m[1]), sock.localPort);
    } finally {
      sock.destroy();
    }
  });

  test("keep-alive: one connection carries requests of sessions on different workers (socket.io-sticky#8)", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await sidOn(portOf(), "w0");
      const b = await sidOn(portOf(), "w1");
      let reusedAll = true;
      for (let round = 0; round < 3; round++) {
        for (const sid of [a, b]) {
          const who = await whoami(portOf(), sid, agent);
          assert.equal(who.split(":")[0], sid.slice(0, 2));
        }
        const r = await http(portOf(), "GET", `${P}?EIO=4&transport=polling`, { agent });
        reusedAll &&= r.reused;
      }
      assert.ok(reusedAll, "the requests went over the one kept-alive connection");
    } finally {
      agent.destroy();
    }
  });

  test("pipelined requests of two workers' sessions on one raw connection (one chunked) come back in order", async () => {
    const a = await sidOn(portOf(), "w0");
    const b = await sidOn(portOf(), "w1");
    const q = (sid: string) => `${P}?EIO=4&transport=polling&sid=${sid}`;
    const sock = connect(portOf(), "127.0.0.1");
    let text = "";
    sock.setEncoding("latin1").on("data", (d: string) => {
      text += d;
    });
    sock.write(
      `POST ${q(a)} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n4wh\r\n4\r\noami\r\n0\r\n\r\n` +
        `GET ${q(a)} HTTP/1.1\r\nHost: x\r\n\r\n` +
        `POST ${q(b)} HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n4whoami` +
        `GET ${q(b)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    try {
      for (let i = 0; i < 500 && !(text.includes("4w0:") && text.includes("4w1:")); i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, 4, text);
      assert.ok(text.indexOf("4w0:") > 0 && text.indexOf("4w0:") < text.indexOf("4w1:"), text);
    } finally {
      sock.destroy();
    }
  });

  test(`${handedOver ? "a connection is handed to its worker at its first request (the worker sees the client's own port); a later request of the other worker's session on it is forwarded to its owner" : "relayed: the worker sees the primary's port; a later request of the other worker's session reaches its owner"}`, async () => {
    const sock = connect(portOf(), "127.0.0.1");
    try {
      await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
      const hs = await exchange(sock, `GET ${P}?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n`);
      const sid = JSON.parse(hs.split("\x1e")[0]!.slice(1)).sid as string;
      const q = `${P}?EIO=4&transport=polling&sid=${sid}`;
      assert.equal(
        await exchange(sock, `POST ${q} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n4port`),
        "ok",
      );
      const got = await exchange(sock, `GET ${q} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const seenPort = got.split("\x1e").find((m) => m.startsWith(`4${sid.slice(0, 2)}:`));
      assert.ok(seenPort, got);
      // relayed, the worker sees the port of the primary's upstream connection instead
      if (handedOver) assert.equal(seenPort, `4${sid.slice(0, 2)}:${sock.localPort}`);
      else assert.notEqual(seenPort, `4${sid.slice(0, 2)}:${sock.localPort}`);
      // Later on the same connection (handed over: now served by that worker's own HTTP server), a session of the
      // other worker: its requests must reach the other worker's engine (forwarded), never be answered here
      const other = sid.startsWith("w0") ? "w1" : "w0";
      const foreign = await sidOn(portOf(), other);
      const fq = `${P}?EIO=4&transport=polling&sid=${foreign}`;
      for (let round = 0; round < 2; round++) {
        assert.equal(
          await exchange(sock, `POST ${fq} HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n4whoami`),
          "ok",
        );
        const answer = await exchange(sock, `GET ${fq} HTTP/1.1\r\nHost: x\r\n\r\n`);
        assert.ok(
          answer.split("\x1e").some((m) => m.startsWith(`4${other}:`)),
          answer,
        );
        // and the connection's own session still answers from its worker
        assert.equal(
          await exchange(sock, `POST ${q} HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n4whoami`),
          "ok",
        );
        const own = await exchange(sock, `GET ${q} HTTP/1.1\r\nHost: x\r\n\r\n`);
        assert.ok(
          own.split("\x1e").some((m) => m.startsWith(`4${sid.slice(0, 2)}:`)),
          own,
        );
      }
    } finally {
      sock.destroy();
    }
  });
}

/** The whole life of a 2-worker cluster in `routing`: routing, clients, a restart, a graceful SIGTERM. */
function clusterSuite(routing: "handover" | "shared"): void {
  let c: Child;
  let port = 0;
  after(stopAll);

  test("starts 2 workers and listens", async () => {
    c = start(process.execPath, ["--import", "tsx", APP, "2", "least-connections", routing]);
    const m = await seen(c, /^READY (\d+) (.*)$/);
    port = Number(m[1]);
    const pids = JSON.parse(m[2]!) as Record<string, number>;
    assert.deepEqual(Object.keys(pids).sort(), ["w0", "w1"]);
  });

  if (routing === "handover")
    test("handshakes are balanced; every sid carries its worker's node id", async () => {
      const sids = await Promise.all(Array.from({ length: 6 }, () => handshake(port)));
      const prefixes = new Set(sids.map((s) => s.slice(0, 2)));
      assert.deepEqual([...prefixes].sort(), ["w0", "w1"]);
      for (const s of sids) assert.match(s, /^w[01][\w-]{18}$/);
      for (const s of sids) assert.equal((await whoami(port, s)).split(":")[0], s.slice(0, 2));
    });
  else
    test("both workers accept (the kernel spreads new connections); every sid carries its worker's node id", async () => {
      const sids = [await sidOn(port, "w0"), await sidOn(port, "w1")];
      for (const s of sids) assert.match(s, /^w[01][\w-]{18}$/);
      // over the global agent's kept-alive connections, whichever worker accepted them: forwarded when foreign
      for (const s of sids) assert.equal((await whoami(port, s)).split(":")[0], s.slice(0, 2));
    });

  routingTests(() => port, true, routing === "shared" ? "handed" : "tunnelled");

  test("this project's client: polling-only and upgrading, echo across heartbeats", async () => {
    const polling = await open(`http://127.0.0.1:${port}`, { transports: ["polling"] });
    const upgrading = await open(`http://127.0.0.1:${port}`);
    try {
      if (upgrading.transport?.name !== "websocket") await next(upgrading, "upgrade", 5000);
      for (const s of [polling, upgrading]) {
        // pingInterval 300 ms: waiting for 3 pings proves the session survives heartbeats through the primary
        for (let i = 0; i < 3; i++) await next(s, "ping", 5000);
        const got = collect(s, 1);
        s.send("whoami");
        const [who] = await got;
        assert.equal(String(who).split(":")[0], s.id!.slice(0, 2));
      }
    } finally {
      await shut(polling);
      await shut(upgrading);
    }
  });

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  test("a SIGKILLed worker is restarted with the same node id; new handshakes reach it", async () => {
    const before = JSON.parse((await seen(c, /^READY \d+ (.*)$/))[1]!) as Record<string, number>;
    // A connection handed to w0 that also carries a session of w1 (forwarded by w0): it dies with w0, the w1
    // session does not (its client goes on over a new connection, as after any dropped keep-alive connection)
    // bounded: least-connections alternates (shared: the kernel spreads), so a handshake lands on w0 soon
    let sock: NetSocket | undefined;
    for (let i = 0; i < 40 && sock === undefined; i++) {
      const s = connect(port, "127.0.0.1");
      s.on("error", () => {});
      const hs = await exchange(s, `GET ${P}?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n`);
      if ((JSON.parse(hs.split("\x1e")[0]!.slice(1)).sid as string).startsWith("w0")) sock = s;
      else s.destroy();
    }
    assert.ok(sock, "a connection handed to w0");
    const sockClosed = new Promise<void>((resolve) => sock!.once("close", () => resolve()));
    // only now: a session nobody answers pings for lives pingInterval + pingTimeout (2.3 s) after its handshake
    const w1sid = await sidOn(port, "w1");
    const fq = `${P}?EIO=4&transport=polling&sid=${w1sid}`;
    assert.equal(await exchange(sock, `POST ${fq} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n6`), "ok");
    process.kill(before.w0!, "SIGKILL");
    await sockClosed;
    // over new connections: an idle kept-alive connection of the global agent that was handed to w0 died with
    // it too, and the agent may not have seen its close yet (reusing it: ECONNRESET "socket hang up")
    const fresh = new Agent({ keepAlive: false });
    assert.match(
      await whoami(port, w1sid, fresh),
      /^w1:/,
      "the w1 session carried on w0's connection lives on",
    );
    fresh.destroy();
    const fresh2 = (): Agent => new Agent({ keepAlive: false });
    // once the pid is gone the primary has reaped it, and in the same callback marked the slot not ready, so the
    // next `pids` waits for the restarted worker
    await waitFor(() => !alive(before.w0!), 10_000, "the killed worker to be reaped");
    c.proc.stdin!.write("pids\n");
    // ready() resolves only once w0 is up again, so the printed pid is the new one
    let now: Record<string, number> = before;
    for (let i = 0; i < 20 && now.w0 === before.w0; i++) {
      now = JSON.parse((await c.line(/^PIDS (.*)$/))[1]!);
      if (now.w0 === before.w0) c.proc.stdin!.write("pids\n");
    }
    assert.notEqual(now.w0, before.w0);
    assert.equal(now.w1, before.w1);
    // over new connections: the global agent's kept-alive ones may have been accepted by (or handed to) old w0
    const w0sid = await sidOn(port, "w0");
    assert.equal(await whoami(port, w0sid, fresh2()), `w0:${now.w0}`);
  });

  test("SIGTERM: sessions close with `server shutting down`, a pending poll gets its close packet", async () => {
    const socket = new Socket(`http://127.0.0.1:${port}`, { transports: ["polling"] });
    await next(socket, "open", 5000);
    // One keep-alive connection, already accepted by the primary before the signal: a connection still in the
    // kernel's accept queue when the primary stops listening is refused, which is not what this test is about.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sid = await handshake(port, agent);
    const pending = http(port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`, { agent });
    // A POST on another connection, answered only once its worker handled it: the GET sent before it on an
    // open connection has then been read by the primary and forwarded (the state the signal must find).
    const noop = await http(port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, { body: "6" });
    assert.equal(noop.status, 200);
    const closed = next<[string, unknown]>(socket, "close", 10_000);
    signalGroup(c, "SIGTERM");
    const r = await pending;
    assert.equal(r.status, 200);
    assert.ok(r.text.split("\x1e").includes("1"), `close packet in ${JSON.stringify(r.text)}`);
    const [reason] = await closed;
    // the client sees the server's close packet
    assert.equal(reason, "transport close");
    const { code } = await c.exited;
    agent.destroy();
    assert.equal(code, 0);
  });
}

test("bad routing and balance options throw a RangeError with code EIO_ERR_INVALID_ARG before any fork", async () => {
  const worker = (): never => {
    throw new Error("not forked");
  };
  for (const opts of [{ routing: "sticky" }, { routing: 1 }, { balance: "random" }] as const)
    await assert.rejects(
      runCluster({ worker, installSignals: false, ...(opts as object) }),
      (e: Error & { code?: string }) =>
        e instanceof RangeError && e.code === "EIO_ERR_INVALID_ARG" && /routing|balance/.test(e.message),
    );
});

describe("cluster (node:cluster primary handing each connection to its worker)", { timeout: 60_000 }, () =>
  clusterSuite("handover"),
);

describe(
  "cluster with routing: shared (every worker accepts from the public socket)",
  { timeout: 60_000 },
  () => clusterSuite("shared"),
);

describe("cluster with routing: relay (every request relayed by the primary)", { timeout: 30_000 }, () => {
  let port = 0;
  after(stopAll);
  test("starts", async () => {
    const c = start(process.execPath, ["--import", "tsx", APP, "2", "least-connections", "relay"]);
    port = Number((await seen(c, /^READY (\d+) /))[1]);
  });
  routingTests(() => port, false, "handed");
});
