/**
 * The load generator: one process, driven by the orchestrator (run.ts) over IPC, speaking Engine.IO v4 directly —
 * never through an Engine.IO client library — so its cost is the same whichever server it talks to: raw WebSocket
 * frames (raw-ws.ts) and a minimal keep-alive HTTP/1.1 client (raw-http.ts) for the echo and broadcast cases, `ws`
 * and node:http for the handshakes (as engine.io-client in Node makes them). Loopback only; source addresses rotate
 * over 127.0.0.1–127.0.0.8.
 *
 * Every command is bounded: a connect phase with a deadline, a warm-up, a measured window, a bounded drain.
 * The server's CPU time is read from /proc/<pid>/stat (utime+stime, CLK_TCK = 100) at the exact edges of the
 * measured window, in this process, so the counts and the CPU window coincide.
 */
import http from "node:http";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { type CpuSample, readProc, readSystemBusy } from "./proc.js";
import { type RawHttpCallback, RawHttpConn } from "./raw-http.js";
import { clientFrame, connectRawWs, OP_BINARY, OP_TEXT, type RawWs } from "./raw-ws.js";

const LOCAL_ADDRS = [
  "127.0.0.1",
  "127.0.0.2",
  "127.0.0.3",
  "127.0.0.4",
  "127.0.0.5",
  "127.0.0.6",
  "127.0.0.7",
  "127.0.0.8",
];
let addrCursor = 0;
const nextLocal = (): string => LOCAL_ADDRS[addrCursor++ & 7] as string;

/** What a measured run returns to the orchestrator. */
export interface RunResult {
  /** Messages (or handshakes, or delivered broadcast messages) completed inside the window. */
  count: number;
  windowMs: number;
  serverCpuMs: number;
  loadgenCpuMs: number;
  serverRssBytes: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU used by everything else on the machine during the window (ms): other engineers' tests, the kernel. */
  foreignCpuMs: number;
  httpRequests: number;
}

/** 0 warm-up, 1 measuring, 3 window over but load still running (heap sample), 2 stopping. */
type Phase = 0 | 1 | 2 | 3;
let phase: Phase = 0;

