// @backends: self — the Bun/Deno processes pick their own codec (the WASM default; EIO_CODEC is cleared for
// them), so this file runs once rather than once per backend.
// The Fetch handler on the real runtimes: test/runtimes/host.mjs serves `engine.handler()` with `Bun.serve` and
// `Deno.serve` (importing the built package), and engine.io-client, this project's client and socket.io-client
// connect from Node over polling, WebSocket and the upgrade — text, binary, heartbeats, server close, the
// python-style send, oversized messages, bad input answered as on Node, graceful shutdown.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Socket as EioClient } from "engine.io-client";
import { io as ioClient } from "socket.io-client";
import { Socket as OurClient } from "../src/client/index.js";
import { type Host, hostUnavailable, type Runtime, spawnRuntime, startHost } from "./runtimes/hosts.js";
import { type Harness, startServer } from "./server-helpers.js";

interface AnyClient {
  on(e: string, f: (...a: unknown[]) => void): unknown;
  once(e: string, f: (...a: unknown[]) => void): unknown;
  off?(e: string, f: (...a: unknown[]) => void): unknown;
  send(d: unknown): unknown;
  close(): unknown;
  transport: { name: string } | null;
  readyState: string;
}

type Kind = "engine.io-client" | "engineio-wasm client";
const TRANSPORTS: string[][] = [["polling"], ["websocket"], ["polling", "websocket"]];

function next(client: AnyClient, event: string, ms = 10_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for client "${event}"`)), ms);
    client.once(event, (...a: unknown[]) => {
      clearTimeout(timer);
      resolve(a);
    });
  });
}

function connect(kind: Kind, url: string, transports: string[]): AnyClient {
  if (kind === "engine.io-client") return new EioClient(url, { transports }) as unknown as AnyClient;
  return new OurClient(url, {
    transports: transports as ("polling" | "websocket")[],
  }) as unknown as AnyClient;
}

async function openClient(kind: Kind, url: string, transports: string[]): Promise<AnyClient> {
  const c = connect(kind, url, transports);
  const upgraded = transports.length > 1 ? next(c, "upgrade") : Promise.resolve([]);
  await next(c, "open");
  await upgraded;
  return c;
}

function bytes(d: unknown): number[] {
  if (d instanceof ArrayBuffer) return [...new Uint8Array(d)];
  if (ArrayBuffer.isView(d)) return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
  throw new Error(`not binary: ${typeof d}`);
}

async function echo(c: AnyClient): Promise<void> {
  const got: unknown[] = [];
  const three = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo: got ${got.length} of 3`)), 10_000);
    c.on("message", (d: unknown) => {
      got.push(d);
      if (got.length === 3) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  c.send("héllo");
  c.send(new Uint8Array([0, 1, 2, 250, 255]));
  c.send("x".repeat(5000));
  await three;
  assert.equal(got[0], "héllo");
  assert.deepEqual(bytes(got[1]), [0, 1, 2, 250, 255]);
  assert.equal(got[2], "x".repeat(5000));
}

async function shut(c: AnyClient): Promise<void> {
  if (c.readyState === "closed") return;
  const closed = next(c, "close", 5000);
  c.close();
  await closed;
}

// Bad requests answered by Node's engine and by the runtime hosts: the same status and JSON body.
const BAD_REQUESTS: { what: string; method: string; path: string; body?: string }[] = [
  { what: "unknown transport", method: "GET", path: "/engine.io/?EIO=4&transport=pigeon" },
  { what: "unknown sid", method: "GET", path: "/engine.io/?EIO=4&transport=polling&sid=nope" },
  { what: "bad handshake method", method: "POST", path: "/engine.io/?EIO=4&transport=polling", body: "4x" },
  { what: "protocol v3", method: "GET", path: "/engine.io/?EIO=3&transport=polling" },
  {
    what: "websocket handshake without upgrade",
    method: "GET",
    path: "/engine.io/?EIO=4&transport=websocket",
  },
  { what: "no query", method: "GET", path: "/engine.io/" },
];

async function answer(base: string, r: (typeof BAD_REQUESTS)[number]) {
  const res = await fetch(base + r.path, {
    method: r.method,
    body: r.body,
    headers: r.body ? { "content-type": "text/plain;charset=UTF-8" } : {},
  });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
}

// CORS, the sid cookie and allowRequest, configured the same on Node and on the runtime host.
const POLICY = {
  options: { cors: { origin: "https://app.example", credentials: true }, cookie: true },
  denyHeader: "x-deny",
};

/** The answer's status, body and the headers CORS / cookies / errors set (the sid normalised). */
async function policyAnswer(base: string, init: RequestInit, path = "/engine.io/?EIO=4&transport=polling") {
  const res = await fetch(base + path, init);
  const body = await res.text();
  const sid = body.startsWith("0") ? (JSON.parse(body.slice(1)) as { sid: string }).sid : "";
  const pick = (h: string) => res.headers.get(h)?.replaceAll(sid || "\0", "SID") ?? null;
  return {
    status: res.status,
    body: sid ? body.replace(sid, "SID") : body,
    cors: [
      pick("access-control-allow-origin"),
      pick("access-control-allow-credentials"),
      pick("access-control-allow-methods"),
      pick("vary"),
    ],
    cookie: pick("set-cookie"),
    type: pick("content-type"),
  };
}

const POLICY_REQUESTS: { what: string; init: RequestInit }[] = [
  { what: "handshake with an allowed Origin", init: { headers: { origin: "https://app.example" } } },
  {
    what: "CORS preflight",
    init: {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    },
  },
  { what: "allowRequest refusal", init: { headers: { origin: "https://app.example", "x-deny": "1" } } },
];

/**
 * Runs test/runtimes/exit.mjs on `runtime`: its stdout lines, exit code, and whether it ended by itself within
 * `ms` (else its process group is killed). The engine's timers there outlast `ms` by far (30 s polling close,
 * 120 s shutdown timeout), so a timer that keeps the process alive shows as `byItself: false`.
 */
function runExitScript(runtime: Runtime, ms: number) {
  const child = spawnRuntime(runtime, join(import.meta.dirname, "runtimes", "exit.mjs"), "");
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise<{
    lines: Record<string, unknown>[];
    code: number | null;
    byItself: boolean;
    stderr: string;
  }>((resolve) => {
    let byItself = true;
    const timer = setTimeout(() => {
      byItself = false;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, ms);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const lines = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ lines, code, byItself, stderr });
    });
  });
}

