// Unit tests of the server's small helpers: query parsing, session ids, header validation, options.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, test } from "node:test";
import { chooseEncoding } from "../src/server/compression.js";
import { hasInvalidHeaderChar } from "../src/server/headers.js";
import { generateId } from "../src/server/id.js";
import { openPacketData } from "../src/server/open-packet.js";
import { computePath, resolveServerOptions } from "../src/server/options.js";
import { parseQuery } from "../src/server/query.js";

describe("chooseEncoding (httpCompression negotiation)", () => {
  const pick = (acceptEncoding: string | undefined, length = 2048, threshold = 1024) =>
    chooseEncoding(
      {
        headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding },
      } as IncomingMessage,
      length,
      { threshold },
    );
  test("the client's preference and q-values decide between gzip and deflate", () => {
    assert.equal(pick("gzip, deflate"), "gzip");
    assert.equal(pick("deflate"), "deflate");
    assert.equal(pick("gzip;q=0.1, deflate"), "deflate");
    assert.equal(pick("deflate, gzip;q=1"), "deflate"); // equal q: the client's order, as engine.io (accepts 1.3)
    assert.equal(pick("*"), "gzip");
  });
  test("nothing acceptable, refused, absent, or below the threshold: sent as is", () => {
    assert.equal(pick("br, identity"), null);
    assert.equal(pick("gzip;q=0, deflate;q=0"), null);
    assert.equal(pick(undefined), null);
    assert.equal(pick(""), null);
    assert.equal(pick("gzip", 100), null);
    assert.equal(
      chooseEncoding({ headers: { "accept-encoding": "gzip" } } as IncomingMessage, 1e6, false),
      null,
    );
  });
});

describe("parseQuery", () => {
  test("plain object, last duplicate wins, fragments and bad escapes tolerated", () => {
    const q = parseQuery("/engine.io/?EIO=4&transport=polling&t=1&t=2&x=%E0%A4%A#frag");
    assert.equal(Object.getPrototypeOf(q), Object.prototype);
    assert.deepEqual({ ...q, x: undefined }, { EIO: "4", transport: "polling", t: "2", x: undefined });
    assert.equal(typeof q.x, "string"); // a malformed escape decodes to U+FFFD, never throws
  });
  test("__proto__, constructor and prototype keys are dropped; nothing is polluted", () => {
    const q = parseQuery("/?__proto__=1&constructor=2&prototype=3&__proto__[polluted]=yes&ok=1");
    assert.deepEqual(Object.keys(q).sort(), ["__proto__[polluted]", "ok"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(q), Object.prototype);
  });
  test("no query, undefined url, huge values", () => {
    assert.deepEqual(parseQuery(undefined), {});
    assert.deepEqual(parseQuery("/engine.io/"), {});
    assert.equal(parseQuery(`/?a=${"x".repeat(100_000)}`).a!.length, 100_000);
  });
  test("the split fast path agrees with URLSearchParams on every query (seeded random pieces)", () => {
    const reference = (url: string): Record<string, string> => {
      const out: Record<string, string> = {};
      const q = url.indexOf("?");
      let end = url.indexOf("#", q);
      if (end === -1) end = url.length;
      for (const [k, v] of new URLSearchParams(url.slice(q + 1, end)))
        if (k !== "__proto__" && k !== "constructor" && k !== "prototype") out[k] = v;
      return out;
    };
    const pieces = [
      "a",
      "b",
      "=",
      "&",
      "&&",
      "==",
      "?",
      "#",
      "%",
      "%41",
      "+",
      "é",
      "\uD800",
      "__proto__",
      "EIO=4",
      // the keys parseQuery stores as literals, and near misses of them
      "t",
      "j",
      "sid",
      "b64",
      "EIO",
      "transport",
      "transpor",
      "si",
      "T",
    ];
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let n = 0; n < 20_000; n++) {
      let url = "/engine.io/?";
      for (let i = next(9); i > 0; i--) url += pieces[next(pieces.length)];
      assert.deepEqual(parseQuery(url), reference(url), url);
    }
  });
});

