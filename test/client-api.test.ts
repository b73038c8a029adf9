// The client's API surface and options against real servers (this project's Server when available, else
// engine.io 6.6): python-style Client/AsyncClient semantics, the cookie jar (sticky sessions) over both
// transports, extraHeaders, query/path/timestamp options, TLS options through Node's agents (self-signed cert),
// upgrade: false, rememberUpgrade, tryAllTransports, binaryType, URL forms.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AsyncClient, Client, Socket, type SocketOptions, type TransportError } from "../src/client/index.js";
import { collect, next, open, type Peer, shut, startEngineIo, startOurs } from "./client-helpers.js";
import { fromJs } from "./server-helpers.js";

/** Our Server if it is available, else engine.io (the API tests are about the client). */
async function anyPeer(opts: Parameters<typeof startOurs>[0] = {}): Promise<Peer> {
  return (await startOurs(opts)) ?? (await startEngineIo(opts));
}

type Seen = Array<{ url: string; upgrade: boolean; headers: IncomingMessage["headers"] }> & { stop(): void };

/** Records the headers of every request (polling and WebSocket upgrade) the peer receives, until `stop()`. */
function recordHeaders(peer: Peer): Seen {
  const seen = [] as unknown as Seen;
  const onRequest = (req: IncomingMessage) =>
    seen.push({ url: req.url ?? "", upgrade: false, headers: req.headers });
  const onUpgrade = (req: IncomingMessage) =>
    seen.push({ url: req.url ?? "", upgrade: true, headers: req.headers });
  peer.http!.prependListener("request", onRequest);
  peer.http!.prependListener("upgrade", onUpgrade);
  seen.stop = () => {
    peer.http!.off("request", onRequest);
    peer.http!.off("upgrade", onUpgrade);
  };
  return seen;
}

describe("python-style Client and AsyncClient", () => {
  let peer: Peer;
  before(async () => {
    peer = await anyPeer();
  });
  after(async () => peer.close());

  it("the seed example: connect, send on connect, print messages, wait; disconnect reason", async () => {
    const client = new Client();
    const log: string[] = [];
    client.on("connect", () => {
      log.push("connection established");
      client.send({ response: "my response" });
    });
    client.on("message", (data) => {
      log.push(`message received with ${data}`);
      void client.disconnect();
    });
    client.on("disconnect", (reason) => log.push(`disconnected from server: ${reason}`));
    await client.connect(peer.url);
    assert.equal(client.state, "connected");
    await client.wait();
    assert.deepEqual(log, [
      "connection established",
      'message received with {"response":"my response"}',
      "disconnected from server: client disconnect",
    ]);
    assert.equal(client.state, "disconnected");
    assert.equal(client.transport(), undefined);
  });

  it("decorator form, transport(), sid, connect twice rejects, send when disconnected is ignored", async () => {
    const client = new Client();
    const onMessage = client.on("message")((d) => void d);
    assert.equal(typeof onMessage, "function");
    client.send("dropped: not connected");
    await client.connect(peer.url, { transports: "websocket" });
    assert.equal(client.transport(), "websocket");
    assert.equal(typeof client.sid, "string");
    await assert.rejects(client.connect(peer.url), (e: { code: string }) => e.code === "EIO_ERR_INVALID_ARG");
    await client.disconnect();
    assert.equal(client.sid, null);
    await client.disconnect(); // idempotent
    assert.throws(() => client.on("bogus" as "connect", () => {}), TypeError);
  });

  it("connect again after a disconnect (a new session); disconnect(true) aborts at once", async () => {
    const client = new AsyncClient();
    await client.connect(peer.url);
    const first = client.sid;
    await client.disconnect();
    await client.connect(peer.url, { transports: ["polling"] });
    assert.notEqual(client.sid, first);
    let reason = "";
    let engineReason: string | undefined = "";
    client.on("disconnect", (r, _description, e) => {
      reason = r;
      engineReason = e;
    });
    await client.disconnect(true);
    assert.equal(client.state, "disconnected");
    // python-engineio: disconnect(abort=True) is still "client disconnect"; the engine.io reason comes third
    assert.deepEqual([reason, engineReason], ["client disconnect", "transport close"]);
  });

  it("engineioPath and headers reach the server", async () => {
    const custom = await anyPeer({ path: "/custom/" });
    const seen = recordHeaders(custom);
    const client = new Client();
    await client.connect(custom.url, { engineioPath: "custom", headers: { "x-token": "t1" } });
    await client.disconnect();
    seen.stop();
    assert.ok(
      seen.length > 0 && seen.every((r) => r.url.startsWith("/custom/")),
      JSON.stringify(seen.map((r) => r.url)),
    );
    assert.ok(seen.every((r) => r.headers["x-token"] === "t1"));
    await custom.close();
  });

  it("AsyncClient awaits async handlers one at a time, in order; send resolves when written", async () => {
    const client = new AsyncClient();
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      client.on("message", async (d) => {
        order.push(`start ${d}`);
        await new Promise((r) => setTimeout(r, 15));
        order.push(`end ${d}`);
        if (d === "b") resolve();
      });
    });
    await client.connect(peer.url);
    await client.send("a");
    await client.send("b");
    await done;
    assert.deepEqual(order, ["start a", "end a", "start b", "end b"]);
    await client.disconnect();
  });

  it("handler exceptions go to the logger option, and the connection survives", async () => {
    const errors: unknown[] = [];
    const client = new Client({ logger: { error: (_m, e) => errors.push(e) } });
    let n = 0;
    client.on("message", () => {
      n++;
      throw new Error("boom");
    });
    await client.connect(peer.url);
    client.send("1");
    client.send("2");
    const t0 = Date.now();
    while (n < 2 && Date.now() - t0 < 3000) await client.sleep(0.01);
    assert.equal(n, 2);
    assert.equal(errors.length, 2);
    assert.equal(client.state, "connected");
    await client.disconnect();
  });
});

