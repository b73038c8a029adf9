// What the client says when it cannot connect: the system error (ECONNREFUSED, ENOTFOUND) is lifted to the top
// of the TransportError (`systemCode`, `address`, `port`, and the message), over polling (fetch), polling over
// node:http (agents), WebSocket and the python-style Client; a server-side ConnectionRefusedError's message and
// data reach the client's error as `serverMessage` and `data`.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { Client, Socket, TransportError } from "../src/client/index.js";
import { ConnectionRefusedError } from "../src/index.js";
import { next } from "./client-helpers.js";
import { startServer } from "./server-helpers.js";

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("a server that is not there", () => {
  const variants = [
    { name: "polling (fetch)", opts: { transports: ["polling" as const] } },
    { name: "polling (node:http, autoUnref)", opts: { transports: ["polling" as const], autoUnref: true } },
    { name: "websocket", opts: { transports: ["websocket" as const] } },
  ];
  for (const { name, opts } of variants) {
    test(`${name}: ECONNREFUSED with the address and port at the top level`, async () => {
      const port = await closedPort();
      const s = new Socket(`http://127.0.0.1:${port}`, opts);
      const [err] = await next<[TransportError]>(s, "error", 10000);
      assert.ok(err instanceof TransportError);
      assert.equal(err.code, "EIO_ERR_TRANSPORT");
      assert.equal(err.systemCode, "ECONNREFUSED");
      assert.equal(err.address, "127.0.0.1");
      assert.equal(err.port, port);
      assert.match(err.message, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
      s.close();
    });
  }

  test("the error and close listeners are typed as coded errors (err.code without a cast)", async () => {
    const port = await closedPort();
    const s = new Socket(`http://127.0.0.1:${port}`, { transports: ["polling"] });
    const codes: string[] = [];
    s.on("error", (err) => {
      // compile-time check: `err` is TransportError | EioError, so `code` is an EioErrorCode
      codes.push(err.code);
    });
    const [, description] = await next<[string, unknown]>(s, "close", 10000);
    s.on("close", (_reason, d) => {
      if (d !== undefined && "code" in d) codes.push(d.code);
    });
    assert.deepEqual(codes, ["EIO_ERR_TRANSPORT"]);
    assert.ok(description instanceof TransportError);
  });

  test("DNS failure: ENOTFOUND names the host", async () => {
    const s = new Socket("http://no-such-host.invalid", { transports: ["polling"] });
    const [err] = await next<[TransportError]>(s, "error", 15000);
    // a resolver that cannot reach anything says EAI_AGAIN instead
    assert.ok(["ENOTFOUND", "EAI_AGAIN"].includes(err.systemCode ?? ""), `systemCode ${err.systemCode}`);
    assert.equal(err.address, "no-such-host.invalid");
    assert.match(err.message, /no-such-host\.invalid/);
    s.close();
  });

  test("python-style Client.connect rejects with the same facts", async () => {
    const port = await closedPort();
    const c = new Client();
    await assert.rejects(c.connect(`http://127.0.0.1:${port}`), (e: TransportError) => {
      assert.equal(e.systemCode, "ECONNREFUSED");
      assert.equal(e.port, port);
      return true;
    });
    assert.equal(c.state, "disconnected");
  });
});

describe("ConnectionRefusedError reaches the client", () => {
  for (const transport of ["polling", "websocket"] as const) {
    test(`${transport}: serverMessage and data on the error, HTTP 401`, async () => {
      const h = await startServer();
      try {
        h.engine.on("connect", () => {
          throw new ConnectionRefusedError("bad token", { reason: "expired", retry: false });
        });
        const s = new Socket(h.url, { transports: [transport] });
        const [err] = await next<[TransportError]>(s, "error");
        assert.equal(err.code, "EIO_ERR_HANDSHAKE");
        assert.equal(err.status, 401);
        assert.equal(err.serverMessage, "bad token");
        assert.equal(err.message, "bad token");
        assert.deepEqual(err.data, { reason: "expired", retry: false });
        s.close();
      } finally {
        await h.close();
      }
    });
  }

  test("python-style Client: connect() rejects with serverMessage and data", async () => {
    const h = await startServer();
    try {
      h.engine.on("connect", async () => {
        throw new ConnectionRefusedError("not now", ["a", 1]);
      });
      const c = new Client();
      await assert.rejects(c.connect(h.url), (e: TransportError) => {
        assert.equal(e.serverMessage, "not now");
        assert.deepEqual(e.data, ["a", 1]);
        return true;
      });
    } finally {
      await h.close();
    }
  });
});
