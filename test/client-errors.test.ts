// Error paths of the client: refused handshakes (polling and WebSocket, Socket and Client), a server that is not
// there or goes away, oversized messages, garbage payloads, invalid handshake JSON, unexpected status codes, and
// the heartbeat (ping timeout, throttled timers). Peers: engine.io 6.6, this project's Server, and scripted raw
// HTTP/WebSocket servers for the hostile cases. No case may raise an uncaught exception.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it, mock } from "node:test";
import { WebSocketServer } from "ws";
import { Client, type Socket as ClientSocket, Socket, TransportError } from "../src/client/index.js";
import type { EioError } from "../src/protocol/errors.js";
import { collect, next, open, type Peer, shut, startEngineIo, startOurs } from "./client-helpers.js";
import { waitFor } from "./server-helpers.js";

const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
before(() => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
});
after(() => {
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
  assert.deepEqual(uncaught, [], "no uncaught exceptions or unhandled rejections");
});

/** A scripted HTTP server: `handler` answers every request; optional raw WebSocket handling. */
async function scripted(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
  onWs?: (ws: import("ws").WebSocket) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  let n = 0;
  const http = createServer((req, res) => handler(req, res, n++));
  const wss = onWs ? new WebSocketServer({ server: http }) : undefined;
  if (onWs) wss!.on("connection", onWs);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss?.clients ?? []) c.terminate();
        wss?.close();
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}

const HANDSHAKE = (o: object = {}) =>
  `0${JSON.stringify({ sid: "abc", upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1e6, ...o })}`;

/** Opens a socket and resolves with [errors, close reason, close description]. */
function failure(
  socket: ClientSocket,
  ms = 5000,
): Promise<{ errors: Error[]; reason: string; desc: unknown }> {
  const errors: Error[] = [];
  socket.on("error", (e) => errors.push(e));
  return next<[string, unknown]>(socket, "close", ms).then(([reason, desc]) => ({ errors, reason, desc }));
}

const refusing: Array<{ name: string; start: () => Promise<Peer | undefined> }> = [
  {
    name: "engine.io 6.6",
    start: () => startEngineIo({ allowRequest: (_req, cb) => cb("not you", false) }),
  },
  {
    name: "engineio-wasm Server",
    start: () => startOurs({ allowRequest: (_req, cb) => cb("not you", false) }),
  },
];

for (const p of refusing) {
  describe(`refused handshake ↔ ${p.name}`, () => {
    let peer: Peer | undefined;
    before(async () => {
      peer = await p.start();
    });
    after(async () => peer?.close());

    it("polling: error event with code, status, server code and message; close `transport error`", async (t) => {
      if (!peer) return t.skip("server not available");
      const f = await failure(new Socket(peer.url, { transports: ["polling"] }));
      assert.equal(f.reason, "transport error");
      const err = f.errors[0] as TransportError;
      assert.ok(err instanceof TransportError);
      assert.equal(err.code, "EIO_ERR_HANDSHAKE");
      assert.equal(err.status, 403);
      assert.equal(err.serverCode, 4);
      assert.equal(err.serverMessage, "not you");
      assert.equal(err.message, "not you");
      assert.equal(err.description, 403, "engine.io-client's description is the status");
    });

    it("websocket: error event with code and the server's reason", async (t) => {
      if (!peer) return t.skip("server not available");
      const f = await failure(new Socket(peer.url, { transports: ["websocket"] }));
      assert.equal(f.reason, "transport error");
      const err = f.errors[0] as TransportError;
      assert.equal(err.code, "EIO_ERR_HANDSHAKE");
      assert.ok(err.status === 400 || err.status === 403, `status ${err.status}`);
      assert.equal(err.serverMessage, "not you");
    });

    it("Client.connect rejects with the server's code and message", async (t) => {
      if (!peer) return t.skip("server not available");
      const client = new Client();
      let connected = false;
      client.on("connect", () => {
        connected = true;
      });
      await assert.rejects(client.connect(peer.url, { transports: ["polling"] }), (e: TransportError) => {
        assert.equal(e.code, "EIO_ERR_HANDSHAKE");
        assert.equal(e.serverCode, 4);
        assert.equal(e.serverMessage, "not you");
        return true;
      });
      assert.equal(connected, false);
      assert.equal(client.state, "disconnected");
      await client.wait();
    });
  });
}

