// Starting and stopping multi-process peers for the scale-out tests: every child runs in its own process
// group and is killed (SIGKILL to the group) by `stopAll`, also when a test fails.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

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
