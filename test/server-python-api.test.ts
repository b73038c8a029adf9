// The python-engineio style API on the same Server: connect (async, refusal → 401), message, disconnect,
// send(sid), disconnect(sid?), transport(sid), sessions, asyncHandlers ordering, AsyncServer.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import WebSocket from "ws";
import { AsyncServer, ConnectionRefusedError, Server, type Socket } from "../src/index.js";
import { runFresh } from "./fresh-process.js";
import { handshake, pollPending, raw, startServer, waitFor } from "./server-helpers.js";

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
        "disconnect client disconnect undefined", // python-engineio's name for a close packet from the client
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
        await new Promise((r) => setImmediate(r)); // answered after the handler's promise settles
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

  /** Message handlers that wait for the test to release them, recording when each started and ended. */
  function gatedHandlers(fail?: string) {
    const started: string[] = [];
    const order: string[] = [];
    const gates = new Map<string, () => void>();
    const opened = new Map<string, Promise<void>>();
    const gate = (name: string): Promise<void> => {
      let p = opened.get(name);
      if (p === undefined) {
        p = new Promise<void>((r) => gates.set(name, r));
        opened.set(name, p);
      }
      return p;
    };
    const release = (name: string): void => {
      void gate(name);
      gates.get(name)!();
    };
    let running = 0;
    let maxRunning = 0;
    const handler = async (_sid: string, data: unknown): Promise<void> => {
      const name = String(data);
      started.push(name);
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await gate(name);
        order.push(name);
        if (name === fail) throw new Error("handler failure is contained");
      } finally {
        running--;
      }
    };
    return { started, order, release, handler, maxRunning: () => maxRunning };
  }

  test("asyncHandlers: false runs each socket's handlers one after another, in order", async () => {
    const h = await startServer({ asyncHandlers: false });
    try {
      const g = gatedHandlers();
      h.engine.on("message", g.handler);
      const { sid } = await handshake(h.port);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4a\x1e4b\x1e4c");
      await waitFor(() => g.started.length >= 1, 3000, "the first handler");
      // the three messages were decoded together: concurrent handlers would all have started by now
      assert.deepEqual(g.started, ["a"]);
      g.release("c");
      g.release("b");
      g.release("a");
      await waitFor(() => g.order.length === 3, 3000, "handlers");
      assert.deepEqual(g.order, ["a", "b", "c"]);
      assert.equal(g.maxRunning(), 1);
    } finally {
      await h.close();
    }
  });

  test("asyncHandlers: true (default) runs handlers concurrently; a rejected handler does not crash", async () => {
    const h = await startServer();
    try {
      const g = gatedHandlers("b");
      h.engine.on("message", g.handler);
      const { sid } = await handshake(h.port);
      await raw(h.port, "POST", `${P}?EIO=4&transport=polling&sid=${sid}`, "4a\x1e4b\x1e4c");
      await waitFor(() => g.started.length === 3, 3000, "all three handlers running");
      g.release("b");
      await waitFor(() => g.order.length === 1, 3000, "b");
      g.release("c");
      await waitFor(() => g.order.length === 2, 3000, "c");
      g.release("a");
      await waitFor(() => g.order.length === 3, 3000, "a");
      assert.deepEqual(g.order, ["b", "c", "a"]);
      assert.equal(g.maxRunning(), 3);
      // the session survived the rejected handler
      assert.equal(h.engine.clients[sid]?.readyState, "open");
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
      const socketReasons: string[] = [];
      h.engine.on("disconnect", (_sid, reason) => reasons.push(reason));
      h.engine.on("connection", (s: Socket) => s.on("close", (reason) => socketReasons.push(reason)));
      const a = await handshake(h.port);
      await handshake(h.port);
      await handshake(h.port);
      h.engine.disconnect(a.sid);
      // polling sessions close once their next GET carries the close packet
      const r = await raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${a.sid}`);
      assert.ok(["1", "6\x1e1"].includes(r.text), r.text);
      assert.equal(h.engine.clientsCount, 2);
      for (const sid of Object.keys(h.engine.clients)) {
        const open = h.engine.clients[sid]?.readyState === "open";
        const get = raw(h.port, "GET", `${P}?EIO=4&transport=polling&sid=${sid}`);
        // (a session already closing answers this GET with its close packet at once)
        if (open) await pollPending(h.engine, sid);
        h.engine.disconnect();
        // engine.io's behaviour: a close packet, after a noop when the close was pending before the GET
        const text = (await get).text;
        assert.ok(["1", "6\x1e1"].includes(text), text);
      }
      await waitFor(() => h.engine.clientsCount === 0, 2000, "all closed");
      // python-engineio's name on the python-style event, engine.io's on the socket's own `close` event
      assert.deepEqual(reasons, ["server disconnect", "server disconnect", "server disconnect"]);
      assert.deepEqual(socketReasons, ["forced close", "forced close", "forced close"]);
    } finally {
      await h.close();
    }
  });

  test("AsyncServer is a Server", () => {
    const s = new AsyncServer({ pingInterval: 1000 });
    assert.ok(s instanceof Server);
    assert.equal(s.opts.pingInterval, 1000);
  });

  test("logging (python-engineio's logger=True): DEBUG=engine* turns on the engine's namespaces", () => {
    // DEBUG is read when the package is imported (src/debug.ts): a fresh process with it set
    const script = `
      const { startServer, handshake } = await import("./test/server-helpers.ts");
      const h = await startServer();
      await handshake(h.port);
      await h.close();
    `;
    const r = runFresh(script, { DEBUG: "engine*" });
    assert.match(r.stderr, /engine handshaking client/, "an `engine` line about the handshake");
    assert.match(r.stderr, /engine:socket/, "an `engine:socket` line");
  });
});
