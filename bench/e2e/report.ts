/** Aggregation (medians of per-repetition ratios) and output: console tables, Markdown, JSON shape and SVG chart. */

export interface CaseDef {
  id: string;
  title: string;
  kind: "ws-echo" | "poll-echo" | "handshake" | "broadcast";
  unit: "msg" | "handshake" | "delivery";
  params: Record<string, unknown>;
}

export interface RunRecord {
  case: string;
  server: string;
  rep: number;
  count: number;
  windowMs: number;
  rate: number;
  cpuUsPer: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  foreignCpuPct: number;
  p50Ms: number;
  p99Ms: number;
  rssMB: number;
  heapMB: number;
  errors: number;
  /** HTTP requests (GET + POST) per echoed message, long-polling only. */
  httpPerMsg: number;
  /** `--js-split`, Bun servers: µs of JS (the synchronous part of every handler entry) per message. */
  jsUsPer?: number;
  /** `--js-split`: {@link RunRecord.jsUsPer} by entry (fetch by request kind, ws open/message/close). */
  jsParts?: Record<string, number>;
}

export interface MemStep {
  sessions: number;
  rssKB: number;
  heapKB: number;
  externalKB: number;
  connectMs: number;
}

export interface MemRecord {
  server: string;
  rep: number;
  baseRssMB: number;
  baseHeapMB: number;
  steps: MemStep[];
}

export interface CaseRow {
  server: string;
  reps: number;
  rate: number;
  cpuUsPer: number;
  p50Ms: number;
  p99Ms: number;
  rssMB: number;
  heapMB: number;
  foreignCpuPct: number;
  httpPerMsg: number;
  /** Medians of per-repetition ratios against the baseline (engine.io, or socket.io on engine.io). */
  cpuRatio: number;
  rateRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  /** CPU per message against the raw-ws ceiling (median of per-repetition ratios). */
  cpuVsRaw: number;
  /** Robustness check on a noisy machine: best (lowest) CPU per message of this server / best of the baseline. */
  cpuRatioOfMins: number;
}

export interface CaseSummary {
  id: string;
  title: string;
  unit: string;
  baseline: string;
  rows: CaseRow[];
}

export interface MemSummary {
  server: string;
  reps: number;
  steps: { sessions: number; rssKB: number; heapKB: number; rssRatio: number; heapRatio: number }[];
  /** (mem(last) − mem(first)) / (last − first): the per-session cost with every fixed cost cancelled. */
  incremental: { rssKB: number; heapKB: number };
}

export interface Target {
  what: string;
  target: string;
  ours: number;
  oursJs: number;
  met: boolean | null;
}

export interface Report {
  meta: {
    date: string;
    command: string;
    commit: string;
    node: string;
    cpus: string;
    loadavgBefore: number[];
    loadavgAfter: number[];
    quick: boolean;
    reps: number;
    memReps: number;
    durationS: number;
    memSteps: number[];
    notes: string[];
    /** Active codec backend of each of this project's servers (python: its versions). */
    codecs?: Record<string, string>;
    /** Versions of the runtimes the servers ran on (node, bun, deno, python). */
    runtimes?: Record<string, string>;
  };
  servers: Record<string, string>;
  /** Cases a server was deliberately not run on (shown as "—"; the reason is in the notes). */
  skipped?: { server: string; case: string; reason: string }[];
  cases: CaseDef[];
  runs: RunRecord[];
  memory: MemRecord[];
  /** The many-idle-sessions case (`scale`), one record per server. */
  scale?: ScaleRecord[];
  summary: { cases: CaseSummary[]; memory: MemSummary[]; targets: Target[] };
}

/** One server's result in the many-idle-sessions case (`scale`). */
export interface ScaleRecord {
  server: string;
  sessions: number;
  /** Sessions opened per second (every load generator in parallel). */
  openPerS: number;
  /** Marginal RSS and heap per session, after GC. */
  rssKB: number;
  heapKB: number;
  /** Server CPU while the sessions idle under the default heartbeat (% of one CPU). */
  idleCpuPct: number;
  /** Server side: from `close()` until clientsCount is 0. */
  closeMs: number;
  /** Client side: from the close command until the last client saw its connection close. */
  closeClientMs: number;
}

function scaleTable(rep: Report): string {
  const rows = (rep.scale ?? []).map((r) => [
    rep.servers[r.server] ?? r.server,
    String(r.sessions),
    `${f(r.openPerS, 0)}/s`,
    f(r.rssKB, 2),
    f(r.heapKB, 2),
    `${f(r.idleCpuPct, 2)} %`,
    `${f(r.closeMs, 0)} ms`,
    `${f(r.closeClientMs, 0)} ms`,
  ]);
  return table(
    [
      "server",
      "sessions",
      "open rate",
      "RSS KB/session",
      "heap KB/session",
      "idle CPU",
      "close() (server)",
      "last client closed",
    ],
    rows,
  );
}

/** Idle-session memory targets (marginal KB per session). */
const MEM_TARGET = { rssKB: 4.5, heapKB: 3.0 };

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

