// Starting the Bun and Deno echo hosts (test/runtimes/host.mjs) from Node tests: each in its own process group,
// its JSON-lines stdout parsed into events, stopped by the test (also on failure).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

/** The runtimes the hosts run on. */
export type Runtime = "bun" | "deno";

/** Path of the npm-installed binary of `runtime`. */
export function runtimeBinary(runtime: Runtime): string {
  return join(root, "node_modules", ".bin", runtime);
}

/** Why the host cannot run on `runtime` here, or undefined. */
export function hostUnavailable(runtime: Runtime): string | undefined {
  if (!existsSync(runtimeBinary(runtime))) return `${runtimeBinary(runtime)} is missing (npm install)`;
  if (!existsSync(join(root, "dist", "esm", "index.js"))) return "dist/esm is not built (npm run build)";
  return undefined;
}

/** One JSON line the host printed. */
export type HostEvent = Record<string, unknown> & { event?: string };

/** A running host. */
export interface Host {
  runtime: Runtime;
  port: number;
  url: string;
  backend: string;
  events: HostEvent[];
  stderr: string[];
  /** Resolves with the first event matching `pred` (bounded). */
  waitEvent(pred: (e: HostEvent) => boolean, ms?: number, what?: string): Promise<HostEvent>;
  stop(): Promise<void>;
}

/** The command line that runs `host.mjs` on `runtime` (Deno: permissions and node_modules resolution only). */
export function hostCommand(runtime: Runtime, script: string, arg: string): string[] {
  if (runtime === "bun") return [runtimeBinary("bun"), script, arg];
  return [
    runtimeBinary("deno"),
    "run",
    "--node-modules-dir=manual",
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    script,
    arg,
  ];
}

/**
 * Runs `script` on `runtime` in its own process group (stop it with `process.kill(-pid)`), stdout and stderr
 * piped.
 */
export function spawnRuntime(runtime: Runtime, script: string, arg: string): ChildProcess {
  const [cmd, ...args] = hostCommand(runtime, script, arg);
  return spawn(cmd!, args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // the runner's per-backend EIO_CODEC names Node backends; the runtimes take their default (WASM)
    env: { ...process.env, EIO_CODEC: "", EIO_NO_WASM: "" },
  });
}

/** Starts the echo host on `runtime` with `config` (`{ options, socketio }`). */
export function startHost(
  runtime: Runtime,
  config: object = {},
  script = join(root, "test", "runtimes", "host.mjs"),
): Promise<Host> {
  const child = spawnRuntime(runtime, script, JSON.stringify(config));
  const events: HostEvent[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buf = "";
  let exited = false;
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        events.push(JSON.parse(line) as HostEvent);
      } catch {
        stderr.push(`stdout: ${line}`);
      }
      i = buf.indexOf("\n");
    }
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (c: string) => stderr.push(c));
  child.on("exit", () => {
    exited = true;
    for (const w of waiters) w();
  });
  const waitEvent = (pred: (e: HostEvent) => boolean, ms = 10_000, what = "host event"): Promise<HostEvent> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = events.find(pred);
        if (found) {
          cleanup();
          resolve(found);
          return true;
        }
        if (exited) {
          cleanup();
          reject(new Error(`${runtime} host exited before ${what}: ${stderr.join("")}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${runtime} host: no ${what} within ${ms} ms; stderr: ${stderr.join("")}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      const waiter = () => void check();
      if (!check()) waiters.add(waiter);
    });
  const stop = async (): Promise<void> => {
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, 3000);
    await gone;
    clearTimeout(timer);
  };
  return waitEvent((e) => typeof e.port === "number", 30_000, "listening line").then(
    (first) => ({
      runtime,
      port: first.port as number,
      url: `http://127.0.0.1:${first.port as number}`,
      backend: String(first.backend),
      events,
      stderr,
      waitEvent,
      stop,
    }),
    async (e) => {
      await stop();
      throw e;
    },
  );
}
