/**
 * The server under attack, in its own process (see lib/child.ts). Config (env HOSTILE_CONFIG, JSON):
 *   impl     "ours" (default) or "engine.io" (the reference, for comparison)
 *   options  server options
 *
 * Per-connection behaviour, chosen by the handshake query:
 *   (default)   echo every message back
 *   sink=1      never answer (a target for slow-consumer blasts)
 *   seq=N       stream N sequence-numbered messages `s:<i>` at full speed, and check the client's `c:<i>` stream
 */
import { createServer } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { gcAndMeasure, serveRpc } from "./lib/child.js";
import { analyzeSeq, type SeqVerdict } from "./lib/seq.js";

interface Config {
  impl?: "ours" | "engine.io";
  options?: Record<string, unknown>;
  /** http server settings (headersTimeout, requestTimeout, connectionsCheckingInterval, keepAliveTimeout). */
  http?: Record<string, number>;
}
const config = JSON.parse(process.env.HOSTILE_CONFIG ?? "{}") as Config;

// Minimal structural view of a server socket, common to engine.io and ours.
interface EngineSocket {
  id: string;
  readyState: string;
  transport: { name: string };
  request: { _query?: Record<string, string>; url?: string };
  bufferedAmount?: number;
  send(data: unknown, opts?: unknown, cb?: () => void): unknown;
  close(): unknown;
  on(event: string, fn: (...args: never[]) => void): unknown;
  once(event: string, fn: (...args: never[]) => void): unknown;
}
interface EngineServer {
  clientsCount: number;
  clients: Record<string, EngineSocket>;
  attach(http: unknown, opts?: unknown): unknown;
  close(): unknown;
  on(event: string, fn: (...args: never[]) => void): unknown;
}

// Prototype-pollution canary: what Object.prototype looks like before any request.
const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort().join(",");
// Requests outside the engine's path get a 404, as from an application.
const http = createServer(
  { connectionsCheckingInterval: config.http?.connectionsCheckingInterval ?? 30000 },
  (_req, res) => {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found");
  },
);
if (config.http?.headersTimeout !== undefined) http.headersTimeout = config.http.headersTimeout;
if (config.http?.requestTimeout !== undefined) http.requestTimeout = config.http.requestTimeout;
if (config.http?.keepAliveTimeout !== undefined) http.keepAliveTimeout = config.http.keepAliveTimeout;
let engine: EngineServer;
if ((process.env.HOSTILE_IMPL ?? config.impl) === "engine.io") {
  const { Server } = await import("engine.io");
  engine = new Server(config.options as ConstructorParameters<typeof Server>[0]) as unknown as EngineServer;
} else {
  const mod = (await import("../../src/index.js")) as unknown as { Server: new (o: unknown) => EngineServer };
  engine = new mod.Server(config.options ?? {});
}
engine.attach(http);

const counters = {
  connections: 0,
  closes: {} as Record<string, number>,
  closeCodes: {} as Record<string, number>,
  socketErrors: 0,
  socketErrorSamples: [] as string[],
  connectionErrors: {} as Record<string, number>,
  messages: 0,
  warnings: [] as string[],
};
process.on("warning", (w) => {
  if (counters.warnings.length < 20) counters.warnings.push(`${w.name}: ${w.message}`);
});

interface SeqState {
  sent: number;
  target: number;
  received: number[];
  /** Client messages received before the upgrade completed. */
  receivedBeforeUpgrade: number;
  /** Server messages sent before the upgrade completed. */
  sentBeforeUpgrade: number;
  upgraded: boolean;
  transport: string;
  closeReason?: string;
}
const seqStates = new Map<string, SeqState>();

engine.on("connection_error", (err: { code?: number }) => {
  const k = String(err?.code ?? "?");
  counters.connectionErrors[k] = (counters.connectionErrors[k] ?? 0) + 1;
});