// ---- latency samples -------------------------------------------------------------------------------------
const LAT_CAP = 1 << 21;
const lat = new Float64Array(LAT_CAP);
let latN = 0;
let count = 0;
let errors = 0;
/** HTTP requests started inside the window (long-polling: requests per message is the server's batching). */
let httpRequests = 0;
function record(ms: number): void {
  if (phase !== 1) return;
  count++;
  if (latN < LAT_CAP) lat[latN++] = ms;
}
function countOnly(): void {
  if (phase === 1) count++;
}
function percentiles(): { p50: number; p99: number } {
  if (latN === 0) return { p50: Number.NaN, p99: Number.NaN };
  const s = lat.subarray(0, latN).sort();
  return {
    p50: s[Math.floor(latN * 0.5)] as number,
    p99: s[Math.min(latN - 1, Math.floor(latN * 0.99))] as number,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs warm-up then the measured window; `stop()` ends the load afterwards. */
async function measure(
  serverPid: number,
  warmupMs: number,
  windowMs: number,
  onWindowEnd?: () => Promise<void>,
): Promise<RunResult> {
  phase = 0;
  await sleep(warmupMs);
  latN = 0;
  count = 0;
  errors = 0;
  httpRequests = 0;
  const cpu0: CpuSample = readProc(serverPid);
  const sys0 = readSystemBusy();
  const me0 = process.cpuUsage();
  const t0 = performance.now();
  phase = 1;
  await sleep(windowMs);
  phase = 3;
  const t1 = performance.now();
  const cpu1 = readProc(serverPid);
  const sys1 = readSystemBusy();
  const me1 = process.cpuUsage(me0);
  const { p50, p99 } = percentiles();
  const res: RunResult = {
    count,
    windowMs: t1 - t0,
    serverCpuMs: (cpu1.ticks - cpu0.ticks) * 10,
    loadgenCpuMs: (me1.user + me1.system) / 1000,
    serverRssBytes: cpu1.rssBytes,
    p50Ms: p50,
    p99Ms: p99,
    errors,
    foreignCpuMs: 0,
    httpRequests,
  };
  res.foreignCpuMs = Math.max(0, (sys1 - sys0) * 10 - res.serverCpuMs - res.loadgenCpuMs);
  if (onWindowEnd) await onWindowEnd();
  phase = 2;
  return res;
}

/** Runs `fn` for indexes 0..n-1 with at most `concurrency` pending, failing after `deadlineMs`. */
async function pool(
  n: number,
  concurrency: number,
  deadlineMs: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const deadline = Date.now() + deadlineMs;
  const worker = async () => {
    while (next < n) {
      if (Date.now() > deadline) throw new Error(`connect phase exceeded ${deadlineMs} ms at ${next}/${n}`);
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Opens a raw WebSocket and resolves once the Engine.IO open packet (`0{…}`) has arrived. */
function openWs(url: string): Promise<{ ws: WebSocket; open: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      localAddress: nextLocal(),
      perMessageDeflate: false,
      handshakeTimeout: 15000,
    });
    const onMsg = (data: Buffer, isBinary: boolean) => {
      if (!isBinary && data[0] === 0x30) {
        ws.off("message", onMsg);
        ws.off("error", onErr);
        resolve({ ws, open: data.toString() });
      }
    };
    const onErr = (err: Error) => {
      ws.off("message", onMsg);
      reject(err);
    };
    ws.on("message", onMsg);
    ws.on("error", onErr);
  });
}

/** Engine.IO's pong (`3`) as a client frame, for the raw WebSocket clients' answer to a server ping. */
const PONG_FRAME = clientFrame(OP_TEXT, Buffer.from("3"));

// ---- WebSocket echo ----------------------------------------------------------------------------------------
export interface WsEchoParams {
  port: number;
  serverPid: number;
  clients: number;
  binary: boolean;
  size: number;
  inflight: number;
  warmupMs: number;
  windowMs: number;
  /**
   * Open loop: messages per second over all clients (round-robin, sent by a 1 ms ticker), whatever the echoes
   * do; `inflight` then caps what a client may have outstanding (beyond it a due message is counted as an error).
   */
  ratePerS?: number;
}

async function wsEcho(p: WsEchoParams, onWindowEnd: () => Promise<void>): Promise<RunResult> {
  const path = "/engine.io/?EIO=4&transport=websocket";
  const frame = p.binary
    ? clientFrame(OP_BINARY, Buffer.alloc(p.size, 0xa5))
    : clientFrame(OP_TEXT, Buffer.from(`4${"m".repeat(p.size)}`));
  const sockets: RawWs[] = [];
  const senders: (() => void)[] = [];
  const open = p.ratePerS !== undefined;
  // per client: a send that refuses beyond `inflight` outstanding (open loop: counted as an error)
  const client = async (): Promise<void> => {
    const times = new Float64Array(p.inflight);
    let head = 0; // next slot to fill
    let tail = 0; // oldest outstanding
    let outstanding = 0;
    let opened: (() => void) | null = null;
    const openSeen = new Promise<void>((r) => {
      opened = r;
    });
    const ws = await connectRawWs({
      port: p.port,
      path,
      localAddress: nextLocal(),
      onError: () => errors++,
      onFrame: (opcode, data, conn) => {
        if (opcode === OP_BINARY || (opcode === OP_TEXT && data[0] === 0x34)) {
          const t = times[tail] as number;
          tail = (tail + 1) % p.inflight;
          outstanding--;
          record(performance.now() - t);
          if (!open && phase !== 2) send();
        } else if (opcode === OP_TEXT && data[0] === 0x32) conn.write(PONG_FRAME);
        else if (opcode === OP_TEXT && data[0] === 0x30 && opened !== null) {
          opened();
          opened = null;
        }
      },
    });
    const send = () => {
      if (outstanding === p.inflight) {
        if (phase === 1) errors++;
        return;
      }
      outstanding++;
      times[head] = performance.now();
      head = (head + 1) % p.inflight;
      ws.write(frame);
    };
    await withTimeout(openSeen, 15000, "open packet");
    sockets.push(ws);
    senders.push(send);
  };
  await pool(p.clients, 64, 60000, client);
  let ticker: ReturnType<typeof setInterval> | undefined;
  if (open) {
    // the same arrival pattern for every server: at each tick, the messages due since the start, round-robin
    const period = 1000 / (p.ratePerS as number);
    const t0 = performance.now();
    let started = 0;
    ticker = setInterval(() => {
      if (phase === 2) return;
      const due = Math.floor((performance.now() - t0) / period);
      for (; started < due; started++) (senders[started % senders.length] as () => void)();
    }, 1);
  } else for (const send of senders) for (let i = 0; i < p.inflight; i++) send();
  const res = await measure(p.serverPid, p.warmupMs, p.windowMs, onWindowEnd);
  clearInterval(ticker);
  await sleep(50);
  await Promise.all(sockets.map((ws) => ws.close()));
  return res;
}

// ---- long-polling echo -------------------------------------------------------------------------------------
export interface PollEchoParams extends WsEchoParams {
  /**
   * false (default): like engine.io-client — a new message as soon as an echo arrives (10 in flight), and one
   * POST at a time carrying whatever is queued; how many requests a message costs then depends on how the
   * server batches its answers (reported as HTTP req/msg). true: lockstep batches of `inflight` messages.
   */
  lockstep?: boolean;
}

interface HttpReply {
  status: number;
  body: string;
}

function httpCall(
  agent: http.Agent,
  localAddress: string,
  port: number,
  method: "GET" | "POST",
  path: string,
  body: string | null,
  cb: (err: Error | null, r?: HttpReply) => void,
): void {
  if (phase === 1) httpRequests++;
  const headers: http.OutgoingHttpHeaders = {};
  if (body !== null) {
    headers["Content-Type"] = "text/plain;charset=UTF-8";
    headers["Content-Length"] = Buffer.byteLength(body);
  }
  const req = http.request({ agent, host: "127.0.0.1", port, method, path, localAddress, headers }, (res) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => {
      const buf = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      cb(null, { status: res.statusCode ?? 0, body: buf.toString() });
    });
    res.on("error", (e) => cb(e));
  });
  req.on("error", (e) => cb(e));
  if (body !== null) req.end(body);
  else req.end();
}

