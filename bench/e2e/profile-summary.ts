/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench:e2e -- --profile ours --only ws-text-50`):
 * self time by function and by file, and inclusive time of selected functions.
 *   node --import tsx bench/e2e/profile-summary.ts <file.cpuprofile> [topN]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) {
  console.error("usage: profile-summary.ts <file.cpuprofile> [topN]");
  process.exit(2);
}
const top = Number(process.argv[3] ?? 40);
const prof = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
let total = 0;
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});
const short = (url: string) =>
  url.replace(/^file:\/\/.*?\/(node_modules|dist|src|bench)\//, "$1/").replace(/^node:/, "node:");
const key = (n: Node) =>
  `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fnSelf = new Map<string, number>();
const fileSelf = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id) as Node;
  fnSelf.set(key(n), (fnSelf.get(key(n)) ?? 0) + t);
  const f = short(n.callFrame.url) || `(${n.callFrame.functionName})`;
  fileSelf.set(f, (fileSelf.get(f) ?? 0) + t);
  // inclusive: every distinct ancestor frame gets t once
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur) as Node);
    if (!seen.has(k)) {
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + t);
    }
  }
}
const idle = [...fnSelf].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, t]) => a + t, 0);
const busy = total - idle;
const pct = (t: number) => `${((t / busy) * 100).toFixed(1).padStart(5)}%`;
const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title} (% of non-idle ${(busy / 1000).toFixed(0)} ms)`);
  for (const [k, t] of [...m]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n))
    console.log(`${pct(t)}  ${k}`);
};
show("self time by function", fnSelf, top);
show("self time by file", fileSelf, 25);
show("inclusive time by function", incl, top);