describe("options", () => {
  let peer: Peer;
  before(async () => {
    peer = await anyPeer();
  });
  after(async () => peer.close());

  it("query (object and URL), custom timestampParam, timestampRequests: false; extraHeaders on both transports", async () => {
    const seen = recordHeaders(peer);
    const s1 = await open(`${peer.url}/?from=url`, {
      query: { a: 1, b: "x y" },
      timestampParam: "ts",
      extraHeaders: { "x-extra": "yes" },
    });
    await next(s1, "upgrade");
    await shut(s1);
    const polls = seen.filter((r) => !r.upgrade);
    const ws = seen.filter((r) => r.upgrade);
    assert.ok(polls.length > 0 && ws.length > 0);
    for (const r of seen) {
      const q = new URL(r.url, "http://x").searchParams;
      assert.equal(q.get("a"), "1");
      assert.equal(q.get("b"), "x y");
      assert.equal(q.get("from"), "url");
      assert.equal(q.get("EIO"), "4");
      assert.equal(r.headers["x-extra"], "yes");
    }
    assert.ok(polls.every((r) => new URL(r.url, "http://x").searchParams.has("ts")));
    assert.ok(ws.every((r) => !new URL(r.url, "http://x").searchParams.has("ts")));
    seen.length = 0;
    const s2 = await open(peer.url, { transports: ["polling"], timestampRequests: false });
    await shut(s2);
    seen.stop();
    assert.ok(seen.every((r) => !new URL(r.url, "http://x").searchParams.has("t")));
  });

  it("transportOptions override options per transport", async () => {
    const seen = recordHeaders(peer);
    const s = await open(peer.url, {
      extraHeaders: { "x-both": "1" },
      transportOptions: { polling: { extraHeaders: { "x-polling": "1" } } },
    });
    const sid = s.id!;
    await next(s, "upgrade");
    await shut(s);
    seen.stop();
    // only this session's requests: a previous test's goodbye POST may still arrive
    const mine = seen.filter((r) => new URL(r.url, "http://x").searchParams.get("sid") === sid);
    const polls = mine.filter((r) => !r.upgrade);
    const ws = mine.filter((r) => r.upgrade);
    assert.ok(polls.length > 0 && polls.every((r) => r.headers["x-polling"] === "1" && !r.headers["x-both"]));
    assert.ok(ws.length > 0 && ws.every((r) => r.headers["x-both"] === "1" && !r.headers["x-polling"]));
  });

  it("protocols: WebSocket sub-protocols are offered in the upgrade request", async () => {
    const seen = recordHeaders(peer);
    const s = await open(peer.url, { transports: ["websocket"], protocols: ["eio-test", "other"] });
    await shut(s);
    seen.stop();
    assert.equal(seen.find((r) => r.upgrade)?.headers["sec-websocket-protocol"], "eio-test,other");
  });

  it("URL forms: ws:// scheme, host option, default path with and without trailing slash", async () => {
    const port = new URL(peer.url).port;
    const forms: Array<[string | undefined, SocketOptions]> = [
      [`ws://127.0.0.1:${port}`, {}],
      [undefined, { host: `127.0.0.1:${port}`, transports: ["websocket"] }],
      [undefined, { hostname: "127.0.0.1", port, path: "/engine.io/", transports: ["polling"] }],
    ];
    for (const [url, opts] of forms) {
      // one at a time: `open` must not fire before the wait is registered
      const s = url === undefined ? new Socket(opts) : new Socket(url, opts);
      await next(s, "open");
      await shut(s);
    }
  });

  it("upgrade: false stays on polling; rememberUpgrade opens the next socket on WebSocket", async () => {
    const s1 = await open(peer.url, { upgrade: false });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s1.transport.name, "polling");
    await shut(s1);
    const s2 = await open(peer.url, { rememberUpgrade: true });
    await next(s2, "upgrade");
    await shut(s2);
    const s3 = new Socket(peer.url, { rememberUpgrade: true });
    assert.equal(s3.transport.name, "websocket");
    await next(s3, "open");
    await shut(s3);
  });

  it("tryAllTransports: falls back to websocket when polling is refused", async () => {
    const wsOnly = await anyPeer({ transports: ["websocket"] });
    const s = await open(wsOnly.url, { tryAllTransports: true });
    assert.equal(s.transport.name, "websocket");
    await shut(s);
    await wsOnly.close();
  });

  it("binaryType: uint8array and blob", async () => {
    const s = await open(peer.url, { transports: ["websocket"] });
    s.binaryType = "uint8array";
    let got = collect(s, 1);
    s.send(new Uint8Array([1, 2]));
    const [u8] = await got;
    assert.ok(u8 instanceof Uint8Array && !Buffer.isBuffer(u8));
    s.binaryType = "blob";
    got = collect(s, 1);
    s.send(new Uint8Array([3, 4]));
    const [blob] = await got;
    assert.ok(blob instanceof Blob);
    assert.deepEqual([...new Uint8Array(await (blob as Blob).arrayBuffer())], [3, 4]);
    await shut(s);
  });

  it("unknown transport names are skipped; none left → `No transports available` error", async () => {
    const s = await open(peer.url, { transports: ["webtransport" as "websocket", "websocket"] });
    assert.equal(s.transport.name, "websocket");
    await shut(s);
    const none = new Socket(peer.url, { transports: ["webtransport" as "websocket"] });
    const [err] = await next<[Error]>(none, "error");
    assert.equal(err.message, "No transports available");
  });

  it("send() rejects non-binary objects with a TypeError (EIO_ERR_INVALID_ARG)", async () => {
    const s = await open(peer.url, { transports: ["websocket"] });
    assert.throws(
      // a JavaScript caller can pass anything: the type is what the runtime check stands in for
      () => s.send(fromJs({})),
      (e: { code: string }) => e.code === "EIO_ERR_INVALID_ARG",
    );
    await shut(s);
  });
});

