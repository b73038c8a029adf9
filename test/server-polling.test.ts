// Long-polling edge cases with raw HTTP requests: handshake shape, content types, overlap rules, 413,
// octet-stream rejection, close/noop interplay, error codes and bodies, compression, b64, cookie, CORS.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Socket } from "../src/index.js";
import {
  type Harness,
  handshake,
  once,
  pollPending,
  raw,
  rawBytes,
  startServer,
  waitFor,
} from "./server-helpers.js";
import { pollingWireCases } from "./server-wire.js";

const P = "/engine.io/";

// the wire-level cases, shared with the Bun and Deno hosts (test/server-runtimes-wire.test.ts)
pollingWireCases("node");

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

  test("binary from the client (b + base64) arrives as a Buffer", async () => {
    const { sid } = await handshake(h.port);
    const s = h.engine.clients[sid]!;
    const got = once(s, "message");
    await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "bAQIDBA==");
    const [m] = await got;
    assert.ok(Buffer.isBuffer(m));
    assert.deepEqual([...m!], [1, 2, 3, 4]);
  });

  test("GET is held until there is something to send", async () => {
    const { sid } = await handshake(h.port);
    const pending = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
    await pollPending(h.engine, sid);
    h.engine.clients[sid]!.send("later");
    const r = await pending;
    assert.equal(r.text, "4later");
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
      // synchronous ids: a throw, and an id already in use, are refused the same way; the server keeps serving
      h.engine.generateId = () => {
        throw new Error("no id");
      };
      assert.equal((await raw(h.port, "GET", `${P}?EIO=4&transport=polling`)).status, 400);
      h.engine.generateId = () => sid;
      assert.equal((await raw(h.port, "GET", `${P}?EIO=4&transport=polling`)).status, 400);
      assert.equal(h.engine.clientsCount, 1);
      h.engine.generateId = () => "sync-id";
      assert.equal((await handshake(h.port)).sid, "sync-id");
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