function httpP(
  agent: http.Agent,
  localAddress: string,
  port: number,
  method: "GET" | "POST",
  path: string,
  body: string | null,
): Promise<HttpReply> {
  return new Promise((resolve, reject) =>
    httpCall(agent, localAddress, port, method, path, body, (e, r) =>
      e ? reject(e) : resolve(r as HttpReply),
    ),
  );
}

function parseSid(open: string): string {
  const m = /"sid":"([^"]+)"/.exec(open);
  if (!m) throw new Error(`no sid in open packet: ${open.slice(0, 80)}`);
  return m[1] as string;
}

/** One request on a raw connection, counted in `httpRequests` when inside the window (as `httpCall` does). */
function rawRequest(
  conn: RawHttpConn,
  method: "GET" | "POST",
  path: string,
  body: string | null,
  cb: RawHttpCallback,
): void {
  if (phase === 1) httpRequests++;
  conn.request(method, path, body, cb);
}

function rawP(
  conn: RawHttpConn,
  method: "GET" | "POST",
  path: string,
  body: string | null,
): Promise<HttpReply> {
  return new Promise((resolve, reject) =>
    rawRequest(conn, method, path, body, (err, status, text) =>
      err ? reject(err) : resolve({ status, body: text }),
    ),
  );
}

async function pollEcho(p: PollEchoParams, onWindowEnd: () => Promise<void>): Promise<RunResult> {
  const packet = p.binary ? `b${Buffer.alloc(p.size, 0xa5).toString("base64")}` : `4${"m".repeat(p.size)}`;
  interface Client {
    /** The connection the GETs use, and the one the POSTs use (a browser's two). */
    get: RawHttpConn;
    post: RawHttpConn;
    path: string;
    out: string[];
    posting: boolean;
    times: Float64Array;
    head: number;
    tail: number;
    closed: boolean;
    /** Echoes still expected from the current batch. */
    waiting: number;
    pollDone: Promise<void>;
  }
  const clients: Client[] = [];
  await pool(p.clients, 16, 60000, async () => {
    const local = nextLocal();
    const get = new RawHttpConn(p.port, local);
    const r = await rawP(get, "GET", "/engine.io/?EIO=4&transport=polling", null);
    if (r.status !== 200) throw new Error(`polling handshake: HTTP ${r.status} ${r.body.slice(0, 100)}`);
    const sid = parseSid(r.body);
    clients.push({
      get,
      post: new RawHttpConn(p.port, local),
      path: `/engine.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`,
      out: [],
      posting: false,
      times: new Float64Array(p.inflight + 1),
      head: 0,
      tail: 0,
      closed: false,
      waiting: 0,
      pollDone: Promise.resolve(),
    });
  });
  const ring = p.inflight + 1;
  const flush = (c: Client) => {
    if (c.posting || c.out.length === 0 || c.closed) return;
    c.posting = true;
    const body = c.out.length === 1 ? (c.out[0] as string) : c.out.join("\x1e");
    c.out.length = 0;
    rawRequest(c.post, "POST", c.path, body, (err, status) => {
      c.posting = false;
      if (err || status !== 200) errors++;
      flush(c);
    });
  };
  const enqueue = (c: Client) => {
    c.times[c.head] = performance.now();
    c.head = (c.head + 1) % ring;
    c.out.push(packet);
  };
  for (const c of clients) {
    c.pollDone = new Promise<void>((resolve) => {
      const poll = () => {
        rawRequest(c.get, "GET", c.path, null, (err, status, body) => {
          if (err || status !== 200) {
            errors++;
            resolve();
            return;
          }
          const packets = body.split("\x1e");
          for (const q of packets) {
            const t = q.charCodeAt(0);
            if (t === 0x34 || t === 0x62) {
              const ts = c.times[c.tail] as number;
              c.tail = (c.tail + 1) % ring;
              record(performance.now() - ts);
              if (!p.lockstep) {
                if (phase !== 2) enqueue(c);
              } else if (--c.waiting === 0 && phase !== 2) {
                // lockstep: the next batch goes out once every echo of the previous one is back
                for (let i = 0; i < p.inflight; i++) enqueue(c);
                c.waiting = p.inflight;
              }
            } else if (t === 0x32) {
              c.out.push("3");
            } else if (t === 0x31) {
              c.closed = true;
            }
          }
          flush(c);
          if (c.closed || phase === 2) resolve();
          else poll();
        });
      };
      poll();
    });
    for (let i = 0; i < p.inflight; i++) enqueue(c);
    c.waiting = p.inflight;
    flush(c);
  }
  const res = await measure(p.serverPid, p.warmupMs, p.windowMs, onWindowEnd);
  // Stop posting, let in-flight POSTs finish (bounded), then close every session with a `1` (which also releases
  // the pending GET) so no server keeps a session — or its heartbeat timers — around for the next run.
  for (const c of clients) c.closed = true;
  for (let i = 0; i < 40 && clients.some((c) => c.posting); i++) await sleep(25);
  await Promise.all(clients.map((c) => rawP(c.post, "POST", c.path, "1").catch(() => undefined)));
  await withTimeout(Promise.all(clients.map((c) => c.pollDone)), 2000, "poll end").catch(() => undefined);
  for (const c of clients) {
    c.get.destroy();
    c.post.destroy();
  }
  return res;
}

