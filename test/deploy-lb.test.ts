// Real load balancers (Debian haproxy and nginx) in front of 3 engineio-wasm processes on loopback, configured by
// `engineio-wasm deploy`: routing by sid prefix behind plain round-robin, cookie-less clients, heartbeats,
// upgrades, CORS preflight on any node, and the control setup without stickiness failing with the exact error.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Socket as EioClient } from "engine.io-client";
import { type DeployNode, renderHaproxy, renderNginx } from "../src/cli/deploy.js";
import { collect, next, open, shut } from "./client-helpers.js";
import { freePort, listening, seen, start, stopAll } from "./cluster-helpers.js";

/** Why Debian's python-engineio client cannot run here, or undefined when it can. */
function pythonPeerAvailable(): string | undefined {
  const py = "/usr/bin/python3";
  if (!existsSync(py)) return `${py} not found`;
  const r = spawnSync(py, ["-c", "import engineio, requests, websocket"], { encoding: "utf8" });
  return r.status === 0 ? undefined : `python3-engineio missing: ${r.stderr.trim().split("\n").pop()}`;
}

const CLI = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const P = "/engine.io/";
const HAPROXY = "/usr/sbin/haproxy";
const NGINX = "/usr/sbin/nginx";
const UNKNOWN_SID = '{"code":1,"message":"Session ID unknown"}';

