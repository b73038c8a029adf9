/**
 * Long codec fuzz run (`npm run fuzz`): every generated or mutated case goes through every backend that
 * loaded (`availableCodecs()`) and is compared with the other backends and with engine.io-parser.
 *
 *   node --import tsx test/fuzz/run.ts [--cases 1000000] [--seed N] [--backends js,wasm] [--no-oracle]
 *                                      [--minutes M] [--save] [--only i,j,k] [--max-failures 200] [--raw-native]
 *
 * `--save` writes failing cases to test/fixtures/codec-fuzz/found-<seed>.json so they become regression
 * fixtures replayed by test/codec-fuzz.test.ts. Exit status 1 when anything failed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { availableCodecs, createNativeBackend, RAW_NATIVE } from "../../src/codec/index.js";
import { caseToJson, FIXTURE_DIR } from "./fixtures.js";
import { runFuzz } from "./loop.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const has = (name: string) => process.argv.includes(`--${name}`);

const cases = Number(arg("cases") ?? 1_000_000);
const seed = Number(arg("seed") ?? Date.now() & 0x7fffffff);
const minutes = Number(arg("minutes") ?? 60);
const wanted = arg("backends")?.split(",");
const only = arg("only")
  ?.split(",")
  .map((s) => Number(s));
// --raw-native: the native backend with its thresholds at zero, so every payload runs through the Rust kernels.
const rawNative = has("raw-native") ? createNativeBackend(RAW_NATIVE) : null;
const all = availableCodecs().map((c) => (rawNative && c.name === "native" ? rawNative : c));
const codecs = wanted ? all.filter((c) => wanted.includes(c.name)) : all;
if (codecs.length === 0) {
  console.error(
    `no backend among ${wanted?.join(",")} loaded; available: ${all.map((c) => c.name).join(",")}`,
  );
  process.exit(2);
}

console.log(
  `fuzz: ${cases.toLocaleString("en")} cases, seed ${seed}, backends ${codecs.map((c) => c.name).join(", ")}` +
    `${has("no-oracle") ? "" : " + engine.io-parser oracle"}`,
);
const stats = runFuzz({
  cases,
  seed,
  codecs,
  oracle: !has("no-oracle"),
  deadline: Date.now() + minutes * 60_000,
  maxFailures: Number(arg("max-failures") ?? 200),
  only,
  every: 100_000,
  progress: (done, s) => console.log(`  ${done.toLocaleString("en")} cases, ${s.failures.length} failing`),
});

const failuresByKind: Record<string, number> = {};
for (const f of stats.failures)
  for (const x of f.failures)
    failuresByKind[`${x.kind}/${x.backend}`] = (failuresByKind[`${x.kind}/${x.backend}`] ?? 0) + 1;

console.log(
  `\ncases run: ${stats.cases.toLocaleString("en")} in ${(stats.elapsedMs / 1000).toFixed(1)} s (seed ${seed})`,
);
console.log("per backend:");
for (const [name, n] of Object.entries(stats.perBackend)) {
  console.log(
    `  ${name.padEnd(10)} ${n.toLocaleString("en").padStart(12)} cases  ${(stats.msPerBackend[name]! / 1000).toFixed(1)} s inside the codec`,
  );
}
if (!has("no-oracle"))
  console.log(
    `  ${"oracle".padEnd(10)} ${stats.cases.toLocaleString("en").padStart(12)} cases compared with engine.io-parser`,
  );
console.log("per function:", JSON.stringify(stats.perFn));
console.log("per generator:", JSON.stringify(stats.perGen));
const exceptions = stats.failures.reduce(
  (n, f) => n + f.failures.filter((x) => x.kind === "exception").length,
  0,
);
const divergences = stats.failures.reduce(
  (n, f) => n + f.failures.filter((x) => x.kind === "divergence").length,
  0,
);
console.log(
  `exceptions: ${exceptions}  divergences: ${divergences}  failing cases: ${stats.failures.length}`,
);
if (stats.failures.length) {
  console.log("failures by kind/backend:", JSON.stringify(failuresByKind));
  const byGen: Record<string, number> = {};
  for (const f of stats.failures)
    byGen[`${f.case.fn} ${f.case.gen}`] = (byGen[`${f.case.fn} ${f.case.gen}`] ?? 0) + 1;
  const wide = stats.failures.filter(
    (f) => typeof f.case.input === "string" && /[\u0100-\uffff]/.test(f.case.input),
  ).length;
  console.log(`failing cases whose string input has chars above U+00FF: ${wide} of ${stats.failures.length}`);
  console.log(
    "failing generators (top 15):",
    JSON.stringify(
      Object.fromEntries(
        Object.entries(byGen)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 15),
      ),
    ),
  );
  for (const f of stats.failures.slice(0, 10)) {
    console.log(`\n#${f.index} ${f.case.fn} [${f.case.gen}]`);
    for (const x of f.failures)
      console.log(`  ${x.kind} ${x.backend}: ${x.detail.split("\n").slice(0, 4).join("\n    ")}`);
  }
  console.log(
    `\nreproduce: node --import tsx test/fuzz/run.ts --seed ${seed} --only ${stats.failures
      .map((f) => f.index)
      .slice(0, 20)
      .join(",")}`,
  );
  if (has("save")) {
    mkdirSync(FIXTURE_DIR, { recursive: true });
    const file = join(FIXTURE_DIR, `found-${seed}.json`);
    const json = stats.failures.map((f) =>
      caseToJson(
        f.case,
        `seed ${seed} #${f.index}: ${f.failures.map((x) => `${x.kind} ${x.backend}`).join("; ")}`,
      ),
    );
    writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
    console.log(`saved ${json.length} cases to ${file}`);
  }
  process.exit(1);
}