// ---- handshake rate ----------------------------------------------------------------------------------------
export interface HandshakeParams {
  port: number;
  serverPid: number;
  mode: "websocket" | "upgrade";
  concurrency: number;
  /** upgrade mode: the GETs share one kept-alive connection (browser-like) instead of one each (engine.io-client in Node). */
  keepAlive?: boolean;
  /**
   * Open loop: start this many handshakes per second whatever the server's latency (at most 512 pending), instead
   * of `concurrency` closed-loop workers. Every server then does the same work per second.
   */
  ratePerS?: number;
  warmupMs: number;
  windowMs: number;
}

async function closeWs(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const done = new Promise<void>((r) => ws.once("close", () => r()));
  ws.close();
  await withTimeout(done, 3000, "ws close").catch(() => ws.terminate());
}

/**
 * websocket-only, as engine.io-client with `transports: ["websocket"]`: connect (offering permessage-deflate, `ws`'s
 * default), the open packet, a first message and its echo, close.
 */
async function handshakeWs(port: number): Promise<void> {
  const t0 = performance.now();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`, {
    localAddress: nextLocal(),
    handshakeTimeout: 15000,
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.on("error", reject);
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        if (data[0] === 0x30) ws.send("4hello");
        else if (data[0] === 0x34) resolve();
        else if (data.length === 1 && data[0] === 0x32) ws.send("3");
      });
    }),
    15000,
    "websocket handshake",
  );
  record(performance.now() - t0);
  await closeWs(ws);
}

/** Headers node's engine.io-client (xmlhttprequest-ssl) sends: no agent, so one TCP connection per request. */
const XHR_HEADERS: http.OutgoingHttpHeaders = {
  "User-Agent": "node-XMLHttpRequest",
  Accept: "*/*",
  Connection: "close",
};
/** engine.io-client's cache-busting `t` parameter (yeast-like, 8 characters). */
let tCounter = 0;
const tParam = (): string => (Date.now().toString(36) + (tCounter++ % 1296).toString(36)).slice(-8);

/** One GET exactly as engine.io-client in Node makes it: a fresh TCP connection with `Connection: close`. */
function xhrGet(port: number, localAddress: string, path: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    if (phase === 1) httpRequests++;
    const req = http.request(
      { agent: false, host: "127.0.0.1", port, method: "GET", path, localAddress, headers: XHR_HEADERS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/**
 * Polling handshake + upgrade in engine.io-client 6.6's order (captured from a real client in Node): the handshake
 * GET; on the open packet the WebSocket probe starts (offering permessage-deflate, as `ws` does by default) and
 * then the first poll; `2probe` → `3probe`; the client pauses polling, i.e. waits for the server to answer the
 * pending poll (`6`); then `5` and the first message on the WebSocket, whose echo ends the handshake. Every HTTP
 * request is a new TCP connection (xmlhttprequest-ssl uses no agent). `keepAlive` (browser-like): the two GETs
 * share one kept-alive connection instead.
 */
async function handshakeUpgrade(port: number, keepAlive: boolean): Promise<void> {
  const t0 = performance.now();
  const local = nextLocal();
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : null;
  const get = (path: string): Promise<HttpReply> =>
    agent === null ? xhrGet(port, local, path) : httpP(agent, local, port, "GET", path, null);
  try {
    const r = await get(`/engine.io/?EIO=4&transport=polling&t=${tParam()}`);
    if (r.status !== 200) throw new Error(`handshake HTTP ${r.status}`);
    const sid = encodeURIComponent(parseSid(r.body));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket&sid=${sid}`, {
      localAddress: local,
      handshakeTimeout: 15000,
    });
    const pending = get(`/engine.io/?EIO=4&transport=polling&t=${tParam()}&sid=${sid}`);
    pending.catch(() => undefined);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        let upgraded = false;
        ws.on("error", reject);
        ws.on("open", () => ws.send("2probe"));
        ws.on("message", (data: Buffer, isBinary: boolean) => {
          const s = isBinary ? "" : data.toString();
          if (s === "3probe") {
            pending.then(
              (p) => {
                if (p.status !== 200) reject(new Error(`poll HTTP ${p.status}`));
                upgraded = true;
                ws.send("5");
                ws.send("4hello");
              },
              (e: unknown) => reject(e),
            );
          } else if (upgraded && s === "4hello") {
            resolve();
          } else if (s === "2") {
            ws.send("3");
          }
        });
      }),
      15000,
      "upgrade",
    );
    record(performance.now() - t0);
    await closeWs(ws);
  } finally {
    agent?.destroy();
  }
}

