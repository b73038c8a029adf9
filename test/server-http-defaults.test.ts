import assert from "node:assert/strict";
import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { HTTP_SERVER_DEFAULTS, listen } from "../src/index.js";
import { pollingOf, waitFor } from "./server-helpers.js";

describe("http servers created by the package", () => {
  it("listen() bounds slow headers, and long polls still outlive the header timeout check", {
    timeout: 30_000,
  }, async () => {
    const engine = listen(0, { pingInterval: 60_000, pingTimeout: 60_000 });
    const http = engine.httpServer as HttpServer;
    try {
      if (!http.listening) await once(http, "listening");
      assert.equal(http.headersTimeout, HTTP_SERVER_DEFAULTS.headersTimeout);
      assert.equal(http.requestTimeout, HTTP_SERVER_DEFAULTS.requestTimeout);
      const address = http.address();
      assert.ok(address && typeof address === "object");
      const base = `http://127.0.0.1:${address.port}/engine.io/?EIO=4&transport=polling`;
      const open = await (await fetch(base)).text();
      const sid = JSON.parse(open.slice(1)).sid as string;
      // A pending poll is a complete request: it must outlive headersTimeout and still deliver what the server
      // sends later. The observable that the timeout checks ran past headersTimeout is a slowloris connection
      // (opened after the poll, headers never finished) being answered 408 and closed by the server.
      const poll = fetch(`${base}&sid=${sid}`).then((r) => r.text());
      await waitFor(() => pollingOf(engine, sid).writable, 5000, "the pending poll");
      const slow = await new Promise<string>((resolve, reject) => {
        let out = "";
        const sock = connect(address.port, "127.0.0.1", () =>
          sock.write("GET /engine.io/ HTTP/1.1\r\nHost: x\r\n"),
        );
        const bound =
          HTTP_SERVER_DEFAULTS.headersTimeout! + 3 * HTTP_SERVER_DEFAULTS.connectionsCheckingInterval!;
        const timer = setTimeout(() => {
          sock.destroy();
          reject(new Error(`slow headers not cut within ${bound} ms`));
        }, bound);
        sock.setEncoding("latin1");
        sock.on("data", (d: string) => {
          out += d;
        });
        sock.on("error", () => {});
        sock.on("close", () => {
          clearTimeout(timer);
          resolve(out);
        });
      });
      assert.match(slow, /^HTTP\/1\.1 408/);
      engine.send(sid, "late");
      assert.equal(await poll, "4late");
    } finally {
      engine.close();
      http.close();
    }
  });
});