/** Median over repetitions of metric(server)/metric(base) taken within the same repetition. */
function ratio(runs: RunRecord[], server: string, base: string, key: keyof RunRecord): number {
  const out: number[] = [];
  for (const r of runs) {
    if (r.server !== server) continue;
    const b = runs.find((x) => x.server === base && x.rep === r.rep);
    if (b) out.push((r[key] as number) / (b[key] as number));
  }
  return median(out);
}

const ORDER = [
  "engineio",
  "ours",
  "ours-js",
  "ours-native",
  "ours-exp",
  "ours-lite",
  "ours-ws",
  "raw",
  "ours-bun",
  "bunengine",
  "ours-deno",
  "py-uvicorn",
  "sio-engineio",
  "sio-ours",
  "sio-ours-exp",
];

/**
 * Side-by-side comparisons beyond the engine.io baseline: [server, against, what]. CPU per message of both and
 * the median of per-repetition ratios.
 */
export const PAIRS: [string, string, string][] = [
  ["ours-native", "ours", "EIO_CODEC=native vs WASM, on Node"],
  ["ours-lite", "ours", "the lean WebSocket connection (EIO_WS=lite) vs the default"],
  ["ours-ws", "ours", "ws's WebSocket (EIO_WS=ws) vs the default"],
  ["ours-bun", "bunengine", "ours on Bun vs @socket.io/bun-engine"],
  ["ours-bun", "ours", "ours on Bun vs on Node"],
  ["ours-deno", "ours", "ours on Deno vs on Node"],
  ["py-uvicorn", "engineio", "python-engineio + uvicorn vs engine.io"],
];

/** Servers that are not Node processes: their heap figure is their own runtime's (or none). */
const HEAP_NOTE =
  "heap = the runtime's GC heap after the window (V8 on Node and Deno, JSC on Bun; python has none comparable: —)";