describe("cookie jar (Node, withCredentials)", () => {
  for (const start of [startEngineIo, startOurs]) {
    it(`sticky-session cookies are sent back on polling and WebSocket requests (${start.name})`, async (t) => {
      const peer = await start();
      if (!peer) return t.skip("server not available");
      // a load balancer's affinity cookie, set on every response of this test server
      peer.http!.prependListener("request", (_req, res) => {
        res.setHeader("set-cookie", ["lb=node7; Path=/; HttpOnly", "gone=x; Max-Age=0"]);
      });
      const seen = recordHeaders(peer);
      const s = await open(peer.url, { withCredentials: true });
      await next(s, "upgrade");
      const echo = collect(s, 1);
      s.send("x");
      await echo;
      await shut(s);
      const later = seen.slice(1);
      assert.ok(
        later.some((r) => r.upgrade),
        "websocket upgrade seen",
      );
      for (const r of later) {
        assert.match(String(r.headers.cookie), /lb=node7/, `${r.url}`);
        assert.doesNotMatch(String(r.headers.cookie), /gone=/);
      }
      // without withCredentials, no jar
      seen.length = 0;
      const s2 = await open(peer.url, { transports: ["polling"] });
      await shut(s2);
      seen.stop();
      assert.ok(seen.every((r) => r.headers.cookie === undefined));
      await peer.close();
    });
  }
});

describe("TLS options (Node agents)", () => {
  let dir: string | undefined;
  let cert: string;
  let key: string;
  let peer: Peer | undefined;
  let skip: string | undefined;
  before(async () => {
    try {
      dir = mkdtempSync(join(tmpdir(), "eio-tls-"));
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
          .concat(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
          .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]),
        { stdio: "ignore" },
      );
      cert = readFileSync(join(dir, "cert.pem"), "utf8");
      key = readFileSync(join(dir, "key.pem"), "utf8");
    } catch (e) {
      skip = `openssl unavailable: ${(e as Error).message}`;
      console.warn(`!!! SKIPPING the client TLS tests: ${skip}`);
      return;
    }
    peer = await anyPeer({ server: createHttpsServer({ cert, key }) });
  });
  after(async () => {
    await peer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const transports of [["polling"], ["websocket"]] as const) {
    it(`${transports[0]}: a self-signed certificate is refused by default`, async (t) => {
      if (!peer) return t.skip(skip ?? "no peer");
      const s = new Socket(peer.url, { transports: [...transports] });
      const [err] = await next<[TransportError]>(s, "error");
      assert.equal(err.code, "EIO_ERR_TRANSPORT");
      // the TLS failure itself is at the top level, not two causes down
      assert.equal(err.systemCode, "DEPTH_ZERO_SELF_SIGNED_CERT");
      assert.match(err.message, /self-signed certificate/);
    });
    it(`${transports[0]}: trusted through \`ca\`, echo works`, async (t) => {
      if (!peer) return t.skip(skip ?? "no peer");
      const s = await open(peer.url, { transports: [...transports], ca: cert });
      const got = collect(s, 1);
      s.send("over tls");
      assert.deepEqual(await got, ["over tls"]);
      await shut(s);
    });
  }

  it("polling + upgrade with rejectUnauthorized: false; Client with sslVerify: false", async (t) => {
    if (!peer) return t.skip(skip ?? "no peer");
    const s = await open(peer.url, { rejectUnauthorized: false });
    await next(s, "upgrade");
    await shut(s);
    const client = new Client({ sslVerify: false });
    await client.connect(peer.url);
    assert.equal(client.state, "connected");
    await client.disconnect();
  });
});

