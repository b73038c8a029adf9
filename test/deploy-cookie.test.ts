// @backends: once
// Cookie stickiness behind real HAProxy: the socket.io docs' recipe `cookie io prefix indirect nocache`
// (`engineio-wasm deploy haproxy --cookie --no-sticky`: the cookie alone routes) in front of 3 processes whose
// engines set the `io` cookie (`cookie: true`) and have no nodeId. Raw requests carrying the cookie, this
// project's client, engine.io-client and socket.io-client with their Node cookie jars (`withCredentials`),
// polling-only and upgrading, across heartbeats; the python-engineio client (requests' cookie jar; aiohttp's
// AsyncClient keeps no cookie of an IP-address host, shown); a CORS preflight without cookie on any node; and the control
// (no stickiness at all) with the exact failure each client sees.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Socket as EioClient } from "engine.io-client";
import { io } from "socket.io-client";
import { renderHaproxy } from "../src/cli/deploy.js";
import { Socket } from "../src/client/index.js";
import { next, shut } from "./client-helpers.js";
import { freePort, listening, seen, start, stopAll } from "./cluster-helpers.js";
import { type PyProcess, runnableColumns, startPyClient } from "./python/peers.js";

const NODE = fileURLToPath(new URL("./fixtures/cookie-node.ts", import.meta.url));
const HAPROXY = "/usr/sbin/haproxy";
const EXAMPLE = fileURLToPath(new URL("../examples/deploy/haproxy-cookie.cfg", import.meta.url));
const P = "/engine.io/";
const UNKNOWN_SID = '{"code":1,"message":"Session ID unknown"}';

function http(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        text += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on("error", reject);
    req.end(body);
  });
}

const missing = !existsSync(HAPROXY);
if (missing) console.log(`!!! ${HAPROXY} not installed (apt-get install haproxy): skipping`);

