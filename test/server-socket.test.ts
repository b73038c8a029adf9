// The server session's state machine (src/server/socket.ts) driven through its two seams: a fake transport
// implementing ServerTransport and a fake SocketHost with the real deadline queues. Time is node:test's
// mock.timers (setTimeout, setImmediate and Date), so heartbeat and upgrade deadlines are exact, not waited for.
import assert from "node:assert/strict";
import { IncomingMessage } from "node:http";
import { Socket as NetSocket } from "node:net";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { createError, type EioError } from "../src/protocol/errors.js";
import type { ServerCloseReason } from "../src/protocol/names.js";
import type { Packet } from "../src/protocol/packet.js";
import { DeadlineQueue } from "../src/server/deadline-queue.js";
import type { EngineRequest } from "../src/server/options.js";
import { Socket, type SocketHost } from "../src/server/socket.js";
import type { ServerTransport, TransportOwner } from "../src/server/transports/types.js";

/** A transport that records what the session asks of it; the test plays the peer through its helpers. */
class FakeTransport implements ServerTransport {
  writable: boolean;
  readonly supportsBinary = true;
  readyState: "open" | "closing" | "closed" = "open";
  bufferedAmount = 0;
  sid = "";
  discarded = false;
  closePacket = false;
  owner: TransportOwner | null = null;
  readonly writesDirectly: boolean;
  /** Every `send` call (one polling response or a batch of frames). */
  readonly sent: Packet[][] = [];
  /** Every `sendMessage` call. */
  readonly messages: (string | Uint8Array)[] = [];
  /** How many writes asked for `onTransportDrain`. */
  drainsWanted = 0;
  releases = 0;
  closes = 0;

  constructor(readonly name: "polling" | "websocket") {
    this.writesDirectly = name === "websocket";
    // a polling transport is writable only while a GET is pending
    this.writable = name === "websocket";
  }

  send(packets: Packet[], wantDrain: boolean): void {
    assert.ok(this.writable, "send on a transport that is not writable");
    this.sent.push(packets);
    if (wantDrain) this.drainsWanted++;
    if (!this.writesDirectly) this.writable = false; // the GET is answered
  }

  sendMessage(data: string | Uint8Array, _opts: Packet["options"], wantDrain: boolean): void {
    assert.ok(this.writable, "sendMessage on a transport that is not writable");
    this.messages.push(data);
    if (wantDrain) this.drainsWanted++;
  }

  releasePoll(): void {
    if (!this.writable || this.writesDirectly) return;
    this.releases++;
    this.send([{ type: "noop" }], false);
  }

  close(fn?: () => void): void {
    // real transports close once; the session may call close() again from onClose (discard, then close)
    if (this.readyState !== "closed") this.closes++;
    this.readyState = "closed";
    this.writable = false;
    fn?.();
  }

  discard(): void {
    this.discarded = true;
  }

  // ------------------------------------------------------------ the peer's side

  /** A GET arrived (polling). */
  poll(): void {
    this.writable = true;
    this.owner?.onTransportReady(this);
  }

  /** One packet from the peer. */
  receive(packet: Packet): void {
    this.owner?.onTransportPacket(this, packet);
  }

  /** The last write was flushed to the kernel. */
  drained(): void {
    this.owner?.onTransportDrain(this);
  }

  /** Every packet written by `send`, flattened. */
  get packets(): Packet[] {
    return this.sent.flat();
  }
}

interface HostOpts {
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxBufferedBytes: number;
  maxHttpBufferSize: number;
  initialPacket: string | Uint8Array | undefined;
}

/** The server side of the seam: the real deadline queues, and a record of the session's callbacks. */
class FakeHost implements SocketHost {
  readonly opts: HostOpts;
  readonly pingQueue: DeadlineQueue<Socket>;
  readonly pongQueue: DeadlineQueue<Socket>;
  readonly hasFlushListeners = false;
  readonly hasDrainListeners = false;
  readonly received: (string | Buffer)[] = [];
  readonly closed: { reason: ServerCloseReason; description: EioError | undefined }[] = [];