describe("server not there / going away", () => {
  it("connection refused: error (EIO_ERR_TRANSPORT) then close `transport error`; Client.connect rejects", async () => {
    const s = await scripted(() => {});
    const url = s.url;
    await s.close();
    for (const transports of [["polling"], ["websocket"]] as const) {
      const f = await failure(new Socket(url, { transports: [...transports] }));
      assert.equal(f.reason, "transport error");
      assert.equal((f.errors[0] as EioError).code, "EIO_ERR_TRANSPORT");
    }
    await assert.rejects(new Client().connect(url), (e: EioError) => e.code === "EIO_ERR_TRANSPORT");
  });

  for (const transports of [["polling"], ["websocket"]] as const) {
    it(`${transports[0]}: the server process goes away mid-session → close event, no exception`, async () => {
      const peer = await startEngineIo();
      const socket = await open(peer.url, { transports: [...transports] });
      const f = failure(socket);
      await peer.close();
      const { reason } = await f;
      assert.ok(reason === "transport close" || reason === "transport error", reason);
    });
  }

  it("requestTimeout: a WebSocket upgrade that never answers fails (Node: ws handshakeTimeout)", async () => {
    // no upgrade listener: Node hands the upgrade to the request handler, which never answers
    const s = await scripted(() => {});
    const f = failure(
      new Socket(s.url.replace("http:", "ws:"), { transports: ["websocket"], requestTimeout: 200 }),
    );
    // (without requestTimeout nothing would end the handshake and failure() would time out instead)
    const { reason, errors } = await f;
    assert.equal(reason, "transport error");
    assert.equal((errors[0] as EioError).code, "EIO_ERR_TRANSPORT");
    await s.close();
  });

  it("requestTimeout: a handshake that never answers fails with EIO_ERR_TIMEOUT", async () => {
    const s = await scripted(() => {});
    const f = await failure(new Socket(s.url, { transports: ["polling"], requestTimeout: 200 }));
    assert.equal((f.errors[0] as EioError).code, "EIO_ERR_TIMEOUT");
    assert.equal(f.reason, "transport error");
    await s.close();
  });
});

const limited: Array<{ name: string; start: () => Promise<Peer | undefined> }> = [
  { name: "engine.io 6.6", start: () => startEngineIo({ maxHttpBufferSize: 1000 }) },
  { name: "engineio-wasm Server", start: () => startOurs({ maxHttpBufferSize: 1000 }) },
];
for (const p of limited) {
  describe(`maxPayload ↔ ${p.name} (maxHttpBufferSize 1000)`, () => {
    let peer: Peer | undefined;
    before(async () => {
      peer = await p.start();
    });
    after(async () => peer?.close());

    for (const transports of [["polling"], ["websocket"]] as const) {
      it(`${transports[0]}: an oversized message is refused with EIO_ERR_PAYLOAD_TOO_LARGE, the session lives on`, async (t) => {
        if (!peer) return t.skip("server not available");
        const socket = await open(peer.url, { transports: [...transports] });
        const err = next<[EioError]>(socket, "error");
        socket.send("x".repeat(2000));
        const [e] = await err;
        assert.equal(e.code, "EIO_ERR_PAYLOAD_TOO_LARGE");
        assert.equal(e.context?.maxPayload, 1000);
        const got = collect(socket, 1);
        socket.send("still here");
        assert.deepEqual(await got, ["still here"]);
        assert.equal(socket.readyState, "open");
        await shut(socket);
      });
    }

    it("polling: a burst bigger than maxPayload is split across POSTs, nothing lost", async (t) => {
      if (!peer) return t.skip("server not available");
      const socket = await open(peer.url, { transports: ["polling"] });
      const msgs = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(300, "."));
      const got = collect(socket, msgs.length);
      for (const m of msgs) socket.send(m);
      assert.deepEqual(await got, msgs);
      await shut(socket);
    });
  });
}