export function summarize(rep: Report): Report["summary"] {
  const cases: CaseSummary[] = [];
  for (const c of rep.cases) {
    const runs = rep.runs.filter((r) => r.case === c.id);
    const base = c.kind === "broadcast" ? "sio-engineio" : "engineio";
    // Every engine server of the run gets a row; one skipped or failed on this case shows "—".
    const servers = ORDER.filter(
      (s) =>
        runs.some((r) => r.server === s) ||
        (c.kind !== "broadcast" &&
          !s.startsWith("sio-") &&
          (rep.runs.some((r) => r.server === s) || rep.skipped?.some((x) => x.server === s))),
    );
    const rows: CaseRow[] = servers.map((s) => {
      const mine = runs.filter((r) => r.server === s);
      const med = (k: keyof RunRecord) => median(mine.map((r) => r[k] as number));
      return {
        server: s,
        reps: mine.length,
        rate: med("rate"),
        cpuUsPer: med("cpuUsPer"),
        p50Ms: med("p50Ms"),
        p99Ms: med("p99Ms"),
        rssMB: med("rssMB"),
        heapMB: med("heapMB"),
        foreignCpuPct: med("foreignCpuPct"),
        httpPerMsg: med("httpPerMsg"),
        cpuRatio: ratio(runs, s, base, "cpuUsPer"),
        rateRatio: ratio(runs, s, base, "rate"),
        p50Ratio: ratio(runs, s, base, "p50Ms"),
        p99Ratio: ratio(runs, s, base, "p99Ms"),
        cpuVsRaw: ratio(runs, s, "raw", "cpuUsPer"),
        cpuRatioOfMins:
          Math.min(...mine.map((r) => r.cpuUsPer).filter(Number.isFinite)) /
          Math.min(
            ...runs
              .filter((r) => r.server === base)
              .map((r) => r.cpuUsPer)
              .filter(Number.isFinite),
          ),
      };
    });
    cases.push({ id: c.id, title: c.title, unit: c.unit, baseline: base, rows });
  }

  const memory: MemSummary[] = [];
  for (const s of ORDER) {
    const recs = rep.memory.filter((m) => m.server === s);
    if (recs.length === 0 && !rep.skipped?.some((x) => x.server === s && x.case === "idle")) continue;
    const steps = rep.meta.memSteps.map((n) => {
      const pick = (r: MemRecord) => r.steps.find((x) => x.sessions === n);
      const per = (key: "rssKB" | "heapKB") =>
        median(
          recs.map((r) => {
            const mine = pick(r);
            const b = rep.memory.find((m) => m.server === "engineio" && m.rep === r.rep);
            const bs = b ? pick(b) : undefined;
            return mine && bs ? mine[key] / bs[key] : Number.NaN;
          }),
        );
      return {
        sessions: n,
        rssKB: median(recs.map((r) => pick(r)?.rssKB ?? Number.NaN)),
        heapKB: median(recs.map((r) => pick(r)?.heapKB ?? Number.NaN)),
        rssRatio: per("rssKB"),
        heapRatio: per("heapKB"),
      };
    });
    const [n0, n1] = [
      rep.meta.memSteps[0] as number,
      rep.meta.memSteps[rep.meta.memSteps.length - 1] as number,
    ];
    const inc = (key: "rssKB" | "heapKB") =>
      median(
        recs.map((r) => {
          const a = r.steps.find((x) => x.sessions === n0);
          const b = r.steps.find((x) => x.sessions === n1);
          return a && b && n1 > n0 ? (b[key] * n1 - a[key] * n0) / (n1 - n0) : Number.NaN;
        }),
      );
    memory.push({
      server: s,
      reps: recs.length,
      steps,
      incremental: { rssKB: inc("rssKB"), heapKB: inc("heapKB") },
    });
  }

  const targets: Target[] = [];
  const row = (id: string, s: string) => cases.find((c) => c.id === id)?.rows.find((r) => r.server === s);
  const add = (
    what: string,
    target: string,
    get: (s: string) => number | undefined,
    ok: (v: number) => boolean,
    oursName = "ours",
    jsName = "ours-js",
  ) => {
    const ours = get(oursName) ?? Number.NaN;
    const oursJs = get(jsName) ?? Number.NaN;
    targets.push({ what, target, ours, oursJs, met: Number.isFinite(ours) ? ok(ours) : null });
  };
  for (const c of cases) {
    const le = (x: number) => (v: number) => v <= x;
    if (c.id.startsWith("ws-text-")) {
      add(`${c.id}: CPU/msg vs engine.io`, "≤ 0.65×", (s) => row(c.id, s)?.cpuRatio, le(0.65));
      add(
        `${c.id}: CPU/msg vs raw ws`,
        "< 1.00×",
        (s) => row(c.id, s)?.cpuVsRaw,
        (v) => v < 1,
      );
    } else if (c.id.startsWith("ws-bin-")) {
      add(`${c.id}: CPU/msg vs engine.io`, "≤ 0.80×", (s) => row(c.id, s)?.cpuRatio, le(0.8));
      add(
        `${c.id}: CPU/msg vs raw ws`,
        "< 1.00×",
        (s) => row(c.id, s)?.cpuVsRaw,
        (v) => v < 1,
      );
    } else if (c.id === "poll-text-50")
      add(`${c.id}: CPU/msg vs engine.io`, "≤ 0.70×", (s) => row(c.id, s)?.cpuRatio, le(0.7));
    else if (c.id === "poll-bin-50")
      add(`${c.id}: CPU/msg vs engine.io`, "≤ 0.65×", (s) => row(c.id, s)?.cpuRatio, le(0.65));
    else if (c.id.startsWith("hs-ws"))
      add(`${c.id}: CPU/handshake vs engine.io`, "≤ 0.70×", (s) => row(c.id, s)?.cpuRatio, le(0.7));
    else if (c.id.startsWith("hs-upgrade"))
      add(`${c.id}: CPU/handshake vs engine.io`, "≤ 0.70×", (s) => row(c.id, s)?.cpuRatio, le(0.7));
    else if (c.id === "sio-broadcast")
      add(
        `${c.id}: CPU/delivered msg vs socket.io on engine.io`,
        "≤ 0.80×",
        (s) => row(c.id, s)?.cpuRatio,
        le(0.8),
        "sio-ours",
        "none",
      );
    if (/^(ws|poll)-.*-(50|500)$/.test(c.id))
      add(`${c.id}: p99 RTT vs engine.io`, "≤ 1.00×", (s) => row(c.id, s)?.p99Ratio, le(1.0));
  }
  // Per-session memory targets are judged on the marginal cost between the two counts (issue 15: 5,000 → 19,000),
  // where fixed costs (heap growth steps, malloc arenas) cancel out; the per-count figures are in the tables.
  if (rep.meta.memSteps.length > 1) {
    const [a, b] = [rep.meta.memSteps[0], rep.meta.memSteps[rep.meta.memSteps.length - 1]];
    const inc = (s: string) => memory.find((x) => x.server === s)?.incremental;
    add(
      `idle ${a} → ${b} sessions: marginal RSS per session`,
      `≤ ${MEM_TARGET.rssKB} KB`,
      (s) => inc(s)?.rssKB,
      (v) => v <= MEM_TARGET.rssKB,
    );
    add(
      `idle ${a} → ${b} sessions: marginal heap per session`,
      `≤ ${MEM_TARGET.heapKB} KB`,
      (s) => inc(s)?.heapKB,
      (v) => v <= MEM_TARGET.heapKB,
    );
  }
  return { cases, memory, targets };
}