  constructor(opts: Partial<HostOpts> = {}) {
    this.opts = {
      pingInterval: 1000,
      pingTimeout: 500,
      upgradeTimeout: 2000,
      maxBufferedBytes: 1 << 20,
      maxHttpBufferSize: 1e6,
      initialPacket: undefined,
      ...opts,
    };
    this.pingQueue = new DeadlineQueue<Socket>(this.opts.pingInterval, (s) => s.sendPing());
    this.pongQueue = new DeadlineQueue<Socket>(this.opts.pingTimeout, (s) => s.onPingTimeout(), true);
  }

  upgradesFor(t: ServerTransport): string[] {
    return t.name === "polling" ? ["websocket"] : [];
  }
  onSocketMessage(_s: Socket, data: string | Buffer): void {
    this.received.push(data);
  }
  onSocketClose(_s: Socket, reason: ServerCloseReason, description?: EioError): void {
    this.closed.push({ reason, description });
  }
  onSocketFlush(): void {}
  onSocketDrain(): void {}
}

function request(): EngineRequest {
  const req = new IncomingMessage(new NetSocket()) as EngineRequest;
  req._query = { EIO: "4" };
  return req;
}

/** Lets the session's end-of-tick polling flush (process.nextTick) run. */
const nextTick = (): Promise<void> => new Promise((r) => process.nextTick(r));

function openSession(
  name: "polling" | "websocket",
  opts: Partial<HostOpts> = {},
): { host: FakeHost; t: FakeTransport; socket: Socket } {
  const host = new FakeHost(opts);
  const t = new FakeTransport(name);
  const socket = new Socket("sid1", host, t, request());
  if (name === "polling") t.poll(); // the handshake GET
  socket.open();
  return { host, t, socket };
}

function closeEvents(socket: Socket): { reason: ServerCloseReason; description: EioError | undefined }[] {
  const out: { reason: ServerCloseReason; description: EioError | undefined }[] = [];
  socket.on("close", (reason, description) => out.push({ reason, description }));
  return out;
}

beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setImmediate", "Date"], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

