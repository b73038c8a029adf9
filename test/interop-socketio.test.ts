// socket.io 4.8 bound to this engine (`io.bind(engine)`) with the official socket.io-client 4.8: connect, emit with
// acknowledgement, binary payloads, rooms and broadcast (wsPreEncodedFrame path), disconnect reasons.
import assert from "node:assert/strict";
import { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import helmet from "helmet";
import { Server as IoServer, type Socket as IoSocket } from "socket.io";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { type Middleware, type SendCallback, type SendData, type SendOptions, Server } from "../src/index.js";
import { engineOf, type Harness, once, startServer, waitFor } from "./server-helpers.js";

type Transports = ("polling" | "websocket")[];

/** The part of express-session this file uses (the package ships no types, and @types/express-session is not installed). */
type Done = (err?: unknown) => void;
interface ExpressSession {
  visits?: number;
  save(cb: Done): void;
  reload(cb: Done): void;
}
interface SessionStore {
  get(sid: string, cb: (err: unknown, s?: { visits?: number }) => void): void;
}
const session = createRequire(import.meta.url)("express-session") as ((
  opts: Record<string, unknown>,
) => Middleware) & {
  MemoryStore: new () => SessionStore;
};

describe("socket.io 4.8 on this engine", () => {
  let h: Harness;
  let io: IoServer;
  const serverSockets = new Map<string, IoSocket>();
  const disconnects: string[] = [];
  before(async () => {
    h = await startServer({ path: "/socket.io", pingInterval: 500, pingTimeout: 500 });
    io = new IoServer();
    io.bind(engineOf(h.engine));
    io.on("connection", (socket) => {
      serverSockets.set(socket.id, socket);
      socket.on("echo", (...args: unknown[]) => {
        const ack = args.pop() as (...a: unknown[]) => void;
        ack(...args);
      });
      socket.on("join", (room: string, ack: () => void) => {
        socket.join(room);
        ack();
      });
      socket.on("shout", (room: string, msg: string) => {
        io.to(room).emit("shouted", msg);
      });
      socket.on("bye", () => socket.disconnect(true));
      socket.on("disconnect", (reason) => disconnects.push(reason));
    });
  });
  after(async () => {
    io.close();
    await h.close();
  });

  const connect = (transports: Transports): Promise<ClientSocket> => {
    const c = ioc(h.url, { transports, forceNew: true, reconnection: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("connect timeout")), 5000);
      c.once("connect", () => {
        clearTimeout(timer);
        resolve(c);
      });
      c.once("connect_error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  };

  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]] as Transports[]) {
    test(`${transports.join("+")}: connect, ack, binary, disconnect reason`, async () => {
      const c = await connect(transports);
      try {
        assert.ok(c.id);
        assert.equal(h.engine.clientsCount >= 1, true);
        const ackAll = (...args: unknown[]): Promise<unknown[]> =>
          new Promise((resolve, reject) => {
            c.timeout(3000).emit("echo", ...args, (err: Error | null, ...res: unknown[]) =>
              err ? reject(err) : resolve(res),
            );
          });
        const [a, b] = await ackAll("hello", { n: 1 });
        assert.equal(a, "hello");
        assert.deepEqual(b, { n: 1 });
        const payload = Buffer.from([0, 1, 2, 255]);
        const [bin, nested] = await ackAll(payload, { inner: Buffer.from([7]) });
        assert.ok(Buffer.isBuffer(bin) || bin instanceof ArrayBuffer);
        assert.deepEqual([...new Uint8Array(bin as ArrayBuffer)], [0, 1, 2, 255]);
        assert.deepEqual([...new Uint8Array((nested as { inner: ArrayBuffer }).inner)], [7]);
        // server-initiated disconnect
        const closed = once<string>(c, "disconnect");
        c.emit("bye");
        const [reason] = await closed;
        assert.equal(reason, "io server disconnect");
      } finally {
        c.disconnect();
      }
    });
  }

  test("rooms and broadcast (pre-encoded frames) reach exactly the members", async () => {
    const members = await Promise.all([connect(["websocket"]), connect(["websocket"]), connect(["polling"])]);
    const outsider = await connect(["websocket"]);
    try {
      for (const m of members) await m.timeout(3000).emitWithAck("join", "r1");
      const got: string[][] = members.map(() => []);
      const outsiderGot: string[] = [];
      members.forEach((m, i) => {
        m.on("shouted", (msg: string) => got[i]!.push(msg));
      });
      outsider.on("shouted", (msg: string) => outsiderGot.push(msg));
      // observe that socket.io hands pre-encoded frames to the engine (written as is on WebSocket)
      let preEncoded = 0;
      for (const sid of Object.keys(h.engine.clients)) {
        const es = h.engine.clients[sid]!;
        const write = es.write.bind(es);
        es.write = (data: SendData, opts?: SendOptions | SendCallback, cb?: SendCallback) => {
          if (typeof opts === "object" && opts.wsPreEncodedFrame) preEncoded++;
          return write(data, opts, cb);
        };
      }
      for (let i = 0; i < 20; i++) members[0]!.emit("shout", "r1", `m${i}`);
      await waitFor(() => got.every((g) => g.length === 20), 5000, "broadcast delivery");
      const expected = Array.from({ length: 20 }, (_, i) => `m${i}`);
      for (const g of got) assert.deepEqual(g, expected);
      assert.deepEqual(outsiderGot, []);
      assert.equal(preEncoded, 60, "every broadcast write carried wsPreEncodedFrame");
    } finally {
      for (const c of [...members, outsider]) c.disconnect();
    }
  });

  test("client disconnect → server reason 'client namespace disconnect'; transport close", async () => {
    const c = await connect(["websocket"]);
    const sock = serverSockets.get(c.id!)!;
    const p = once<string>(sock, "disconnect");
    c.disconnect();
    const [reason] = await p;
    assert.equal(reason, "client namespace disconnect");
    const c2 = await connect(["websocket"]);
    const sock2 = serverSockets.get(c2.id!)!;
    const p2 = once<string>(sock2, "disconnect");
    c2.io.engine.close();
    const [reason2] = await p2;
    assert.equal(reason2, "transport close");
  });

  test("engine server close → socket.io sockets disconnect", async () => {
    const h2 = await startServer({ path: "/socket.io" });
    const io2 = new IoServer();
    io2.bind(engineOf(h2.engine));
    const reasons: string[] = [];
    io2.on("connection", (s) => s.on("disconnect", (r) => reasons.push(r)));
    try {
      const c = ioc(h2.url, { transports: ["websocket"], forceNew: true, reconnection: false });
      await once(c, "connect");
      const d = once(c, "disconnect");
      h2.engine.close();
      await d;
      await waitFor(() => reasons.length === 1, 3000, "server-side disconnect");
      assert.equal(reasons[0], "server shutting down");
    } finally {
      io2.close();
      await h2.close();
    }
  });

  test("new Server() can be bound before attach (Server instance API)", () => {
    const engine = new Server();
    const io3 = new IoServer();
    io3.bind(engineOf(engine));
    assert.equal(io3.engine, engineOf(engine));
    io3.close();
  });
});

