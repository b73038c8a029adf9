// Shared harness for the e2e echo servers (plain JS, run with `node --expose-gc`, no tsx in the process).
// Protocol with the orchestrator over the IPC channel:
//   child -> parent  {type:"ready", port, pid}            once listening on 127.0.0.1:<ephemeral>
//   parent -> child  {cmd:"mem", gc:true|false, id}       reply {type:"mem", id, rss, heapUsed, heapTotal, external, arrayBuffers}
//   parent -> child  {cmd:"snapshot", path, id}          writes a heap snapshot after GC, reply {type:"snapshot", id, path}
//   parent -> child  {cmd:"close-all", id}                 engine.close() (every session, gracefully), reply {type:"closed", id, ms}
//                                                         once clientsCount is 0 (only if setup returned the engine)
//   parent -> child  {cmd:"exit"}                         closes and exits (lets --cpu-prof write its profile)
// The process exits by itself when the IPC channel goes away (orchestrator died).
import http from "node:http";

/**
 * @param {string} name
 * @param {(server: import("node:http").Server) => unknown} setup attaches the engine to `server` (and may return it:
 *   `{ close(), clientsCount }`, for close-all)
 * @param {Record<string, unknown>} [info] extra facts for the orchestrator (e.g. the active codec backend)
 */
export async function runServer(name, setup, info = {}) {
  const server = http.createServer();
  const engine = await setup(server);
  server.on("clientError", (_err, socket) => socket.destroy());
  server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    if (process.send) process.send({ type: "ready", port, pid: process.pid, name, ...info });
    else console.log(`${name} listening on http://127.0.0.1:${port}`);
  });
  process.on("message", (msg) => {
    if (!msg || typeof msg !== "object") return;
    if (msg.cmd === "mem") {
      if (msg.gc && typeof globalThis.gc === "function") {
        // Several full GCs: weak callbacks and finalizers may free more on the second/third pass.
        for (let i = 0; i < 4; i++) globalThis.gc();
      }
      const m = process.memoryUsage();
      process.send?.({ type: "mem", id: msg.id, ...m });
    } else if (msg.cmd === "snapshot") {
      // For bench/e2e/heap-diff.ts: which objects a session costs.
      for (let i = 0; i < 4; i++) globalThis.gc?.();
      import("node:v8").then((v8) =>
        process.send?.({ type: "snapshot", id: msg.id, path: v8.writeHeapSnapshot(msg.path) }),
      );
    } else if (msg.cmd === "close-all") {
      if (!engine || typeof engine.close !== "function") {
        process.send?.({ type: "closed", id: msg.id, ms: -1 });
        return;
      }
      const t0 = performance.now();
      engine.close();
      const check = () => {
        if (engine.clientsCount > 0 && performance.now() - t0 < 60000) setTimeout(check, 5);
        else
          process.send?.({
            type: "closed",
            id: msg.id,
            ms: performance.now() - t0,
            left: engine.clientsCount,
          });
      };
      check();
    } else if (msg.cmd === "exit") {
      exitSoon();
    }
  });
  process.on("disconnect", () => exitSoon());
  process.on("SIGTERM", () => exitSoon());
  process.on("SIGINT", () => exitSoon());
  let exiting = false;
  function exitSoon() {
    if (exiting) return;
    exiting = true;
    // process.exit() still writes --cpu-prof profiles; do not wait for sessions to drain.
    setTimeout(() => process.exit(0), 20).unref();
    try {
      server.closeAllConnections?.();
    } catch {}
  }
}

export { echo, engineOptions } from "./echo.mjs";
