// Harness for echo servers hosted on Bun or Deno (plain JS, no build step). These runtimes have no Node IPC
// channel with the orchestrator, so they speak harness.mjs's messages as JSON lines (procs.ts, channel "lines"):
//   stdout  {"type":"ready","port","pid","runtime",...}   once listening on 127.0.0.1:<ephemeral>
//   stdin   {"cmd":"mem","gc":bool,"id"}  ->  stdout {"type":"mem","id","rss","heapUsed",...}
//   stdin   {"cmd":"exit"}                ->  exits;  EOF on stdin (orchestrator gone) exits too.
// The orchestrator reads CPU time and RSS from /proc for every server; `heapUsed` is the runtime's own GC heap
// (JSC on Bun, V8 on Deno), after a forced full GC when asked (Bun.gc(true); Deno runs with --expose-gc).

/** The runtime this process runs on. */
export const runtime =
  typeof globalThis.Bun !== "undefined" ? "bun" : typeof globalThis.Deno !== "undefined" ? "deno" : "node";

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function collect() {
  if (runtime === "bun") globalThis.Bun.gc(true);
  else if (typeof globalThis.gc === "function") for (let i = 0; i < 4; i++) globalThis.gc();
}

/**
 * `--js-split` (EIO_BENCH_JS_SPLIT=1, Bun only): every entry into the handler is clocked, so a run can say how much
 * of the server's CPU per message is JavaScript (Bun's own HTTP/WebSocket work, the kernel and the collector are
 * the rest). Times go into 10 ms buckets of the last ~10 s; `{"cmd":"split","windowMs"}` sums those of the window
 * that just ended. Only the synchronous part of an entry is seen: work a handler continues after an `await`
 * is not counted (bun-engine's handleRequest awaits its verify, so its handshakes, polls and server.upgrade
 * calls are missed; ours run inside the clocked part). The clocks cost CPU themselves (two clock reads, a
 * classification and a map lookup per entry): take ratios between servers from runs without the flag.
 */
const BUCKET_MS = 10;
const BUCKETS = 1024;
const split = { parts: new Map(), stamp: new Float64Array(BUCKETS).fill(-1) };

function clocked(part, fn) {
  return function (...args) {
    const t0 = performance.now();
    try {
      return fn.apply(this, args);
    } finally {
      const t1 = performance.now();
      const name = typeof part === "function" ? part(...args) : part;
      const b = Math.floor(t1 / BUCKET_MS);
      const i = b % BUCKETS;
      if (split.stamp[i] !== b) {
        split.stamp[i] = b;
        for (const a of split.parts.values()) a[i] = 0;
      }
      let a = split.parts.get(name);
      if (a === undefined) {
        a = new Float64Array(BUCKETS);
        split.parts.set(name, a);
      }
      a[i] += t1 - t0;
    }
  };
}

/** JS ms per part over the last `windowMs`. */
function splitOf(windowMs) {
  const last = Math.floor(performance.now() / BUCKET_MS);
  const first = last - Math.min(BUCKETS - 1, Math.ceil(windowMs / BUCKET_MS)) + 1;
  const parts = {};
  let total = 0;
  for (const [name, a] of split.parts) {
    let ms = 0;
    for (let b = first; b <= last; b++) if (split.stamp[b % BUCKETS] === b) ms += a[b % BUCKETS];
    parts[name] = ms;
    total += ms;
  }
  return { jsMs: total, parts };
}

/** A `sid` query parameter (a regular expression, not a URL parse per request in the measured process). */
const SID_PARAM = /[?&]sid=/;
const requestKind = (req) =>
  req.headers.get("upgrade")
    ? "fetch (WebSocket)"
    : req.method === "POST"
      ? "fetch (POST)"
      : SID_PARAM.test(req.url)
        ? "fetch (poll GET)"
        : "fetch (handshake GET)";

/** The Bun handler with every entry clocked (see {@link clocked}). */
function clockBun(h) {
  const ws = h.websocket;
  return {
    ...h,
    fetch: clocked(requestKind, h.fetch),
    websocket: {
      ...ws,
      open: clocked("ws open", ws.open),
      message: clocked("ws message", ws.message),
      close: clocked("ws close", ws.close),
    },
  };
}

/**
 * Serves `fetchHandler` (Bun: the object spread into Bun.serve; Deno: a fetch function) and answers the
 * orchestrator's commands.
 * @param {string} name
 * @param {{ bun?: object, deno?: (req: Request, info: unknown) => Response | Promise<Response | undefined> }} handlers
 * @param {Record<string, unknown>} [info] extra facts for the orchestrator (e.g. the codec backend)
 */
export function serveLines(name, handlers, info = {}) {
  let port;
  if (runtime === "bun") {
    const bun = process.env.EIO_BENCH_JS_SPLIT === "1" ? clockBun(handlers.bun) : handlers.bun;
    port = globalThis.Bun.serve({ port: 0, hostname: "127.0.0.1", ...bun }).port;
  } else if (runtime === "deno") {
    port = globalThis.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handlers.deno).addr.port;
  } else {
    throw new Error("lines.mjs hosts servers on Bun or Deno only");
  }
  let buf = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    buf += chunk;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (msg.cmd === "mem") {
        if (msg.gc) collect();
        out({ type: "mem", id: msg.id, ...process.memoryUsage() });
      } else if (msg.cmd === "split") {
        out({ type: "split", id: msg.id, ...splitOf(Number(msg.windowMs)) });
      } else if (msg.cmd === "exit") process.exit(0);
    }
  });
  process.stdin.on("end", () => process.exit(0));
  out({ type: "ready", port, pid: process.pid, name, runtime, ...info });
}
