/**
 * The fuzz loop shared by `npm test` (short) and `npm run fuzz` (long): generate, check, count.
 */
import type { Codec } from "../../src/codec/types.js";
import { checkCase, type Failure } from "./check.js";
import { type FuzzCase, generateCase } from "./generators.js";
import { caseSeed, Rng } from "./rng.js";

export interface FuzzStats {
  seed: number;
  cases: number;
  /** Cases run per backend (every case runs on every backend). */
  perBackend: Record<string, number>;
  /** Milliseconds spent inside each backend. */
  msPerBackend: Record<string, number>;
  /** Cases per function and per generator family. */
  perFn: Record<string, number>;
  perGen: Record<string, number>;
  failures: { index: number; case: FuzzCase; failures: Failure[] }[];
  elapsedMs: number;
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  codecs: readonly Codec[];
  oracle?: boolean;
  /** Stop early at this time (ms since epoch); the stats say how many cases ran. */
  deadline?: number;
  /** Stop after this many failing cases. */
  maxFailures?: number;
  /** Called every `every` cases. */
  progress?: (done: number, stats: FuzzStats) => void;
  every?: number;
  /** Run only these case indices (reproduction). */
  only?: number[];
}

export function runFuzz(opts: FuzzOptions): FuzzStats {
  const start = performance.now();
  const timings = new Map<string, number>();
  const stats: FuzzStats = {
    seed: opts.seed,
    cases: 0,
    perBackend: {},
    msPerBackend: {},
    perFn: {},
    perGen: {},
    failures: [],
    elapsedMs: 0,
  };
  const indices = opts.only ?? null;
  const total = indices ? indices.length : opts.cases;
  for (let k = 0; k < total; k++) {
    const index = indices ? indices[k]! : k;
    if (opts.deadline && (k & 63) === 0 && Date.now() > opts.deadline) break;
    const rng = new Rng(caseSeed(opts.seed, index));
    const c = generateCase(rng);
    const failures = checkCase(c, opts.codecs, opts.oracle ?? true, timings);
    stats.cases++;
    stats.perFn[c.fn] = (stats.perFn[c.fn] ?? 0) + 1;
    const family = c.gen.split(":")[0]!;
    stats.perGen[family] = (stats.perGen[family] ?? 0) + 1;
    if (failures.length) {
      stats.failures.push({ index, case: c, failures });
      if (opts.maxFailures && stats.failures.length >= opts.maxFailures) break;
    }
    if (opts.progress && opts.every && stats.cases % opts.every === 0) opts.progress(stats.cases, stats);
  }
  for (const c of opts.codecs) {
    stats.perBackend[c.name] = stats.cases;
    stats.msPerBackend[c.name] = Math.round(timings.get(c.name) ?? 0);
  }
  stats.elapsedMs = Math.round(performance.now() - start);
  return stats;
}
