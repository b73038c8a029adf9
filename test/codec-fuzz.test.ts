// @backends: self — iterates every backend itself (availableCodecs()), so it runs once.
/**
 * Short codec fuzz run (the long one is `npm run fuzz`): generated and mutated inputs through every backend
 * that loaded, compared with each other and with engine.io-parser; regression fixtures replayed; and a
 * self-test proving the harness catches the bugs it is meant to catch.
 *
 * FUZZ_SEED=<n> picks another seed; FUZZ_CASES=<n> another case count.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { availableCodecs } from "../src/codec/index.js";
import { jsCodec } from "../src/codec/js.js";
import type { Codec } from "../src/codec/types.js";
import { checkCase, type FailureKind } from "./fuzz/check.js";
import { caseFromJson, loadFixtures } from "./fuzz/fixtures.js";
import { type FuzzStats, runFuzz } from "./fuzz/loop.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
// Every backend runs in one pass; test/run.mjs re-runs codec files with EIO_CODEC=js, where a shorter run suffices.
const CASES = Number(process.env.FUZZ_CASES ?? (process.env.EIO_CODEC ? 4_000 : 24_000));
const codecs = availableCodecs();

function describeFailures(stats: FuzzStats): string {
  return stats.failures
    .slice(0, 5)
    .map(
      (f) =>
        `#${f.index} ${f.case.fn} [${f.case.gen}]\n` +
        f.failures.map((x) => `  ${x.kind} ${x.backend}: ${x.detail.slice(0, 600)}`).join("\n"),
    )
    .join("\n");
}

describe("codec fuzz (short run)", () => {
  it(`${CASES} generated and mutated cases on every backend, no exception, no divergence, oracle agrees`, (t) => {
    const stats = runFuzz({ cases: CASES, seed: SEED, codecs, oracle: true, maxFailures: 20 });
    t.diagnostic(
      `seed ${SEED}; backends ${codecs.map((c) => `${c.name}=${stats.perBackend[c.name]} cases/${stats.msPerBackend[c.name]} ms`).join(", ")}; ` +
        `${stats.elapsedMs} ms total; per function ${JSON.stringify(stats.perFn)}`,
    );
    assert.equal(stats.cases, CASES);
    assert.equal(stats.failures.length, 0, describeFailures(stats));
    // The mix really covers every function and the generator families that matter.
    for (const fn of [
      "decodePayload",
      "decodePacket",
      "encodePacket",
      "encodePayload",
      "base64Encode",
      "base64Decode",
    ]) {
      assert.ok((stats.perFn[fn] ?? 0) > CASES / 50, `too few ${fn} cases`);
    }
    for (const gen of [
      "valid-bytes",
      "mut-bytes",
      "mut-string",
      "random-bytes",
      "extreme",
      "frame-mut",
      "b64-mut",
    ]) {
      assert.ok((stats.perGen[gen] ?? 0) > 0, `no ${gen} cases`);
    }
  });

  it("replays every regression fixture in test/fixtures/codec-fuzz on every backend", () => {
    const files = loadFixtures();
    assert.ok(files.length > 0, "no fixtures found");
    let n = 0;
    for (const { file, cases } of files) {
      for (const [i, j] of cases.entries()) {
        const failures = checkCase(caseFromJson(j), codecs, true);
        assert.deepEqual(failures, [], `${file}[${i}] (${j.note ?? j.gen})`);
        n++;
      }
    }
    assert.ok(n >= 50);
  });
});

/** A backend that behaves like js except for one planted bug. */
function faulty(bug: Partial<Codec>): Codec {
  return { ...jsCodec, name: "wasm", ...bug };
}

describe("codec fuzz harness self-test (planted bugs are found)", () => {
  const planted: [string, Codec, FailureKind][] = [
    [
      "throws on a long body",
      faulty({
        decodePayload: (body) => {
          if (body.length > 3000) throw new RangeError("planted");
          return jsCodec.decodePayload(body);
        },
      }),
      "exception",
    ],
    [
      "lenient base64 (Node's decoder)",
      faulty({
        base64Decode: (text) =>
          new Uint8Array(
            Buffer.from(typeof text === "string" ? text : Buffer.from(text).toString("latin1"), "base64"),
          ),
      }),
      "divergence",
    ],
    [
      "ignores byteOffset (WASM glue copy bug)",
      faulty({
        decodePayload: (body) =>
          jsCodec.decodePayload(
            body instanceof Uint8Array ? new Uint8Array(body.buffer, 0, body.length) : body,
          ),
      }),
      "divergence",
    ],
    [
      "writes into the caller's buffer",
      faulty({
        decodePayload: (body) => {
          const out = jsCodec.decodePayload(body);
          if (body instanceof Uint8Array && body.length > 2) body[1] = body[1]! ^ 1;
          return out;
        },
      }),
      "mutation",
    ],
    [
      "drops the last base64 byte when unpadded",
      faulty({
        encodePayload: (packets) => {
          const out = jsCodec.encodePayload(packets);
          return out.length > 1 && out[out.length - 1] === 0x3d ? out.subarray(0, out.length - 1) : out;
        },
      }),
      "divergence",
    ],
  ];
  for (const [name, bad, kind] of planted) {
    it(`finds: ${name}`, () => {
      const stats = runFuzz({
        cases: 4000,
        seed: SEED + 1,
        codecs: [jsCodec, bad],
        oracle: false,
        maxFailures: 1,
      });
      assert.equal(stats.failures.length, 1, "planted bug not found");
      assert.ok(
        stats.failures[0]!.failures.some((f) => f.kind === kind && f.backend === "wasm"),
        JSON.stringify(stats.failures[0]!.failures),
      );
    });
  }

  it("the oracle check catches a single backend that is consistently wrong", () => {
    const wrong = faulty({
      encodePacket: (p, sb) => (p.type === "pong" ? "2" : jsCodec.encodePacket(p, sb)),
    });
    const stats = runFuzz({ cases: 4000, seed: SEED + 2, codecs: [wrong], oracle: true, maxFailures: 1 });
    assert.equal(stats.failures[0]?.failures[0]?.kind, "oracle");
  });
});