/** Handshakes made closed-loop before an open-loop case's warm-up (see {@link handshakes}). */
const RATE_WARMUP_HANDSHAKES = 3000;

async function handshakes(p: HandshakeParams, onWindowEnd: () => Promise<void>): Promise<RunResult> {
  let stop = false;
  const keepAlive = p.keepAlive === true;
  const one = p.mode === "websocket" ? handshakeWs : (port: number) => handshakeUpgrade(port, keepAlive);
  if (p.ratePerS !== undefined) {
    // Warm up closed-loop first: at 200/s the 0.5 s warm-up is 100 handshakes, and a server whose handshake path
    // is still being JIT-compiled pays for the compiler inside the window (on Bun: 1,000 open-loop handshakes
    // after 200 cost 12 % more CPU than after 3,000, most of it in JSC's JITWorker thread). A long-running server
    // is measured warm.
    let warmed = 0;
    await Promise.all(
      Array.from({ length: p.concurrency }, async () => {
        for (; warmed < RATE_WARMUP_HANDSHAKES; warmed++) await one(p.port).catch(() => undefined);
      }),
    );
    const period = 1000 / p.ratePerS;
    let pending = 0;
    const t0 = performance.now();
    let started = 0;
    const ticker = setInterval(() => {
      const due = Math.floor((performance.now() - t0) / period);
      for (; started < due; started++) {
        if (pending >= 512) continue;
        pending++;
        one(p.port).then(
          () => pending--,
          () => {
            pending--;
            errors++;
          },
        );
      }
    }, 2);
    const res = await measure(p.serverPid, p.warmupMs, p.windowMs, onWindowEnd);
    clearInterval(ticker);
    for (let i = 0; i < 400 && pending > 0; i++) await sleep(25);
    return res;
  }
  const workers = Array.from({ length: p.concurrency }, async () => {
    for (let i = 0; i < 1_000_000 && !stop; i++) {
      try {
        await one(p.port);
      } catch {
        errors++;
        await sleep(20);
      }
    }
  });
  const res = await measure(p.serverPid, p.warmupMs, p.windowMs, onWindowEnd);
  stop = true;
  await withTimeout(Promise.all(workers), 20000, "handshake workers").catch(() => undefined);
  return res;
}

