// The Fetch handler and FetchApp driven in Node with the platform's own Request/Response (no runtime binary
// needed): the polling handshake, a POST/GET round trip, the same error JSON as Node's http path, 404 outside
// the engine path, a held poll released by close, a WebSocket request where the runtime has no upgrade, and
// FetchApp's static files / otherApp routing. The Bun and Deno hosts are in runtimes.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { type FetchAnswer, FetchApp, type FetchHandler, Server, type Socket } from "../src/index.js";

const BASE = "http://127.0.0.1:9/engine.io/?EIO=4&transport=polling";

async function call(
  fetchFn: (r: Request) => FetchAnswer,
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetchFn(new Request(url, init));
  assert.ok(res, "a Response");
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** A polling session opened through `engine`'s Fetch handler: the handler, the sid and the server-side socket. */
async function openSession(engine: Server): Promise<{ handler: FetchHandler; sid: string; socket: Socket }> {
  const handler = engine.handler();
  const connected = new Promise<Socket>((resolve) => engine.once("connection", resolve));
  const open = await call(handler.fetch, BASE);
  const { sid } = JSON.parse(open.body.slice(1)) as { sid: string };
  return { handler, sid, socket: await connected };
}

describe("Fetch handler (Node's Request/Response)", () => {
  it("handshake, POST then GET, the session's request and transport", async (t) => {
    const engine = new Server();
    t.after(() => engine.close());
    const handler = engine.handler();
    const seen: Socket[] = [];
    engine.on("connection", (s: Socket) => {
      seen.push(s);
      s.on("message", (m) => s.send(m));
    });
    const open = await call(handler.fetch, BASE);
    assert.equal(open.status, 200);
    assert.equal(open.headers.get("content-type"), "text/plain; charset=UTF-8");
    const { sid } = JSON.parse(open.body.slice(1)) as { sid: string };
    assert.equal(seen[0]!.transport?.name, "polling");
    assert.equal(seen[0]!.request.url, "/engine.io/?EIO=4&transport=polling");
    const post = await call(handler.fetch, `${BASE}&sid=${sid}`, {
      method: "POST",
      body: "4héllo\x1ebAQID",
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
    assert.deepEqual([post.status, post.body], [200, "ok"]);
    const got = await call(handler.fetch, `${BASE}&sid=${sid}`);
    assert.equal(got.body, "4héllo\x1ebAQID");
  });

  it("text payloads handed to the Response as strings (the runtime sets their length): the codec's bytes", async (t) => {
    const engine = new Server();
    t.after(() => engine.close());
    const { handler, sid, socket } = await openSession(engine);
    const batches: (string | Buffer)[][] = [
      ["plain"],
      ["héllo", "\u{1F600} astral", "lone \uD800 surrogate", ""],
      ["x".repeat(5000)], // longer than what is handed over as text: the codec's bytes
      ["text", Buffer.from([1, 2, 3])], // binary in the payload: the codec's bytes
    ];
    for (const batch of batches) {
      for (const m of batch) socket.send(m);
      const want = engine.codec.encodePayload(batch.map((m) => ({ type: "message" as const, data: m })));
      const res = (await handler.fetch(new Request(`${BASE}&sid=${sid}`)))!;
      const got = Buffer.from(await res.arrayBuffer());
      assert.deepEqual(got, Buffer.from(want));
      // a string body's Content-Length is the runtime's (checked on the wire in test/server-wire.ts); bytes get ours
      const text = batch.every((m) => typeof m === "string") && want.length < 4096;
      assert.equal(res.headers.get("content-length"), text ? null : String(want.length));
    }
  });

  it("text payloads under the text limit are compressed by their UTF-8 length against the threshold", async (t) => {
    const engine = new Server({ httpCompression: { threshold: 1024 } });
    t.after(() => engine.close());
    const { handler, sid, socket } = await openSession(engine);
    // 300 × é: 301 units, 601 bytes (plain); 400 × €: 401 units, 1201 bytes (gzip); 2000 × x: gzip
    for (const [text, encoding] of [
      ["\u00e9".repeat(300), null],
      ["\u20ac".repeat(400), "gzip"],
      ["x".repeat(2000), "gzip"],
    ] as const) {
      socket.send(text);
      const res = (await handler.fetch(
        new Request(`${BASE}&sid=${sid}`, { headers: { "accept-encoding": "gzip" } }),
      ))!;
      assert.equal(res.headers.get("content-encoding"), encoding, `${text.length} units`);
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal((encoding === null ? body : gunzipSync(body)).toString(), `4${text}`);
    }
  });

  it("a held poll is answered when the server closes the session", async (t) => {
    const engine = new Server();
    t.after(() => engine.close());
    const handler = engine.handler();
    const open = await call(handler.fetch, BASE);
    const { sid } = JSON.parse(open.body.slice(1)) as { sid: string };
    // known answers are handed over as they are (no promise for the runtime to settle), a held one as a promise
    const refused = handler.fetch(new Request(BASE.replace("transport=polling", "transport=nope")));
    assert.ok(refused instanceof Response, "a refusal is answered at once");
    assert.ok(handler.fetch(new Request(BASE)) instanceof Response, "a handshake is answered at once");
    const pending = handler.fetch(new Request(`${BASE}&sid=${sid}`));
    assert.ok(pending instanceof Promise, "a held poll is a promise");
    const held = call(() => pending, "http://unused/");
    engine.clients[sid]!.close();
    const r = await held;
    assert.deepEqual([r.status, r.body], [200, "1"]);
  });

  it("errors: the same JSON as Node's http path; 404 outside the path; no WebSocket upgrade in plain Node", async (t) => {
    const engine = new Server();
    t.after(() => engine.close());
    const handler = engine.handler();
    const bad = await call(handler.fetch, "http://127.0.0.1:9/engine.io/?EIO=4&transport=pigeon");
    assert.deepEqual([bad.status, JSON.parse(bad.body)], [400, { code: 0, message: "Transport unknown" }]);
    assert.equal(bad.headers.get("content-type"), "application/json");
    const outside = await call(handler.fetch, "http://127.0.0.1:9/other");
    assert.equal(outside.status, 404);
    const ws = await call(handler.fetch, "http://127.0.0.1:9/engine.io/?EIO=4&transport=websocket", {
      headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13" },
    });
    assert.equal(ws.status, 400);
    assert.equal(Object.keys(engine.clients).length, 0);
    assert.ok(handler.idleTimeout >= 1 && handler.idleTimeout <= 255);
    assert.ok(handler.maxRequestBodySize > engine.opts.maxHttpBufferSize);
  });

  it("FetchApp: engine path, static files (404 for refused paths), otherApp fallback", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "eio-fetchapp-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "index.html"), "<p>hi</p>");
    const engine = new Server();
    t.after(() => engine.close());
    const app = new FetchApp(engine, {
      staticFiles: { "/": "index.html", "/static": "." },
      staticRoot: dir,
      otherApp: (req) => new Response(`other ${new URL(req.url).pathname}`),
    });
    const page = await call(app.fetch, "http://127.0.0.1:9/");
    assert.deepEqual(
      [page.status, page.body, page.headers.get("content-type")],
      [200, "<p>hi</p>", "text/html; charset=utf-8"],
    );
    const viaPrefix = await call(app.fetch, "http://127.0.0.1:9/static/index.html");
    assert.equal(viaPrefix.body, "<p>hi</p>");
    // the URL parser resolves dot segments itself; an encoded slash reaches the rules and is refused with 404
    const dots = await call(app.fetch, "http://127.0.0.1:9/static/%2e%2e/%2e%2e/etc/passwd");
    assert.equal(dots.body, "other /etc/passwd");
    const encodedSlash = await call(app.fetch, "http://127.0.0.1:9/static/..%2f..%2fetc%2fpasswd");
    assert.equal(encodedSlash.status, 404);
    const other = await call(app.fetch, "http://127.0.0.1:9/api/x");
    assert.equal(other.body, "other /api/x");
    const eio = await call(app.fetch, BASE);
    assert.equal(eio.body[0], "0");
    const h = app.handler();
    assert.equal(typeof h.websocket.open, "function");
    assert.equal(h.fetch, app.fetch);
  });
});

describe("request target of a Fetch Request", () => {
  it("is what new URL() gives as pathname + search, for the URLs runtimes hand over", async () => {
    const { requestTarget, targetPath, isSecureUrl } = await import("../src/server/fetch/request-target.js");
    for (const url of [
      "http://127.0.0.1:9/engine.io/?EIO=4&transport=polling&sid=abc",
      "https://example.com/engine.io/",
      "http://[::1]:3000/a/b?x=1&y=%20z",
      "http://host",
      "http://host/?",
      "http://user:pw@host:1/p?q#frag",
      "ws://h/engine.io/?EIO=4#x",
    ]) {
      const u = new URL(url);
      assert.equal(
        requestTarget(u.href),
        u.pathname + u.search + (u.href.includes("?") && u.search === "" ? "?" : ""),
        url,
      );
      assert.equal(targetPath(requestTarget(u.href)), u.pathname, url);
      assert.equal(isSecureUrl(u.href), u.protocol === "https:" || u.protocol === "wss:", url);
    }
  });
});