describe("autoUnref (Node)", () => {
  for (const transports of [["polling"], ["websocket"]] as const) {
    it(`${transports[0]}: an open socket does not keep the process alive`, async () => {
      const peer = await anyPeer();
      const client = new URL("../src/client/index.ts", import.meta.url).href;
      const code = `
        const { Socket } = await import(${JSON.stringify(client)});
        const s = new Socket(${JSON.stringify(peer.url)}, { transports: ${JSON.stringify(transports)}, autoUnref: true });
        // autoUnref: the socket itself holds nothing, so keep the process up until the session is open
        const keep = setTimeout(() => {}, 5000);
        s.on("open", () => { console.log("open"); clearTimeout(keep); });
        s.on("close", (r) => console.log("close", r));
      `;
      const { spawn } = await import("node:child_process");
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d;
      });
      const exited = await new Promise<number | null>((resolve) => {
        const t = setTimeout(() => {
          child.kill();
          resolve(null);
        }, 8000);
        child.once("exit", (c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      await peer.close();
      assert.equal(out.trim(), "open");
      assert.equal(exited, 0, "the process exited by itself while the socket was open");
    });
  }
});

describe("events, as engine.io-client", () => {
  it("handshake → open; packetCreate → flush → drain; packet for each message; send callback", async () => {
    const peer = await anyPeer();
    const socket = new Socket(peer.url, { transports: ["polling"] });
    const events: string[] = [];
    for (const e of ["handshake", "open", "packetCreate", "flush", "drain", "message", "data"] as const) {
      socket.on(e, () => events.push(e));
    }
    socket.on("packet", (p) => events.push(`packet:${p.type}`));
    const opened = next(socket, "open");
    const [hs] = await next<[{ sid: string; upgrades: string[]; pingInterval: number; maxPayload: number }]>(
      socket,
      "handshake",
    );
    assert.equal(typeof hs.sid, "string");
    assert.deepEqual(hs.upgrades, ["websocket"]);
    await opened;
    const written = new Promise<void>((resolve) => socket.send("x", () => resolve()));
    await written;
    await next(socket, "message");
    assert.deepEqual(events, [
      "packet:open",
      "handshake",
      "open",
      "packetCreate",
      "flush",
      "drain",
      "packet:message",
      "data",
      "message",
    ]);
    await shut(socket);
    await peer.close();
  });
});

describe("published entry points (dist)", () => {
  const built = existsSync(new URL("../dist/cjs/client/index.js", import.meta.url));
  if (!built) console.warn("!!! SKIPPING the dist entry-point checks: run `npm run build:ts` first");

  it("require('engineio-wasm/client') (CommonJS) and import('engineio-wasm/client') (ESM) both connect", async (t) => {
    if (!built) return t.skip("dist not built");
    const peer = await anyPeer();
    const req = createRequire(new URL("../package.json", import.meta.url));
    const cjs = req("engineio-wasm/client") as typeof import("../src/client/index.js");
    const esm = (await import("engineio-wasm/client" as string)) as typeof import("../src/client/index.js");
    const root = req("engineio-wasm") as { ClientSocket: unknown; Client: unknown; AsyncClient: unknown };
    assert.equal(typeof root.ClientSocket, "function");
    assert.equal(typeof root.Client, "function");
    assert.equal(typeof root.AsyncClient, "function");
    for (const mod of [cjs, esm]) {
      const s = new mod.Socket(peer.url, { transports: ["websocket"] });
      await next(s, "open");
      const got = collect(s as unknown as Socket, 1);
      s.send("via dist");
      assert.deepEqual(await got, ["via dist"]);
      await shut(s as unknown as Socket);
    }
    await peer.close();
  });
});
