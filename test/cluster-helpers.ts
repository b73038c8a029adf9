// Starting and stopping multi-process peers for the scale-out tests: every child runs in its own process
// group and is killed (SIGKILL to the group) by `stopAll`, also when a test fails.
import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer, type Socket } from "node:net";

/** A spawned child with line-oriented stdout. */
export interface Child {
  proc: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first line (from now on, or already seen) matching `re`. */
  line(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Stderr so far (for failure messages). */
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();

/** Spawns `cmd args` in its own process group. */
export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(cmd, args, {
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  live.add(proc);
  const lines: string[] = [];
  let err = "";
  let buf = "";
  const watchers: { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }[] = [];
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    let i = buf.indexOf("\n");
    while (i >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
    }
    for (const w of [...watchers]) {
      for (let k = w.from; k < lines.length; k++) {
        const m = lines[k]!.match(w.re);
        if (m) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve(m);
          break;
        }
      }
    }
  });
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    lines,
    stderr: () => err,
    exited,
    line(re, ms = 20_000) {
      const from = lines.length;
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timeout waiting for ${re} from ${cmd}; stderr: ${err.slice(-2000)}`)),
          ms,
        );
        const w = {
          re,
          from,
          resolve: (m: RegExpMatchArray) => {
            clearTimeout(t);
            resolve(m);
          },
        };
        watchers.push(w);
        void exited.then(() => {
          clearTimeout(t);
          reject(new Error(`${cmd} exited before ${re}; stderr: ${err.slice(-2000)}`));
        });
      });
    },
  };
}

/** Like {@link Child.line} but also matching lines already printed. */
export function seen(child: Child, re: RegExp, ms?: number): Promise<RegExpMatchArray> {
  for (const l of child.lines) {
    const m = l.match(re);
    if (m) return Promise.resolve(m);
  }
  return child.line(re, ms);
}

/** Sends `signal` to the child's whole process group. */
export function signalGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.proc.pid!, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs every child still running (their whole groups) and waits for them. */
export async function stopAll(): Promise<void> {
  const procs = [...live];
  for (const p of procs) {
    try {
      process.kill(-p.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await Promise.all(
    procs.map((p) =>
      p.exitCode !== null || p.signalCode !== null ? null : new Promise((r) => p.once("exit", r)),
    ),
  );
}

/** A free loopback TCP port (listen on 0, close, hand it over). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port` (bounded; fails early if `proc` exits). */
export async function listening(port: number, proc: Child, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < 500 && Date.now() < end; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (proc.proc.exitCode !== null) throw new Error(`${proc.proc.spawnfile} exited: ${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listening on ${port}: ${proc.stderr()}`);
}

/** Debian's redis-server, if installed. */
export const REDIS_SERVER = "/usr/bin/redis-server";

/** A throwaway redis-server on a free loopback port, nothing persisted (`port` given: restart on it). */
export async function startRedis(
  dir: string,
  port?: number,
): Promise<{ child: Child; port: number; url: string }> {
  const p = port ?? (await freePort());
  const child = start(REDIS_SERVER, [
    "--save",
    "",
    "--appendonly",
    "no",
    "--port",
    String(p),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
  ]);
  await listening(p, child);
  return { child, port: p, url: `redis://127.0.0.1:${p}` };
}

/** Kills one child's process group with `signal` and waits for it to exit. */
export async function stop(child: Child, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  signalGroup(child, signal);
  await child.exited;
}

/**
 * A TCP relay whose target can change: `drop()` cuts every relayed connection (a transport that dies without a
 * close handshake), `hold()` parks new connections until `release(port)` relays them to the new target.
 */
export interface TcpSwitch {
  port: number;
  drop(): void;
  hold(): void;
  release(target: number): void;
  close(): Promise<void>;
}

/** Starts a {@link TcpSwitch} relaying to `target`. */
export async function tcpSwitch(target: number): Promise<TcpSwitch> {
  let to = target;
  let held: Socket[] | null = null;
  const open = new Set<Socket>();
  const relay = (inbound: Socket): void => {
    const out = connect(to, "127.0.0.1");
    open.add(inbound).add(out);
    const end = (): void => {
      inbound.destroy();
      out.destroy();
      open.delete(inbound);
      open.delete(out);
    };
    inbound.on("error", end).on("close", end);
    out.on("error", end).on("close", end);
    inbound.pipe(out).pipe(inbound);
  };
  const server = createServer((s) => {
    if (held) {
      held.push(s);
      s.on("error", () => s.destroy());
    } else relay(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address();
  return {
    port: typeof a === "object" && a ? a.port : 0,
    drop() {
      for (const s of open) s.destroy();
      open.clear();
    },
    hold() {
      held ??= [];
    },
    release(target) {
      to = target;
      const waiting = held ?? [];
      held = null;
      for (const s of waiting) if (!s.destroyed) relay(s);
    },
    close() {
      for (const s of open) s.destroy();
      for (const s of held ?? []) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