describe("generateId", () => {
  test("20 base64url characters, unique", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = generateId();
      assert.match(id, /^[A-Za-z0-9_-]{20}$/);
      ids.add(id);
    }
    assert.equal(ids.size, 5000);
  });
  test("with a node id: the prefix, then random characters; unique over several batches", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const id = generateId(i % 2 ? "n7" : "ABCD");
      assert.match(id, i % 2 ? /^n7[A-Za-z0-9_-]{18}$/ : /^ABCD[A-Za-z0-9_-]{16}$/);
      ids.add(id);
      // interleaved with plain ids, which come from another batch
      ids.add(generateId());
    }
    assert.equal(ids.size, 6000);
  });
});

describe("hasInvalidHeaderChar", () => {
  test("controls (but tab) and DEL are invalid; obs-text is allowed", () => {
    assert.equal(hasInvalidHeaderChar(undefined), false);
    assert.equal(hasInvalidHeaderChar("https://example.com"), false);
    assert.equal(hasInvalidHeaderChar("a\tb"), false);
    assert.equal(hasInvalidHeaderChar("caf\u00e9"), false);
    assert.equal(hasInvalidHeaderChar("a\u0000b"), true);
    assert.equal(hasInvalidHeaderChar("a\rb"), true);
    assert.equal(hasInvalidHeaderChar("a\u007fb"), true);
  });
});

describe("options", () => {
  test("engine.io defaults", () => {
    const o = resolveServerOptions();
    assert.equal(o.pingInterval, 25000);
    assert.equal(o.pingTimeout, 20000);
    assert.equal(o.upgradeTimeout, 10000);
    assert.equal(o.maxHttpBufferSize, 1e6);
    assert.equal(o.maxBufferedBytes, 10 * 1024 * 1024);
    assert.deepEqual(o.transports, ["polling", "websocket"]);
    assert.equal(o.allowUpgrades, true);
    assert.equal(o.perMessageDeflate, false);
    assert.deepEqual(o.httpCompression, { threshold: 1024 });
    assert.equal(o.cookie, false);
    assert.equal(o.cors, false);
    assert.equal(o.allowEIO3, false);
    assert.equal(o.asyncHandlers, true);
    assert.equal(o.path, "/engine.io");
    assert.equal(o.addTrailingSlash, true);
    assert.equal(o.destroyUpgrade, true);
    assert.equal(o.destroyUpgradeTimeout, 1000);
  });
  test("cookie and perMessageDeflate defaults; maxBufferedBytes 0 disables; invalid numbers throw", () => {
    assert.deepEqual(resolveServerOptions({ cookie: true }).cookie, {
      name: "io",
      path: "/",
      httpOnly: true,
      sameSite: "lax",
    });
    assert.deepEqual(resolveServerOptions({ perMessageDeflate: true }).perMessageDeflate, {
      threshold: 1024,
    });
    assert.equal(resolveServerOptions({ maxBufferedBytes: 0 }).maxBufferedBytes, Number.POSITIVE_INFINITY);
    assert.throws(() => resolveServerOptions({ pingInterval: -1 }), { code: "EIO_ERR_INVALID_ARG" });
    assert.throws(() => resolveServerOptions({ pingTimeout: Number.NaN }), { code: "EIO_ERR_INVALID_ARG" });
  });
  test("computePath", () => {
    assert.equal(computePath(undefined, true), "/engine.io/");
    assert.equal(computePath("/socket.io/", true), "/socket.io/");
    assert.equal(computePath("/x", false), "/x");
  });
});

describe("openPacketData", () => {
  test("the same text as JSON.stringify of the open packet's object, for any id, upgrades and numbers", () => {
    const optsList = [
      { pingInterval: 25000, pingTimeout: 20000, maxHttpBufferSize: 1e6 },
      { pingInterval: 1, pingTimeout: 2.5, maxHttpBufferSize: Number.POSITIVE_INFINITY },
    ];
    const ids = [
      "abcdefghijklmnopqrst",
      "AZaz09-_",
      "",
      'a"b',
      "a\\b",
      "é",
      "\u0001",
      "\uD800",
      "a b",
      "</script>",
    ];
    const upgradesList: string[][] = [[], ["websocket"], ["websocket", "webtransport"], ['we"ird']];
    for (let round = 0; round < 2; round++) {
      for (const opts of optsList) {
        for (const sid of ids) {
          for (const upgrades of upgradesList) {
            const want = JSON.stringify({
              sid,
              upgrades,
              pingInterval: opts.pingInterval,
              pingTimeout: opts.pingTimeout,
              maxPayload: opts.maxHttpBufferSize,
            });
            assert.equal(openPacketData(sid, upgrades, opts), want);
          }
        }
      }
    }
  });
});
