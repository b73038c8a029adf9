// Starts and stops python-engineio peers for the python interop tests: one column per python-engineio version
// (the .venv-py/ environments made by setup.mjs, and Debian's 4.3.4 where it is installed), a server in a given
// mode, or a client driven line by line. Every process runs in its own process group and is killed (SIGKILL to
// the group) by `close()`, which the tests call from `after`/`t.after`, so a failing test leaves nothing behind.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
// @ts-expect-error: a plain ESM script (also run by .ci/run), no type declarations
import { DEBIAN_PYTHON, ensurePythonEnvs } from "./setup.mjs";

/** One python-engineio version of the matrix. */
export interface PyColumn {
  /** python-engineio version, e.g. `4.13.1`. */
  version: string;
  /** Interpreter that imports that version. */
  python: string;
  /** Server modes this column can run. */
  modes: PyServerMode[];
  /** Whether disconnect handlers receive a reason (python-engineio ≥ 4.11). */
  reasons: boolean;
  /** Why the column is skipped, if it is. */
  skip?: string;
}

/** How a python-engineio server is served. */
export type PyServerMode = "asgi" | "aiohttp" | "wsgi";

const HERE = fileURLToPath(new URL(".", import.meta.url));

function importable(python: string, modules: string): boolean {
  return spawnSync(python, ["-c", `import ${modules}`], { encoding: "utf8" }).status === 0;
}

let cached: PyColumn[] | undefined;
/**
 * The columns of the matrix (sets up the virtual environments on first use). Columns that cannot run carry
 * `skip`; the caller prints the loud `!!!` line.
 */
export function pyColumns(): PyColumn[] {
  if (cached) return cached;
  const envs = ensurePythonEnvs() as { version: string; python?: string; skip?: string }[];
  const cols: PyColumn[] = envs.map((e) => ({
    version: e.version,
    python: e.python ?? "",
    modes: ["asgi", "aiohttp", "wsgi"],
    reasons: true,
    ...(e.skip ? { skip: `pip could not set up python-engineio ${e.version}: ${e.skip}` } : {}),
  }));
  const debian: PyColumn = {
    version: "4.3.4",
    python: DEBIAN_PYTHON,
    // Debian has no uvicorn/werkzeug+simple-websocket: the aiohttp server and the clients only
    modes: ["aiohttp"],
    reasons: false,
  };
  if (!existsSync(DEBIAN_PYTHON) || !importable(DEBIAN_PYTHON, "engineio, aiohttp, requests, websocket"))
    debian.skip = `Debian's python3-engineio/aiohttp/requests/websocket not importable by ${DEBIAN_PYTHON}`;
  cols.push(debian);
  cached = cols;
  return cols;
}

/** Prints the loud line for every skipped column; returns the columns that run. */
export function runnableColumns(what: string): PyColumn[] {
  const cols = pyColumns();
  for (const c of cols)
    if (c.skip) console.warn(`\n!!! SKIPPING ${what} for python-engineio ${c.version}: ${c.skip}\n`);
  return cols;
}

/** One `EV {…}` line a python peer printed. */
export type PyEvent = { ev: string } & Record<string, unknown>;

/** A running python process that reports events. */
export class PyProcess {
  readonly events: PyEvent[] = [];
  private out = "";
  private err = "";
  private waiters: (() => void)[] = [];
  readonly child: ChildProcess;

  constructor(python: string, args: string[]) {
    this.child = spawn(python, ["-u", ...args], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.child.stdout!.on("data", (d: Buffer) => {
      this.out += d.toString();
      let nl = this.out.indexOf("\n");
      while (nl >= 0) {
        const line = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        if (line.startsWith("EV ")) {
          try {
            this.events.push(JSON.parse(line.slice(3)) as PyEvent);
          } catch {
            this.events.push({ ev: "unparsable", line });
          }
        } else if (line.startsWith("PORT ")) this.port = Number(line.slice(5));
        nl = this.out.indexOf("\n");
      }
      this.wake();
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.err = (this.err + d.toString()).slice(-8000);
    });
    this.child.on("exit", () => this.wake());
    this.child.stdin!.on("error", () => {});
  }

  /** Port printed by a server. */
  port = 0;

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The last stderr lines (for failure messages). */
  get stderr(): string {
    return this.err;
  }

  /** Waits (bounded) until `cond` holds, re-checking whenever the process prints. */
  async until<T>(cond: () => T | undefined | false, what: string, ms = 10000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = cond();
      if (v) return v;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(
          `python exited (${this.child.exitCode ?? this.child.signalCode}) waiting for ${what}\n${this.err}`,
        );
      const left = end - Date.now();
      if (left <= 0)
        throw new Error(
          `timeout waiting for ${what}\nevents: ${JSON.stringify(this.events).slice(-2000)}\n${this.err}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for the first event after index `from` matching `pred`. */
  event(pred: (e: PyEvent) => boolean, what: string, from = 0, ms = 10000): Promise<PyEvent> {
    return this.until(() => this.events.slice(from).find(pred), what, ms);
  }

  /** Writes one command line to the process. */
  command(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Stops (SIGSTOP) or resumes (SIGCONT) the whole process group: a peer that stops answering. */
  freeze(on: boolean): void {
    if (this.child.pid) process.kill(-this.child.pid, on ? "SIGSTOP" : "SIGCONT");
  }

  /** Kills the process group and waits for the exit. */
  async close(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
    await exited;
  }
}

/** A python-engineio server peer. */
export interface PyServer {
  proc: PyProcess;
  url: string;
  close(): Promise<void>;
}

/** Options of a python-engineio server (seconds, as python-engineio takes them). */
export interface PyServerOptions {
  ping_interval?: number;
  ping_timeout?: number;
  max_http_buffer_size?: number;
}

/** Starts python-engineio's server of `col` in `mode`; resolves once it listens. */
export async function startPyServer(
  col: PyColumn,
  mode: PyServerMode,
  opts: PyServerOptions = {},
): Promise<PyServer> {
  const proc = new PyProcess(col.python, [`${HERE}eio_server.py`, mode, JSON.stringify(opts)]);
  try {
    await proc.until(() => proc.port, "python server port", 15000);
  } catch (e) {
    await proc.close();
    throw e;
  }
  return { proc, url: `http://127.0.0.1:${proc.port}`, close: () => proc.close() };
}

/** Starts a python-engineio client of `col` (`sync` = engineio.Client, `async` = AsyncClient). */
export function startPyClient(
  col: PyColumn,
  flavour: "sync" | "async",
  url: string,
  transports: string,
): PyProcess {
  return new PyProcess(col.python, [`${HERE}eio_client.py`, flavour, url, transports]);
}

/** Starts one of the scripts beside this file (`name`, e.g. `sio_client.py`) with the interpreter of `col`. */
export function startPyScript(col: PyColumn, name: string, args: string[]): PyProcess {
  return new PyProcess(col.python, [`${HERE}${name}`, ...args]);
}