function http(
  port: number,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    // agent: false — a fresh connection per request, no cookies: the balancer must route on the query alone
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

const PY_CLIENT = `
import sys, time, threading, engineio
url, transports = sys.argv[1], sys.argv[2].split(",")
c = engineio.Client()
got = threading.Event()
answers = []
@c.on("message")
def on_message(data):
    answers.append(data)
    got.set()
c.connect(url, transports=transports)
sid = c.sid
# keep a message exchange going for 1.5 s: with pingInterval 300 ms that spans several heartbeats
end = time.time() + 1.5
n = 0
while time.time() < end and n < 200:
    got.clear()
    c.send("py%d" % n)
    if not got.wait(5):
        print("NOANSWER", n, flush=True); sys.exit(1)
    n += 1
ok = answers == ["py%d" % i for i in range(n)]
print("OK" if ok else "BAD", n, sid, c.transport(), flush=True)
c.disconnect()
`;

const missing = [HAPROXY, NGINX].filter((b) => !existsSync(b));
if (missing.length)
  console.log(`!!! ${missing.join(", ")} not installed (apt-get install haproxy nginx-light): skipping`);

describe("behind real load balancers (haproxy, nginx)", { timeout: 60_000, skip: missing.length > 0 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "eio-lb-"));
  const nodes: DeployNode[] = [];
  const lb: Record<string, number> = {};
  before(async () => {
    const starts = ["n1", "n2", "n3"].map((name) =>
      start(process.execPath, [
        "--import",
        "tsx",
        CLI,
        "serve",
        "--port",
        "0",
        "--node-id",
        name,
        "--echo",
        "--ping-interval",
        "300",
        "--ping-timeout",
        "3000",
        "--cors-origin",
        "*",
      ]),
    );
    for (const [i, c] of starts.entries()) {
      const port = (await seen(c, /listening on http:\/\/127\.0\.0\.1:(\d+)/))[1];
      nodes.push({ name: `n${i + 1}`, address: `127.0.0.1:${port}` });
    }
    const base = { nodes, path: P, timeoutMs: 60_000, cookie: false, noSticky: false };
    for (const [name, render, noSticky] of [
      ["haproxy", renderHaproxy, false],
      ["haproxy-nosticky", renderHaproxy, true],
      ["nginx", renderNginx, false],
    ] as const) {
      const port = await freePort();
      const cfg = join(dir, `${name}.cfg`);
      writeFileSync(cfg, render({ ...base, noSticky, listen: `127.0.0.1:${port}` }));
      const c = name.startsWith("haproxy")
        ? start(HAPROXY, ["-f", cfg, "-db"])
        : start(NGINX, ["-c", cfg, "-p", `${dir}/`, "-g", "daemon off;"]);
      await listening(port, c);
      lb[name] = port;
    }
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ["haproxy", "nginx"]) {
    describe(name, () => {
      test("cookie-less raw clients behind round-robin: handshakes spread, every later request reaches its node", async () => {
        const port = lb[name]!;
        const prefixes = new Set<string>();
        for (let i = 0; i < 6; i++) {
          const hs = await http(port, "GET", `${P}?EIO=4&transport=polling`);
          assert.equal(hs.status, 200, hs.text);
          assert.equal(hs.headers["set-cookie"], undefined, "no cookie involved");
          const sid = JSON.parse(hs.text.slice(1)).sid as string;
          prefixes.add(sid.slice(0, 2));
          for (let k = 0; k < 3; k++) {
            const post = await http(port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, `4m${k}`);
            assert.equal(post.status, 200, post.text);
            const get = await http(port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
            assert.equal(get.status, 200, get.text);
            assert.ok(get.text.split("\x1e").includes(`4m${k}`), get.text);
          }
        }
        assert.deepEqual([...prefixes].sort(), ["n1", "n2", "n3"]);
      });

      test("this project's client, polling-only and upgrading: heartbeats and echo", async () => {
        for (const transports of [["polling"], ["polling", "websocket"]] as const) {
          const s = await open(`http://127.0.0.1:${lb[name]}`, { transports: [...transports] });
          try {
            if (transports.length === 2 && s.transport?.name !== "websocket") await next(s, "upgrade", 5000);
            for (let i = 0; i < 3; i++) await next(s, "ping", 5000);
            const got = collect(s, 2);
            s.send("a");
            s.send("b");
            assert.deepEqual(await got, ["a", "b"]);
          } finally {
            await shut(s);
          }
        }
      });

      test("engine.io-client, polling-only and upgrading: heartbeats and echo", async () => {
        for (const transports of [["polling"], ["polling", "websocket"]]) {
          const s = new EioClient(`http://127.0.0.1:${lb[name]}`, { transports });
          try {
            await next(s, "open", 5000);
            if (transports.length === 2 && s.transport.name !== "websocket") await next(s, "upgrade", 5000);
            for (let i = 0; i < 3; i++) await next(s, "ping", 5000);
            const got = next<[string]>(s, "message", 5000);
            s.send("hello");
            assert.deepEqual(await got, ["hello"]);
          } finally {
            s.close();
          }
        }
      });

      test("python-engineio client (no cookies kept), polling-only and upgrading", async (t) => {
        const why = pythonPeerAvailable();
        if (why) {
          console.log(`!!! ${why}: skipping the python client`);
          t.skip(why);
          return;
        }
        for (const transports of ["polling", "polling,websocket"]) {
          const r = spawnSync(
            "/usr/bin/python3",
            ["-c", PY_CLIENT, `http://127.0.0.1:${lb[name]}`, transports],
            {
              encoding: "utf8",
              timeout: 20_000,
              killSignal: "SIGKILL",
            },
          );
          const m = r.stdout.match(/^OK (\d+) (n[123])\S+ (\w+)/m);
          assert.ok(m, `python client: ${r.stdout} ${r.stderr.slice(-1500)}`);
          assert.ok(Number(m[1]) >= 3);
          assert.equal(m[3], transports === "polling" ? "polling" : "websocket");
        }
      });

      test("CORS preflight (no cookie, no session) is answered by whichever node gets it", async () => {
        for (let i = 0; i < 3; i++) {
          const r = await http(lb[name]!, "OPTIONS", `${P}?EIO=4&transport=polling`, undefined, {
            Origin: "http://app.example",
            "Access-Control-Request-Method": "POST",
          });
          assert.equal(r.status, 204);
          assert.equal(r.headers["access-control-allow-origin"], "*");
        }
      });
    });
  }

  test("control: plain round-robin without the sid rules fails with HTTP 400 Session ID unknown", async () => {
    const port = lb["haproxy-nosticky"]!;
    const hs = await http(port, "GET", `${P}?EIO=4&transport=polling`);
    const sid = JSON.parse(hs.text.slice(1)).sid as string;
    const failures: { status: number; text: string }[] = [];
    // round-robin over 3 nodes: of any 3 consecutive requests, 2 land on a node that does not know the sid
    for (let i = 0; i < 3; i++) {
      const r = await http(port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4x");
      if (r.status !== 200) failures.push({ status: r.status, text: r.text });
    }
    assert.ok(failures.length >= 1, "some request reached a node without the session");
    for (const f of failures) assert.deepEqual(f, { status: 400, text: UNKNOWN_SID });
    // and the same preflight still works there
    const pre = await http(port, "OPTIONS", `${P}?EIO=4&transport=polling&sid=${sid}`, undefined, {
      Origin: "http://app.example",
      "Access-Control-Request-Method": "POST",
    });
    assert.equal(pre.status, 204);
  });
});
