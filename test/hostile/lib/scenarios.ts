/**
 * Scenarios shared by the short tests (`npm test`) and the long soak (`npm run soak`): the same code, scaled.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type EitherClient, eitherClient } from "../../client-helpers.js";
import type { AttackEnv, AttackName, AttackReport } from "./attacks.js";
import { type ChildHandle, startChild } from "./child.js";
import { HealthyPool, type HealthyStats } from "./healthy.js";
import { analyzeSeq, type SeqVerdict } from "./seq.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Server settings of the hostile suite: a short heartbeat, so abandoned sessions expire within the test (in
 * 4 s), with a pingTimeout that leaves a healthy client starved on a loaded 2-core machine room for its pong.
 */
export const HOSTILE_SERVER = {
  options: {
    pingInterval: 1000,
    pingTimeout: 3000,
    maxHttpBufferSize: 100_000,
    httpRequestBodyTimeout: 1000,
  },
  http: { headersTimeout: 2000, requestTimeout: 5000, connectionsCheckingInterval: 250 },
};

export const ALL_ATTACKS: AttackName[] = [
  "oversizedPost",
  "oversizedFrame",
  "slowlorisHeaders",
  "slowlorisBody",
  "handshakeFlood",
  "unknownSidFlood",
  "overlappingPolls",
  "badUpgrades",
  "vanishing",
];

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface HostileResult {
  baseline: HealthyStats;
  during: HealthyStats[];
  reports: AttackReport[];
  memBefore: MemorySample;
  memAfter: MemorySample;
  clientsAfter: number;
  serverExit: { code: number | null; signal: NodeJS.Signals | null } | null;
  serverStderr: string;
  /** Event-loop delay of the measuring (test) process during the attack windows (ms). */
  testLoopDelayMax: number;
  serverLoopDelay: { p99: number; max: number };
  stats: Record<string, unknown>;
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(stepMs);
  }
  return pred();
}