describe("garbage from the server", () => {
  const cases: Array<{ name: string; body: (n: number) => string | Buffer; code: string; reason: string }> = [
    {
      name: "invalid handshake JSON",
      body: () => "0{not json",
      code: "EIO_ERR_HANDSHAKE",
      reason: "parse error",
    },
    {
      name: "handshake JSON without sid",
      body: () => '0{"pingInterval":1,"pingTimeout":1}',
      code: "EIO_ERR_HANDSHAKE",
      reason: "parse error",
    },
    {
      name: "first packet is not open",
      body: () => "4hello",
      code: "EIO_ERR_HANDSHAKE",
      reason: "transport error",
    },
    { name: "garbage handshake payload", body: () => "zzz", code: "EIO_ERR_PARSE", reason: "parse error" },
    {
      name: "invalid UTF-8 mid-session",
      body: (n) => (n === 0 ? HANDSHAKE() : Buffer.from([0x34, 0xff, 0xfe])),
      code: "EIO_ERR_PARSE",
      reason: "parse error",
    },
    {
      name: "garbage payload mid-session",
      body: (n) => (n === 0 ? HANDSHAKE() : "4ok\x1e9what\x1e4never"),
      code: "EIO_ERR_PARSE",
      reason: "parse error",
    },
    {
      name: "bad base64 mid-session",
      body: (n) => (n === 0 ? HANDSHAKE() : "b!!!!"),
      code: "EIO_ERR_PARSE",
      reason: "parse error",
    },
  ];
  for (const c of cases) {
    it(`polling: ${c.name} → ${c.code}, close \`${c.reason}\``, async () => {
      let gets = 0;
      const s = await scripted((req, res) => {
        if (req.method === "GET") {
          res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" }).end(c.body(gets++));
        } else res.writeHead(200).end("ok");
      });
      const socket = new Socket(s.url, { transports: ["polling"] });
      const got: unknown[] = [];
      socket.on("message", (d) => got.push(d));
      const f = await failure(socket);
      assert.equal((f.errors[0] as EioError).code, c.code);
      assert.equal(f.reason, c.reason);
      if (c.name === "garbage payload mid-session")
        assert.deepEqual(got, ["ok"], "packets before the bad one count");
      await s.close();
    });
  }

  it("websocket: a garbage text frame → EIO_ERR_PARSE, close `parse error`", async () => {
    const s = await scripted(
      (_req, res) => res.writeHead(404).end(),
      (ws) => {
        ws.send(HANDSHAKE());
        ws.send("x-garbage");
      },
    );
    const f = await failure(new Socket(s.url, { transports: ["websocket"] }));
    assert.equal((f.errors[0] as EioError).code, "EIO_ERR_PARSE");
    assert.equal(f.reason, "parse error");
    await s.close();
  });

  it("python-engineio quirks: noop on any transport, no maxPayload, `OK` POST reply, `1` over WebSocket", async () => {
    const s = await scripted(
      (req, res) => {
        if (req.method === "POST") return void res.writeHead(200, { "content-type": "text/plain" }).end("OK");
        res.end(HANDSHAKE({ maxPayload: undefined, upgrades: [] }));
      },
      (ws) => {
        ws.send(HANDSHAKE({ maxPayload: undefined }));
        ws.send("6");
        ws.send("4after noop");
        ws.on("message", (d) => {
          if (String(d) === "4bye") ws.send("1");
        });
      },
    );
    const socket = new Socket(s.url, { transports: ["websocket"] });
    const [m] = await collect(socket, 1);
    assert.equal(m, "after noop");
    const closed = next<[string]>(socket, "close");
    socket.send("bye");
    assert.equal((await closed)[0], "transport close");
    // polling: the `OK` reply to a POST counts as success (the send callback runs)
    const p = await open(s.url, { transports: ["polling"] });
    await new Promise<void>((resolve) => p.send("x", () => resolve()));
    await shut(p);
    await s.close();
  });

  for (const status of [500, 400]) {
    it(`polling: status ${status} mid-session → EIO_ERR_TRANSPORT with the status, close \`transport error\``, async () => {
      const s = await scripted((_req, res, n) => {
        if (n === 0) return void res.end(HANDSHAKE());
        res
          .writeHead(status, { "content-type": "application/json" })
          .end('{"code":1,"message":"Session ID unknown"}');
      });
      const f = await failure(new Socket(s.url, { transports: ["polling"] }));
      const e = f.errors[0] as TransportError;
      assert.equal(e.code, "EIO_ERR_TRANSPORT");
      assert.equal(e.status, status);
      assert.equal(e.serverCode, 1);
      assert.equal(f.reason, "transport error");
      await s.close();
    });
  }
});

