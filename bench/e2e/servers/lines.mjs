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
 * Serves `fetchHandler` (Bun: the object spread into Bun.serve; Deno: a fetch function) and answers the
 * orchestrator's commands.
 * @param {string} name
 * @param {{ bun?: object, deno?: (req: Request, info: unknown) => Response | Promise<Response | undefined> }} handlers
 * @param {Record<string, unknown>} [info] extra facts for the orchestrator (e.g. the codec backend)
 */
export function serveLines(name, handlers, info = {}) {
  let port;
  if (runtime === "bun") {
    port = globalThis.Bun.serve({ port: 0, hostname: "127.0.0.1", ...handlers.bun }).port;
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
      } else if (msg.cmd === "exit") process.exit(0);
    }
  });
  process.stdin.on("end", () => process.exit(0));
  out({ type: "ready", port, pid: process.pid, name, runtime, ...info });
}
