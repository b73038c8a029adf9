// The python-engineio style API on the same Server: connect (async, refusal → 401), message, disconnect,
// send(sid), disconnect(sid?), transport(sid), sessions, asyncHandlers ordering, AsyncServer.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import WebSocket from "ws";
import { AsyncServer, ConnectionRefusedError, Server } from "../src/index.js";
import { handshake, raw, sleep, startServer, waitFor } from "./server-helpers.js";

const P = "/engine.io/";

describe("python-engineio style API", () => {
  test("connect / message / disconnect; send(sid) replies; transport(sid)", async () => {
    const h = await startServer();
    try {
      const log: string[] = [];
      h.engine.on("connect", (sid, req) => {
        log.push(`connect ${typeof sid} ${typeof req.headers}`);
        h.engine.send(sid, "hi from connect");
      });
      h.engine.on("message", (sid, data) => {
        log.push(`message ${data}`);
        h.engine.send(sid, `reply: ${data}`);
      });
      h.engine.on("disconnect", (sid, reason) => log.push(`disconnect ${reason} ${h.engine.transport(sid)}`));
      const { sid, text } = await handshake(h.port);
      // the open packet first, then what the connect handler sent
      assert.ok(text.startsWith("0{") && text.endsWith("}\x1e4hi from connect"), text);
      assert.equal(h.engine.transport(sid), "polling");
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4ping");
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(r.text, "4reply: ping");
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "1");
      await waitFor(() => log.length === 3, 2000, "disconnect");
      assert.deepEqual(log, [
        "connect string object",
        "message ping",
        "disconnect transport close undefined",
      ]);
      assert.equal(h.engine.send("unknown", "x"), false);
    } finally {
      await h.close();
    }
  });

  test("connect returning false → 401 {message: Unauthorized}; no session remains", async () => {
    const h = await startServer();
    try {
      let disconnects = 0;
      h.engine.on("connect", () => false);
      h.engine.on("disconnect", () => disconnects++);
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.text), { message: "Unauthorized" });
      assert.equal(h.engine.clientsCount, 0);
      assert.equal(disconnects, 0);
    } finally {
      await h.close();
    }
  });

  test("async connect throwing ConnectionRefusedError → 401 with its data; over WebSocket too", async () => {
    const h = await startServer();
    try {
      h.engine.on("connect", async (_sid, req) => {
        await sleep(5);
        if (req.url?.includes("token=good")) return;
        throw new ConnectionRefusedError("bad token", { reason: "bad token", retry: false });
      });
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&token=bad`);
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.text), {
        message: "bad token",
        data: { reason: "bad token", retry: false },
      });
      const ok = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&token=good`);
      assert.equal(ok.status, 200);
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket&token=bad`);
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => resolve(101));
        ws.on("error", () => {});
      });
      assert.equal(status, 401);
      const opened = await new Promise<boolean>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${h.port}${P}?EIO=4&transport=websocket&token=good`);
        ws.on("message", () => {
          resolve(true);
          ws.close();
        });
        ws.on("error", () => resolve(false));
      });
      assert.equal(opened, true);
      await waitFor(() => h.engine.clientsCount === 1, 2000, "only the accepted polling session left");
    } finally {
      await h.close();
    }
  });

  test("a plain Error thrown by connect → 401 {message}", async () => {
    const h = await startServer();
    try {
      h.engine.on("connect", () => {
        throw new Error("nope");
      });
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling`);
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.text), { message: "nope" });
    } finally {
      await h.close();
    }
  });

  test("asyncHandlers: false runs each socket's handlers one after another, in order", async () => {
    const h = await startServer({ asyncHandlers: false });
    try {
      const order: string[] = [];
      let running = 0;
      let maxRunning = 0;
      h.engine.on("message", async (_sid, data) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(Number(String(data).slice(1)));
        order.push(String(data));
        running--;
      });
      const { sid } = await handshake(h.port);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4a30\x1e4b1\x1e4c10");
      await waitFor(() => order.length === 3, 3000, "handlers");
      assert.deepEqual(order, ["a30", "b1", "c10"]);
      assert.equal(maxRunning, 1);
    } finally {
      await h.close();
    }
  });

  test("asyncHandlers: true (default) runs handlers concurrently; a rejected handler does not crash", async () => {
    const h = await startServer();
    try {
      const order: string[] = [];
      h.engine.on("message", async (_sid, data) => {
        await sleep(Number(String(data).slice(1)));
        order.push(String(data));
        if (data === "b1") throw new Error("handler failure is contained");
      });
      const { sid } = await handshake(h.port);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4a30\x1e4b1\x1e4c10");
      await waitFor(() => order.length === 3, 3000, "handlers");
      assert.deepEqual(order, ["b1", "c10", "a30"]);
    } finally {
      await h.close();
    }
  });

  test("sessions: getSession / saveSession / session(sid, fn)", async () => {
    const h = await startServer();
    try {
      const { sid } = await handshake(h.port);
      assert.deepEqual(h.engine.getSession(sid), {});
      h.engine.saveSession(sid, { user: "ada" });
      assert.deepEqual(h.engine.getSession(sid), { user: "ada" });
      const r = await h.engine.session(sid, async (s) => {
        s.visits = 1;
        return "done";
      });
      assert.equal(r, "done");
      assert.deepEqual(h.engine.getSession(sid), { user: "ada", visits: 1 });
      assert.throws(() => h.engine.getSession("nope"), { code: "EIO_ERR_NOT_CONNECTED" });
    } finally {
      await h.close();
    }
  });

  test("disconnect(sid) closes one session, disconnect() all", async () => {
    const h = await startServer();
    try {
      const reasons: string[] = [];
      h.engine.on("disconnect", (_sid, reason) => reasons.push(reason));
      const a = await handshake(h.port);
      await handshake(h.port);
      await handshake(h.port);
      h.engine.disconnect(a.sid);
      // polling sessions close once their next GET carries the close packet
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${a.sid}`);
      assert.ok(["1", "6\x1e1"].includes(r.text), r.text);
      assert.equal(h.engine.clientsCount, 2);
      for (const sid of Object.keys(h.engine.clients)) {
        const get = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
        await sleep(10);
        h.engine.disconnect();
        // engine.io's behaviour: a close packet, after a noop when the close was pending before the GET
        const text = (await get).text;
        assert.ok(["1", "6\x1e1"].includes(text), text);
      }
      await waitFor(() => h.engine.clientsCount === 0, 2000, "all closed");
      assert.deepEqual(reasons, ["forced close", "forced close", "forced close"]);
    } finally {
      await h.close();
    }
  });

  test("AsyncServer is a Server", () => {
    const s = new AsyncServer({ pingInterval: 1000 });
    assert.ok(s instanceof Server);
    assert.equal(s.opts.pingInterval, 1000);
  });
});