// A session keeps a slim copy of its handshake request (src/server/session-request.ts): what socket.io and
// middlewares read later must still be there — express-session's `req.session` (with its store methods), a property
// set by `allowRequest`, headers, url, the remote address — on every transport.
describe("socket.io 4.8: the handshake request kept by a session (engine.use, allowRequest)", () => {
  let h: Harness;
  let io: IoServer;
  const store = new session.MemoryStore();
  const seen: IoSocket[] = [];
  before(async () => {
    h = await startServer({
      path: "/socket.io",
      allowRequest: (req, fn) => {
        (req as IncomingMessage & { user?: string }).user = "alice";
        fn(null, true);
      },
    });
    h.engine.use(helmet() as unknown as Middleware);
    h.engine.use(session({ secret: "s3cret", resave: false, saveUninitialized: true, store }));
    io = new IoServer();
    io.bind(engineOf(h.engine));
    io.on("connection", (socket) => {
      seen.push(socket);
    });
  });
  after(async () => {
    io.close();
    await h.close();
  });

  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]] as Transports[]) {
    test(`${transports.join("+")}: req.session, allowRequest's property, headers and address survive`, async () => {
      const c = ioc(h.url, {
        transports,
        forceNew: true,
        reconnection: false,
        extraHeaders: { "x-test": "1" },
      });
      try {
        await once(c, "connect");
        await waitFor(() => seen.some((s) => s.id === c.id), 3000, "server-side socket");
        const sock = seen.find((s) => s.id === c.id)!;
        const kept: unknown = sock.request;
        assert.ok(!(kept instanceof IncomingMessage), "the session keeps a slim request");
        const req = sock.request as IncomingMessage & {
          session: ExpressSession;
          sessionID: string;
          user?: string;
        };
        assert.equal(req.user, "alice");
        assert.equal(req.method, "GET");
        assert.match(req.url ?? "", /EIO=4/);
        if (transports[0] === "websocket") assert.equal(req.headers["x-test"], "1");
        assert.equal(sock.handshake.headers, req.headers);
        assert.equal(sock.handshake.address, "127.0.0.1");
        assert.equal(sock.handshake.secure, false);
        assert.equal(sock.handshake.query.EIO, "4");
        // express-session's methods still reach its store through the kept object
        req.session.visits = 1;
        await new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
        const stored = await new Promise<{ visits?: number } | undefined>((resolve, reject) =>
          store.get(req.sessionID, (e, s) => (e ? reject(e) : resolve(s))),
        );
        assert.equal(stored?.visits, 1);
        await new Promise<void>((resolve, reject) => req.session.reload((e) => (e ? reject(e) : resolve())));
        assert.equal(req.session.visits, 1);
      } finally {
        c.disconnect();
      }
    });
  }

  test("helmet's headers are on the handshake response", async () => {
    const res = await fetch(`${h.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    await res.text();
  });
});
