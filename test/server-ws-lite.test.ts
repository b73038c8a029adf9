// The lean WebSocket connection (src/server/ws-lite.ts) against `ws` 8, side by side: the same raw bytes from a
// TCP client on 127.0.0.1 go to a server on `ws` (EIO_WS=ws) and one on the lean connection (EIO_WS=lite), and
// what comes back — handshake answers, frames, close codes, the TCP FIN — and how the session ends must be the
// same; the expected values are asserted as well, so a change in both cannot pass unnoticed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect as netConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Socket } from "../src/index.js";
import { LiteWebSocket, unmask } from "../src/server/ws-lite.js";
import { type Harness, startServer, waitFor } from "./server-helpers.js";

const P = "/engine.io/";
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const MAX = 1000;

type Impl = "ws" | "lite";
interface Server {
  h: Harness;
  closes: Map<string, string>;
}

async function serverOn(impl: Impl): Promise<Server> {
  // the choice is read when the engine is created
  const saved = process.env.EIO_WS;
  process.env.EIO_WS = impl;
  let h: Harness;
  try {
    h = await startServer({ pingInterval: 10000, pingTimeout: 5000, maxHttpBufferSize: MAX });
  } finally {
    if (saved === undefined) delete process.env.EIO_WS;
    else process.env.EIO_WS = saved;
  }
  const closes = new Map<string, string>();
  h.engine.on("connection", (s: Socket) => {
    s.on("message", (m) => s.send(m));
    s.on("close", (reason, desc) => {
      const d = desc as { code?: string; context?: { cause?: unknown } } | undefined;
      closes.set(s.id, `${reason} ${d?.code ?? ""} ${String(d?.context?.cause ?? "")}`.trim());
    });
  });
  return { h, closes };
}

/** A client frame: masked unless `mask: false`; `first` overrides the first byte (FIN, RSV, opcode). */
function clientFrame(
  opcode: number,
  payload: Buffer | string,
  o: { fin?: boolean; rsv?: number; mask?: boolean; lenOverride?: number } = {},
): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const masked = o.mask !== false;
  const len = o.lenOverride ?? data.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const out = Buffer.alloc(2 + ext + (masked ? 4 : 0) + data.length);
  out[0] = (o.fin === false ? 0 : 0x80) | ((o.rsv ?? 0) << 4) | opcode;
  out[1] = (masked ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) out.writeUInt16BE(len, 2);
  if (ext === 8) out.writeBigUInt64BE(BigInt(len), 2);
  let p = 2 + ext;
  if (masked) {
    const m = randomBytes(4);
    m.copy(out, p);
    p += 4;
    for (let i = 0; i < data.length; i++) out[p + i] = data[i]! ^ m[i & 3]!;
  } else data.copy(out, p);
  return out;
}

interface ServerFrame {
  op: number;
  data: Buffer;
}
interface Outcome {
  /** The status line and headers (or the whole refusal). */
  head: string;
  /** Frames after the open packet (code + payload of close frames shown as `close <code> <reason>`). */
  frames: string[];
  /** Whether the server ended or closed the TCP connection. */
  ended: boolean;
  sid: string;
}

function parseFrames(buf: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    let len = buf[off + 1]! & 0x7f;
    let h = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      h = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = Number(buf.readBigUInt64BE(off + 2));
      h = 10;
    }
    if (buf.length - off < h + len) break;
    frames.push({ op: buf[off]! & 0x0f, data: buf.subarray(off + h, off + h + len) });
    off += h + len;
  }
  return { frames, rest: buf.subarray(off) };
}

function show(f: ServerFrame): string {
  if (f.op === 8)
    return f.data.length === 0 ? "close" : `close ${f.data.readUInt16BE(0)} ${f.data.subarray(2).toString()}`;
  if (f.op === 1) return `text ${f.data.toString()}`;
  if (f.op === 2) return `binary ${f.data.length} ${f.data.subarray(0, 8).toString("hex")}`;
  if (f.op === 10) return `pong ${f.data.toString()}`;
  return `op${f.op} ${f.data.toString("hex")}`;
}

/**
 * Opens a raw connection with `request` (default: a valid WebSocket handshake), sends `after` (each write
 * separately, once the open packet is in) and collects what the server sends until it ends the connection or
 * `ms` pass (then `ended` is false). `frameCount`: stop waiting after that many frames past the open packet.
 */
