import assert from "node:assert/strict";
import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import { describe, it } from "node:test";
import { HTTP_SERVER_DEFAULTS, listen } from "../src/index.js";

describe("http servers created by the package", () => {
  it("listen() bounds slow headers and bodies, and long polls still outlive the header timeout check", async () => {
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
      // A pending poll is a complete request: it must survive several timeout checks (1 s apart) and still
      // deliver what the server sends later.
      const poll = fetch(`${base}&sid=${sid}`).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 2_500));
      engine.send(sid, "late");
      assert.equal(await poll, "4late");
    } finally {
      engine.close();
      http.close();
    }
  });
});
