// The wire-level server cases (raw HTTP against the engine's answers), written once against a host: this
// process's engine on Node's http (test/server-polling.test.ts) or the Fetch handler on Bun and Deno
// (test/server-runtimes-wire.test.ts, through test/runtimes/host.mjs with `wire: true`). A case may only see
// what a remote host can report: the port, the close reason (and error code) of a session, and whether a
// GET or a POST of a session is being held.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import WebSocket from "ws";
import type { Socket } from "../src/index.js";
import { type Host, type Runtime, startHost } from "./runtimes/hosts.js";
import { handshake, once, pollPending, postPending, raw, startServer, waitFor } from "./server-helpers.js";

const P = "/engine.io/";

/** Where the wire cases run: this process (`node`) or a Bun/Deno host process. */
export type WireRuntime = "node" | Runtime;

/** What a wire case may ask of its server, wherever it runs. */
export interface WireServer {
  port: number;
  /** The close of session `sid` (waits for it). */
  closeOf(sid: string): Promise<{ reason: string; code?: string | null }>;
  /** Resolves once the server holds a GET of `sid`. */
  pollPending(sid: string): Promise<void>;
  /** Resolves once the server is reading a POST body of `sid`. */
  postPending(sid: string): Promise<void>;
  /** Transport and readyState of session `sid`, `null` when the server has no such session. */
  session(sid: string): Promise<{ transport: string | null; readyState: string } | null>;
  close(): Promise<void>;
}

/** The options every wire case assumes (the handshake case checks them). */
export const WIRE_OPTIONS = { pingInterval: 5000, pingTimeout: 5000, maxHttpBufferSize: 1000 };

/**
 * Starts the wire server on `runtime`. Its sessions answer `echo` with `echoed`, `bin` with bytes 01 02 03 04 and
 * `big` with 5000 × `y`, and echo anything else (host.mjs does the same when started with `wire: true`).
 */
