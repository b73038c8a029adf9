/** Reading a process's CPU time and RSS from Linux /proc (the stable metric on a noisy shared machine). */
import { readdirSync, readFileSync } from "node:fs";

/** CLK_TCK on Linux (`getconf CLK_TCK`): utime/stime are in 10 ms ticks. */
export const CLK_TCK = 100;
const PAGE = 4096;

export interface CpuSample {
  /**
   * CPU time of every thread of the process, in clock ticks (10 ms), fractional when the scheduler's own
   * nanosecond count was readable (see {@link readProc}).
   */
  ticks: number;
  rssBytes: number;
}

/**
 * Nanoseconds on CPU of every live thread of `pid`, from /proc/<pid>/task/<tid>/schedstat (its first field: the
 * scheduler's run time); `NaN` where the kernel does not keep it. utime + stime in /proc/<pid>/stat are rounded
 * to 10 ms ticks: an open-loop handshake case at 200/s spends ~20 ticks of server CPU in its window, so one
 * tick is 5 % of the result. A thread that ends between two readings takes its time with it; the servers'
 * threads (JS, GC, I/O pools) live for the whole run.
 */
function schedNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ", 1)[0]);
    } catch {
      // the thread ended while we listed them
    }
  }
  return ns > 0 ? ns : Number.NaN;
}

/** Reads /proc/<pid>/stat: fields 14 (utime), 15 (stime) and 24 (rss, pages); the CPU time from schedstat. */
export function readProc(pid: number): CpuSample {
  const s = readFileSync(`/proc/${pid}/stat`, "latin1");
  // The command name (field 2) may contain spaces; everything after the last ')' is space-separated from field 3.
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  const utime = Number(f[14 - 3]);
  const stime = Number(f[15 - 3]);
  const rss = Number(f[24 - 3]);
  const ns = schedNs(pid);
  return { ticks: Number.isNaN(ns) ? utime + stime : ns / 1e7, rssBytes: rss * PAGE };
}

/** Busy ticks of the whole machine (all CPUs) from /proc/stat: user+nice+system+irq+softirq+steal. */
export function readSystemBusy(): number {
  const line = readFileSync("/proc/stat", "latin1").split("\n", 1)[0] as string;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
}

/**
 * Resident set size of a process from /proc/<pid>/status (`VmRSS`, kB), read by the orchestrator for every
 * server whatever its runtime, so idle-memory figures are measured the same way for Node, Bun, Deno and python.
 */
export function readRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}