// ---- idle sessions -----------------------------------------------------------------------------------------
const idle: WebSocket[] = [];
let idleClosed = 0;
let onIdleClosed: (() => void) | null = null;
function idleCloseSeen(): void {
  idleClosed++;
  if (idleClosed >= idle.length) onIdleClosed?.();
}

/** Opens WebSocket-only sessions until `total` are open; they answer pings and do nothing else. */
async function idleTo(port: number, total: number): Promise<{ open: number; ms: number }> {
  const t0 = performance.now();
  const url = `ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`;
  const need = total - idle.length;
  await pool(need, 128, 150000, async () => {
    const { ws } = await openWs(url);
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary && data.length === 1 && data[0] === 0x32) ws.send("3");
    });
    ws.on("error", () => undefined);
    ws.on("close", idleCloseSeen);
    idle.push(ws);
  });
  return { open: idle.length, ms: performance.now() - t0 };
}

/** Resolves once every idle session is closed (by the server), with the wall-clock time of the last close. */
function idleWaitClosed(ms: number): Promise<{ closed: number; open: number; lastCloseAt: number }> {
  const result = () => ({ closed: idleClosed, open: idle.length, lastCloseAt: Date.now() });
  if (idleClosed >= idle.length) return Promise.resolve(result());
  return withTimeout(
    new Promise<{ closed: number; open: number; lastCloseAt: number }>((resolve) => {
      onIdleClosed = () => {
        onIdleClosed = null;
        resolve(result());
      };
    }),
    ms,
    "idle close",
  );
}

function idleDrop(): number {
  const n = idle.length;
  for (const ws of idle) {
    ws.off("close", idleCloseSeen);
    ws.terminate();
  }
  idle.length = 0;
  idleClosed = 0;
  onIdleClosed = null;
  return n;
}

// ---- socket.io broadcast -----------------------------------------------------------------------------------
export interface BroadcastParams {
  port: number;
  serverPid: number;
  clients: number;
  /** Broadcasts kept outstanding at once. */
  outstanding: number;
  warmupMs: number;
  windowMs: number;
}