describe("cookie stickiness behind haproxy (cookie io prefix indirect nocache)", {
  timeout: 60_000,
  skip: missing,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "eio-cookie-"));
  const lb = { cookie: 0, none: 0 };
  before(async () => {
    const nodes = await Promise.all(
      ["n1", "n2", "n3"].map(async (name) => {
        const c = start(process.execPath, ["--import", "tsx", NODE, name]);
        return { name, address: `127.0.0.1:${(await seen(c, /^READY (\d+)/, 30_000))[1]}` };
      }),
    );
    // the shipped example itself (3 nodes on :3001-3003, listening on :8080), pointed at this test's ports
    const example = readFileSync(EXAMPLE, "utf8");
    assert.match(example, /^ {2}cookie io prefix indirect nocache$/m);
    for (const kind of ["cookie", "none"] as const) {
      const port = await freePort();
      const cfg = join(dir, `${kind}.cfg`);
      let text = renderHaproxy({
        nodes,
        listen: `127.0.0.1:${port}`,
        path: P,
        timeoutMs: 60_000,
        cookie: false,
        noSticky: true,
      });
      if (kind === "cookie") {
        text = example.replace("bind 127.0.0.1:8080", `bind 127.0.0.1:${port}`);
        for (const [i, n] of nodes.entries())
          text = text.replace(new RegExp(`127\\.0\\.0\\.1:${3001 + i}(?= )`), n.address);
      }
      writeFileSync(cfg, text);
      await listening(port, start(HAPROXY, ["-f", cfg, "-db"]));
      lb[kind] = port;
    }
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test("raw requests: the handshake's io cookie comes back prefixed with the node, and routes every later request", async () => {
    const nodesSeen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const hs = await http(lb.cookie, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(hs.status, 200, hs.text);
      const sid = JSON.parse(hs.text.slice(1)).sid as string;
      const setCookie = String(hs.headers["set-cookie"]);
      const m = setCookie.match(/^io=(n[123])~([^;]+);/);
      assert.ok(m, setCookie);
      assert.equal(m[2], sid);
      // nocache: a shared cache must never keep a response that sets the cookie (the engine's no-store is kept)
      assert.match(String(hs.headers["cache-control"]), /private|no-store/);
      nodesSeen.add(m[1]!);
      const cookie = { Cookie: `io=${m[1]}~${sid}` };
      for (let k = 0; k < 3; k++) {
        const post = await http(
          lb.cookie,
          "POST",
          `${P}?EIO=4&transport=polling&sid=${sid}`,
          cookie,
          "4whoami",
        );
        assert.equal(post.status, 200, post.text);
        const get = await http(lb.cookie, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`, cookie);
        assert.equal(get.status, 200, get.text);
        assert.ok(get.text.split("\x1e").includes(`4${m[1]}`), get.text);
      }
    }
    assert.equal(nodesSeen.size, 3, "round-robin handshakes");
  });

  test("this project's client and engine.io-client (withCredentials: the Node cookie jar), polling-only and upgrading", async () => {
    for (const which of ["ours", "eio"] as const)
      for (const transports of [["polling"], ["polling", "websocket"]] as ("polling" | "websocket")[][]) {
        const url = `http://127.0.0.1:${lb.cookie}`;
        const s =
          which === "ours"
            ? new Socket(url, { transports, withCredentials: true })
            : new EioClient(url, { transports, withCredentials: true });
        try {
          await next(s, "open", 5000);
          if (transports.length === 2 && s.transport?.name !== "websocket") await next(s, "upgrade", 5000);
          for (let i = 0; i < 3; i++) await next(s, "ping", 5000);
          const names: unknown[] = [];
          for (let i = 0; i < 3; i++) {
            const got = next<[string]>(s, "message", 5000);
            s.send("whoami");
            names.push((await got)[0]);
          }
          assert.equal(new Set(names).size, 1, `${which} ${transports}: one node throughout (${names})`);
          assert.match(String(names[0]), /^n[123]$/);
        } finally {
          if (s instanceof Socket) await shut(s);
          else s.close();
        }
      }
  });

  test("socket.io-client (withCredentials), polling-only and upgrading, across heartbeats", async () => {
    for (const transports of [["polling"], ["polling", "websocket"]]) {
      const socket = io(`http://127.0.0.1:${lb.cookie}`, {
        transports,
        withCredentials: true,
        reconnection: false,
      });
      try {
        await next(socket, "connect", 5000);
        const engine = socket.io.engine;
        if (transports.length === 2 && engine.transport.name !== "websocket")
          await next(engine, "upgrade", 5000);
        const first = await socket.timeout(5000).emitWithAck("whoami");
        for (let i = 0; i < 3; i++) await next(engine, "ping", 5000);
        assert.equal(await socket.timeout(5000).emitWithAck("whoami"), first);
        assert.ok(socket.connected);
      } finally {
        socket.close();
      }
    }
  });

  test("python-engineio, polling: Client (requests' session keeps the io cookie) stays on its node across heartbeats; AsyncClient (aiohttp) keeps no cookie of an IP host, so it needs a host name", async (t) => {
    const cols = runnableColumns("python-engineio behind cookie-sticky HAProxy").filter((c) => !c.skip);
    if (cols.length === 0) return t.skip("no python-engineio column can run (see the !!! lines)");
    const newest = cols.filter((c) => c.version !== "4.3.4").at(-1) ?? cols[0]!;
    const texts = (py: PyProcess): string[] =>
      py.events.filter((e) => e.ev === "message").map((e) => String(e.head));
    const connected = async (py: PyProcess): Promise<void> => {
      py.command("connect");
      const c = await py.event((e) => e.ev === "connect" || e.ev === "error", "connect", 0, 15_000);
      assert.equal(c.ev, "connect", JSON.stringify(c));
      assert.equal(c.transport, "polling");
    };
    const sticky = async (version: string, flavour: "sync" | "async", host: string): Promise<string> => {
      const col = cols.find((c) => c.version === version)!;
      const py = startPyClient(col, flavour, `http://${host}:${lb.cookie}`, "polling");
      t.after(() => py.close());
      await connected(py);
      py.command(`send "whoami"`);
      py.command(`send "beats"`);
      // pingInterval 300 ms: each pong the node receives is answered "beat:<node>", so 3 of them are 3 heartbeats
      // (server ping by GET, python's pong by POST) served by the session's own node
      const got = await py.until(
        () => texts(py).filter((m) => m.startsWith("beat:")).length >= 3 && texts(py),
        `${flavour} ${version}: 3 heartbeats`,
        15_000,
      );
      const node = got[0]!;
      assert.match(node, /^n[123]$/, JSON.stringify(got));
      for (const b of got.filter((m) => m.startsWith("beat:"))) assert.equal(b, `beat:${node}`);
      const n = texts(py).length;
      py.command(`send "whoami"`);
      await py.until(
        () => texts(py).slice(n).includes(node),
        `${flavour} ${version}: whoami after heartbeats`,
      );
      assert.deepEqual(
        py.events.filter((e) => e.ev === "disconnect" || e.ev === "error"),
        [],
        `${flavour} ${version}: stayed connected`,
      );
      return `${flavour} ${version} at ${host}: on ${node} throughout`;
    };
    // the control: AsyncClient at 127.0.0.1 — aiohttp's CookieJar refuses cookies of an IP-address host (unless
    // CookieJar(unsafe=True)), so its requests carry no io cookie and round-robin takes them to the other nodes
    const unsticky = async (): Promise<string> => {
      const py = startPyClient(newest, "async", `http://127.0.0.1:${lb.cookie}`, "polling");
      t.after(() => py.close());
      await connected(py);
      py.command(`send "beats"`);
      const gone = await py.event((e) => e.ev === "disconnect", "AsyncClient at an IP dropped", 0, 15_000);
      return `async ${newest.version} at 127.0.0.1: disconnected (${String(gone.reason)}) after ${texts(py).filter((m) => m.startsWith("beat:")).length} heartbeats`;
    };
    const results = await Promise.all([
      ...cols.map((c) => sticky(c.version, "sync", "127.0.0.1")),
      sticky(newest.version, "async", "localhost"),
      unsticky(),
    ]);
    for (const r of results) console.log(`# python-engineio behind cookie HAProxy: ${r}`);
  });

  test("a CORS preflight (no cookie, no session) is answered by whichever node gets it", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await http(lb.cookie, "OPTIONS", `${P}?EIO=4&transport=polling&sid=unknownsidxxxxxxxxxxx`, {
        Origin: "http://app.example",
        "Access-Control-Request-Method": "POST",
      });
      assert.equal(r.status, 204);
      assert.equal(r.headers["access-control-allow-origin"], "*");
    }
  });

  test("control, no stickiness: HTTP 400 Session ID unknown, and what each client sees", async () => {
    const hs = await http(lb.none, "GET", `${P}?EIO=4&transport=polling`);
    const sid = JSON.parse(hs.text.slice(1)).sid as string;
    const cookie = { Cookie: String(hs.headers["set-cookie"]).split(";")[0]! };
    const answers: { status: number; text: string }[] = [];
    for (let i = 0; i < 3; i++)
      answers.push(await http(lb.none, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, cookie, "4x"));
    const failed = answers.filter((a) => a.status !== 200).map((a) => ({ status: a.status, text: a.text }));
    assert.deepEqual(failed, [
      { status: 400, text: UNKNOWN_SID },
      { status: 400, text: UNKNOWN_SID },
    ]);

    // this project's client, polling-only: the first request on another node fails and the socket closes
    const ours = new Socket(`http://127.0.0.1:${lb.none}`, {
      transports: ["polling"],
      withCredentials: true,
    });
    const oursClose = next<[string, unknown]>(ours, "close", 5000);
    const [reason, description] = await oursClose;
    console.log(
      `# no stickiness, this project's client: close "${reason}" ${JSON.stringify(String((description as Error)?.message ?? description))}`,
    );
    assert.equal(reason, "transport error");

    const eio = new EioClient(`http://127.0.0.1:${lb.none}`, {
      transports: ["polling"],
      withCredentials: true,
    });
    const [eioReason, eioDesc] = await next<[string, { description?: unknown; message?: string }]>(
      eio,
      "close",
      5000,
    );
    console.log(
      `# no stickiness, engine.io-client: close "${eioReason}" ${eioDesc?.message} (status ${eioDesc?.description})`,
    );
    assert.equal(eioReason, "transport error");
    assert.equal(eioDesc?.description, 400);

    const sio = io(`http://127.0.0.1:${lb.none}`, { transports: ["polling"], reconnection: false });
    try {
      // before the socket.io CONNECT is answered it is a connect_error, after it a disconnect: take either
      const seenBy = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("socket.io-client saw no failure")), 5000);
        sio.once("connect_error", (e: Error & { description?: unknown }) => {
          clearTimeout(t);
          resolve(`connect_error "${e.message}" (${e.description})`);
        });
        sio.once("disconnect", (r) => {
          clearTimeout(t);
          resolve(`disconnect "${r}"`);
        });
      });
      console.log(`# no stickiness, socket.io-client: ${seenBy}`);
    } finally {
      sio.close();
    }
  });
});
