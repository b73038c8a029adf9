// Option validation (src/protocol/validate.ts) on both sides, and the one send rule (src/protocol/message.ts):
// every bad option throws a TypeError/RangeError with code EIO_ERR_INVALID_ARG naming the option, at construction;
// the python-style send JSON-encodes JSON values, Socket.send refuses what is neither text nor binary.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client, Socket as ClientSocket } from "../src/client/index.js";
import { Server, type ServerOptions } from "../src/index.js";
import { MAX_TIMER_MS } from "../src/protocol/validate.js";
import { next, open, shut } from "./client-helpers.js";
import { fromJs, startServer, waitFor } from "./server-helpers.js";

type Coded = Error & { code?: string; context?: { option?: string; unknown?: unknown[] } };

/** Asserts that `fn` throws `Kind` with the invalid-argument code, naming `option` (message and context). */
function throwsInvalid(fn: () => unknown, Kind: typeof TypeError | typeof RangeError, option: string): Coded {
  let caught: Coded | undefined;
  try {
    fn();
  } catch (e) {
    caught = e as Coded;
  }
  assert.ok(caught, `expected a throw for ${option}`);
  assert.ok(caught instanceof Kind, `${option}: ${caught.name} is not a ${Kind.name}: ${caught.message}`);
  assert.equal(caught.code, "EIO_ERR_INVALID_ARG");
  assert.match(caught.message, new RegExp(`\\b${option}\\b`));
  assert.equal(caught.context?.option, option);
  return caught;
}

describe("server options", () => {
  const timeOptions = ["pingInterval", "pingTimeout", "upgradeTimeout", "httpRequestBodyTimeout"] as const;
  for (const option of timeOptions) {
    test(`${option}: beyond Node's timer limit, Infinity, NaN, fractions, 0 and negatives are RangeErrors`, () => {
      for (const bad of [MAX_TIMER_MS + 1, 1e12, Number.POSITIVE_INFINITY, Number.NaN, 1.5, 0, -1]) {
        throwsInvalid(() => new Server({ [option]: bad } as ServerOptions), RangeError, option);
      }
      throwsInvalid(() => new Server({ [option]: "25000" } as unknown as ServerOptions), TypeError, option);
      // the limit itself is fine (and is what the handshake advertises)
      new Server({ [option]: MAX_TIMER_MS } as ServerOptions).close();
    });
  }

  test("destroyUpgradeTimeout may be 0; sizes must be non-negative integers; maxBufferedBytes may be Infinity", () => {
    new Server({ destroyUpgradeTimeout: 0, maxBufferedBytes: Number.POSITIVE_INFINITY }).close();
    throwsInvalid(() => new Server({ destroyUpgradeTimeout: -5 }), RangeError, "destroyUpgradeTimeout");
    throwsInvalid(() => new Server({ maxHttpBufferSize: -1 }), RangeError, "maxHttpBufferSize");
    throwsInvalid(() => new Server({ maxHttpBufferSize: Number.NaN }), RangeError, "maxHttpBufferSize");
    throwsInvalid(() => new Server({ maxBufferedBytes: -1 }), RangeError, "maxBufferedBytes");
  });

  test("transports: a string is a TypeError, [] a RangeError, unknown names are all listed", () => {
    throwsInvalid(() => new Server({ transports: fromJs("websocket") }), TypeError, "transports");
    throwsInvalid(() => new Server({ transports: [] }), RangeError, "transports");
    const e = throwsInvalid(
      () => new Server({ transports: fromJs(["polling", "foo", "websockets"]) }),
      RangeError,
      "transports",
    );
    assert.match(e.message, /"foo", "websockets"/);
    assert.match(e.message, /known: polling, websocket/);
    assert.deepEqual(e.context?.unknown, ["foo", "websockets"]);
  });

  test("types of the other options", () => {
    const cases: Array<[keyof ServerOptions, unknown]> = [
      ["allowUpgrades", "yes"],
      ["allowEIO3", 1],
      ["asyncHandlers", null],
      ["addTrailingSlash", "false"],
      ["destroyUpgrade", 0],
      ["allowRequest", true],
      ["wsEngine", {}],
      ["path", 42],
      ["perMessageDeflate", "on"],
      ["httpCompression", 1],
      ["cookie", "io"],
      ["cors", "*"],
      ["initialPacket", 42],
    ];
    for (const [option, value] of cases) {
      throwsInvalid(() => new Server({ [option]: value } as ServerOptions), TypeError, option);
    }
  });

  test("attach() options and shutdown()'s timeout are checked the same way", async () => {
    const { createServer } = await import("node:http");
    const engine = new Server();
    const http = createServer();
    throwsInvalid(
      () => engine.attach(http, { destroyUpgradeTimeout: -1 }),
      RangeError,
      "destroyUpgradeTimeout",
    );
    throwsInvalid(() => engine.attach(http, { path: fromJs(1) }), TypeError, "path");
    throwsInvalid(() => engine.shutdown(Number.POSITIVE_INFINITY), RangeError, "timeoutMs");
    engine.close();
  });

  test("a valid pingInterval is advertised as a number in the handshake", async () => {
    const h = await startServer({ pingInterval: 1234 });
    try {
      const res = await fetch(`${h.url}/engine.io/?EIO=4&transport=polling`);
      const open = JSON.parse((await res.text()).slice(1)) as { pingInterval: unknown };
      assert.equal(open.pingInterval, 1234);
    } finally {
      await h.close();
    }
  });
});