describe("heartbeat", () => {
  for (const p of [
    { name: "engine.io 6.6", start: startEngineIo },
    { name: "engineio-wasm Server", start: startOurs },
  ]) {
    for (const transports of [["polling"], ["websocket"]] as const) {
      it(`${transports[0]}: answers pings, stays open over several short intervals (${p.name})`, async (t) => {
        const peer = await p.start({ pingInterval: 100, pingTimeout: 200 });
        if (!peer) return t.skip("server not available");
        const socket = await open(peer.url, { transports: [...transports] });
        let pings = 0;
        socket.on("ping", () => pings++);
        await waitFor(() => pings >= 3 || socket.readyState !== "open", 10_000, "three pings");
        assert.ok(pings >= 3, `pings: ${pings}`);
        assert.equal(socket.readyState, "open");
        await shut(socket);
        await peer.close();
      });
    }
  }

  for (const transports of [["polling"], ["websocket"]] as const) {
    // mock.timers from before the handshake: the client's heartbeat timer and clock are the mocked ones, so the
    // deadline is exact (the network I/O itself does not use timers). The test's own timeout bounds it.
    it(`${transports[0]}: no ping within pingInterval + pingTimeout → close \`ping timeout\``, {
      timeout: 10_000,
    }, async () => {
      const s = await scripted(
        (req, res, n) => {
          if (n === 0) res.end(HANDSHAKE({ pingInterval: 100, pingTimeout: 100 }));
          else if (req.method === "POST") res.end("ok");
          // later GETs are held open: no ping ever comes
        },
        (ws) => ws.send(HANDSHAKE({ pingInterval: 100, pingTimeout: 100 })),
      );
      mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
      try {
        const socket = new Socket(s.url, { transports: [...transports] });
        const closes: string[] = [];
        socket.on("close", (r) => closes.push(r));
        await new Promise<void>((resolve) => socket.once("open", () => resolve()));
        mock.timers.tick(199);
        assert.deepEqual(closes, []);
        assert.equal(socket.readyState, "open");
        mock.timers.tick(1);
        assert.deepEqual(closes, ["ping timeout"]);
      } finally {
        mock.timers.reset();
      }
      await s.close();
    });
  }

  it("throttled timers: a send after the wall-clock deadline closes with `ping timeout` (hasPingExpired)", async () => {
    const s = await scripted(
      () => {},
      (ws) => ws.send(HANDSHAKE({ pingInterval: 1000, pingTimeout: 1000 })),
    );
    const socket = await open(s.url, { transports: ["websocket"] });
    assert.equal(socket.hasPingExpired(), false);
    const realNow = Date.now;
    const now = mock.method(Date, "now", () => realNow() + 60_000);
    try {
      const closed = next<[string]>(socket, "close");
      socket.send("too late");
      assert.equal((await closed)[0], "ping timeout");
    } finally {
      now.mock.restore();
    }
    await s.close();
  });
});