for (const runtime of ["bun", "deno"] as Runtime[]) {
  const skip = hostUnavailable(runtime);
  if (skip) console.warn(`\n!!! SKIPPING the ${runtime} runtime tests: ${skip}\n`);

  it(`${runtime}: the engine's timers do not keep the process alive once the HTTP server is stopped`, {
    skip,
  }, async () => {
    const r = await runExitScript(runtime, 15_000);
    assert.ok(
      r.byItself,
      `still running 15 s after it stopped its server: ${JSON.stringify(r.lines)} ${r.stderr}`,
    );
    assert.equal(r.code, 0, r.stderr);
    // the session was open and still closing when the script returned: its timers were pending
    assert.deepEqual(
      r.lines.map((l) => [l.event, l.clients]),
      [
        ["open", 1],
        ["stopped", 1],
      ],
    );
  });

  describe(`Fetch handler on ${runtime}`, { skip }, () => {
    let host: Host;
    let small: Host;
    let socketio: Host;
    let policy: Host;
    let node: Harness;
    let nodePolicy: Harness;
    before(async () => {
      [host, small, socketio, policy] = await Promise.all([
        startHost(runtime, { options: { pingInterval: 300, pingTimeout: 3000 } }),
        startHost(runtime, { options: { maxHttpBufferSize: 1000 } }),
        startHost(runtime, { socketio: true }),
        startHost(runtime, POLICY),
      ]);
      node = await startServer();
      nodePolicy = await startServer({
        ...POLICY.options,
        allowRequest: (req, fn) =>
          fn(req.headers["x-deny"] ? "denied by header" : null, !req.headers["x-deny"]),
      });
    });
    after(async () => {
      await Promise.all([
        host?.stop(),
        small?.stop(),
        socketio?.stop(),
        policy?.stop(),
        node?.close(),
        nodePolicy?.close(),
      ]);
    });

    it("CORS, the sid cookie and allowRequest answer as on Node", async () => {
      for (const r of POLICY_REQUESTS) {
        const [onNode, onRuntime] = await Promise.all([
          policyAnswer(nodePolicy.url, r.init),
          policyAnswer(policy.url, r.init),
        ]);
        assert.deepEqual(onRuntime, onNode, r.what);
      }
      const first = await policyAnswer(policy.url, POLICY_REQUESTS[0]!.init);
      assert.equal(first.status, 200);
      assert.equal(first.cors[0], "https://app.example");
      assert.match(first.cookie ?? "", /^io=SID; Path=\/; HttpOnly; SameSite=Lax$/);
      const denied = await policyAnswer(policy.url, POLICY_REQUESTS[2]!.init);
      assert.deepEqual(
        [denied.status, JSON.parse(denied.body)],
        [403, { code: 4, message: "denied by header" }],
      );
    });

    it("loads the package with the WASM codec as the backend", () => {
      assert.match(host.backend, /^wasm/);
    });

    for (const kind of ["engine.io-client", "engineio-wasm client"] as Kind[]) {
      for (const transports of TRANSPORTS) {
        it(`${kind} over ${transports.join(" → ")}: text and binary echo`, async (t) => {
          const c = await openClient(kind, host.url, transports);
          t.after(() => shut(c));
          assert.equal(c.transport?.name, transports[transports.length - 1]);
          await echo(c);
        });
      }
    }

    it("heartbeats: the host sees pongs and the session stays open", async (t) => {
      const c = await openClient("engineio-wasm client", host.url, ["websocket"]);
      t.after(() => shut(c));
      const sid = (c as unknown as { id: string }).id;
      const beats = () => host.events.filter((e) => e.event === "heartbeat" && e.sid === sid).length;
      await host.waitEvent(() => beats() >= 3, 10_000, "three heartbeats");
      assert.equal(c.readyState, "open");
    });

    for (const transports of [["polling"], ["websocket"]]) {
      it(`server close over ${transports[0]}: the client sees it, the host reports "forced close"`, async () => {
        const c = await openClient("engine.io-client", host.url, transports);
        const sid = (c as unknown as { id: string }).id;
        const closed = next(c, "close");
        c.send("close-me");
        await closed;
        const e = await host.waitEvent((x) => x.event === "close" && x.sid === sid, 5000, "close event");
        assert.equal(e.reason, "forced close");
      });
    }

    it("python-style engine.send(sid, …) reaches the client", async (t) => {
      const c = await openClient("engineio-wasm client", host.url, ["polling"]);
      t.after(() => shut(c));
      const got = next(c, "message");
      c.send("py:from send(sid)");
      assert.equal((await got)[0], "from send(sid)");
    });

    for (const size of [1500, 50_000]) {
      it(`oversized WebSocket message (${size} bytes): session closed with EIO_ERR_PAYLOAD_TOO_LARGE`, async () => {
        const c = await openClient("engine.io-client", small.url, ["websocket"]);
        const sid = (c as unknown as { id: string }).id;
        const closed = next(c, "close");
        c.send("y".repeat(size));
        await closed;
        const e = await small.waitEvent((x) => x.event === "close" && x.sid === sid, 5000, "close event");
        assert.equal(e.reason, "transport error");
        assert.equal(e.code, "EIO_ERR_PAYLOAD_TOO_LARGE");
      });
    }

    it("oversized POST: 413 (as on Node), session closed with EIO_ERR_PAYLOAD_TOO_LARGE", async () => {
      const open = await fetch(`${small.url}/engine.io/?EIO=4&transport=polling`);
      const { sid } = JSON.parse((await open.text()).slice(1)) as { sid: string };
      const big = await fetch(`${small.url}/engine.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: "POST",
        body: `4${"z".repeat(3000)}`,
        headers: { "content-type": "text/plain;charset=UTF-8" },
      });
      assert.equal(big.status, 413);
      await big.arrayBuffer();
      const e = await small.waitEvent((x) => x.event === "close" && x.sid === sid, 5000, "close event");
      assert.equal(e.code, "EIO_ERR_PAYLOAD_TOO_LARGE");
    });

    it("bad input gets the same status and JSON body as on Node, and the host keeps serving", async () => {
      for (const r of BAD_REQUESTS) {
        const [onNode, onRuntime] = await Promise.all([answer(node.url, r), answer(host.url, r)]);
        assert.deepEqual(onRuntime, onNode, r.what);
        assert.equal(onNode.type, "application/json", r.what);
      }
      const stillUp = await fetch(`${host.url}/engine.io/?EIO=4&transport=polling`);
      assert.equal(stillUp.status, 200);
      assert.equal((await stillUp.text())[0], "0");
      const outside = await fetch(`${host.url}/elsewhere`);
      assert.equal(outside.status, 404);
      await outside.arrayBuffer();
    });

    for (const transports of [["polling", "websocket"], ["websocket"]]) {
      it(`socket.io-client over ${transports.join(" → ")}: io.bind(engine), acks`, async (t) => {
        const s = ioClient(socketio.url, { transports, forceNew: true, reconnection: false });
        t.after(() => {
          s.disconnect();
        });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("socket.io connect timeout")), 10_000);
          s.once("connect", () => {
            clearTimeout(timer);
            resolve();
          });
          s.once("connect_error", (e) => {
            clearTimeout(timer);
            reject(e);
          });
        });
        if (transports.length > 1 && s.io.engine.transport.name !== "websocket") {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("socket.io upgrade timeout")), 10_000);
            s.io.engine.once("upgrade", () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        const reply = await s
          .timeout(5000)
          .emitWithAck("echo", { text: "hi ✓", bin: Buffer.from([9, 8, 7]) });
        assert.equal(reply.text, "hi ✓");
        assert.deepEqual(bytes(reply.bin), [9, 8, 7]);
        assert.equal(s.io.engine.transport.name, "websocket");
      });
    }

    it("graceful shutdown: every client is closed, then shutdown() resolves", async () => {
      const a = await openClient("engine.io-client", host.url, ["polling"]);
      const b = await openClient("engineio-wasm client", host.url, ["websocket"]);
      const ids = [a, b].map((c) => (c as unknown as { id: string }).id);
      const closedA = next(a, "close");
      const closedB = next(b, "close");
      b.send("shutdown");
      await Promise.all([closedA, closedB]);
      await host.waitEvent((e) => e.event === "shutdown-done", 5000, "shutdown-done");
      for (const id of ids) {
        const e = await host.waitEvent(
          (x) => x.event === "close" && x.sid === id,
          5000,
          `close event of ${id} in ${JSON.stringify(host.events.slice(-8))}`,
        );
        assert.equal(e.reason, "server shutting down");
      }
    });
  });
}