async function broadcast(p: BroadcastParams, onWindowEnd: () => Promise<void>): Promise<RunResult> {
  const path = "/socket.io/?EIO=4&transport=websocket";
  const sockets: RawWs[] = [];
  const SLOTS = 64;
  const got = new Int32Array(SLOTS);
  const started = new Float64Array(SLOTS);
  let seq = 0;
  let controller: RawWs | null = null;
  const trigger = () => {
    const s = seq++;
    got[s % SLOTS] = 0;
    started[s % SLOTS] = performance.now();
    controller?.write(clientFrame(OP_TEXT, Buffer.from(`42["go",${s}]`)));
  };
  const PREFIX = '42["tick",';
  const connect = clientFrame(OP_TEXT, Buffer.from("40"));
  await pool(p.clients, 64, 60000, async () => {
    let stage = 0; // 0: waiting for the Engine.IO open, 1: for socket.io's connect, 2: connected
    let connected: (() => void) | null = null;
    const ready = new Promise<void>((r) => {
      connected = r;
    });
    const ws: RawWs = await connectRawWs({
      port: p.port,
      path,
      localAddress: nextLocal(),
      onError: () => errors++,
      onFrame: (opcode, data, conn) => {
        if (opcode !== OP_TEXT) return;
        if (stage === 0 && data[0] === 0x30) {
          stage = 1;
          conn.write(connect);
        } else if (stage === 1 && data[0] === 0x34 && data[1] === 0x30) {
          stage = 2;
          connected?.();
        } else if (stage === 2 && data[0] === 0x34 && data[1] === 0x32) {
          const s = data.toString("latin1", PREFIX.length, data.indexOf(0x2c, PREFIX.length));
          const k = Number(s) % SLOTS;
          countOnly();
          const seen = (got[k] as number) + 1;
          got[k] = seen;
          if (seen === sockets.length) {
            if (phase === 1 && latN < LAT_CAP) lat[latN++] = performance.now() - (started[k] as number);
            if (phase !== 2) trigger();
          }
        } else if (data.length === 1 && data[0] === 0x32) conn.write(PONG_FRAME);
      },
    });
    await withTimeout(ready, 15000, "socket.io connect");
    sockets.push(ws);
  });
  controller = sockets[0] ?? null;
  for (let i = 0; i < p.outstanding; i++) trigger();
  const res = await measure(p.serverPid, p.warmupMs, p.windowMs, onWindowEnd);
  await sleep(100);
  for (const ws of sockets) ws.socket.destroy();
  return res;
}

// ---- IPC ---------------------------------------------------------------------------------------------------
type Command =
  | { id: number; cmd: "ws-echo"; params: WsEchoParams }
  | { id: number; cmd: "poll-echo"; params: PollEchoParams }
  | { id: number; cmd: "handshake"; params: HandshakeParams }
  | { id: number; cmd: "broadcast"; params: BroadcastParams }
  | { id: number; cmd: "idle-to"; params: { port: number; total: number } }
  | { id: number; cmd: "idle-drop" }
  | { id: number; cmd: "idle-wait-closed"; params: { ms: number } }
  | { id: number; cmd: "window-ack" }
  | { id: number; cmd: "exit" };

const send = (m: unknown) => process.send?.(m);
let windowAck: (() => void) | null = null;

/** Tells the orchestrator the window ended (it samples the server's heap) and waits for its answer. */
function windowEnd(id: number): () => Promise<void> {
  return () =>
    withTimeout(
      new Promise<void>((resolve) => {
        windowAck = resolve;
        send({ type: "window-end", id });
      }),
      10000,
      "window ack",
    ).catch(() => undefined);
}

async function handle(msg: Command): Promise<unknown> {
  switch (msg.cmd) {
    case "ws-echo":
      return wsEcho(msg.params, windowEnd(msg.id));
    case "poll-echo":
      return pollEcho(msg.params, windowEnd(msg.id));
    case "handshake":
      return handshakes(msg.params, windowEnd(msg.id));
    case "broadcast":
      return broadcast(msg.params, windowEnd(msg.id));
    case "idle-to":
      return idleTo(msg.params.port, msg.params.total);
    case "idle-drop":
      return idleDrop();
    case "idle-wait-closed":
      return idleWaitClosed(msg.params.ms);
    default:
      return null;
  }
}

process.on("message", (msg: Command) => {
  if (msg.cmd === "window-ack") {
    windowAck?.();
    windowAck = null;
    return;
  }
  if (msg.cmd === "exit") {
    idleDrop();
    process.exit(0);
  }
  handle(msg).then(
    (result) => send({ type: "result", id: msg.id, ok: true, result }),
    (err: unknown) =>
      send({ type: "result", id: msg.id, ok: false, error: String((err as Error)?.stack ?? err) }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready", pid: process.pid });
