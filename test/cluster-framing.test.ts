// @backends: once
// The primary's HTTP/1.1 framing (src/cluster/framing.ts): heads, Content-Length and chunked bodies split
// at every byte, and the malformed or ambiguous framings it refuses (request smuggling shapes).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BodyCounter, MAX_HEAD, parseHead, responseBodyLength } from "../src/cluster/framing.js";

const b = (s: string): Buffer => Buffer.from(s, "latin1");

describe("cluster framing", () => {
  test("a request head: method, target, body length, upgrade; incomplete until the blank line", () => {
    const raw =
      "POST /engine.io/?EIO=4&transport=polling&sid=w0abc HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    for (let cut = 0; cut < raw.indexOf("\r\n\r\n") + 4; cut++)
      assert.equal(parseHead(b(raw.slice(0, cut)), true), undefined);
    const h = parseHead(b(raw), true)!;
    assert.equal(h.method, "POST");
    assert.equal(h.target, "/engine.io/?EIO=4&transport=polling&sid=w0abc");
    assert.equal(h.contentLength, 5);
    assert.equal(h.length, raw.length - 5);
    assert.equal(h.close, false);
    const up = parseHead(b("GET /x HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), true)!;
    assert.equal(up.upgrade, true);
    assert.equal(parseHead(b("GET / HTTP/1.0\r\n\r\n"), true)!.close, true);
    assert.equal(parseHead(b("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), true)!.close, false);
    assert.equal(parseHead(b("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), true)!.close, true);
  });

  test("refused: bad request lines, header lines without a colon, conflicting lengths, CL with TE, too long", () => {
    for (const raw of [
      "GET /\r\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",
      "GET / HTTP/1.1\r\nno colon\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    ])
      assert.equal(parseHead(b(raw), true), null, raw);
    assert.equal(parseHead(Buffer.alloc(MAX_HEAD + 1, 0x61), true), null);
  });

  test("response bodies: no body for HEAD, 1xx, 204, 304; chunked; to the connection's end without a length", () => {
    const r = (s: string) => parseHead(b(s), false)!;
    assert.equal(responseBodyLength("GET", r("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n")), 7);
    assert.equal(responseBodyLength("HEAD", r("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n")), 0);
    assert.equal(responseBodyLength("GET", r("HTTP/1.1 204 No Content\r\n\r\n")), 0);
    assert.equal(responseBodyLength("GET", r("HTTP/1.1 101 Switching Protocols\r\n\r\n")), 0);
    assert.equal(responseBodyLength("GET", r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")), -1);
    assert.equal(responseBodyLength("GET", r("HTTP/1.1 200 OK\r\n\r\n")), -2);
    assert.equal(parseHead(b("HTTP/1.1 abc OK\r\n\r\n"), false), null);
  });

  test("a chunked body ends after its last chunk and trailers, fed whole or one byte at a time", () => {
    const body = "5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nX-Trailer: 1\r\n\r\n";
    const next = "GET / HTTP/1.1\r\n\r\n";
    const whole = new BodyCounter(-1);
    assert.equal(whole.take(b(body + next), 0), body.length);
    assert.ok(whole.done && !whole.invalid);
    const bytes = new BodyCounter(-1);
    let n = 0;
    for (const ch of body + next) {
      if (bytes.done) break;
      n += bytes.take(b(ch), 0);
    }
    assert.equal(n, body.length);
    const bare = new BodyCounter(-1);
    assert.equal(bare.take(b("0\r\n\r\nrest"), 0), 5);
    for (const bad of ["x\r\n", "5\r\nhelloXX", "1234567890123\r\n"]) {
      const c = new BodyCounter(-1);
      c.take(b(bad), 0);
      assert.ok(c.invalid, bad);
    }
  });

  test("a Content-Length body is counted across chunks; length 0 is done at once; -2 takes everything", () => {
    const c = new BodyCounter(5);
    assert.equal(c.take(b("hel"), 0), 3);
    assert.equal(c.done, false);
    assert.equal(c.take(b("loGET"), 0), 2);
    assert.equal(c.done, true);
    assert.equal(new BodyCounter(0).done, true);
    assert.equal(new BodyCounter(-2).take(b("abc"), 1), 2);
  });
});