engine.on("connection", (socket: EngineSocket) => {
  counters.connections++;
  const q =
    socket.request._query ?? Object.fromEntries(new URL(socket.request.url ?? "/", "http://x").searchParams);
  const seq = Number(q.seq ?? 0);
  socket.on("error", (err: Error) => {
    counters.socketErrors++;
    if (counters.socketErrorSamples.length < 10)
      counters.socketErrorSamples.push(String(err?.message ?? err));
  });
  socket.on("close", (reason: string, desc?: { code?: string } | Error) => {
    counters.closes[reason] = (counters.closes[reason] ?? 0) + 1;
    const code = (desc as { code?: string } | undefined)?.code;
    if (code) counters.closeCodes[code] = (counters.closeCodes[code] ?? 0) + 1;
    const st = seqStates.get(socket.id);
    if (st) st.closeReason = reason;
  });
  if (seq > 0) {
    const st: SeqState = {
      sent: 0,
      target: seq,
      received: [],
      receivedBeforeUpgrade: 0,
      sentBeforeUpgrade: 0,
      upgraded: false,
      transport: socket.transport.name,
    };
    seqStates.set(socket.id, st);
    socket.on("upgrade", () => {
      st.receivedBeforeUpgrade = st.received.length;
      st.sentBeforeUpgrade = st.sent;
      st.upgraded = true;
      st.transport = socket.transport.name;
      if (timer === null) pump(); // else the pending turn goes on past the half
    });
    socket.on("message", (data: string) => {
      counters.messages++;
      if (typeof data === "string" && data.startsWith("c:")) st.received.push(Number(data.slice(2)));
    });
    // `seqBatch` messages every `seqPace` ms (0: every event-loop turn). The upgrade happens mid-stream by
    // construction, not by timing: the first batch waits for the first poll, and the second half waits for
    // the upgrade (the client holds its own second half the same way).
    const batch = Number(q.seqBatch ?? 20);
    const pace = Number(q.seqPace ?? 0);
    const half = Math.ceil(st.target / 2);
    let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
    const tick = () => {
      timer = null;
      pump();
    };
    const pump = () => {
      if (socket.readyState !== "open" && socket.readyState !== "opening") return;
      const stop = st.upgraded ? st.target : Math.min(half, st.target);
      for (let i = 0; i < batch && st.sent < stop; i++) socket.send(`s:${st.sent++}`);
      if (st.sent < stop && timer === null) timer = pace > 0 ? setTimeout(tick, pace) : setImmediate(tick);
    };
    pump();
    return;
  }
  if (q.sink === "1") {
    socket.on("message", () => {
      counters.messages++;
    });
    return;
  }
  socket.on("message", (data: unknown) => {
    counters.messages++;
    if (data === "!close") {
      socket.close(); // a server-side close, requested by the client
      return;
    }
    socket.send(data);
  });
});

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
sampler.unref();

function seqReport() {
  const out: Record<
    string,
    SeqVerdict & {
      sent: number;
      target: number;
      receivedBeforeUpgrade: number;
      sentBeforeUpgrade: number;
      upgraded: boolean;
      transport: string;
      closeReason?: string;
    }
  > = {};
  for (const [sid, st] of seqStates) {
    out[sid] = {
      ...analyzeSeq(st.received, st.target),
      sent: st.sent,
      target: st.target,
      receivedBeforeUpgrade: st.receivedBeforeUpgrade,
      sentBeforeUpgrade: st.sentBeforeUpgrade,
      upgraded: st.upgraded,
      transport: st.transport,
      closeReason: st.closeReason,
    };
  }
  return out;
}

