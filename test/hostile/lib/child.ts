/**
 * Runs a server (or an attacker) in a child process and talks to it over IPC, so a test can measure the
 * server's memory, stall its event loop, and see a crash as a crash (exit code) rather than a test failure.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ChildHandle {
  child: ChildProcess;
  port: number;
  /** Sends a command and resolves with the child's answer. */
  rpc<T = Record<string, unknown>>(
    cmd: string,
    args?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T>;
  /** Everything the child wrote to stderr (for failure messages). */
  stderr(): string;
  /** The exit code/signal once it exited, else null. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Graceful stop (`close` command, then SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL(".", import.meta.url));

/** Starts `script` (relative to test/hostile/) with `--expose-gc`, passing `config` as JSON in the environment. */
export function startChild(
  script: string,
  config: Record<string, unknown>,
  timeoutMs = 15000,
): Promise<ChildHandle> {
  const child = fork(`${here}../${script}`, [], {
    execArgv: ["--import", "tsx", "--expose-gc", ...((config.execArgv as string[] | undefined) ?? [])],
    env: { ...process.env, HOSTILE_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "advanced",
  });
  let err = "";
  child.stderr!.on("data", (d) => {
    err = (err + d.toString()).slice(-20000);
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 1;
  child.on("exit", (code, signal) => {
    exit = { code, signal };
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`child exited (${code ?? signal}) during rpc; stderr:\n${err}`));
    }
    pending.clear();
  });
  child.on("message", (msg: { id?: number; result?: unknown; error?: string }) => {
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new Error(msg.error));
    else p.resolve(msg.result);
  });
  const handle: ChildHandle = {
    child,
    port: 0,
    rpc<T>(cmd: string, args: Record<string, unknown> = {}, rpcTimeout = 30000): Promise<T> {
      if (exit)
        return Promise.reject(
          new Error(`child already exited (${exit.code ?? exit.signal}); stderr:\n${err}`),
        );
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`rpc ${cmd} timed out after ${rpcTimeout} ms`));
        }, rpcTimeout);
        // the child answers the command's result type (the caller names it): JSON across the IPC channel
        pending.set(id, { resolve: (v) => resolve(v as T), reject, timer });
        child.send({ id, cmd, args });
      });
    },
    stderr: () => err,
    exited: () => exit,
    async stop() {
      if (exit) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      try {
        await handle.rpc("exit", {}, 5000);
      } catch {
        // fall through to signals
      }
      const t1 = setTimeout(() => child.kill("SIGTERM"), 3000);
      const t2 = setTimeout(() => child.kill("SIGKILL"), 6000);
      await gone;
      clearTimeout(t1);
      clearTimeout(t2);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child ${script} did not start in ${timeoutMs} ms; stderr:\n${err}`));
    }, timeoutMs);
    const onMessage = (msg: { ready?: boolean; port?: number }) => {
      if (!msg.ready) return;
      child.off("message", onMessage);
      clearTimeout(timer);
      handle.port = msg.port ?? 0;
      resolve(handle);
    };
    child.on("message", onMessage);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child ${script} exited (${code ?? signal}) before ready; stderr:\n${err}`));
    });
  });
}

/** The answering side, used inside child scripts: registers command handlers and announces readiness. */
export function serveRpc(handlers: Record<string, (args: Record<string, unknown>) => unknown>): void {
  process.on("message", async (msg: { id: number; cmd: string; args: Record<string, unknown> }) => {
    const h = handlers[msg.cmd];
    try {
      if (!h) throw new Error(`unknown command ${msg.cmd}`);
      const result = await h(msg.args ?? {});
      process.send!({ id: msg.id, result });
    } catch (err) {
      process.send!({ id: msg.id, error: String((err as Error)?.stack ?? err) });
    }
  });
}

/** Forces full GCs (the child runs with --expose-gc) and returns memory usage. */
export function gcAndMeasure(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage();
}