// ---- rendering ---------------------------------------------------------------------------------------------
const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const fx = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "–");
const fi = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const unitLabel = (u: string) => (u === "msg" ? "msg" : u === "handshake" ? "handshake" : "delivery");

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function casesTable(rep: Report): string {
  const rows: string[][] = [];
  for (const c of rep.summary.cases) {
    for (const r of c.rows) {
      if (r.reps === 0) {
        rows.push([c.id, rep.servers[r.server] ?? r.server, ...Array<string>(10).fill("—")]);
        continue;
      }
      rows.push([
        c.id,
        rep.servers[r.server] ?? r.server,
        `${fi(r.rate)}/s`,
        `${f(r.cpuUsPer)} µs/${unitLabel(c.unit)}`,
        r.server === c.baseline ? "1.00×" : `**${fx(r.cpuRatio)}**`,
        r.server === c.baseline ? "1.00×" : fx(r.cpuRatioOfMins),
        fx(r.rateRatio),
        `${f(r.p50Ms)} / ${f(r.p99Ms)}`,
        r.server === c.baseline ? "1.00×" : fx(r.p99Ratio),
        f(r.rssMB, 0),
        f(r.heapMB, 1),
        f(r.httpPerMsg, 2),
      ]);
    }
  }
  return table(
    [
      "case",
      "server",
      "rate",
      "server CPU",
      "CPU ratio",
      "ratio of best runs",
      "rate ratio",
      "RTT p50 / p99 ms",
      "p99 ratio",
      "RSS MB",
      "heap MB¹",
      "HTTP req/msg",
    ],
    rows,
  );
}

function memTable(rep: Report): string {
  const steps = rep.meta.memSteps;
  const last = steps[steps.length - 1];
  const head = [
    "server",
    ...steps.flatMap((n) => [`RSS KB/session @${n}`, `heap KB/session @${n}`]),
    `RSS ratio @${last}`,
    `heap ratio @${last}`,
    `incremental ${steps[0]}→${last} RSS / heap KB`,
  ];
  const rows = rep.summary.memory.map((m) => {
    if (m.reps === 0) return [rep.servers[m.server] ?? m.server, ...Array<string>(head.length - 1).fill("—")];
    const l = m.steps[m.steps.length - 1];
    return [
      rep.servers[m.server] ?? m.server,
      ...m.steps.flatMap((s) => [f(s.rssKB), f(s.heapKB)]),
      fx(l?.rssRatio ?? Number.NaN),
      fx(l?.heapRatio ?? Number.NaN),
      `${f(m.incremental.rssKB)} / ${f(m.incremental.heapKB)}`,
    ];
  });
  return table(head, rows);
}

/** The PAIRS present in a run: per case, CPU per message of both servers and the ratio. */
function pairsTable(rep: Report): string {
  const has = (s: string) => rep.runs.some((r) => r.server === s);
  const pairs = PAIRS.filter(([a, b]) => has(a) && has(b));
  if (pairs.length === 0) return "";
  const rows = rep.summary.cases
    .filter((c) => c.baseline === "engineio")
    .map((c) => [
      `\`${c.id}\``,
      ...pairs.map(([a, b]) => {
        const ra = c.rows.find((r) => r.server === a);
        const rb = c.rows.find((r) => r.server === b);
        if (!ra?.reps || !rb?.reps) return "—";
        const x = ratio(
          rep.runs.filter((r) => r.case === c.id),
          a,
          b,
          "cpuUsPer",
        );
        const mark = a === "ours-bun" && b === "bunengine" ? (x < 1 ? " ✅" : " ❌") : "";
        return `${f(ra.cpuUsPer, 1)} / ${f(rb.cpuUsPer, 1)} µs (**${fx(x)}**${mark})`;
      }),
    ]);
  return table(["case", ...pairs.map(([a, b, what]) => `${what} (${a} / ${b})`)], rows);
}

/** `--js-split`: per case and Bun server, the medians of JS and process CPU per message and JS by entry. */
function jsSplitTable(rep: Report): string {
  const split = rep.runs.filter((r) => r.jsUsPer !== undefined);
  if (split.length === 0) return "";
  const rows: string[][] = [];
  for (const c of rep.cases) {
    for (const server of new Set(split.filter((r) => r.case === c.id).map((r) => r.server))) {
      const runs = split.filter((r) => r.case === c.id && r.server === server);
      const js = median(runs.map((r) => r.jsUsPer as number));
      const cpu = median(runs.map((r) => r.cpuUsPer));
      const names = new Set(runs.flatMap((r) => Object.keys(r.jsParts ?? {})));
      const parts = [...names]
        .map((n) => [n, median(runs.map((r) => r.jsParts?.[n] ?? 0))] as const)
        .filter(([, v]) => v >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([n, v]) => `${n} ${f(v, 1)}`)
        .join(", ");
      rows.push([
        `\`${c.id}\``,
        rep.servers[server] ?? server,
        f(js),
        f(cpu),
        `${f((js / cpu) * 100, 0)} %`,
        parts,
      ]);
    }
  }
  return table(["case", "server", "JS µs", "process CPU µs", "JS share", "JS µs by entry"], rows);
}

function targetTable(rep: Report): string {
  return table(
    ["target", "goal", "engineio-wasm (WASM)", "EIO_NO_WASM=1", "met"],
    rep.summary.targets.map((t) => {
      const isKB = t.target.includes("KB");
      const v = (x: number) => (isKB ? `${f(x)} KB` : fx(x));
      return [
        t.what,
        t.target,
        v(t.ours),
        v(t.oursJs),
        t.met === null ? "n/a" : t.met ? "✅ met" : "❌ missed",
      ];
    }),
  );
}