function mem(m: NodeJS.MemoryUsage): MemorySample {
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/**
 * 50 healthy echo clients, a quiet baseline window, then `rounds` attack windows of `attackMs` with every attack
 * at once; then the server must forget the attackers (sessions expire) and its memory must come back.
 */
export async function runHostile(opts: {
  healthy?: number;
  attackMs: number;
  rounds?: number;
  baselineMs?: number;
  attacks?: AttackName[];
  log?: (line: string) => void;
}): Promise<HostileResult> {
  const log = opts.log ?? (() => {});
  const attacks = opts.attacks ?? ALL_ATTACKS;
  let server: ChildHandle | undefined;
  let attacker: ChildHandle | undefined;
  let pool: HealthyPool | undefined;
  try {
    server = await startChild("server-child.ts", { impl: "ours", ...HOSTILE_SERVER });
    attacker = await startChild("attacker-child.ts", {});
    const env: AttackEnv = {
      port: server.port,
      path: "/engine.io",
      maxHttpBufferSize: HOSTILE_SERVER.options.maxHttpBufferSize,
      bodyTimeoutMs: HOSTILE_SERVER.options.httpRequestBodyTimeout,
      pingIntervalMs: HOSTILE_SERVER.options.pingInterval,
      headersTimeoutMs: HOSTILE_SERVER.http.headersTimeout,
    };
    const n = opts.healthy ?? 50;
    pool = new HealthyPool(server.port, n, 50);
    await pool.connect();
    pool.start();
    const srv = server;
    const healthyOnly = async () => ((await srv.rpc("stats")) as { clientsCount: number }).clientsCount <= n;

    // Warm-up: one short round of every attack, so code caches and pools exist before the baseline.
    await attacker.rpc("run", { env, attacks, durationMs: 1500 }, 60_000);
    await waitFor(healthyOnly, 10_000, 200);
    const memBefore = mem(await server.rpc<NodeJS.MemoryUsage>("mem"));
    log(
      `memory before: heap ${(memBefore.heapUsed / 1e6).toFixed(1)} MB, rss ${(memBefore.rss / 1e6).toFixed(1)} MB`,
    );

    const baseline = await pool.window(opts.baselineMs ?? 2500);
    log(`quiet baseline: p50 ${baseline.p50} ms, p99 ${baseline.p99} ms, ${baseline.received} echoes`);

    const eld = monitorEventLoopDelay({ resolution: 10 });
    await server.rpc("resetLoopDelay");
    eld.enable();
    const during: HealthyStats[] = [];
    const reports: AttackReport[] = [];
    for (let round = 0; round < (opts.rounds ?? 1); round++) {
      const [r, d] = await Promise.all([
        attacker.rpc<{ reports: AttackReport[] }>(
          "run",
          { env, attacks, durationMs: opts.attackMs },
          opts.attackMs + 60_000,
        ),
        pool.window(opts.attackMs),
      ]);
      during.push(d);
      reports.push(...r.reports);
      log(
        `round ${round + 1}: healthy p50 ${d.p50} ms, p99 ${d.p99} ms, ${d.received} echoes, ${d.errors.length} errors; ` +
          r.reports.map((x) => `${x.name} ${x.attempts}`).join(", "),
      );
    }
    eld.disable();
    const loop = (await server.rpc<{ loopDelay: { p99: number; max: number } }>("stats")).loopDelay;

    // The attackers' sessions must expire (ping timeout) and memory come back.
    const forgot = await waitFor(healthyOnly, 15_000, 250);
    await sleep(500);
    const memAfter = mem(await server.rpc<NodeJS.MemoryUsage>("mem"));
    const stats = await server.rpc("stats");
    log(
      `memory after: heap ${(memAfter.heapUsed / 1e6).toFixed(1)} MB, rss ${(memAfter.rss / 1e6).toFixed(1)} MB; attackers forgotten: ${forgot}`,
    );
    return {
      baseline,
      during,
      reports,
      memBefore,
      memAfter,
      clientsAfter: (stats as { clientsCount: number }).clientsCount,
      serverExit: server.exited(),
      serverStderr: server.stderr(),
      testLoopDelayMax: eld.max / 1e6,
      serverLoopDelay: loop,
      stats,
    };
  } finally {
    await pool?.stop(2000);
    await attacker?.stop();
    await server?.stop();
  }
}

/** Merges attack reports of several rounds by attack name. */
export function mergeReports(reports: AttackReport[]): AttackReport[] {
  const byName = new Map<string, AttackReport>();
  for (const r of reports) {
    const m = byName.get(r.name) ?? { name: r.name, attempts: 0, outcomes: {}, unexpected: [] };
    m.attempts += r.attempts;
    for (const [k, v] of Object.entries(r.outcomes)) m.outcomes[k] = (m.outcomes[k] ?? 0) + v;
    m.unexpected.push(...r.unexpected);
    byName.set(r.name, m);
  }
  return [...byName.values()];
}

// ------------------------------------------------------------------------------------ upgrade under load

export interface UpgradeSeqResult {
  sessions: number;
  messagesPerDirection: number;
  upgraded: number;
  /** Sessions where messages flowed in both directions before and after the switch. */
  midStream: number;
  toServer: SeqVerdict;
  toClient: SeqVerdict;
  complete: boolean;
  errors: string[];
  elapsedMs: number;
}

/**
 * `sessions` clients (half this project's, half engine.io-client) open over polling and upgrade to WebSocket while
 * both sides send `messages` sequence-numbered messages (`batch` every `paceMs`); every sequence is checked.
 */
export async function runUpgradeSeq(opts: {
  sessions: number;
  messages: number;
  batch?: number;
  paceMs?: number;
  timeoutMs?: number;
}): Promise<UpgradeSeqResult> {
  const batch = opts.batch ?? 10;
  const pace = opts.paceMs ?? 2;
  const t0 = Date.now();
  const server = await startChild("server-child.ts", {
    impl: "ours",
    options: { pingInterval: 5000, pingTimeout: 10000 },
  });
  const errors: string[] = [];
  const clients: {
    socket: EitherClient;
    received: number[];
    sent: number;
    sentBeforeUpgrade: number;
    receivedBeforeUpgrade: number;
    upgraded: boolean;
    timer: NodeJS.Timeout | null;
  }[] = [];
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const query = { seq: String(opts.messages), seqBatch: String(batch), seqPace: String(pace) };
    await Promise.all(
      Array.from({ length: opts.sessions }, (_, i) => {
        const socket = eitherClient(i % 2 === 0 ? "ours" : "eio", url, {
          transports: ["polling", "websocket"],
          upgrade: true,
          query,
        });
        const c: (typeof clients)[number] = {
          socket,
          received: [],
          sent: 0,
          sentBeforeUpgrade: 0,
          receivedBeforeUpgrade: 0,
          upgraded: false,
          timer: null,
        };
        clients.push(c);
        // the second half waits for the upgrade, so every session upgrades mid-stream (see server-child's seq)
        const half = Math.ceil(opts.messages / 2);
        const pump = () => {
          c.timer = null;
          const stop = c.upgraded ? opts.messages : half;
          for (let k = 0; k < batch && c.sent < stop; k++) socket.send(`c:${c.sent++}`);
          if (c.sent < stop) c.timer = setTimeout(pump, pace);
        };
        socket.on("message", (d: unknown) => {
          if (typeof d === "string" && d.startsWith("s:")) c.received.push(Number(d.slice(2)));
        });
        socket.on("upgrade", () => {
          c.upgraded = true;
          c.sentBeforeUpgrade = c.sent;
          c.receivedBeforeUpgrade = c.received.length;
          if (c.timer === null) pump();
        });
        socket.on("error", (e: unknown) =>
          errors.push(`client ${i} error ${String((e as Error)?.message ?? e)}`),
        );
        socket.on("close", (r: unknown) => errors.push(`client ${i} closed: ${String(r)}`));
        return new Promise<void>((resolve) =>
          socket.on("open", () => {
            pump();
            resolve();
          }),
        );
      }),
    );
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    let report: Record<
      string,
      SeqVerdict & {
        upgraded: boolean;
        receivedBeforeUpgrade: number;
        sentBeforeUpgrade: number;
        target: number;
      }
    > = {};
    let complete = false;
    while (Date.now() < deadline) {
      report = await server.rpc("seq");
      const serverDone =
        Object.values(report).length === opts.sessions &&
        Object.values(report).every((r) => r.received >= opts.messages);
      const clientsDone = clients.every((c) => c.received.length >= opts.messages && c.upgraded);
      if (serverDone && clientsDone) {
        complete = true;
        break;
      }
      await sleep(100);
    }
    await sleep(200); // anything duplicated late would show up now
    report = await server.rpc("seq");
    const sum = (vs: SeqVerdict[]): SeqVerdict =>
      vs.reduce(
        (a, v) => ({
          received: a.received + v.received,
          lost: a.lost + v.lost,
          dup: a.dup + v.dup,
          reordered: a.reordered + v.reordered,
        }),
        {
          received: 0,
          lost: 0,
          dup: 0,
          reordered: 0,
        },
      );
    const serverSide = Object.values(report);
    const toServer = sum(serverSide);
    const toClient = sum(clients.map((c) => analyzeSeq(c.received, opts.messages)));
    let midStream = 0;
    for (const c of clients) {
      if (
        c.receivedBeforeUpgrade > 0 &&
        c.receivedBeforeUpgrade < opts.messages &&
        c.sentBeforeUpgrade > 0 &&
        c.sentBeforeUpgrade < opts.messages
      )
        midStream++;
    }
    return {
      sessions: opts.sessions,
      messagesPerDirection: opts.messages,
      upgraded: serverSide.filter((r) => r.upgraded).length,
      midStream,
      toServer,
      toClient,
      complete,
      errors: errors.slice(0, 20),
      elapsedMs: Date.now() - t0,
    };
  } finally {
    for (const c of clients) {
      if (c.timer) clearTimeout(c.timer);
      c.socket.on("close", () => {});
    }
    for (const c of clients) c.socket.close();
    await server.stop();
  }
}
