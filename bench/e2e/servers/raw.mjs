// The ceiling: a minimal hand-written Engine.IO v4 echo server directly on `ws` and node:http.
// It does only what the wire requires for the benchmark's clients — open packet, message echo (text decoded to a
// string and re-sent like any app would; binary passed through as a Buffer), long-polling GET/POST with `\x1e`
// payloads and `b`+base64 binary, and the probe/noop/upgrade dance. No heartbeats, no timeouts, no validation:
// whatever a real engine does beyond this is its overhead.
import { randomBytes } from "node:crypto";
import { WebSocketServer } from "ws";
import { runServer } from "./harness.mjs";

const OPEN_TAIL = ',"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';
const TEXT_HEADERS = { "Content-Type": "text/plain; charset=UTF-8" };

/** @type {Map<string, {res: import("node:http").ServerResponse | null, buf: string[], ws: import("ws").WebSocket | null}>} */
const sessions = new Map();
let counter = 0;
const newId = () => randomBytes(12).toString("base64url") + (counter++ & 0xff).toString(36);

function sidOf(url) {
  const i = url.indexOf("sid=");
  if (i < 0) return null;
  const end = url.indexOf("&", i);
  return url.slice(i + 4, end < 0 ? url.length : end);
}

function respond(res, body) {
  res.writeHead(200, { ...TEXT_HEADERS, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function flushPolling(s) {
  if (s.res && s.buf.length > 0) {
    const res = s.res;
    s.res = null;
    const body = s.buf.join("\x1e");
    s.buf = [];
    respond(res, body);
  }
}

/** Echo one decoded packet (string form) of a session, over polling or websocket. */
function onPacket(s, sid, p) {
  const t = p.charCodeAt(0);
  if (t === 52 /* 4 */) {
    const msg = p.slice(1);
    send(s, `4${msg}`);
  } else if (t === 98 /* b */) {
    const bin = Buffer.from(p.slice(1), "base64");
    if (s.ws) s.ws.send(bin);
    else s.buf.push(`b${bin.toString("base64")}`);
  } else if (t === 49 /* 1 */) {
    sessions.delete(sid);
    if (s.res) respond(s.res, "6");
    s.res = null;
    s.ws?.close();
  }
}

function send(s, packet) {
  if (s.ws) s.ws.send(packet);
  else s.buf.push(packet);
}

/** A WebSocket-only session: open packet, then echo. */
function onWsOnly(ws) {
  const s = { res: null, buf: [], ws };
  ws.send(`0{"sid":"${newId()}","upgrades":[]${OPEN_TAIL}`);
  ws.on("message", (data, isBinary) => {
    if (isBinary) ws.send(data);
    else onPacket(s, "", data.toString());
  });
}

/** The WebSocket of a polling session: probe, release the pending GET with a noop, `5`, flush, then echo. */
function onWsUpgrade(ws, sid) {
  const s = sessions.get(sid);
  if (!s) {
    ws.close();
    return;
  }
  ws.on("message", (data, isBinary) => {
    if (isBinary) {
      ws.send(data);
      return;
    }
    const p = data.toString();
    if (p === "2probe") {
      ws.send("3probe");
      if (s.res) {
        const res = s.res;
        s.res = null;
        respond(res, "6");
      }
    } else if (p === "5") {
      s.ws = ws;
      for (const q of s.buf) ws.send(q.charCodeAt(0) === 98 ? Buffer.from(q.slice(1), "base64") : q);
      s.buf = [];
    } else {
      onPacket(s, sid, p);
    }
  });
  ws.on("close", () => sessions.delete(sid));
}

await runServer("raw", (http) => {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 1e6,
    clientTracking: false,
  });
  http.on("request", (req, res) => {
    const url = req.url ?? "";
    if (!url.startsWith("/engine.io/")) {
      res.writeHead(404).end();
      return;
    }
    const sid = sidOf(url);
    if (sid === null) {
      const id = newId();
      sessions.set(id, { res: null, buf: [], ws: null });
      respond(res, `0{"sid":"${id}","upgrades":["websocket"]${OPEN_TAIL}`);
      return;
    }
    const s = sessions.get(sid);
    if (!s || s.ws) {
      res
        .writeHead(400, { "Content-Type": "application/json" })
        .end('{"code":1,"message":"Session ID unknown"}');
      return;
    }
    if (req.method === "GET") {
      s.res = res;
      flushPolling(s);
      return;
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString();
      res.writeHead(200, { "Content-Type": "text/html", "Content-Length": 2 });
      res.end("ok");
      const packets = body.split("\x1e");
      for (let i = 0; i < packets.length; i++) onPacket(s, sid, packets[i]);
      flushPolling(s);
    });
  });
  http.on("upgrade", (req, socket, head) => {
    // Decide before the callback so no session closure keeps `req` (and its headers) alive.
    const sid = sidOf(req.url ?? "");
    wss.handleUpgrade(req, socket, head, sid === null ? onWsOnly : (ws) => onWsUpgrade(ws, sid));
  });
});