function exchange(
  port: number,
  writes: Buffer[],
  o: { request?: string; ms?: number; frameCount?: number; headWithRequest?: Buffer } = {},
): Promise<Outcome> {
  const request =
    o.request ??
    `GET ${P}?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  return new Promise((resolve) => {
    const s = netConnect(port, "127.0.0.1");
    let buf: Buffer = Buffer.alloc(0);
    let head: string | null = null;
    let opened = false;
    let sid = "";
    const frames: string[] = [];
    let done = false;
    const finish = (ended: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ head: head ?? buf.toString("latin1"), frames, ended, sid });
    };
    const timer = setTimeout(() => finish(false), o.ms ?? 3000);
    s.on("connect", () => {
      s.write(o.headWithRequest ? Buffer.concat([Buffer.from(request), o.headWithRequest]) : request);
    });
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (head === null) {
        const i = buf.indexOf("\r\n\r\n");
        if (i < 0) return;
        head = buf.subarray(0, i).toString("latin1");
        buf = buf.subarray(i + 4);
        if (!head.startsWith("HTTP/1.1 101")) {
          head += `\r\n\r\n${buf.toString("latin1")}`;
          buf = Buffer.alloc(0);
          return;
        }
      }
      const { frames: got, rest } = parseFrames(buf);
      buf = rest;
      for (const f of got) {
        if (!opened) {
          // a control frame can precede the open packet (a pong to a ping sent with the request)
          if (f.op !== 1 || f.data[0] !== 0x30) {
            frames.push(`before open: ${show(f)}`);
            continue;
          }
          opened = true;
          sid = JSON.parse(f.data.toString().slice(1)).sid;
          for (const w of writes) s.write(w);
          continue;
        }
        frames.push(show(f));
      }
      if (o.frameCount !== undefined && opened && frames.length >= o.frameCount) finish(false);
    });
    s.on("end", () => finish(true));
    s.on("close", () => finish(true));
    s.on("error", () => finish(true));
  });
}

describe("lean WebSocket connection (EIO_WS=lite) against ws 8", () => {
  const servers = {} as Record<Impl, Server>;
  before(async () => {
    servers.ws = await serverOn("ws");
    servers.lite = await serverOn("lite");
  });
  after(async () => {
    await servers.ws?.h.close();
    await servers.lite?.h.close();
  });

  /** Runs the same exchange on both servers; returns the lean one's outcome after asserting they agree. */
  async function both(
    writes: () => Buffer[],
    o: Parameters<typeof exchange>[2] = {},
  ): Promise<Outcome & { close: string }> {
    const out = {} as Record<Impl, Outcome & { close: string }>;
    for (const impl of ["ws", "lite"] as const) {
      const { h, closes } = servers[impl];
      const r = await exchange(h.port, writes(), o);
      let close = "";
      if (r.sid !== "") {
        await waitFor(() => closes.has(r.sid) || !r.ended, 3000, `session close (${impl})`);
        close = closes.get(r.sid) ?? "open";
      }
      out[impl] = { ...r, sid: "", close };
    }
    assert.deepEqual(out.lite, out.ws);
    return out.lite;
  }

  const protocolErrors: [string, () => Buffer[], number, string][] = [
    ["unmasked frame", () => [clientFrame(1, "4x", { mask: false })], 1002, "WS_ERR_EXPECTED_MASK"],
    ["RSV1 without an extension", () => [clientFrame(1, "4x", { rsv: 4 })], 1002, "WS_ERR_UNEXPECTED_RSV_1"],
    ["RSV2", () => [clientFrame(1, "4x", { rsv: 2 })], 1002, "WS_ERR_UNEXPECTED_RSV_2_3"],
    ["RSV3", () => [clientFrame(2, "x", { rsv: 1 })], 1002, "WS_ERR_UNEXPECTED_RSV_2_3"],
    ["reserved opcode 3", () => [clientFrame(3, "x")], 1002, "WS_ERR_INVALID_OPCODE"],
    ["reserved control opcode 0xb", () => [clientFrame(0xb, "x")], 1002, "WS_ERR_INVALID_OPCODE"],
    ["continuation without a message", () => [clientFrame(0, "4x")], 1002, "WS_ERR_INVALID_OPCODE"],
    [
      "a new message inside a fragmented one",
      () => [clientFrame(1, "4a", { fin: false }), clientFrame(1, "4b")],
      1002,
      "WS_ERR_INVALID_OPCODE",
    ],
    ["fragmented ping", () => [clientFrame(9, "p", { fin: false })], 1002, "WS_ERR_EXPECTED_FIN"],
    [
      "ping over 125 bytes",
      () => [clientFrame(9, "p".repeat(126))],
      1002,
      "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
    ],
    [
      "close with a 1-byte payload",
      () => [clientFrame(8, "x")],
      1002,
      "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH",
    ],
    [
      "close with code 1005",
      () => [clientFrame(8, Buffer.from([0x03, 0xed]))],
      1002,
      "WS_ERR_INVALID_CLOSE_CODE",
    ],
    [
      "text that is not UTF-8",
      () => [clientFrame(1, Buffer.from([0x34, 0xc3, 0x28]))],
      1007,
      "WS_ERR_INVALID_UTF8",
    ],
    [
      "fragmented text that is not UTF-8 once joined (a split sequence is fine)",
      () => [
        clientFrame(1, Buffer.from([0x34, 0xe2, 0x82]), { fin: false }),
        clientFrame(0, Buffer.from([0x28])),
      ],
      1007,
      "WS_ERR_INVALID_UTF8",
    ],
    [
      "close reason that is not UTF-8",
      () => [clientFrame(8, Buffer.from([0x03, 0xe8, 0xff]))],
      1007,
      "WS_ERR_INVALID_UTF8",
    ],
    [
      "message over maxPayload",
      () => [clientFrame(1, `4${"a".repeat(MAX)}`)],
      1009,
      "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
    ],
    [
      "fragments over maxPayload together",
      () => [clientFrame(1, `4${"a".repeat(600)}`, { fin: false }), clientFrame(0, "a".repeat(600))],
      1009,
      "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH",
    ],
    [
      "64-bit length over 2^53 - 1",
      () => [Buffer.from([0x82, 0xff, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])],
      1009,
      "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH",
    ],
  ];
  for (const [what, writes, closeCode, wsCode] of protocolErrors) {
    test(`${what}: close ${closeCode}, FIN, session closed (${wsCode})`, async () => {
      const r = await both(writes);
      assert.deepEqual(r.frames, [`close ${closeCode} `]);
      assert.equal(r.ended, true);
      const expected =
        wsCode === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"
          ? "transport error EIO_ERR_PAYLOAD_TOO_LARGE Max payload size exceeded"
          : `transport error EIO_ERR_TRANSPORT ${wsCode}`;
      assert.equal(r.close, expected);
    });
  }

  test("messages before a protocol error in the same write are delivered, nothing after it", async () => {
    const r = await both(() => [
      Buffer.concat([clientFrame(1, "4one"), clientFrame(3, "x"), clientFrame(1, "4two")]),
    ]);
    assert.deepEqual(r.frames, ["text 4one", "close 1002 "]);
    assert.equal(r.ended, true);
  });

  test("ping → pong with its payload; fragments with a ping between them make one message", async () => {
    const r = await both(
      () => [
        clientFrame(9, "hello"),
        clientFrame(1, "4ab", { fin: false }),
        clientFrame(9, ""),
        clientFrame(0, "cd", { fin: false }),
        clientFrame(0, "€"),
        clientFrame(10, "unsolicited pong"),
      ],
      { frameCount: 3 },
    );
    assert.deepEqual(r.frames, ["pong hello", "pong ", "text 4abcd€"]);
    assert.equal(r.close, "open");
  });

  test("close frame with a code and reason is echoed, then the server ends the connection", async () => {
    const r = await both(() => [
      Buffer.concat([
        clientFrame(8, Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from("bye")])),
        clientFrame(1, "4ignored"),
      ]),
    ]);
    assert.deepEqual(r.frames, ["close 4000 bye"]);
    assert.equal(r.ended, true);
    assert.equal(r.close, "transport close");
  });

  test("empty close frame is echoed empty", async () => {
    const r = await both(() => [clientFrame(8, "")]);
    assert.deepEqual(r.frames, ["close"]);
    assert.equal(r.ended, true);
    assert.equal(r.close, "transport close");
  });

  test("a frame sent with the handshake request (the upgrade head) is read", async () => {
    const r = await both(() => [], { headWithRequest: clientFrame(1, "4early"), frameCount: 1 });
    assert.deepEqual(r.frames, ["text 4early"]);
  });

  test("a ping sent with the handshake request: the 101 still comes first, then the pong, then the open packet", async () => {
    // (the lean connection holds a new session's 101 back to write it with the open packet in one syscall; a
    // write before that, like this pong, puts the 101 first)
    const r = await both(() => [], { headWithRequest: clientFrame(9, "early"), frameCount: 1 });
    assert.deepEqual(r.frames, ["before open: pong early"]);
    assert.match(r.head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  });

  test("frames split at every byte, and many frames in one write, arrive whole and in order", async () => {
    const big = Buffer.alloc(MAX - 1, 7);
    big[0] = 1;
    const frames = [clientFrame(1, "4a"), clientFrame(2, big), clientFrame(1, `4${"é".repeat(300)}`)];
    const all = Buffer.concat(frames);
    const r = await both(() => [...all].map((b) => Buffer.from([b])), { frameCount: 3, ms: 5000 });
    assert.deepEqual(r.frames, ["text 4a", `binary ${MAX - 1} 0107070707070707`, `text 4${"é".repeat(300)}`]);
    const r2 = await both(
      () => [Buffer.concat(Array.from({ length: 50 }, (_, i) => clientFrame(1, `4m${i}`)))],
      {
        frameCount: 50,
      },
    );
    assert.deepEqual(
      r2.frames,
      Array.from({ length: 50 }, (_, i) => `text 4m${i}`),
    );
  });

  const upgradeReq = (lines: string, method = "GET") =>
    `${method} ${P}?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n${lines}\r\n`;
  const refusals: [string, string, RegExp][] = [
    [
      "no Sec-WebSocket-Key",
      upgradeReq("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"),
      /^HTTP\/1\.1 400 /,
    ],
    [
      "a Sec-WebSocket-Key of the wrong shape",
      upgradeReq("Upgrade: websocket\r\nSec-WebSocket-Key: abc==\r\nSec-WebSocket-Version: 13\r\n"),
      /^HTTP\/1\.1 400 /,
    ],
    [
      "Sec-WebSocket-Version 12",
      upgradeReq(`Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 12\r\n`),
      /^HTTP\/1\.1 400 [\s\S]*Sec-WebSocket-Version: 13, 8/,
    ],
    [
      "a bad Upgrade header",
      upgradeReq(`Upgrade: h2c\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`),
      /^HTTP\/1\.1 400 /,
    ],
    [
      "a malformed Sec-WebSocket-Protocol",
      upgradeReq(
        `Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a,,b\r\n`,
      ),
      /^HTTP\/1\.1 400 [\s\S]*Invalid Sec-WebSocket-Protocol header/,
    ],
    [
      "POST",
      upgradeReq(`Upgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n`, "POST"),
      /^HTTP\/1\.1 4\d\d /,
    ],
    [
      "Sec-WebSocket-Version 8 and two subprotocols (accepted, the first one echoed)",
      upgradeReq(
        `Upgrade: WebSocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Protocol: x, y\r\n`,
      ),
      /^HTTP\/1\.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\nSec-WebSocket-Protocol: x$/,
    ],
  ];
  for (const [what, request, expected] of refusals) {
    test(`handshake with ${what}: answered as ws answers`, async () => {
      const r = await both(() => [], { request, frameCount: 0, ms: 2000 });
      assert.match(r.head, expected);
    });
  }

  test("the server's close: close frame, then the peer's close frame ends the connection", async () => {
    for (const impl of ["ws", "lite"] as const) {
      const { h } = servers[impl];
      const pending = exchange(h.port, [], { frameCount: 2, ms: 3000 });
      await waitFor(() => Object.keys(h.engine.clients).length > 0, 3000, "session");
      for (const s of Object.values(h.engine.clients)) {
        // the lean connection is what runs here (and `ws` on the other server)
        const conn = (s.transport as unknown as { socket: object }).socket;
        assert.equal(conn instanceof LiteWebSocket, impl === "lite", impl);
        s.close();
      }
      const r = await pending;
      assert.deepEqual(r.frames, ["text 1", "close"], impl);
    }
  });
});

describe("unmask", () => {
  test("matches a byte-wise XOR at every length and alignment", () => {
    for (let len = 0; len < 300; len += len < 80 ? 1 : 37) {
      for (let shift = 0; shift < 4; shift++) {
        const mask = randomBytes(4);
        const data = randomBytes(len);
        const buf = Buffer.alloc(shift + 4 + len + 3);
        mask.copy(buf, shift);
        const off = shift + 4;
        for (let i = 0; i < len; i++) buf[off + i] = data[i]! ^ mask[i & 3]!;
        unmask(buf, off, len, shift);
        assert.deepEqual(buf.subarray(off, off + len), data, `len ${len} shift ${shift}`);
      }
    }
  });
});
