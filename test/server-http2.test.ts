// HTTP/2 on Node: `engine.attach(http2.createSecureServer({ allowHTTP1, enableConnectProtocol }))` serves
// long-polling over h2 streams, WebSocket over RFC 8441 extended CONNECT (raw frames from a node:http2 client),
// the polling → WebSocket upgrade over h2, and HTTP/1.1 polling and the classic Upgrade on the same server.
import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { NodeApp, Server, type Socket } from "../src/index.js";
import {
  type Cert,
  certUnavailable,
  clientFrame,
  h2Request,
  h2Session,
  h2WebSocket,
  makeCert,
  startH2,
} from "./http2-helpers.js";
import { once, waitFor } from "./server-helpers.js";

const skip = certUnavailable();
if (skip) console.warn(`\n!!! SKIPPING the HTTP/2 tests: ${skip}\n`);

const RS = "\x1e";

function openPacket(body: string): { sid: string; upgrades: string[] } {
  assert.equal(body[0], "0", body);
  return JSON.parse(body.slice(1));
}

describe("HTTP/2 on Node", { skip }, () => {
  let cert: Cert;
  before(() => {
    cert = makeCert();
  });

  it("long-polling over h2 streams: handshake, POST, GET, httpVersion 2.0", async (t) => {
    const h = await startH2(cert);
    const session = await h2Session(h.origin);
    t.after(async () => {
      session.destroy();
      await h.close();
    });
    const seen: Socket[] = [];
    h.engine.on("connection", (s: Socket) => {
      seen.push(s);
      s.on("message", (m) => s.send(m));
    });
    const open = await h2Request(session, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(open.status, 200);
    const { sid, upgrades } = openPacket(open.body.toString());
    assert.deepEqual(upgrades, ["websocket"]);
    assert.equal(seen[0]!.request.httpVersion, "2.0");
    const post = await h2Request(
      session,
      "POST",
      `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
      `4héllo${RS}bAQID`,
      {
        "content-type": "text/plain;charset=UTF-8",
      },
    );
    assert.equal(post.status, 200);
    assert.equal(post.body.toString(), "ok");
    const got = await h2Request(session, "GET", `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.toString(), `4héllo${RS}bAQID`);
  });

  it("bad input over h2: the same status and JSON body as HTTP/1.1, 413 without a Connection header", async (t) => {
    const h = await startH2(cert, { maxHttpBufferSize: 100 });
    const session = await h2Session(h.origin);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    t.after(async () => {
      process.off("warning", onWarning);
      session.destroy();
      await h.close();
    });
    const bad = await h2Request(session, "GET", "/engine.io/?EIO=4&transport=carrier-pigeon");
    assert.equal(bad.status, 400);
    assert.equal(bad.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(bad.body.toString()), { code: 0, message: "Transport unknown" });
    const unknownSid = await h2Request(session, "GET", "/engine.io/?EIO=4&transport=polling&sid=nope");
    assert.deepEqual(JSON.parse(unknownSid.body.toString()), { code: 1, message: "Session ID unknown" });
    const { sid } = openPacket(
      (await h2Request(session, "GET", "/engine.io/?EIO=4&transport=polling")).body.toString(),
    );
    const closed = new Promise<unknown[]>((resolve) =>
      h.engine.clients[sid]!.once("close", (...a) => resolve(a)),
    );
    const big = await h2Request(
      session,
      "POST",
      `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
      `4${"x".repeat(500)}`,
    );
    assert.equal(big.status, 413);
    assert.equal(big.headers.connection, undefined);
    const [reason, description] = await closed;
    assert.equal(reason, "transport error");
    assert.equal((description as { code: string }).code, "EIO_ERR_PAYLOAD_TOO_LARGE");
    // the h2 connection still serves
    const again = await h2Request(session, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(again.status, 200);
    assert.equal(
      warnings.filter((w) => /connection header/i.test(w.message)).length,
      0,
      "no UnsupportedWarning about a Connection header",
    );
  });

  it("WebSocket over RFC 8441 extended CONNECT: open packet, text and binary frames, server close", async (t) => {
    const h = await startH2(cert);
    const session = await h2Session(h.origin);
    t.after(async () => {
      session.destroy();
      await h.close();
    });
    const seen: Socket[] = [];
    h.engine.on("connection", (s: Socket) => {
      seen.push(s);
      s.on("message", (m) => s.send(m));
    });
    const ws = await h2WebSocket(session, "/engine.io/?EIO=4&transport=websocket");
    assert.equal(ws.status, 200);
    const first = await ws.frames.next();
    assert.equal(first.opcode, 1);
    const { sid, upgrades } = openPacket(first.payload.toString());
    assert.deepEqual(upgrades, []);
    const sock = seen[0]!;
    assert.equal(sock.id, sid);
    assert.equal(sock.transport?.name, "websocket");
    assert.equal(sock.request.httpVersion, "2.0");
    ws.stream.write(clientFrame(1, "4hi €"));
    const echo = await ws.frames.next();
    assert.deepEqual([echo.opcode, echo.payload.toString()], [1, "4hi €"]);
    ws.stream.write(clientFrame(2, Buffer.from([1, 2, 3, 255])));
    const bin = await ws.frames.next();
    assert.deepEqual([bin.opcode, [...bin.payload]], [2, [1, 2, 3, 255]]);
    const closed = once<string>(sock, "close");
    sock.close();
    const closeFrame = await ws.frames.next();
    assert.equal(closeFrame.opcode, 8);
    ws.stream.end(clientFrame(8, Buffer.from([0x03, 0xe8])));
    assert.equal((await closed)[0], "forced close");
    // the session (TCP + TLS) survives the WebSocket stream
    assert.equal((await h2Request(session, "GET", "/engine.io/?EIO=4&transport=polling")).status, 200);
  });

  it("answers a bad extended CONNECT with a status on its stream; other paths get 405", async (t) => {
    const h = await startH2(cert);
    const session = await h2Session(h.origin);
    t.after(async () => {
      session.destroy();
      await h.close();
    });
    const badSid = await h2WebSocket(session, "/engine.io/?EIO=4&transport=websocket&sid=nope");
    assert.equal(badSid.status, 400);
    const noVersion = await h2WebSocket(session, "/engine.io/?EIO=4&transport=websocket", {});
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.headers["sec-websocket-version"], "13");
    const other = await h2WebSocket(session, "/elsewhere");
    assert.equal(other.status, 405);
    for (const s of [badSid, noVersion, other]) s.stream.close();
    assert.equal(Object.keys(h.engine.clients).length, 0);
  });

  it("upgrades polling → WebSocket over h2 without losing messages", async (t) => {
    const h = await startH2(cert);
    const session = await h2Session(h.origin);
    t.after(async () => {
      session.destroy();
      await h.close();
    });
    const upgraded: string[] = [];
    h.engine.on("connection", (s: Socket) => {
      s.on("message", (m) => s.send(m));
      s.on("upgrade", (tr: { name: string }) => upgraded.push(tr.name));
    });
    const base = "/engine.io/?EIO=4&transport=polling";
    const { sid } = openPacket((await h2Request(session, "GET", base)).body.toString());
    const ws = await h2WebSocket(session, `/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
    assert.equal(ws.status, 200);
    const poll = h2Request(session, "GET", `${base}&sid=${sid}`);
    ws.stream.write(clientFrame(1, "2probe"));
    assert.equal((await ws.frames.next()).payload.toString(), "3probe");
    assert.equal((await poll).body.toString(), "6");
    h.engine.clients[sid]!.send("buffered during upgrade");
    ws.stream.write(clientFrame(1, "5"));
    assert.equal((await ws.frames.next()).payload.toString(), "4buffered during upgrade");
    await waitFor(() => upgraded.length === 1, 5000, "upgrade event");
    assert.deepEqual(upgraded, ["websocket"]);
    ws.stream.write(clientFrame(1, "4after"));
    assert.equal((await ws.frames.next()).payload.toString(), "4after");
    const stale = await h2Request(session, "GET", `${base}&sid=${sid}`);
    assert.equal(stale.status, 400);
  });

  it("keeps HTTP/1.1 polling and the classic Upgrade working on the same server", async (t) => {
    const h = await startH2(cert);
    t.after(() => h.close());
    const versions: string[] = [];
    h.engine.on("connection", (s: Socket) => {
      versions.push(s.request.httpVersion);
      s.on("message", (m) => s.send(m));
    });
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        `${h.origin}/engine.io/?EIO=4&transport=polling`,
        { rejectUnauthorized: false, agent: false },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end();
    });
    openPacket(body);
    const ws = new WebSocket(`wss://127.0.0.1:${h.port}/engine.io/?EIO=4&transport=websocket`, {
      rejectUnauthorized: false,
    });
    t.after(() => ws.terminate());
    const frames: string[] = [];
    const two = new Promise<void>((resolve) =>
      ws.on("message", (d) => {
        frames.push(String(d));
        if (frames.length === 2) resolve();
      }),
    );
    await once(ws, "open");
    ws.send("4over h1");
    await two;
    assert.equal(frames[0]![0], "0");
    assert.equal(frames[1], "4over h1");
    assert.deepEqual(versions, ["1.1", "1.1"]);
  });

  it("NodeApp.attach accepts an http2 server (polling and RFC 8441 WebSocket)", async (t) => {
    const { createSecureServer } = await import("node:http2");
    const server = createSecureServer({
      allowHTTP1: true,
      settings: { enableConnectProtocol: true },
      key: cert.key,
      cert: cert.cert,
    });
    const engine = new Server();
    engine.on("connection", (s: Socket) => s.on("message", (m) => s.send(m)));
    const app = new NodeApp(engine);
    app.attach(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as import("node:net").AddressInfo).port;
    const session = await h2Session(`https://127.0.0.1:${port}`);
    t.after(async () => {
      session.destroy();
      await app.close();
    });
    const open = await h2Request(session, "GET", "/engine.io/?EIO=4&transport=polling");
    openPacket(open.body.toString());
    const ws = await h2WebSocket(session, "/engine.io/?EIO=4&transport=websocket");
    assert.equal(ws.status, 200);
    openPacket((await ws.frames.next()).payload.toString());
    ws.stream.write(clientFrame(1, "4via NodeApp"));
    assert.equal((await ws.frames.next()).payload.toString(), "4via NodeApp");
    const notFound = await h2Request(session, "GET", "/nothing-here");
    assert.equal(notFound.status, 404);
  });
});