describe("client options", () => {
  const url = "http://127.0.0.1:9";
  test("requestTimeout: Infinity, beyond the timer limit, negatives and fractions are RangeErrors; 0 disables", () => {
    for (const bad of [Number.POSITIVE_INFINITY, MAX_TIMER_MS + 1, -1, 0.5]) {
      throwsInvalid(() => new ClientSocket(url, { requestTimeout: bad }), RangeError, "requestTimeout");
    }
    throwsInvalid(() => new ClientSocket(url, { requestTimeout: fromJs("5s") }), TypeError, "requestTimeout");
  });

  test("transports: a string, [] and unknown names throw; webtransport is accepted and skipped", () => {
    throwsInvalid(() => new ClientSocket(url, { transports: fromJs("websocket") }), TypeError, "transports");
    throwsInvalid(() => new ClientSocket(url, { transports: [] }), RangeError, "transports");
    const e = throwsInvalid(
      () => new ClientSocket(url, { transports: fromJs(["polling", "xhr-polling"]) }),
      RangeError,
      "transports",
    );
    assert.match(e.message, /"xhr-polling"/);
  });

  test("types and ranges of the other options", () => {
    const cases: Array<[string, unknown, typeof TypeError | typeof RangeError]> = [
      ["upgrade", "no", TypeError],
      ["forceBase64", 1, TypeError],
      ["withCredentials", "true", TypeError],
      ["autoUnref", null, TypeError],
      ["path", 5, TypeError],
      ["timestampParam", {}, TypeError],
      ["extraHeaders", "a: b", TypeError],
      ["query", 5, TypeError],
      ["protocols", [1], TypeError],
      ["port", 70000, RangeError],
      ["port", "http", TypeError],
      ["maxPayload", -1, RangeError],
      ["maxPacketsPerPost", 0, RangeError],
    ];
    for (const [option, value, Kind] of cases) {
      throwsInvalid(() => new ClientSocket(url, { [option]: value }), Kind, option);
    }
  });

  test("the python-style Client checks its own options at construction", () => {
    throwsInvalid(
      () => new Client({ requestTimeout: Number.POSITIVE_INFINITY }),
      RangeError,
      "requestTimeout",
    );
    throwsInvalid(() => new Client({ sslVerify: fromJs("no") }), TypeError, "sslVerify");
    throwsInvalid(() => new Client({ maxPacketsPerPost: 0 }), RangeError, "maxPacketsPerPost");
    throwsInvalid(() => new Client({ logger: fromJs({}) }), TypeError, "logger");
  });

  test("the python-style Client rejects connect() with the coded error of a bad socket option", async () => {
    const c = new Client({ transports: [fromJs("websockets")] });
    await assert.rejects(
      c.connect(url),
      (e: Coded) => e instanceof RangeError && e.code === "EIO_ERR_INVALID_ARG",
    );
    assert.equal(c.state, "disconnected");
  });
});

describe("the send rule", () => {
  test("Server.send(sid, data) JSON-encodes objects, arrays, numbers, booleans and null; Socket.send refuses them", async () => {
    const h = await startServer();
    try {
      const sids: string[] = [];
      h.engine.on("connect", (sid: string) => {
        sids.push(sid);
      });
      const s = await open(h.url, { transports: ["websocket"] });
      await waitFor(() => sids.length === 1, 5000, "connect handler");
      const sid = sids[0]!;
      const got: unknown[] = [];
      s.on("message", (m) => got.push(m));
      for (const value of [{ a: 1 }, [1, "two"], 42, true, null, "text"]) h.engine.send(sid, value);
      await waitFor(() => got.length === 6, 5000, "six messages");
      assert.deepEqual(got, ['{"a":1}', '[1,"two"]', "42", "true", "null", "text"]);
      for (const bad of [undefined, () => 1, Symbol("s"), 1n]) {
        assert.throws(
          () => h.engine.send(sid, fromJs(bad)),
          (e: Coded) => e instanceof TypeError && e.code === "EIO_ERR_INVALID_ARG",
        );
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.throws(
        () => h.engine.send(sid, cyclic),
        (e: Coded) => e.code === "EIO_ERR_INVALID_ARG",
      );
      const socket = h.engine.clients[sid]!;
      for (const bad of [{ a: 1 }, 42, undefined, null]) {
        assert.throws(
          () => socket.send(fromJs(bad)),
          (e: Coded) =>
            e instanceof TypeError && e.code === "EIO_ERR_INVALID_ARG" && /send\(\)/.test(e.message),
        );
      }
      await shut(s);
    } finally {
      await h.close();
    }
  });

  test("the python-style Client encodes the same way and throws for the same values", async () => {
    const h = await startServer();
    try {
      const got: unknown[] = [];
      h.engine.on("message", (_sid: string, data: unknown) => {
        got.push(data);
      });
      const c = new Client();
      await c.connect(h.url, { transports: ["websocket"] });
      c.send({ a: 1 });
      c.send([2]);
      c.send(3);
      assert.throws(
        () => c.send(fromJs(undefined)),
        (e: Coded) => e instanceof TypeError && e.code === "EIO_ERR_INVALID_ARG",
      );
      await waitFor(() => got.length === 3, 5000, "three messages");
      assert.deepEqual(got, ['{"a":1}', "[2]", "3"]);
      const closed = next(c.socket!, "close");
      await c.disconnect();
      await closed;
    } finally {
      await h.close();
    }
  });
});