export async function startWireServer(runtime: WireRuntime, options = WIRE_OPTIONS): Promise<WireServer> {
  if (runtime === "node") {
    const h = await startServer(options);
    const closes = new Map<string, { reason: string; code?: string | null }>();
    h.engine.on("connection", (s: Socket) => {
      s.on("message", (m) => {
        if (m === "echo") s.send("echoed");
        else if (m === "bin") s.send(Buffer.from([1, 2, 3, 4]));
        else if (m === "big") s.send("y".repeat(5000));
        else s.send(m);
      });
      s.on("close", (reason, desc) => closes.set(s.id, { reason, code: desc?.code }));
    });
    return {
      port: h.port,
      async closeOf(sid) {
        await waitFor(() => closes.has(sid), 3000, `close of ${sid}`);
        return closes.get(sid)!;
      },
      pollPending: (sid) => pollPending(h.engine, sid),
      postPending: (sid) => postPending(h.engine, sid),
      async session(sid) {
        const s = h.engine.clients[sid];
        return s === undefined ? null : { transport: s.transport?.name ?? null, readyState: s.readyState };
      },
      close: () => h.close(),
    };
  }
  const host: Host = await startHost(runtime, { options, wire: true });
  // host.mjs answers /__wire/state?sid=… with what its engine holds for that session
  const state = async (sid: string) =>
    JSON.parse((await raw(host.port, "GET", `/__wire/state?sid=${sid}`)).text) as {
      get: boolean;
      post: boolean;
      transport: string | null;
      readyState: string | null;
    };
  const held = async (sid: string, what: "get" | "post"): Promise<void> => {
    const end = Date.now() + 5000;
    for (;;) {
      if ((await state(sid))[what]) return;
      if (Date.now() > end) throw new Error(`${runtime}: no ${what} held for ${sid}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    port: host.port,
    async closeOf(sid) {
      const e = await host.waitEvent((x) => x.event === "close" && x.sid === sid, 3000, `close of ${sid}`);
      return { reason: String(e.reason), code: e.code as string | null };
    },
    pollPending: (sid) => held(sid, "get"),
    postPending: (sid) => held(sid, "post"),
    async session(sid) {
      const s = await state(sid);
      return s.readyState === null ? null : { transport: s.transport, readyState: s.readyState };
    },
    close: () => host.stop(),
  };
}

/** Registers the wire cases of long-polling against a server on `runtime` (one server for the suite). */
export function pollingWireCases(runtime: WireRuntime, opts: { skip?: string } = {}): void {
  describe(`long-polling on the wire (${runtime})`, { skip: opts.skip }, () => {
    let h: WireServer;
    before(async () => {
      h = await startWireServer(runtime);
    });
    after(() => h?.close());

    test("handshake: open packet shape, headers", async () => {
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&t=abc`);
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-type"], "text/plain; charset=UTF-8");
      assert.equal(r.headers["cache-control"], "no-store");
      assert.equal(r.text[0], "0");
      const open = JSON.parse(r.text.slice(1));
      assert.equal(typeof open.sid, "string");
      assert.equal(open.sid.length, 20);
      assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
      assert.deepEqual(open.upgrades, ["websocket"]);
      assert.equal(open.pingInterval, 5000);
      assert.equal(open.pingTimeout, 5000);
      assert.equal(open.maxPayload, 1000);
    });

    test("POST: 'ok' text/html; messages decoded; GET returns queued packets as one payload", async () => {
      const { sid } = await handshake(h.port);
      const post = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4echo\x1e4bin", {
        "content-type": "text/plain;charset=UTF-8",
      });
      assert.equal(post.status, 200);
      assert.equal(post.text, "ok");
      assert.equal(post.headers["content-type"], "text/html");
      const get = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(get.status, 200);
      assert.equal(get.text, "4echoed\x1ebAQIDBA==");
    });

    test("poll answers carry the UTF-8 length of their body as Content-Length (multi-byte text too)", async () => {
      const { sid } = await handshake(h.port);
      const text = "h\u00e9llo \u{1F600} \u4e2d";
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, `4${text}\x1e4${text}!`);
      const get = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(get.text, `4${text}\x1e4${text}!`);
      assert.equal(get.headers["content-length"], String(get.body.length));
      assert.equal(get.body.length, Buffer.byteLength(get.text));
    });

    test("b64=1 is honoured (binary always as b+base64)", async () => {
      const { sid } = await handshake(h.port, P, "&b64=1");
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&b64=1&sid=${sid}`, "4bin");
      const get = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&b64=1&sid=${sid}`);
      assert.equal(get.text, "bAQIDBA==");
    });

    test("second concurrent GET → 400, session closes with transport error, first GET receives 1", async () => {
      const { sid } = await handshake(h.port);
      const first = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      await h.pollPending(sid);
      const second = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(second.status, 400);
      const r = await first;
      assert.equal(r.text, "1");
      assert.equal((await h.closeOf(sid)).reason, "transport error");
    });

    test("a held GET whose client goes away: the session closes with transport error at once", {
      skip:
        runtime === "deno" &&
        "Deno 2.9 aborts request.signal after every answered request too, so the Fetch handler does not watch it there: a vanished long-poll is noticed by the heartbeat (TOOLCHAIN.md)",
    }, async () => {
      const { sid } = await handshake(h.port);
      const sock = connect(h.port, "127.0.0.1", () =>
        sock.write(`GET ${P}?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
      );
      sock.on("error", () => {});
      await h.pollPending(sid);
      sock.destroy();
      // well inside the heartbeat (pingInterval + pingTimeout = 10 s): closeOf waits 3 s
      assert.equal((await h.closeOf(sid)).reason, "transport error");
    });

    test("second concurrent POST → 400, session closes with transport error", async () => {
      const { sid } = await handshake(h.port);
      // a POST whose body never ends
      const slow = httpRequest({
        host: "127.0.0.1",
        port: h.port,
        method: "POST",
        path: `${P}?EIO=4&transport=polling&sid=${sid}`,
        headers: { "content-length": "100" },
      });
      slow.on("error", () => {});
      slow.write("4a");
      await h.postPending(sid);
      const second = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4b");
      assert.equal(second.status, 400);
      assert.equal((await h.closeOf(sid)).reason, "transport error");
      slow.destroy();
    });

    test("POST over maxHttpBufferSize → 413; close reason transport error, code EIO_ERR_PAYLOAD_TOO_LARGE", async () => {
      const { sid } = await handshake(h.port);
      const r = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, `4${"z".repeat(2000)}`);
      assert.equal(r.status, 413);
      const c = await h.closeOf(sid);
      assert.equal(c.reason, "transport error");
      assert.equal(c.code, "EIO_ERR_PAYLOAD_TOO_LARGE");
    });

    test("chunked POST over the limit (no content-length) → 413 too", async () => {
      const { sid } = await handshake(h.port);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: h.port,
            method: "POST",
            path: `${P}?EIO=4&transport=polling&sid=${sid}`,
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        for (let i = 0; i < 5; i++) req.write("4".padEnd(400, "q"));
        req.end();
      });
      assert.equal(status, 413);
      assert.equal((await h.closeOf(sid)).code, "EIO_ERR_PAYLOAD_TOO_LARGE");
    });

    test("POST with application/octet-stream → 400 and the session closes", async () => {
      const { sid } = await handshake(h.port);
      const r = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4x", {
        "content-type": "application/octet-stream",
      });
      assert.equal(r.status, 400);
      assert.equal((await h.closeOf(sid)).reason, "transport error");
    });

    test("client POST of 1 while a GET is pending: the GET receives 6, next GET 400", async () => {
      const { sid } = await handshake(h.port);
      const pending = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      await h.pollPending(sid);
      const post = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "1");
      assert.equal(post.status, 200);
      assert.equal((await pending).text, "6");
      assert.equal((await h.closeOf(sid)).reason, "transport close");
      const next = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(next.status, 400);
      assert.deepEqual(JSON.parse(next.text), { code: 1, message: "Session ID unknown" });
    });

    test("invalid UTF-8 and truncated base64 bodies → parse error, no crash", async () => {
      for (const body of [Buffer.from([0x34, 0xff, 0xfe]), Buffer.from("bA"), Buffer.from("\x1e\x1e\x1e")]) {
        const { sid } = await handshake(h.port);
        const r = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, body);
        assert.equal(r.status, 200);
        assert.equal((await h.closeOf(sid)).reason, "parse error");
      }
    });

    test("client ping (2) in v4 → transport error", async () => {
      const { sid } = await handshake(h.port);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "2");
      assert.equal((await h.closeOf(sid)).reason, "transport error");
    });

    test("error answers: codes, statuses and JSON bodies", async () => {
      const cases: [string, string, number, number, string][] = [
        ["GET", `${P}?EIO=4&transport=carrier-pigeon`, 400, 0, "Transport unknown"],
        ["GET", `${P}?EIO=4`, 400, 0, "Transport unknown"],
        ["GET", `${P}?EIO=4&transport=polling&sid=nope`, 400, 1, "Session ID unknown"],
        ["POST", `${P}?EIO=4&transport=polling`, 400, 2, "Bad handshake method"],
        ["PUT", `${P}?EIO=4&transport=polling`, 400, 2, "Bad handshake method"],
        ["GET", `${P}?EIO=4&transport=websocket`, 400, 3, "Bad request"],
        ["GET", `${P}?EIO=3&transport=polling`, 400, 5, "Unsupported protocol version"],
        ["GET", `${P}?transport=polling`, 400, 5, "Unsupported protocol version"],
        ["GET", `${P}?EIO=4&transport=polling&sid=__proto__`, 400, 1, "Session ID unknown"],
        ["GET", `${P}?EIO=4&transport=polling&sid=constructor`, 400, 1, "Session ID unknown"],
        ["GET", `${P}?EIO=4&transport=polling&sid=toString`, 400, 1, "Session ID unknown"],
      ];
      for (const [method, path, status, code, message] of cases) {
        const r = await raw(h.port, method, path);
        assert.equal(r.status, status, `${method} ${path}`);
        assert.equal(r.headers["content-type"], "application/json");
        assert.deepEqual(JSON.parse(r.text), { code, message }, `${method} ${path}`);
      }
    });

    test("httpCompression: gzip above the threshold when accepted, plain below", async () => {
      const { sid } = await handshake(h.port);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4big");
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`, undefined, {
        "accept-encoding": "gzip, deflate",
      });
      assert.equal(r.headers["content-encoding"], "gzip");
      assert.equal(gunzipSync(r.body).toString(), `4${"y".repeat(5000)}`);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4echo");
      const small = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`, undefined, {
        "accept-encoding": "gzip",
      });
      assert.equal(small.headers["content-encoding"], undefined);
      assert.equal(small.text, "4echoed");
    });
  });
}

/** A raw `ws` client that queues the frames it receives. */
export function openWs(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ ws: WebSocket; frames: (string | Buffer)[]; next(ms?: number): Promise<string | Buffer> }> {
  const ws = new WebSocket(url, options);
  const frames: (string | Buffer)[] = [];
  const waiters: ((f: string | Buffer) => void)[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const f = isBinary ? data : data.toString();
    const w = waiters.shift();
    if (w) w(f);
    else frames.push(f);
  });
  const next = (ms = 3000) =>
    new Promise<string | Buffer>((resolve, reject) => {
      const f = frames.shift();
      if (f !== undefined) return resolve(f);
      const timer = setTimeout(() => reject(new Error("no frame")), ms);
      waiters.push((x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, frames, next }));
    ws.once("error", reject);
  });
}

/** Registers the wire cases of WebSocket and the polling → WebSocket probe against a server on `runtime`. */
export function websocketWireCases(runtime: WireRuntime, opts: { skip?: string } = {}): void {
  describe(`websocket on the wire (${runtime})`, { skip: opts.skip }, () => {
    let h: WireServer;
    before(async () => {
      h = await startWireServer(runtime);
    });
    after(() => h?.close());
    const wsUrl = (q = "") => `ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket${q}`;

    test("direct handshake: first frame is the open packet with upgrades []", async () => {
      const c = await openWs(wsUrl());
      const first = (await c.next()) as string;
      assert.equal(first[0], "0");
      const o = JSON.parse(first.slice(1));
      assert.deepEqual(o.upgrades, []);
      assert.equal(o.maxPayload, 1000);
      c.ws.send("4hi");
      assert.equal(await c.next(), "4hi");
      c.ws.send(Buffer.from([1, 2, 3]));
      const b = await c.next();
      assert.ok(Buffer.isBuffer(b));
      assert.deepEqual([...(b as Buffer)], [1, 2, 3]);
      // a text frame `b`+base64 is a binary message too
      c.ws.send("bAQID");
      assert.deepEqual([...((await c.next()) as Buffer)], [1, 2, 3]);
      c.ws.close();
    });

    test("client ping (2) → transport error", async () => {
      const c = await openWs(wsUrl());
      const sid = JSON.parse(((await c.next()) as string).slice(1)).sid;
      c.ws.send("2");
      assert.equal((await h.closeOf(sid)).reason, "transport error");
      c.ws.close();
    });

    test("garbage text frame → parse error", async () => {
      const c = await openWs(wsUrl());
      const sid = JSON.parse(((await c.next()) as string).slice(1)).sid;
      c.ws.send("x garbage");
      assert.equal((await h.closeOf(sid)).reason, "parse error");
      c.ws.close();
    });

    test("frame over maxHttpBufferSize → transport error with EIO_ERR_PAYLOAD_TOO_LARGE", async () => {
      const c = await openWs(wsUrl());
      const sid = JSON.parse(((await c.next()) as string).slice(1)).sid;
      const closed = once<number | Buffer>(c.ws, "close");
      c.ws.send(`4${"a".repeat(5000)}`);
      const r = await h.closeOf(sid);
      assert.equal(r.reason, "transport error");
      assert.equal(r.code, "EIO_ERR_PAYLOAD_TOO_LARGE");
      const [code] = await closed;
      // Node (ws) and Bun (its maxPayloadLength) answer 1009. On Deno the engine checks the size itself and the
      // session's close (transport error) closes the socket first, with 1000: Deno's WHATWG WebSocket API
      // cannot send 1009 anyway (only 1000 and 3000-4999)
      assert.equal(code, runtime === "deno" ? 1000 : 1009);
    });

    test("b64=1: binary messages are sent as b+base64 text frames", async () => {
      const c = await openWs(wsUrl("&b64=1"));
      await c.next();
      c.ws.send(Buffer.from([1, 2, 3, 4]));
      assert.equal(await c.next(), "bAQIDBA==");
      c.ws.close();
    });

    test("probe: pending poll is released with a noop", async () => {
      const { sid } = await handshake(h.port);
      const pending = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      await h.pollPending(sid);
      const c = await openWs(wsUrl(`&sid=${sid}`));
      c.ws.send("2probe");
      assert.equal(await c.next(), "3probe");
      assert.equal((await pending).text, "6");
      c.ws.send("5");
      const end = Date.now() + 3000;
      while ((await h.session(sid))?.transport !== "websocket") {
        if (Date.now() > end) throw new Error("no upgrade");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      c.ws.close();
    });
  });
}

/** A raw WebSocket client that answers pings (or not) and records when they came. */
export function pingClient(
  url: string,
  answerPings: boolean,
): Promise<{ ws: WebSocket; pings: number[]; sid: string }> {
  const ws = new WebSocket(url);
  const pings: number[] = [];
  return new Promise((resolve, reject) => {
    ws.on("message", (data: Buffer) => {
      const text = data.toString();
      if (text[0] === "0") resolve({ ws, pings, sid: JSON.parse(text.slice(1)).sid });
      if (text === "2") {
        pings.push(Date.now());
        if (answerPings) ws.send("3");
      }
    });
    ws.on("error", reject);
  });
}

/** Registers the heartbeat wire case against a server on `runtime`. */
export function heartbeatWireCases(runtime: WireRuntime, opts: { skip?: string } = {}): void {
  describe(`heartbeat on the wire (${runtime})`, { skip: opts.skip }, () => {
    test("a client that answers pings stays; a silent one is closed with ping timeout after a ping", async () => {
      const h = await startWireServer(runtime, {
        pingInterval: 100,
        pingTimeout: 150,
        maxHttpBufferSize: 1000,
      });
      try {
        const good = await pingClient(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket`, true);
        const bad = await pingClient(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket`, false);
        assert.equal((await h.closeOf(bad.sid)).reason, "ping timeout");
        await waitFor(() => bad.pings.length >= 1, 5000, "the ping the silent client did not answer");
        // the answering client keeps going: several more pings answered after the silent one was dropped
        const after = good.pings.length;
        await waitFor(() => good.pings.length >= after + 3, 5000, "three more pings on the answering client");
        assert.equal((await h.session(good.sid))?.readyState, "open");
        good.ws.close();
        bad.ws.close();
      } finally {
        await h.close();
      }
    });
  });
}