describe("upgrade failures and close during upgrade", () => {
  it("a wrong probe answer → upgradeError; the socket stays on polling and works", async () => {
    const got: string[] = [];
    const s = await scripted(
      (req, res, n) => {
        if (n === 0) return void res.end(HANDSHAKE({ upgrades: ["websocket"] }));
        if (req.method === "POST") {
          let body = "";
          req.on("data", (d) => {
            body += d;
          });
          req.on("end", () => {
            got.push(body);
            res.end("ok");
          });
          return;
        }
        // GETs are held; the test ends by closing the server
      },
      (ws) => ws.on("message", () => ws.send("3nope")),
    );
    const socket = await open(s.url);
    const [err] = await next<[Error & { transport: string }]>(socket, "upgradeError");
    assert.equal(err.message, "probe error");
    assert.equal(err.transport, "websocket");
    assert.equal(socket.transport.name, "polling");
    await new Promise<void>((resolve) => socket.send("still polling", () => resolve()));
    assert.deepEqual(got, ["4still polling"]);
    await shut(socket);
    await s.close();
  });

  it("a refused probe WebSocket → upgradeError, session unaffected (engine.io)", async () => {
    const peer = await startEngineIo();
    // refuse every upgrade before engine.io sees it
    peer.http!.prependListener("upgrade", (_req, sock) => sock.destroy());
    const socket = await open(peer.url);
    await next(socket, "upgradeError");
    assert.equal(socket.transport.name, "polling");
    const echo = collect(socket, 1);
    socket.send("ok");
    assert.deepEqual(await echo, ["ok"]);
    await shut(socket);
    await peer.close();
  });

  for (const p of [
    { name: "engine.io 6.6", start: () => startEngineIo() },
    { name: "engineio-wasm Server", start: () => startOurs() },
  ]) {
    it(`close() while upgrading waits for the upgrade, flushes, then closes (${p.name})`, async (t) => {
      const peer = await p.start();
      if (!peer) return t.skip("server not available");
      const socket = new Socket(peer.url);
      type ServerSocket = { on(e: string, f: (x: string) => void): void };
      const received: string[] = [];
      const serverClosed = new Promise<string>((resolve) =>
        (peer.engine as { on(e: string, f: (s: ServerSocket) => void): void }).on("connection", (s) => {
          s.on("message", (m) => received.push(m));
          s.on("close", (r) => resolve(r));
        }),
      );
      const events: string[] = [];
      socket.on("upgrading", () => {
        events.push("upgrading");
        socket.send("last words");
        socket.close();
      });
      socket.on("upgrade", () => events.push("upgrade"));
      const [reason] = await next<[string]>(socket, "close");
      events.push(`close:${reason}`);
      assert.deepEqual(events, ["upgrading", "upgrade", "close:forced close"]);
      assert.equal(await serverClosed, "transport close");
      assert.deepEqual(received, ["last words"], "the buffered message was flushed before closing");
      await peer.close();
    });
  }
});

describe("listener exceptions", () => {
  it("a throwing message listener is rethrown on a microtask, and the session keeps working", async () => {
    const peer = await startEngineIo();
    const socket = await open(peer.url, { transports: ["polling"] });
    // capture the rethrow (node:test would report a real uncaught exception as a failure of the file)
    const realQueue = globalThis.queueMicrotask;
    const rethrown: unknown[] = [];
    globalThis.queueMicrotask = (fn) =>
      realQueue(() => {
        try {
          fn();
        } catch (e) {
          rethrown.push(e);
        }
      });
    try {
      let n = 0;
      socket.on("message", () => {
        n++;
        if (n === 1) throw new Error("listener bug");
      });
      const got = collect(socket, 3);
      socket.send("a");
      socket.send("b");
      socket.send("c");
      assert.deepEqual(await got, ["a", "b", "c"]);
      assert.equal(n, 3);
      assert.equal((rethrown[0] as Error)?.message, "listener bug");
    } finally {
      globalThis.queueMicrotask = realQueue;
    }
    await shut(socket);
    await peer.close();
  });
});