export function renderTables(rep: Report): string {
  return [
    "Throughput, latency and server CPU (medians; ratios = medians of per-repetition ratios vs engine.io):",
    casesTable(rep),
    `¹ ${HEAP_NOTE}.`,
    "",
    ...(pairsTable(rep)
      ? [
          "Codec tiers and runtimes, server CPU per message (median per-repetition ratio):",
          pairsTable(rep),
          "",
        ]
      : []),
    ...(jsSplitTable(rep)
      ? [
          "JS per message on Bun (--js-split; synchronous part of each handler entry, medians):",
          jsSplitTable(rep),
          "",
        ]
      : []),
    "Idle WebSocket sessions (marginal per session, after GC):",
    memTable(rep),
    "",
    "Targets:",
    targetTable(rep),
  ].join("\n");
}

export function renderMarkdown(rep: Report): string {
  const m = rep.meta;
  const foreign = median(rep.runs.map((r) => r.foreignCpuPct));
  const shared = foreign > 10 || Math.max(...m.loadavgBefore) > 1;
  const caseList = rep.cases.map((c) => `- \`${c.id}\` — ${c.title}`).join("\n");
  return `# End-to-end benchmark

Generated by \`${m.command}\` on ${m.date} (commit ${m.commit}, Node ${m.node}, ${m.cpus}); ${m.reps} repetition(s)${m.quick ? " in **quick** mode (short windows, small counts — not for conclusions)" : ""}, ${m.durationS.toFixed(0)} s.
${shared ? `\n**The machine was shared** (2 CPUs, other engineers' tests) while this ran: other processes used a median ${f(foreign, 0)} % of one CPU during the measured windows (load average before ${m.loadavgBefore.map((x) => x.toFixed(2)).join(" ")}). Server CPU per message is the figure to trust; messages/s differences under ~15 % are noise.\n` : `\nOther processes used a median ${f(foreign, 0)} % of one CPU during the measured windows.\n`}
## Method
- Every server is an echo server in its own process (\`bench/e2e/servers/\`, \`node --expose-gc\`, plain JS: this project is imported from \`dist/esm\`, so no tsx transform runs in a measured process). The load generator (\`bench/e2e/loadgen.ts\`) is one more process speaking Engine.IO v4 itself: raw WebSocket frames on \`net\` sockets (\`raw-ws.ts\`; the messages one read of echoes prompts leave in one write, as the servers write their echoes) and a minimal keep-alive HTTP/1.1 client (\`raw-http.ts\`) for the echo and broadcast cases, so that it is not the bottleneck of a closed loop; \`ws\` and \`node:http\` for the handshakes, as engine.io-client in Node makes them; loopback only, source addresses rotating over 127.0.0.1–127.0.0.8.
- Servers are interleaved in every repetition with the order rotated. Each run: connect, ${rep.cases[0]?.params.warmupMs ?? "?"} ms warm-up, a ${rep.cases[0]?.params.windowMs ?? "?"} ms measured window, close.
- **Server CPU** = utime+stime of the server process (all threads) from \`/proc/<pid>/stat\` across the window, divided by the messages echoed (handshakes completed, broadcast messages delivered) in it. RTT is per message, from the client's send to its echo. RSS from \`/proc\` at the end of the window; heap = \`process.memoryUsage().heapUsed\` at the end of the window (no GC).
- Ratios are medians of per-repetition ratios against engine.io 6.6 (socket.io on engine.io for the broadcast). "Ratio of best runs" (lowest CPU per message of the server over the baseline's lowest) is a robustness check: on a shared machine, interference only ever adds CPU time. "HTTP req/msg" shows how a server batches its long-polling answers (the clients post whatever is queued, one POST at a time, like engine.io-client). Idle memory: one fresh server process per repetition; baseline after 50 warm-up sessions are dropped and a full GC; marginal RSS and heap per session after GC at ${m.memSteps.join(" and ")} sessions.

Runtimes: ${Object.entries(m.runtimes ?? { node: m.node })
    .map(([k, v]) => `${k} ${v}`)
    .join(
      ", ",
    )}. Servers on Bun, Deno and python have no Node IPC channel: they print \`ready\` and answer \`mem\` as JSON lines on stdout/stdin; CPU and RSS come from \`/proc\` for every server alike.

Codec backends: ${
    Object.entries(m.codecs ?? {})
      .map(([k, v]) => `${rep.servers[k] ?? k} → \`${v}\``)
      .join(", ") || "n/a"
  }.

Cases:
${caseList}
- \`idle\` — ${m.memSteps.join(" / ")} idle WebSocket sessions (answering pings only)

## Targets
${targetTable(rep)}

## Throughput, latency, CPU
${casesTable(rep)}

¹ ${HEAP_NOTE}.
${pairsTable(rep) ? `\n## Codec tiers and runtimes\nServer CPU per message of both servers and the median of per-repetition ratios (lower is better for the first).\n\n${pairsTable(rep)}\n` : ""}${jsSplitTable(rep) ? `\n## JS per message on Bun\n\`--js-split\`: every entry into a Bun server's handler (\`fetch\` by request kind, WebSocket \`open\`/\`message\`/\`close\`) is clocked; the rest of the process's CPU is Bun's own HTTP/WebSocket work, the kernel and the collector. Only the synchronous part of an entry is seen: work continued after an \`await\` is not counted (bun-engine's \`handleRequest\` awaits its \`verify\`, so its handshakes, polls and \`server.upgrade\` calls run after the clocked part; ours run inside it).\n\n${jsSplitTable(rep)}\n` : ""}
## Idle WebSocket sessions
${memTable(rep)}
${rep.scale?.length ? `\n## Many idle sessions (scale)\nThe most WebSocket sessions one server process holds here (open files are capped at 20,000 per process, so 100,000 needs five processes; this case measures one), idle under the default heartbeat (pings every 25 s) for ${"a 30 s window"}, then one graceful \`close()\` of all.\n\n${scaleTable(rep)}\n` : ""}
![CPU per message vs engine.io](e2e.svg)
${m.notes.length ? `\n## Notes\n${m.notes.map((n) => `- ${n}`).join("\n")}\n` : ""}`;
}

// ---- SVG ---------------------------------------------------------------------------------------------------
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const COLORS: Record<string, string> = {
  ours: "#2563eb",
  "ours-js": "#93c5fd",
  "ours-native": "#7c3aed",
  "ours-exp": "#16a34a",
  raw: "#9ca3af",
  "sio-ours": "#2563eb",
  "sio-ours-exp": "#16a34a",
  engineio: "#f59e0b",
};
const TARGETS: Record<string, number> = {
  "ws-text": 0.78,
  "ws-bin": 0.9,
  "poll-text-50": 0.7,
  "poll-bin-50": 0.65,
  "hs-ws": 0.75,
  "hs-upgrade": 0.7,
  "sio-broadcast": 0.8,
};
function targetFor(id: string): number | undefined {
  for (const [k, v] of Object.entries(TARGETS)) if (id.startsWith(k)) return v;
  return undefined;
}

/** A horizontal bar chart of CPU-per-message ratios (engine.io = 1) and a second panel for idle memory. */
export function renderSvg(rep: Report): string {
  const series = ["ours", "ours-js", "ours-native", "ours-exp", "raw", "sio-ours", "sio-ours-exp"];
  const labelW = 210;
  const plotW = 520;
  const barH = 9;
  const left = labelW + 10;
  let y = 62;
  const out: string[] = [];
  const maxRatio =
    Math.max(
      1.4,
      ...rep.summary.cases.flatMap((c) => c.rows.map((r) => (Number.isFinite(r.cpuRatio) ? r.cpuRatio : 0))),
    ) * 1.05;
  const xr = (v: number) => left + (Math.min(v, maxRatio) / maxRatio) * plotW;
  const top = y;
  for (const c of rep.summary.cases) {
    const rows = c.rows.filter((r) => series.includes(r.server) && r.reps > 0);
    const h = Math.max(rows.length, 1) * (barH + 2) + 8;
    out.push(`<text x="${labelW}" y="${y + h / 2 + 3}" text-anchor="end" class="l">${esc(c.id)}</text>`);
    rows.forEach((r, i) => {
      const by = y + 4 + i * (barH + 2);
      const w = Number.isFinite(r.cpuRatio) ? xr(r.cpuRatio) - left : 0;
      out.push(
        `<rect x="${left}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[r.server] ?? "#444"}"><title>${esc(`${rep.servers[r.server] ?? r.server}: ${f(r.cpuRatio)}× engine.io CPU per ${c.unit}`)}</title></rect>`,
      );
      out.push(
        `<text x="${(left + w + 3).toFixed(1)}" y="${by + barH - 1}" class="v">${f(r.cpuRatio)}</text>`,
      );
    });
    const t = targetFor(c.id);
    if (t !== undefined)
      out.push(
        `<line x1="${xr(t).toFixed(1)}" x2="${xr(t).toFixed(1)}" y1="${y + 1}" y2="${y + h - 3}" stroke="#dc2626" stroke-width="2"><title>target ≤ ${t}×</title></line>`,
      );
    y += h;
  }
  const bottom = y;
  const grid: string[] = [];
  for (let v = 0; v <= maxRatio + 1e-9; v += 0.2) {
    const x = xr(v).toFixed(1);
    grid.push(
      `<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}" stroke="${Math.abs(v - 1) < 1e-9 ? "#f59e0b" : "#e5e7eb"}" stroke-width="${Math.abs(v - 1) < 1e-9 ? 2 : 1}"/>`,
    );
    grid.push(`<text x="${x}" y="${bottom + 12}" text-anchor="middle" class="v">${v.toFixed(1)}</text>`);
  }
  // Memory panel.
  let my = bottom + 62;
  const mem: string[] = [];
  const memTop = my;
  const lastStep = rep.meta.memSteps[rep.meta.memSteps.length - 1];
  // Node servers only: the other runtimes' heaps are not V8's (they are in the tables).
  const nodeMem = new Set(["engineio", ...series]);
  const memRows = rep.summary.memory
    .filter((m) => nodeMem.has(m.server) && m.reps > 0)
    .map((m) => ({
      server: m.server,
      s: m.steps.find((x) => x.sessions === lastStep),
    }));
  const maxKB = Math.max(6, ...memRows.flatMap((r) => [r.s?.rssKB ?? 0, r.s?.heapKB ?? 0])) * 1.08;
  const xk = (v: number) => left + (Math.max(0, Math.min(v, maxKB)) / maxKB) * plotW;
  mem.push(
    `<text x="10" y="${my - 24}" class="h">Idle WebSocket sessions: marginal KB per session at ${lastStep} sessions, after GC</text>`,
  );
  mem.push(
    `<text x="10" y="${my - 10}" class="l">dark = RSS, light = V8 heap; red dashed = targets (${MEM_TARGET.rssKB} KB RSS, ${MEM_TARGET.heapKB} KB heap)</text>`,
  );
  for (const r of memRows) {
    out.push("");
    mem.push(
      `<text x="${labelW}" y="${my + 14}" text-anchor="end" class="l">${esc(rep.servers[r.server] ?? r.server)}</text>`,
    );
    const color = COLORS[r.server] ?? "#444";
    const rss = r.s?.rssKB ?? Number.NaN;
    const heap = r.s?.heapKB ?? Number.NaN;
    mem.push(
      `<rect x="${left}" y="${my + 3}" width="${(xk(rss) - left).toFixed(1)}" height="${barH}" fill="${color}"/><text x="${(xk(rss) + 3).toFixed(1)}" y="${my + 3 + barH - 1}" class="v">${f(rss)} KB RSS</text>`,
    );
    mem.push(
      `<rect x="${left}" y="${my + 3 + barH + 2}" width="${(xk(heap) - left).toFixed(1)}" height="${barH}" fill="${color}" opacity="0.45"/><text x="${(xk(heap) + 3).toFixed(1)}" y="${my + 3 + 2 * barH + 1}" class="v">${f(heap)} KB heap</text>`,
    );
    my += 2 * barH + 12;
  }
  if (memRows.length) {
    mem.push(
      `<line x1="${xk(MEM_TARGET.rssKB).toFixed(1)}" x2="${xk(MEM_TARGET.rssKB).toFixed(1)}" y1="${memTop}" y2="${my}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="4 2"/>`,
    );
    mem.push(
      `<line x1="${xk(MEM_TARGET.heapKB).toFixed(1)}" x2="${xk(MEM_TARGET.heapKB).toFixed(1)}" y1="${memTop}" y2="${my}" stroke="#dc2626" stroke-width="1" stroke-dasharray="2 2"/>`,
    );
  }
  const height = my + 20;
  const width = left + plotW + 60;
  let lx = left;
  const legend = [
    ["ours", "engineio-wasm (WASM)"],
    ["ours-js", "engineio-wasm (EIO_NO_WASM=1)"],
    ["ours-native", "EIO_CODEC=native"],
    ["raw", "raw ws + http (ceiling)"],
  ]
    .filter(([k]) => k === "ours" || rep.runs.some((r) => r.server === k))
    .map(([k, l]) => {
      const x = lx;
      lx += 14 + (l as string).length * 6.3 + 18;
      return `<rect x="${x.toFixed(0)}" y="40" width="10" height="10" fill="${COLORS[k as string]}"/><text x="${(x + 14).toFixed(0)}" y="49" class="l">${l}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif">
<style>.l{font-size:11px;fill:#111}.v{font-size:9px;fill:#374151}.h{font-size:12px;font-weight:600;fill:#111}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="18" class="h">Server CPU per message vs engine.io 6.6 (orange line = 1.0; lower is better; red = target)</text>
<text x="10" y="32" class="l">medians of per-repetition ratios · ${esc(rep.meta.date.slice(0, 16).replace("T", " "))} UTC · commit ${esc(rep.meta.commit)} · ${rep.meta.reps} repetition(s)${rep.meta.quick ? " · quick mode" : ""}</text>
${legend}
${grid.join("\n")}
${out.filter(Boolean).join("\n")}
${mem.join("\n")}
</svg>
`;
}

// ---- README ------------------------------------------------------------------------------------------------
const TARGET_TEXT: [string, string][] = [
  ["ws-text", "≤ 0.65×"],
  ["ws-bin", "≤ 0.80×"],
  ["poll-text-50", "≤ 0.70×"],
  ["poll-bin-50", "≤ 0.65×"],
  ["hs-ws", "≤ 0.70×"],
  ["hs-upgrade", "≤ 0.70×"],
  ["sio-broadcast", "≤ 0.80×"],
];

/** The README's "Benchmarks: end to end" block: ratio table, memory table, chart. */
export function renderReadme(rep: Report): string {
  const m = rep.meta;
  const foreign = median(rep.runs.map((r) => r.foreignCpuPct));
  const rows = rep.summary.cases.map((c) => {
    const get = (s: string) => c.rows.find((r) => r.server === s);
    const base = get(c.baseline);
    const ours = get(c.baseline === "sio-engineio" ? "sio-ours" : "ours");
    const goal = TARGET_TEXT.find(([k]) => c.id.startsWith(k))?.[1] ?? "";
    const limit = goal ? Number(goal.replace(/[^0-9.]/g, "")) : Number.NaN;
    const met = ours && Number.isFinite(limit) ? (ours.cpuRatio <= limit ? "✅" : "❌") : "";
    const p99 =
      ours && c.baseline === "engineio" && /^(ws|poll)-.*-(50|500)$/.test(c.id) ? fx(ours.p99Ratio) : "";
    return [
      `\`${c.id}\``,
      `${f(base?.cpuUsPer ?? Number.NaN, 1)} µs`,
      `**${fx(ours?.cpuRatio ?? Number.NaN)}**`,
      c.baseline === "engineio" ? fx(get("ours-js")?.cpuRatio ?? Number.NaN) : "",
      c.baseline === "engineio" ? fx(get("ours-native")?.cpuRatio ?? Number.NaN) : "",
      c.baseline === "engineio" ? fx(get("raw")?.cpuRatio ?? Number.NaN) : "",
      fx(ours?.rateRatio ?? Number.NaN),
      p99,
      goal,
      met,
    ];
  });
  const last = m.memSteps[m.memSteps.length - 1];
  const memOf = (s: string) => rep.summary.memory.find((x) => x.server === s);
  const mem = (s: string) => memOf(s)?.steps.find((x) => x.sessions === last);
  const first = rep.summary.memory[0]?.steps[0]?.sessions ?? 0;
  // the targets are for the marginal cost (first → last step), as in the targets table of e2e.md
  const memRow = (s: string, label: string, judge = false) => {
    const x = mem(s);
    const inc = memOf(s)?.incremental;
    const met =
      judge && inc
        ? `${inc.rssKB <= MEM_TARGET.rssKB ? "✅" : "❌"} / ${inc.heapKB <= MEM_TARGET.heapKB ? "✅" : "❌"}`
        : "";
    // a runtime without a comparable GC heap (python) has none at either step
    const heap = x !== undefined && Number.isFinite(x.heapKB) ? `${f(inc?.heapKB ?? Number.NaN)} KB` : "–";
    return `| ${label} | ${f(inc?.rssKB ?? Number.NaN)} KB | ${heap} | ${f(x?.rssKB ?? Number.NaN)} / ${f(x?.heapKB ?? Number.NaN)} KB | ${met} |`;
  };
  return `Measured ${m.date.slice(0, 16).replace("T", " ")} UTC (commit ${m.commit}, Node ${m.node}, ${m.cpus}) with \`${m.command}\`: ${m.reps} repetitions, servers interleaved with the order rotated, **medians of per-repetition ratios against engine.io 6.6** measured in the same run.${foreign > 10 ? ` The machine was shared with other work (a median ${f(foreign, 0)} % of one CPU used by other processes during the windows), so treat differences under ~15 % in rates as noise; server CPU per message is the stable figure.` : ""}

Server CPU per message (per handshake / per delivered message), lower is better — engine.io = 1.00×:

${table(["case", "engine.io CPU", "engineio-wasm", "EIO_NO_WASM=1", "EIO_CODEC=native", "raw ws ceiling", "msgs/s vs engine.io", "p99 RTT vs engine.io", "target", "met"], rows)}

Idle WebSocket sessions after GC: the marginal cost of a session from ${first} to ${last} sessions (targets ≤ ${MEM_TARGET.rssKB} KB RSS, ≤ ${MEM_TARGET.heapKB} KB heap), and the process's RSS and heap divided by the ${last} sessions:

| server | marginal RSS | marginal heap | RSS / heap per session at ${last} | met (RSS / heap) |
|---|---|---|---|---|
${memRow("engineio", "engine.io 6.6")}
${memRow("ours", "engineio-wasm", true)}
${memRow("ours-js", "engineio-wasm, EIO_NO_WASM=1", true)}
${memRow("raw", "raw ws ceiling")}
${["ours-bun", "bunengine", "ours-deno", "py-uvicorn"]
  .filter((s) => mem(s))
  .map((s) => `${memRow(s, rep.servers[s] ?? s)}\n`)
  .join(
    "",
  )}${pairsTable(rep) ? `\nCodec tiers and other runtimes — server CPU per message of both, and the median of per-repetition ratios:\n\n${pairsTable(rep)}\n` : ""}
![End-to-end benchmark: server CPU per message vs engine.io, and idle memory per session](bench/results/e2e.svg)

Full tables (msgs/s, p50/p99 RTT, RSS, heap, every repetition): [bench/results/e2e.md](bench/results/e2e.md), [e2e.json](bench/results/e2e.json).`;
}
