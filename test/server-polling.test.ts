// Long-polling edge cases with raw HTTP requests: handshake shape, content types, overlap rules, 413,
// octet-stream rejection, close/noop interplay, error codes and bodies, compression, b64, cookie, CORS.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import type { Socket } from "../src/index.js";
import {
  type Harness,
  handshake,
  once,
  pollPending,
  postPending,
  raw,
  rawBytes,
  startServer,
  waitFor,
} from "./server-helpers.js";

const P = "/engine.io/";

describe("long-polling (raw HTTP)", () => {
  let h: Harness;
  const closes: { sid: string; reason: string; code?: string }[] = [];
  const errors: { code: number; context: unknown }[] = [];
  before(async () => {
    h = await startServer({ pingInterval: 5000, pingTimeout: 5000, maxHttpBufferSize: 1000 });
    h.engine.on("connection", (s: Socket) => {
      s.on("message", (m) => {
        if (m === "echo") s.send("echoed");
        if (m === "bin") s.send(Buffer.from([1, 2, 3, 4]));
        if (m === "big") s.send("y".repeat(5000));
      });
      s.on("close", (reason, desc) => closes.push({ sid: s.id, reason, code: desc?.code }));
    });
    h.engine.on("connection_error", (e) => errors.push({ code: e.code, context: e.context }));
  });
  after(() => h.close());

  const closeOf = async (sid: string) => {
    await waitFor(() => closes.some((c) => c.sid === sid), 3000, `close of ${sid}`);
    return closes.find((c) => c.sid === sid)!;
  };

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

  test("binary from the client (b + base64) arrives as a Buffer", async () => {
    const { sid } = await handshake(h.port);
    const s = h.engine.clients[sid]!;
    const got = once(s, "message");
    await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "bAQIDBA==");
    const [m] = await got;
    assert.ok(Buffer.isBuffer(m));
    assert.deepEqual([...m!], [1, 2, 3, 4]);
  });

  test("b64=1 is honoured (binary always as b+base64)", async () => {
    const { sid } = await handshake(h.port, P, "&b64=1");
    await raw(h.port, "POST", `${P}?EIO=4&transport=polling&b64=1&sid=${sid}`, "4bin");
    const get = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&b64=1&sid=${sid}`);
    assert.equal(get.text, "bAQIDBA==");
  });

  test("GET is held until there is something to send", async () => {
    const { sid } = await handshake(h.port);
    const pending = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
    await pollPending(h.engine, sid);
    h.engine.clients[sid]!.send("later");
    const r = await pending;
    assert.equal(r.text, "4later");
  });

  test("second concurrent GET → 400, session closes with transport error, first GET receives 1", async () => {
    const { sid } = await handshake(h.port);
    const first = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
    await pollPending(h.engine, sid);
    const second = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(second.status, 400);
    const r = await first;
    assert.equal(r.text, "1");
    assert.equal((await closeOf(sid)).reason, "transport error");
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
    await postPending(h.engine, sid);
    const second = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4b");
    assert.equal(second.status, 400);
    assert.equal((await closeOf(sid)).reason, "transport error");
    slow.destroy();
  });

  test("POST over maxHttpBufferSize → 413; close reason transport error, code EIO_ERR_PAYLOAD_TOO_LARGE", async () => {
    const { sid } = await handshake(h.port);
    const r = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, `4${"z".repeat(2000)}`);
    assert.equal(r.status, 413);
    const c = await closeOf(sid);
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
    assert.equal((await closeOf(sid)).code, "EIO_ERR_PAYLOAD_TOO_LARGE");
  });

  test("POST with application/octet-stream → 400 and the session closes", async () => {
    const { sid } = await handshake(h.port);
    const r = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4x", {
      "content-type": "application/octet-stream",
    });
    assert.equal(r.status, 400);
    assert.equal((await closeOf(sid)).reason, "transport error");
  });

  test("client POST of 1 while a GET is pending: the GET receives 6, next GET 400", async () => {
    const { sid } = await handshake(h.port);
    const pending = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
    await pollPending(h.engine, sid);
    const post = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "1");
    assert.equal(post.status, 200);
    assert.equal((await pending).text, "6");
    assert.equal((await closeOf(sid)).reason, "transport close");
    const next = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(next.status, 400);
    assert.deepEqual(JSON.parse(next.text), { code: 1, message: "Session ID unknown" });
  });

  test("undecodable payload → parse error (messages before it are delivered)", async () => {
    const { sid } = await handshake(h.port);
    const s = h.engine.clients[sid]!;
    const msgs: unknown[] = [];
    s.on("message", (m) => msgs.push(m));
    const r = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4a\x1ex\x1e4b");
    assert.equal(r.status, 200);
    assert.deepEqual(msgs, ["a"]);
    assert.equal((await closeOf(sid)).reason, "parse error");
  });

  test("invalid UTF-8 and truncated base64 bodies → parse error, no crash", async () => {
    for (const body of [Buffer.from([0x34, 0xff, 0xfe]), Buffer.from("bA"), Buffer.from("\x1e\x1e\x1e")]) {
      const { sid } = await handshake(h.port);
      const r = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, body);
      assert.equal(r.status, 200);
      assert.equal((await closeOf(sid)).reason, "parse error");
    }
  });

  test("client ping (2) in v4 → transport error", async () => {
    const { sid } = await handshake(h.port);
    await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "2");
    assert.equal((await closeOf(sid)).reason, "transport error");
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

  test("query parsing ignores __proto__/constructor keys and bad escapes", async () => {
    const r = await raw(
      h.port,
      "GET",
      `${P}?EIO=4&transport=polling&__proto__=x&constructor=y&a=%E0%A4%A&__proto__[polluted]=1`,
    );
    assert.equal(r.status, 200);
    const { sid } = JSON.parse(r.text.slice(1));
    const q = h.engine.clients[sid]!.request._query;
    assert.equal(Object.getPrototypeOf(q), Object.prototype);
    assert.equal(Object.hasOwn(q, "__proto__"), false);
    assert.equal(Object.hasOwn(q, "constructor"), false);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("unknown method on a session → 400, no crash, session unaffected", async () => {
    const { sid } = await handshake(h.port);
    const r = await raw(h.port, "DELETE", `${P}?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(r.status, 400);
    assert.equal(h.engine.clients[sid]!.readyState, "open");
  });

  test("polling request on a websocket-only server transport list → code 0", async () => {
    const h2 = await startServer({ transports: ["websocket"] });
    try {
      const r = await raw(h2.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.text).code, 0);
    } finally {
      await h2.close();
    }
  });

  test("Origin with invalid characters → 400 code 3 (INVALID_ORIGIN)", async () => {
    // Node's strict parser would refuse the header before the engine sees it (a 400 either way), so the
    // lenient parser lets the bytes through: only the engine's own Origin check answers code 3.
    const lenient = await startServer({}, { insecureHTTPParser: true });
    try {
      const seen: unknown[] = [];
      lenient.engine.on("connection_error", (e) => seen.push(e.context));
      const text = await rawBytes(
        lenient.port,
        `GET ${P}?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: http://a\x01b\r\nConnection: close\r\n\r\n`,
      );
      assert.match(text, /^HTTP\/1\.1 400/);
      assert.deepEqual(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)), {
        code: 3,
        message: "Bad request",
      });
      assert.deepEqual(seen, [{ name: "INVALID_ORIGIN", origin: "http://a\x01b" }]);
    } finally {
      await lenient.close();
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

  test("connection_error carries code and context", async () => {
    errors.length = 0;
    await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=zzz`);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 1);
    assert.deepEqual(errors[0]!.context, { sid: "zzz" });
  });
});

describe("polling options", () => {
  test("cookie: Set-Cookie io=<sid> on the handshake only, with defaults", async () => {
    const h = await startServer({ cookie: true });
    try {
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      const sid = JSON.parse(r.text.slice(1)).sid;
      const set = r.headers["set-cookie"]!;
      assert.equal(set.length, 1);
      assert.equal(set[0], `io=${sid}; Path=/; HttpOnly; SameSite=Lax`);
      const again = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4x");
      assert.equal(again.headers["set-cookie"], undefined);
    } finally {
      await h.close();
    }
  });

  test("cors: allowed origin gets the header, others do not; preflight answered", async () => {
    const h = await startServer({ cors: { origin: ["http://good.example"], credentials: true } });
    try {
      const good = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`, undefined, {
        origin: "http://good.example",
      });
      assert.equal(good.headers["access-control-allow-origin"], "http://good.example");
      assert.equal(good.headers["access-control-allow-credentials"], "true");
      const bad = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`, undefined, {
        origin: "http://evil.example",
      });
      assert.equal(bad.headers["access-control-allow-origin"], undefined);
      const pre = await raw(h.port, "OPTIONS", `${P}?EIO=4&transport=polling`, undefined, {
        origin: "http://good.example",
        "access-control-request-method": "POST",
      });
      assert.equal(pre.status, 204);
    } finally {
      await h.close();
    }
  });

  test("cookie as an object (python-engineio's cookie dict): name, path, SameSite, HttpOnly as given", async () => {
    const h = await startServer({
      cookie: { name: "eio", path: "/app", sameSite: "strict", httpOnly: false },
    });
    try {
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      const sid = JSON.parse(r.text.slice(1)).sid;
      assert.deepEqual(r.headers["set-cookie"], [`eio=${sid}; Path=/app; SameSite=Strict`]);
    } finally {
      await h.close();
    }
  });

  test("httpCompression: false (python-engineio's http_compression=False) never compresses", async () => {
    const h = await startServer({ httpCompression: false });
    h.engine.on("message", (sid, data) => h.engine.send(sid, `${data}`.repeat(1000)));
    try {
      const { sid } = await handshake(h.port);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4zzzz");
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`, undefined, {
        "accept-encoding": "gzip, deflate",
      });
      assert.equal(r.headers["content-encoding"], undefined);
      assert.equal(r.text, `4${"zzzz".repeat(1000)}`);
    } finally {
      await h.close();
    }
  });

  test("cors as a callable (python-engineio's cors_allowed_origins=f(origin[, environ])): origin function and delegate", async () => {
    const asked: (string | undefined)[] = [];
    const byOrigin = await startServer({
      cors: {
        origin: (origin, cb) => {
          asked.push(origin);
          cb(null, origin === "http://good.example");
        },
      },
    });
    // the delegate receives the request, as python-engineio's two-argument form receives the environ
    const byRequest = await startServer({
      cors: (req, cb) =>
        cb(null, { origin: (req as { headers: Record<string, string> }).headers["x-tenant"] === "good" }),
    });
    try {
      const hs = `${P}?EIO=4&transport=polling`;
      const good = await raw(byOrigin.port, "GET", hs, undefined, { origin: "http://good.example" });
      assert.equal(good.headers["access-control-allow-origin"], "http://good.example");
      const bad = await raw(byOrigin.port, "GET", hs, undefined, { origin: "http://evil.example" });
      assert.equal(bad.headers["access-control-allow-origin"], undefined);
      assert.deepEqual(asked, ["http://good.example", "http://evil.example"]);
      const tenant = await raw(byRequest.port, "GET", hs, undefined, {
        origin: "http://any.example",
        "x-tenant": "good",
      });
      assert.equal(tenant.headers["access-control-allow-origin"], "http://any.example");
      const other = await raw(byRequest.port, "GET", hs, undefined, { origin: "http://any.example" });
      assert.equal(other.headers["access-control-allow-origin"], undefined);
    } finally {
      await byOrigin.close();
      await byRequest.close();
    }
  });

  test("allowRequest: refusal → 403 with its message", async () => {
    const h = await startServer({ allowRequest: (_req, fn) => fn("go away", false) });
    try {
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(r.status, 403);
      assert.deepEqual(JSON.parse(r.text), { code: 4, message: "go away" });
    } finally {
      await h.close();
    }
  });

  test("headers / initial_headers events can add headers", async () => {
    const h = await startServer();
    try {
      h.engine.on("initial_headers", (headers) => {
        headers["x-initial"] = "1";
      });
      h.engine.on("headers", (headers) => {
        headers["x-every"] = "1";
      });
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(r.headers["x-initial"], "1");
      assert.equal(r.headers["x-every"], "1");
      const sid = JSON.parse(r.text.slice(1)).sid;
      const p = await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4x");
      assert.equal(p.headers["x-initial"], undefined);
      assert.equal(p.headers["x-every"], "1");
    } finally {
      await h.close();
    }
  });

  test("middleware: runs on handshakes; an error → 400 code 3", async () => {
    const h = await startServer();
    try {
      let calls = 0;
      h.engine.use((req, _res, next) => {
        calls++;
        if (req.headers["x-deny"]) next(new Error("denied"));
        else next();
      });
      const ok = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(ok.status, 200);
      const denied = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`, undefined, { "x-deny": "1" });
      assert.equal(denied.status, 400);
      assert.equal(JSON.parse(denied.text).code, 3);
      assert.equal(calls, 2);
    } finally {
      await h.close();
    }
  });

  test("generateId may return a Promise; a throwing generateId → 400", async () => {
    const h = await startServer();
    try {
      let n = 0;
      h.engine.generateId = async () => {
        n++;
        if (n === 2) throw new Error("no id");
        return `custom-${n}`;
      };
      const { sid } = await handshake(h.port);
      assert.equal(sid, "custom-1");
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(r.status, 400);
    } finally {
      await h.close();
    }
  });

  test("path option and trailing slash; other paths go to the original listener", async () => {
    const h = await startServer({ path: "/custom" });
    try {
      const r = await raw(h.port, "GET", `/custom/?EIO=4&transport=polling`);
      assert.equal(r.status, 200);
      const other = await raw(h.port, "GET", `/engine.io/?EIO=4&transport=polling`);
      assert.equal(other.status, 404);
    } finally {
      await h.close();
    }
  });
  test("graceful close of a polling session: buffered messages first, then the close packet", async () => {
    const h = await startServer();
    try {
      const { sid } = await handshake(h.port);
      const s: Socket = h.engine.clients[sid]!;
      const reasons: string[] = [];
      s.on("close", (r) => reasons.push(r));
      s.send("a");
      s.send("b");
      assert.equal(s.bufferedAmount, 4, "no GET pending: the messages wait in the buffer");
      h.engine.close();
      assert.deepEqual(reasons, []);
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(r.text, "4a\x1e4b");
      const r2 = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.ok(["1", "6\x1e1"].includes(r2.text), r2.text);
      assert.deepEqual(reasons, ["server shutting down"]);
      assert.equal(h.engine.clientsCount, 0);
    } finally {
      await h.close();
    }
  });
});