describe("server Socket state machine (fake transport)", () => {
  test("open: the handshake is the first packet and names sid, upgrades and timings", () => {
    const { t, socket } = openSession("polling", { initialPacket: "hello" });
    assert.equal(socket.readyState, "open");
    assert.equal(t.sid, "sid1");
    assert.equal(t.owner, socket);
    const [open, initial] = t.sent[0]!;
    assert.equal(open!.type, "open");
    assert.deepEqual(JSON.parse(String(open!.data)), {
      sid: "sid1",
      upgrades: ["websocket"],
      pingInterval: 1000,
      pingTimeout: 500,
      maxPayload: 1e6,
    });
    assert.deepEqual(initial, { type: "message", data: "hello" });
  });

  test("open: emits `open` and arms the ping queue", () => {
    const host = new FakeHost();
    const t = new FakeTransport("websocket");
    const socket = new Socket("sid1", host, t, request());
    let opened = 0;
    socket.on("open", () => opened++);
    assert.equal(socket.readyState, "opening");
    socket.open();
    assert.equal(opened, 1);
    assert.equal(host.pingQueue.size, 1);
  });

  test("messages: text and binary reach `message`, `data` and the host; binary as a Buffer", () => {
    const { host, t, socket } = openSession("websocket");
    const got: (string | Buffer)[] = [];
    const data: (string | Buffer)[] = [];
    socket.on("message", (d) => got.push(d));
    socket.on("data", (d) => data.push(d));
    t.receive({ type: "message", data: "hi" });
    t.receive({ type: "message", data: new Uint8Array([1, 2, 3]) });
    assert.equal(got[0], "hi");
    assert.ok(Buffer.isBuffer(got[1]));
    assert.deepEqual([...(got[1] as Buffer)], [1, 2, 3]);
    assert.deepEqual(data, got);
    assert.deepEqual(host.received, got);
  });

  test("messages: packets from a transport that is not the session's are ignored", () => {
    const { host, socket } = openSession("websocket");
    const stranger = new FakeTransport("websocket");
    socket.onTransportPacket(stranger, { type: "message", data: "not mine" });
    assert.deepEqual(host.received, []);
  });

  test("polling: sends wait for a GET, and everything sent in one tick goes in one response", async () => {
    const { t, socket } = openSession("polling");
    assert.equal(t.sent.length, 1); // the handshake answered the first GET
    socket.send("a");
    socket.send("b");
    assert.equal(socket.bufferedAmount, 4);
    t.poll();
    assert.deepEqual(t.sent[1]!, [
      { type: "message", data: "a" },
      { type: "message", data: "b" },
    ]);
    t.poll(); // the next GET
    socket.send("c");
    socket.send("d");
    assert.equal(t.sent.length, 2, "flushed before the end of the tick");
    await nextTick();
    assert.deepEqual(
      t.sent[2]!.map((p) => p.data),
      ["c", "d"],
    );
    assert.equal(socket.bufferedAmount, 0);
  });

  test("websocket: a send with nothing buffered goes through sendMessage; its callback runs on drain", () => {
    const { t, socket } = openSession("websocket");
    const done: ServerTransport[] = [];
    let drains = 0;
    socket.on("drain", () => drains++);
    socket.send("x", (tr) => done.push(tr));
    assert.deepEqual(t.messages, ["x"]);
    assert.equal(t.drainsWanted, 1);
    assert.deepEqual(done, []);
    t.drained();
    assert.deepEqual(done, [t]);
    assert.equal(drains, 1);
  });

  test("heartbeat: ping after pingInterval, pong re-arms it, `heartbeat` emitted", () => {
    const { t, socket } = openSession("websocket");
    let beats = 0;
    socket.on("heartbeat", () => beats++);
    mock.timers.tick(999);
    assert.equal(t.packets.filter((p) => p.type === "ping").length, 0);
    mock.timers.tick(1);
    assert.equal(t.packets.filter((p) => p.type === "ping").length, 1);
    t.receive({ type: "pong" });
    assert.equal(beats, 1);
    mock.timers.tick(500); // past the pong deadline: nothing happens, the pong arrived
    assert.equal(socket.readyState, "open");
    mock.timers.tick(500);
    assert.equal(t.packets.filter((p) => p.type === "ping").length, 2);
  });

  test("heartbeat: no pong within pingTimeout closes with `ping timeout`", () => {
    const { host, socket } = openSession("websocket");
    const closes = closeEvents(socket);
    mock.timers.tick(1000); // ping
    mock.timers.tick(499);
    assert.equal(socket.readyState, "open");
    mock.timers.tick(1);
    assert.equal(socket.readyState, "closed");
    assert.deepEqual(closes, [{ reason: "ping timeout", description: undefined }]);
    assert.equal(host.closed[0]!.reason, "ping timeout");
    assert.equal(host.pingQueue.size + host.pongQueue.size, 0);
  });

  test("heartbeat: a message while awaiting the pong extends the deadline once", () => {
    const { socket, t } = openSession("websocket");
    mock.timers.tick(1000); // ping at 1000, pong due at 1500
    mock.timers.tick(300);
    t.receive({ type: "message", data: "busy" }); // pong now due at 1800
    mock.timers.tick(300);
    t.receive({ type: "message", data: "busy again" }); // no second extension
    mock.timers.tick(199);
    assert.equal(socket.readyState, "open");
    mock.timers.tick(1);
    assert.equal(socket.readyState, "closed");
  });

  test("heartbeat: a ping from the client is a transport error", () => {
    const { socket, t } = openSession("websocket");
    const closes = closeEvents(socket);
    t.receive({ type: "ping" });
    assert.equal(closes[0]!.reason, "transport error");
    assert.equal(closes[0]!.description!.code, "EIO_ERR_TRANSPORT");
  });

  test("upgrade: 2probe → 3probe and the poll is released, 5 moves the session and flushes", () => {
    const { t, socket } = openSession("polling");
    const ws = new FakeTransport("websocket");
    const events: string[] = [];
    socket.on("upgrading", (tr) => events.push(`upgrading:${tr.name}`));
    socket.on("upgrade", (tr) => events.push(`upgrade:${tr.name}`));
    t.poll(); // a GET pending while the client probes
    socket.maybeUpgrade(ws);
    assert.equal(socket.upgrading, true);
    assert.equal(ws.sid, "sid1");
    ws.receive({ type: "ping", data: "probe" });
    assert.deepEqual(ws.sent, [[{ type: "pong", data: "probe" }]]);
    assert.equal(t.releases, 1, "the pending GET is answered with a noop");
    assert.deepEqual(events, ["upgrading:websocket"]);
    socket.send("during upgrade"); // buffered: the polling transport has no GET
    ws.receive({ type: "upgrade" });
    assert.deepEqual(events, ["upgrading:websocket", "upgrade:websocket"]);
    assert.equal(socket.transport, ws);
    assert.equal(socket.upgraded, true);
    assert.equal(socket.upgrading, false);
    assert.equal(t.discarded, true);
    assert.equal(t.closes, 1);
    assert.equal(t.owner, null);
    assert.deepEqual(ws.sent[1], [{ type: "message", data: "during upgrade" }]);
  });

  test("upgrade: a GET arriving after the probe is released at once", () => {
    const { t, socket } = openSession("polling");
    const ws = new FakeTransport("websocket");
    socket.maybeUpgrade(ws);
    ws.receive({ type: "ping", data: "probe" });
    assert.equal(t.releases, 0); // no GET pending at probe time
    t.poll();
    assert.equal(t.releases, 1);
  });

  test("upgrade: no `5` within upgradeTimeout closes the probe and keeps polling", () => {
    const { t, socket } = openSession("polling");
    const ws = new FakeTransport("websocket");
    socket.maybeUpgrade(ws);
    ws.receive({ type: "ping", data: "probe" });
    mock.timers.tick(1999);
    assert.equal(ws.closes, 0);
    mock.timers.tick(1);
    assert.equal(ws.closes, 1);
    assert.equal(ws.owner, null);
    assert.equal(socket.upgrading, false);
    assert.equal(socket.transport, t);
    assert.equal(socket.readyState, "open");
  });

  test("upgrade: an unexpected packet on the probe aborts the upgrade only", () => {
    const { t, socket } = openSession("polling");
    const ws = new FakeTransport("websocket");
    socket.maybeUpgrade(ws);
    ws.receive({ type: "message", data: "too early" });
    assert.equal(ws.closes, 1);
    assert.equal(socket.transport, t);
    assert.equal(socket.readyState, "open");
  });

  test("upgrade: `5` before `2probe` aborts", () => {
    const { t, socket } = openSession("polling");
    const ws = new FakeTransport("websocket");
    socket.maybeUpgrade(ws);
    ws.receive({ type: "upgrade" });
    assert.equal(ws.closes, 1);
    assert.equal(socket.transport, t);
    assert.equal(socket.upgraded, false);
  });

  test("upgrade: the probe closing or failing aborts the upgrade, the session lives", () => {
    const { t, socket } = openSession("polling");
    const ws = new FakeTransport("websocket");
    socket.maybeUpgrade(ws);
    socket.onTransportClose(ws);
    assert.equal(socket.upgrading, false);
    const ws2 = new FakeTransport("websocket");
    socket.maybeUpgrade(ws2);
    socket.onTransportError(ws2, createError("EIO_ERR_TRANSPORT", "boom"));
    assert.equal(socket.upgrading, false);
    assert.equal(ws2.closes, 1);
    assert.equal(socket.transport, t);
    assert.equal(socket.readyState, "open");
  });

  test("close: close() while probed finishes the upgrade, then closes the new transport", () => {
    const { t, socket } = openSession("polling");
    const closes = closeEvents(socket);
    const ws = new FakeTransport("websocket");
    socket.maybeUpgrade(ws);
    ws.receive({ type: "ping", data: "probe" });
    socket.close();
    assert.equal(socket.readyState, "closing");
    assert.equal(ws.closes, 0);
    ws.receive({ type: "upgrade" });
    assert.equal(socket.transport, ws);
    assert.equal(t.closes, 1);
    assert.deepEqual(closes, [{ reason: "forced close", description: undefined }]);
  });

  test("close: close() flushes what is buffered before closing the transport", () => {
    const { t, socket } = openSession("polling");
    const closes = closeEvents(socket);
    socket.send("last words");
    socket.close();
    assert.equal(socket.readyState, "closing");
    assert.equal(t.closes, 0, "waits for a GET to deliver the buffer");
    t.poll();
    assert.deepEqual(t.sent.at(-1), [{ type: "message", data: "last words" }]);
    assert.equal(t.closes, 1);
    assert.deepEqual(closes, [{ reason: "forced close", description: undefined }]);
    socket.send("dropped");
    assert.equal(t.sent.length, 2);
  });

  test("close: the transport closing, failing or reporting a parse error gives its reason", () => {
    const a = openSession("websocket");
    const ca = closeEvents(a.socket);
    a.socket.onTransportClose(a.t);
    assert.deepEqual(ca, [{ reason: "transport close", description: undefined }]);

    const b = openSession("websocket");
    const cb = closeEvents(b.socket);
    const err = createError("EIO_ERR_TRANSPORT", "reset");
    b.socket.onTransportError(b.t, err);
    assert.deepEqual(cb, [{ reason: "transport error", description: err }]);
    assert.equal(b.t.discarded, true);

    const c = openSession("websocket");
    const cc = closeEvents(c.socket);
    c.t.receive({ type: "error" });
    assert.equal(cc[0]!.reason, "parse error");
    assert.equal(cc[0]!.description!.code, "EIO_ERR_PARSE");
  });

  test("close: `server shutting down` with no GET pending discards the polling transport at once", () => {
    const { t, socket } = openSession("polling");
    const closes = closeEvents(socket);
    socket.closeWith("server shutting down");
    assert.equal(t.discarded, true);
    assert.equal(t.closes, 1);
    assert.deepEqual(closes, [{ reason: "server shutting down", description: undefined }]);
  });

  test("close: onClose is idempotent and empties the heartbeat queues", () => {
    const { host, socket } = openSession("websocket");
    const closes = closeEvents(socket);
    socket.onClose("forced close");
    socket.onClose("transport close");
    assert.equal(closes.length, 1);
    assert.equal(host.closed.length, 1);
    assert.equal(host.pingQueue.size, 0);
    mock.timers.tick(10_000); // no ping for a closed session
    assert.equal(closes.length, 1);
  });

  test("buffer limit: a send past maxBufferedBytes closes with EIO_ERR_BUFFER_FULL", () => {
    const { t, socket } = openSession("polling", { maxBufferedBytes: 10 });
    const closes = closeEvents(socket);
    socket.send("12345"); // 6 bytes counted (type + data)
    assert.equal(socket.readyState, "open");
    socket.send("1234"); // 11 > 10
    assert.equal(socket.readyState, "closed");
    const [c] = closes;
    assert.equal(c!.reason, "transport error");
    assert.equal(c!.description!.code, "EIO_ERR_BUFFER_FULL");
    assert.deepEqual(c!.description!.context, { limit: 10, buffered: 6 });
    assert.equal(t.discarded, true);
  });

  test("buffer limit: the transport's own backlog counts too", () => {
    const { t, socket } = openSession("websocket", { maxBufferedBytes: 10 });
    const closes = closeEvents(socket);
    t.bufferedAmount = 8;
    assert.equal(socket.bufferedAmount, 8);
    socket.send("ab"); // 3 + 8 > 10
    assert.equal(closes[0]!.description!.code, "EIO_ERR_BUFFER_FULL");
  });

  test("opening: sends before the handshake are buffered behind the open packet", () => {
    const host = new FakeHost();
    const socket = new Socket("sid1", host, null, request());
    assert.equal(socket.transport, null);
    socket.send("from connect");
    assert.equal(socket.bufferedAmount, "from connect".length + 1);
    const t = new FakeTransport("websocket");
    socket.attach(t);
    socket.open();
    assert.deepEqual(
      t.sent[0]!.map((p) => p.type),
      ["open", "message"],
    );
    assert.deepEqual(JSON.parse(String(t.sent[0]![0]!.data)).upgrades, []);
  });

  test("opening: close while opening ends the session at once, with no transport", () => {
    const host = new FakeHost();
    const socket = new Socket("sid1", host, null, request());
    const closes = closeEvents(socket);
    socket.close();
    assert.equal(socket.readyState, "closed");
    assert.deepEqual(closes, [{ reason: "forced close", description: undefined }]);
    assert.deepEqual(host.closed, [{ reason: "forced close", description: undefined }]);
    assert.equal(host.pingQueue.size, 0);
  });

  test("opening: packets before open are ignored", () => {
    const host = new FakeHost();
    const t = new FakeTransport("websocket");
    const socket = new Socket("sid1", host, t, request());
    t.receive({ type: "message", data: "early" });
    assert.deepEqual(host.received, []);
    assert.equal(socket.readyState, "opening");
  });
});