serveRpc({
  stats: () => ({
    ...counters,
    clientsCount: engine.clientsCount,
    resources: process.getActiveResourcesInfo(),
    memory: process.memoryUsage(),
    peakRss,
    loopDelay: { p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
  }),
  resetLoopDelay: () => {
    eld.reset();
    return { ok: true };
  },
  mem: () => gcAndMeasure(),
  /** Listener counts on the engine and the http server (to catch listener leaks). */
  listeners: () => {
    const count = (e: NodeJS.EventEmitter) =>
      Object.fromEntries(e.eventNames().map((n) => [String(n), e.listenerCount(n)]));
    return { engine: count(engine as unknown as NodeJS.EventEmitter), http: count(http) };
  },
  /** Whether any request managed to add properties to Object.prototype. */
  pollution: () => ({
    polluted: Object.getOwnPropertyNames(Object.prototype).sort().join(",") !== protoKeys,
    probe: ({} as Record<string, unknown>).polluted,
  }),
  /** Writes a heap snapshot (for leak hunting) and returns its path. */
  snapshot: async (args) => {
    gcAndMeasure();
    const v8 = await import("node:v8");
    return { file: v8.writeHeapSnapshot(String(args.file ?? "")) };
  },
  resetPeak: () => {
    peakRss = process.memoryUsage().rss;
    return { peakRss };
  },
  seq: () => seqReport(),
  resetSeq: () => {
    seqStates.clear();
    return { ok: true };
  },
  /** A synchronous stall of the event loop (simulating a blocking handler). */
  stall: (args) => {
    const until = Date.now() + Number(args.ms ?? 2000);
    while (Date.now() < until) {
      // busy
    }
    return { stalled: args.ms };
  },
  /**
   * Stalls the event loop for `ms` right after the next ping is written to any socket, so that client's pong
   * arrives (and waits in the kernel) during the stall, past its pingTimeout deadline.
   */
  stallAfterNextPing: (args) => {
    const ms = Number(args.ms ?? 2000);
    const sockets = Object.values(engine.clients);
    let fired = false;
    const listeners = new Map<EngineSocket, (p: { type: string }) => void>();
    for (const socket of sockets) {
      const onPacket = (p: { type: string }) => {
        if (p.type !== "ping" || fired) return;
        fired = true;
        for (const [s, l] of listeners) (s as unknown as NodeJS.EventEmitter).off("packetCreate", l);
        // after the ping is flushed (synchronously, by the send that created it)
        setImmediate(() => {
          const until = Date.now() + ms;
          while (Date.now() < until) {
            // busy
          }
        });
      };
      listeners.set(socket, onPacket);
      socket.on("packetCreate", onPacket);
    }
    return { armed: sockets.length };
  },
  /**
   * Writes `bytes` to the socket `sid` in `chunk`-byte messages, as an application that ignores back-pressure
   * would (a macrotask between chunks), until done or the socket closes.
   */
  blast: async (args) => {
    const socket = engine.clients[String(args.sid)];
    if (!socket) throw new Error(`no socket ${String(args.sid)}`);
    const total = Number(args.bytes);
    const chunkSize = Number(args.chunk ?? 65536);
    let sent = 0;
    let peakBuffered = 0;
    let closeReason: string | undefined;
    let closeCode: string | undefined;
    socket.once("close", (reason: string, desc?: { code?: string }) => {
      closeReason = reason;
      closeCode = desc?.code;
    });
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const deadline = Date.now() + Number(args.timeoutMs ?? 60000);
    while (sent < total && closeReason === undefined && Date.now() < deadline) {
      // a fresh buffer each time, as an application producing data would (the same buffer would cost nothing)
      socket.send(Buffer.alloc(chunkSize, 0x61 + (sent % 26)));
      sent += chunkSize;
      peakBuffered = Math.max(peakBuffered, socket.bufferedAmount ?? 0);
      if ((sent / chunkSize) % 16 === 0) {
        peak = Math.max(peak, process.memoryUsage().rss);
        await new Promise((r) => setImmediate(r));
      }
    }
    // Give the close a moment to be reported.
    for (let i = 0; i < 50 && closeReason === undefined && sent >= total; i++)
      await new Promise((r) => setTimeout(r, 20));
    peak = Math.max(peak, process.memoryUsage().rss);
    return {
      sent,
      peakBuffered,
      closeReason,
      closeCode,
      rssBefore: rss0,
      rssPeak: peak,
      bufferedAmount: socket.bufferedAmount,
    };
  },
  /**
   * Sends `count` numbered messages `m:<i>` to every open socket, then closes the server at once (`close()`), or
   * with `shutdown: true` awaits `shutdown()` (what the CLI does on SIGTERM) and reports how long it took.
   */
  sendAndClose: async (args) => {
    const count = Number(args.count ?? 100);
    const perSocket: Record<string, number> = {};
    for (const socket of Object.values(engine.clients)) {
      for (let i = 0; i < count; i++) socket.send(`m:${i}`);
      perSocket[socket.id] = count;
    }
    const t0 = Date.now();
    const shutdown = (engine as unknown as { shutdown?: (ms: number) => Promise<void> }).shutdown;
    if (args.shutdown && shutdown) await shutdown.call(engine, 5000);
    else engine.close();
    return { perSocket, ms: Date.now() - t0, clientsCount: engine.clientsCount };
  },
  close: () => {
    engine.close();
    return { ok: true };
  },
  exit: () => {
    setTimeout(() => {
      try {
        engine.close();
      } catch {}
      http.close();
      process.exit(0);
    }, 10);
    return { ok: true };
  },
});

http.listen(0, "127.0.0.1", () => {
  const addr = http.address();
  process.send!({ ready: true, port: typeof addr === "object" && addr ? addr.port : 0 });
});
