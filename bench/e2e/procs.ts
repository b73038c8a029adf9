/**
 * Child processes of the benchmark, tracked and always killed by pid. Node children talk over Node's IPC channel;
 * children on other runtimes (Bun, Deno, python) have none, so they speak the same JSON messages as lines: one
 * object per line on their stdout (`{"type":"ready",…}`, replies), one command per line on their stdin (EOF =
 * the orchestrator is gone). Other stdout lines are passed through.
 */
import { type ChildProcess, spawn } from "node:child_process";

const live = new Set<ChildProcess>();

/** Kills every child this process started (by pid, SIGKILL) — used on exit, errors and SIGINT. */
export function killAll(): void {
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill("SIGKILL");
      } catch {}
    }
  }
  live.clear();
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

type Msg = { type: string; id?: number; [k: string]: unknown };

/** How a child is started and talked to. */
export interface ChildOptions {
  /** Executable (default: this Node binary). */
  command?: string;
  /** "ipc" (default): Node's IPC channel; "lines": JSON lines over stdin/stdout. */
  channel?: "ipc" | "lines";
}

/** A child process with an IPC channel and request/response messages matched by `id`. */
export class Child {
  readonly proc: ChildProcess;
  readonly name: string;
  pid = 0;
  port = 0;
  /** The `ready` message (servers add facts such as the active codec backend). */
  info: Record<string, unknown> = {};
  private seq = 1;
  private waiting = new Map<number, { resolve: (m: Msg) => void; reject: (e: Error) => void }>();
  private ready: Promise<Msg>;
  /** Called for unsolicited messages (e.g. the load generator's `window-end`). */
  onMessage: ((m: Msg) => void) | null = null;
  private stderrTail = "";

  private readonly lines: boolean;

  constructor(name: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, opts: ChildOptions = {}) {
    hookExit();
    this.name = name;
    this.lines = opts.channel === "lines";
    this.proc = spawn(opts.command ?? process.execPath, args, {
      cwd,
      env,
      stdio: this.lines ? ["pipe", "pipe", "pipe"] : ["ignore", "inherit", "pipe", "ipc"],
    });
    live.add(this.proc);
    if (this.lines) this.readLines();
    this.proc.stderr?.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
      process.stderr.write(`[${name}] ${d.toString()}`);
    });
    this.ready = new Promise<Msg>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name}: not ready within 30 s`)), 30000);
      this.proc.once("exit", (code, sig) => {
        clearTimeout(t);
        const err = new Error(`${name}: exited (code ${code}, signal ${sig}) ${this.stderrTail.slice(-500)}`);
        reject(err);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        live.delete(this.proc);
      });
      this.proc.on("message", (m: Msg) => {
        if (m.type === "ready") {
          clearTimeout(t);
          // The spawned process itself is the one measured (a wrapper reporting another pid would be wrong).
          this.pid = this.proc.pid ?? Number(m.pid);
          this.port = Number(m.port ?? 0);
          this.info = m;
          resolve(m);
          return;
        }
        const w = m.id !== undefined && m.type !== "window-end" ? this.waiting.get(m.id) : undefined;
        if (w) {
          this.waiting.delete(m.id as number);
          w.resolve(m);
        } else {
          this.onMessage?.(m);
        }
      });
    });
    this.ready.catch(() => undefined);
  }

  /** "lines" channel: JSON stdout lines become `message` events, as IPC messages are. */
  private readLines(): void {
    let buf = "";
    this.proc.stdout?.setEncoding("utf8");
    this.proc.stdout?.on("data", (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        let m: unknown;
        try {
          m = line.startsWith("{") ? JSON.parse(line) : undefined;
        } catch {}
        if (m && typeof m === "object" && typeof (m as Msg).type === "string") this.proc.emit("message", m);
        else if (line) process.stdout.write(`[${this.name}] ${line}\n`);
      }
    });
    this.proc.stdin?.on("error", () => undefined);
  }

  async start(): Promise<this> {
    await this.ready;
    return this;
  }

  /** Sends `{id, ...msg}` and resolves with the reply carrying the same id (bounded by `timeoutMs`). */
  request(msg: Record<string, unknown>, timeoutMs: number): Promise<Msg> {
    const id = this.seq++;
    return new Promise<Msg>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: no answer to ${String(msg.cmd)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.send({ id, ...msg });
    });
  }

  send(msg: Record<string, unknown>): void {
    if (this.lines) {
      if (this.proc.stdin?.writable) this.proc.stdin.write(`${JSON.stringify(msg)}\n`);
    } else if (this.proc.connected) this.proc.send(msg);
  }

  /** Asks the child to exit (so --cpu-prof can write), then SIGKILLs it after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once("exit", () => r()));
    this.send({ cmd: "exit" });
    const t = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(t);
    live.delete(this.proc);
  }
}
