/**
 * Node implementation of {@link Platform}: `ws` for WebSocket (Node 20 has no global WebSocket), the global
 * `fetch` for polling — or `node:http`/`node:https` when an agent, TLS options or `autoUnref` need Node's own
 * agents — and `Buffer` for `binaryType: "nodebuffer"`. Browser builds replace this module with
 * `platform.browser.ts`, so nothing here reaches a browser bundle.
 */
import http from "node:http";
import https from "node:https";
import type WebSocket from "ws";
import { wsModule } from "../ws-module.js";
import { CookieJar } from "./cookies.js";
import { fetchRequest } from "./http.js";
import type { BinaryType, ResolvedOptions } from "./options.js";
import { toBinaryCommon } from "./platform.browser.js";
import type { HttpRequest, HttpResponse, Platform, WebSocketLike } from "./platform-types.js";

const TLS_KEYS = [
  "agent",
  "pfx",
  "key",
  "passphrase",
  "cert",
  "ca",
  "ciphers",
  "rejectUnauthorized",
  "servername",
  "checkServerIdentity",
  "localAddress",
  "family",
] as const;

/** Copies the agent/TLS options that are set. */
function nodeOptions(o: ResolvedOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TLS_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Whether a request needs Node's http(s) module instead of fetch (fetch cannot take agents or TLS options). */
function needsNodeHttp(o: ResolvedOptions): boolean {
  return o.autoUnref === true || TLS_KEYS.some((k) => o[k] !== undefined);
}

/** One polling request over `node:http`/`node:https`. */
function nodeRequest(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const mod = url.protocol === "https:" ? https : http;
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers["content-length"] = req.body.byteLength;
    const r = mod.request(
      url,
      { method: req.method, headers, signal, ...nodeOptions(req.options) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const sc = res.headers["set-cookie"];
          const ct = res.headers["content-type"];
          resolve({
            status: res.statusCode ?? 0,
            contentType: typeof ct === "string" ? ct : null,
            setCookie: Array.isArray(sc) ? sc : [],
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    r.on("error", reject);
    if (req.options.autoUnref) r.on("socket", (s) => s.unref());
    r.end(
      req.body === undefined
        ? undefined
        : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
    );
  });
}

/** The Node platform. */
export const platform: Platform = {
  wsCompression: true,
  name: "node",
  defaultBinaryType: "nodebuffer",
  createCookieJar: () => new CookieJar(),
  request(req, signal) {
    return needsNodeHttp(req.options) ? nodeRequest(req, signal) : fetchRequest(req, signal);
  },
  createWebSocket(url, protocols, options, headers, onRejected) {
    const wsOpts: WebSocket.ClientOptions = { ...nodeOptions(options), headers };
    if (options.perMessageDeflate === false) wsOpts.perMessageDeflate = false;
    else if (options.perMessageDeflate) {
      const { threshold: _t, ...pmd } = options.perMessageDeflate;
      wsOpts.perMessageDeflate = pmd as WebSocket.PerMessageDeflateOptions;
    }
    if (options.maxPayload !== undefined) wsOpts.maxPayload = options.maxPayload;
    // a server that accepts the connection but never answers the upgrade must not hang the socket forever
    if (options.requestTimeout > 0) wsOpts.handshakeTimeout = options.requestTimeout;
    const ws = new (wsModule().WebSocket)(url, protocols, wsOpts);
    ws.binaryType = "nodebuffer";
    // With a listener here ws does not abort by itself: read the refusal (engine.io answers a plain-text reason),
    // report it, then abort, which makes ws emit error + close as usual.
    ws.on("unexpected-response", (creq, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < 65536) chunks.push(c);
        size += c.length;
      });
      const done = () => {
        onRejected(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8").slice(0, 65536));
        creq.destroy();
      };
      res.on("end", done);
      res.on("error", done);
    });
    return ws as unknown as WebSocketLike;
  },
  wsSend(ws, data, compress) {
    (ws as unknown as WebSocket).send(data, { compress });
  },
  wsUnref(ws) {
    (ws as unknown as { _socket?: { unref(): void } })._socket?.unref();
  },
  frameBytes(data) {
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return undefined;
  },
  toBinary(bytes, type: BinaryType) {
    if (type === "nodebuffer") {
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return toBinaryCommon(bytes, type);
  },
  nextTick: (fn) => process.nextTick(fn),
};
