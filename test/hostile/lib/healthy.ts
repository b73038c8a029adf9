/**
 * Healthy clients that echo continuously and measure round-trip latency: half this project's client, half the
 * official engine.io-client, over polling only, WebSocket only, and polling upgraded to WebSocket.
 */
import { type EitherClient, type EitherClientOptions, eitherClient } from "../../client-helpers.js";

type AnySocket = EitherClient;

export interface HealthyStats {
  clients: number;
  sent: number;
  received: number;
  /** Echoes not back when the window closed (in flight at most one per client). */
  outstanding: number;
  /** Echoes that did not match what was sent (wrong text, reordered). */
  corrupt: number;
  /** `error`/`close` events seen while the pool was running. */
  errors: string[];
  p50: number;
  p99: number;
  max: number;
  /** Transports in use at the end. */
  transports: Record<string, number>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

interface Member {
  socket: AnySocket;
  kind: string;
  seq: number;
  inflight: { text: string; t0: number } | null;
  timer: NodeJS.Timeout | null;
}

/**
 * A pool of echo clients. Each client sends one message, waits for the echo, waits `intervalMs`, and repeats
 * (closed loop: a slow server lowers the rate instead of piling up requests).
 */
export class HealthyPool {
  private members: Member[] = [];
  private samples: number[] = [];
  private recording = false;
  private running = false;
  private stopping = false;
  sent = 0;
  received = 0;
  corrupt = 0;
  errors: string[] = [];

  constructor(
    readonly port: number,
    readonly n = 50,
    readonly intervalMs = 50,
    readonly path = "/engine.io",
  ) {}

  /** Connects every client (resolves once all are open, rejects after `timeoutMs`). */
  async connect(timeoutMs = 15000): Promise<void> {
    const url = `http://127.0.0.1:${this.port}`;
    const opens: Promise<void>[] = [];
    for (let i = 0; i < this.n; i++) {
      const mode = i % 3; // 0 polling, 1 websocket, 2 polling → websocket
      const transports: EitherClientOptions["transports"] =
        mode === 0 ? ["polling"] : mode === 1 ? ["websocket"] : ["polling", "websocket"];
      const ours = i % 2 === 0;
      const socket = eitherClient(ours ? "ours" : "eio", url, {
        transports,
        path: this.path,
        upgrade: mode === 2,
      });
      const kind = `${ours ? "ours" : "eio"}:${transports.join("+")}`;
      const m: Member = { socket, kind, seq: 0, inflight: null, timer: null };
      this.members.push(m);
      opens.push(
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(
            () => reject(new Error(`healthy client ${i} (${kind}) did not open`)),
            timeoutMs,
          );
          socket.on("open", () => {
            clearTimeout(t);
            resolve();
          });
          socket.on("error", (err: unknown) => {
            if (!this.stopping)
              this.errors.push(`${kind}#${i} error ${String((err as Error)?.message ?? err)}`);
          });
          socket.on("close", (reason: string, desc: unknown) => {
            if (!this.stopping) {
              this.errors.push(
                `${kind}#${i} close ${reason} ${String((desc as Error)?.message ?? (desc as { description?: unknown })?.description ?? "")}`,
              );
            }
          });
          socket.on("message", (data: unknown) => this.onEcho(m, data));
        }),
      );
    }
    await Promise.all(opens);
  }

  private onEcho(m: Member, data: unknown): void {
    const f = m.inflight;
    if (f === null) {
      this.corrupt++;
      return;
    }
    if (data !== f.text) {
      this.corrupt++;
      return;
    }
    m.inflight = null;
    this.received++;
    if (this.recording) this.samples.push(performance.now() - f.t0);
    if (this.running) m.timer = setTimeout(() => this.sendNext(m), this.intervalMs);
  }

  private sendNext(m: Member): void {
    m.timer = null;
    if (!this.running) return;
    const text = `h:${m.seq++}:${"x".repeat(m.seq % 64)}`;
    m.inflight = { text, t0: performance.now() };
    this.sent++;
    m.socket.send(text);
  }

  /** Starts the echo loops (staggered over one interval). */
  start(): void {
    this.running = true;
    this.members.forEach((m, i) => {
      m.timer = setTimeout(() => this.sendNext(m), Math.floor((i / this.members.length) * this.intervalMs));
    });
  }

  /** Records latencies for `ms` and returns the window's statistics. */
  async window(ms: number): Promise<HealthyStats> {
    this.samples = [];
    const sent0 = this.sent;
    const recv0 = this.received;
    const err0 = this.errors.length;
    this.recording = true;
    await new Promise((r) => setTimeout(r, ms));
    this.recording = false;
    return this.stats(this.sent - sent0, this.received - recv0, this.errors.slice(err0));
  }

  private stats(sent: number, received: number, errors: string[]): HealthyStats {
    const sorted = this.samples.slice().sort((a, b) => a - b);
    const transports: Record<string, number> = {};
    for (const m of this.members) {
      const t = m.socket.transport?.name ?? "none";
      transports[t] = (transports[t] ?? 0) + 1;
    }
    return {
      clients: this.members.length,
      sent,
      received,
      outstanding: this.members.filter((m) => m.inflight !== null).length,
      corrupt: this.corrupt,
      errors,
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1] ?? Number.NaN),
      transports,
    };
  }

  /** Stops the loops, waits for in-flight echoes (up to `graceMs`), and closes every client. */
  async stop(graceMs = 3000): Promise<{ lostInFlight: number }> {
    this.running = false;
    for (const m of this.members) if (m.timer) clearTimeout(m.timer);
    const deadline = Date.now() + graceMs;
    while (this.members.some((m) => m.inflight !== null) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const lostInFlight = this.members.filter((m) => m.inflight !== null).length;
    this.stopping = true;
    for (const m of this.members) m.socket.close();
    return { lostInFlight };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
