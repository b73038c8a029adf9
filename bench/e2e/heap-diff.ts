/**
 * What one idle WebSocket session costs on the heap, by constructor: heap snapshots of an echo server with 0 and
 * N idle sessions (after GC), diffed, divided by N.
 *   node --import tsx bench/e2e/heap-diff.ts [ours|ours-js|engineio|raw] [N=2000] [top=30]
 */
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Child, killAll } from "./procs.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const which = process.argv[2] ?? "ours";
const n = Number(process.argv[3] ?? 2000);
const top = Number(process.argv[4] ?? 30);
const file = which === "engineio" ? "engineio.mjs" : which === "raw" ? "raw.mjs" : "ours.mjs";
const env = { ...process.env, ...(which === "ours-js" ? { EIO_NO_WASM: "1" } : {}) };

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: (string | string[])[] } };
  nodes: number[];
  strings: string[];
}

/** Sums self sizes and counts by "type:name" (objects by constructor, closures by function name). */
function histogram(file: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0] as string[];
  const F = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += F) {
    const type = types[snap.nodes[i + iType] as number] as string;
    let name = snap.strings[snap.nodes[i + iName] as number] as string;
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "";
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const k = `${type}:${name}`;
    const e = out.get(k) ?? { size: 0, count: 0 };
    e.size += snap.nodes[i + iSize] as number;
    e.count++;
    out.set(k, e);
  }
  return out;
}

async function main(): Promise<void> {
  const server = await new Child(which, ["--expose-gc", path.join(here, "servers", file)], env, root).start();
  const loadgen = await new Child(
    "loadgen",
    ["--import", "tsx", path.join(here, "loadgen.ts")],
    process.env,
    root,
  ).start();
  const snap = async (tag: string) => {
    const p = path.join(os.tmpdir(), `eio-heap-${which}-${tag}-${process.pid}.heapsnapshot`);
    await server.request({ cmd: "snapshot", path: p }, 120000);
    return p;
  };
  try {
    await loadgen.request({ cmd: "idle-to", params: { port: server.port, total: 50 } }, 60000);
    await loadgen.request({ cmd: "idle-drop" }, 10000);
    await new Promise((r) => setTimeout(r, 300));
    const a = await snap("0");
    await loadgen.request({ cmd: "idle-to", params: { port: server.port, total: n } }, 120000);
    await new Promise((r) => setTimeout(r, 500));
    const b = await snap(String(n));
    const ha = histogram(a);
    const hb = histogram(b);
    rmSync(a);
    rmSync(b);
    const rows: [string, number, number][] = [];
    let total = 0;
    for (const [k, v] of hb) {
      const o = ha.get(k) ?? { size: 0, count: 0 };
      const ds = (v.size - o.size) / n;
      const dc = (v.count - o.count) / n;
      total += ds;
      if (Math.abs(ds) >= 4) rows.push([k, ds, dc]);
    }
    rows.sort((x, y) => y[1] - x[1]);
    console.log(`${which}: ${total.toFixed(0)} B of heap objects per idle WebSocket session (${n} sessions)`);
    for (const [k, s, c] of rows.slice(0, top))
      console.log(`${s.toFixed(0).padStart(6)} B  ${c.toFixed(2).padStart(5)}×  ${k}`);
  } finally {
    await loadgen.stop(1000);
    await server.stop(1000);
    killAll();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  killAll();
  process.exit(1);
});
