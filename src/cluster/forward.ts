/**
 * The worker side of per-connection routing. The primary hands a client connection to the worker that owns
 * its first request; later requests on that kept-alive connection can belong to another worker's session
 * (one browser or agent carrying several sessions: socket.io-sticky#8). So the worker looks at every request
 * before the engine does: one whose sid prefix names another worker is forwarded to that worker's loopback
 * port, and a later handshake on the connection is balanced over the workers as the primary would (from the
 * peer table the primary sends). This is the rare path; the common one (a connection carrying one session)
 * costs the primary nothing after the first request.
 */
import { Agent, type IncomingMessage, request, type ServerResponse } from "node:http";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { createDebug } from "../debug.js";
import { HOP_HEADER, type PeerInfo } from "./messages.js";
import { type BalanceStrategy, sidOf } from "./routing.js";

const debug = createDebug("engine:cluster");

/** Headers of one hop only (RFC 9110 §7.6.1): not forwarded; the forwarding connection sets its own. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

/** Whether the request target's query has an `EIO` parameter (an Engine.IO request). */
function isEngineRequest(url: string): boolean {
  const q = url.indexOf("?");
  return q >= 0 && (url.startsWith("EIO=", q + 1) || url.includes("&EIO=", q));
}

/** Decides, in a worker, which peer (if any) serves a request. */
export class PeerRouter {
  private readonly peers = new Map<string, PeerInfo>();
  private list: PeerInfo[] = [];
  /** Handshakes forwarded to a peer since the last table (its load as the table will report it). */
  private readonly sent = new Map<string, number>();
  private next = 0;

  constructor(
    private readonly self: string,
    private readonly strategy: BalanceStrategy,
    /** This worker's own open sessions (exact, unlike the table's). */
    private readonly ownLoad: () => number | undefined,
    /** Whether a handshake may be forwarded to a less loaded peer (`false`: always served here). */
    private readonly balanceHandshakes = true,
  ) {}

  /** Replaces the peer table (from the primary). */
  update(peers: PeerInfo[]): void {
    this.list = peers;
    this.peers.clear();
    for (const p of peers) this.peers.set(p.nodeId, p);
    this.sent.clear();
  }

  /** The peer that must serve `req`, or `undefined` to serve it here. */
  route(req: IncomingMessage): PeerInfo | undefined {
    const url = req.url ?? "";
    if (req.headers[HOP_HEADER] !== undefined || this.list.length < 2) return undefined;
    const sid = sidOf(url);
    if (sid !== undefined) {
      const prefix = sid.slice(0, this.self.length);
      if (prefix === this.self) return undefined;
      const owner = this.peers.get(prefix);
      // an unknown or dead owner: answered here (400 "Session ID unknown", as a restarted single process would)
      return owner?.ready && owner.port > 0 ? owner : undefined;
    }
    return this.balanceHandshakes && isEngineRequest(url) ? this.balance() : undefined;
  }

  private balance(): PeerInfo | undefined {
    const ready = this.list.filter((p) => p.ready && p.port > 0);
    if (ready.length === 0) return undefined;
    let pick: PeerInfo | undefined;
    if (this.strategy === "round-robin") {
      pick = ready[this.next++ % ready.length];
    } else {
      const loadOf = (p: PeerInfo): number =>
        p.nodeId === this.self ? (this.ownLoad() ?? p.load) : p.load + (this.sent.get(p.nodeId) ?? 0);
      // ties go to this worker: serving here costs no forwarding
      let best = loadOf(this.peers.get(this.self) ?? { nodeId: this.self, port: 0, ready: true, load: 0 });
      for (const p of ready) {
        const l = loadOf(p);
        if (l < best) {
          best = l;
          pick = p;
        }
      }
    }
    if (pick === undefined || pick.nodeId === this.self) return undefined;
    this.sent.set(pick.nodeId, (this.sent.get(pick.nodeId) ?? 0) + 1);
    return pick;
  }
}

/** Kept-alive connections to the peers for forwarded requests (idle ones closed before a peer's 70 s). */
export const forwardAgent = new Agent({ keepAlive: true, timeout: 60_000 });

function xff(req: IncomingMessage): string {
  const prior = req.headers["x-forwarded-for"];
  const addr = req.socket.remoteAddress ?? "";
  return prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${addr}` : addr;
}

function noPeer(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ code: 503, message: "No worker available" });
  res.writeHead(503, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** Forwards one HTTP request to `peer` and its response back, streaming both bodies. */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  peer: PeerInfo,
  from: string,
): void {
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || name === "x-forwarded-for") continue;
    const prev = headers[name];
    headers[name] =
      prev === undefined ? raw[i + 1]! : `${prev}${name === "cookie" ? "; " : ", "}${raw[i + 1]}`;
  }
  headers[HOP_HEADER] = from;
  headers["x-forwarded-for"] = xff(req);
  debug("forwarding %s %s to %s", req.method, req.url, peer.nodeId);
  const up = request(
    {
      host: "127.0.0.1",
      port: peer.port,
      method: req.method,
      path: req.url,
      headers,
      agent: forwardAgent,
    },
    (upRes) => {
      const out: string[] = [];
      const r = upRes.rawHeaders;
      for (let i = 0; i < r.length; i += 2)
        if (!HOP_BY_HOP.has(r[i]!.toLowerCase())) out.push(r[i]!, r[i + 1]!);
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
      upRes.on("error", () => res.destroy());
      // a body cut short upstream must not look complete to the client
      upRes.on("aborted", () => res.destroy());
    },
  );
  up.on("error", (err) => {
    debug("forward to %s failed: %s", peer.nodeId, err.message);
    noPeer(res);
  });
  // the client gave up (a pending poll it abandoned): so does the forwarded request
  res.on("close", () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
}

/**
 * The head of an upgrade request rebuilt from the parsed request (latin1 text, the blank line included); with
 * `extra` (whole header lines) the client's own `X-Forwarded-For` is replaced by what `extra` says.
 */
export function upgradeHead(req: IncomingMessage, extra = ""): string {
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2)
    if (extra === "" || raw[i]!.toLowerCase() !== "x-forwarded-for") text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${text}${extra}\r\n`;
}

/** Forwards a WebSocket upgrade to `peer` as a byte tunnel (its head rebuilt from the parsed request). */
export function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  peer: PeerInfo,
  from: string,
): void {
  const up = connect(peer.port, "127.0.0.1");
  up.setNoDelay(true);
  const text = upgradeHead(req, `${HOP_HEADER}: ${from}\r\nX-Forwarded-For: ${xff(req)}\r\n`);
  debug("forwarding upgrade %s to %s", req.url, peer.nodeId);
  up.write(text, "latin1");
  if (head.length) up.write(head);
  const close = (): void => {
    up.destroy();
    socket.destroy();
  };
  up.on("error", close);
  socket.on("error", close);
  up.on("close", close);
  socket.on("close", close);
  up.pipe(socket);
  socket.pipe(up);
}
