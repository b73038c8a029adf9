// The `nodeId` option: every issued sid starts with it, stays 20 chars of [\w-], keeps its randomness;
// generateId overrides it; bad values throw typed errors at construction.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Server } from "../src/index.js";
import { generateId, validateNodeId } from "../src/server/id.js";
import { type Harness, handshake, startServer } from "./server-helpers.js";

describe("nodeId", () => {
  test("generateId(prefix): 20 chars of [\\w-], prefix kept, rest differs", () => {
    for (const id of ["a", "Z9", "n01", "ABCD"]) {
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const sid = generateId(id);
        assert.match(sid, /^[\w-]{20}$/);
        assert.ok(sid.startsWith(id), sid);
        seen.add(sid.slice(id.length));
      }
      assert.equal(seen.size, 2000, "random tails never repeat in 2000 draws");
    }
  });

  test("the random tail carries ≥ 96 bits: every base64url position varies", () => {
    // With 4 prefix chars, 16 chars × 6 bits = 96 bits remain; check each tail position takes many values
    // (a counter or constant byte would show up as a position with few distinct characters).
    const perPos = Array.from({ length: 16 }, () => new Set<string>());
    for (let i = 0; i < 4000; i++) {
      const tail = generateId("ABCD").slice(4);
      for (let p = 0; p < 16; p++) perPos[p]!.add(tail[p]!);
    }
    for (let p = 0; p < 16; p++) {
      // the last base64 char of 15 bytes carries full 6 bits too (120 bits = 20 × 6)
      assert.ok(perPos[p]!.size >= 60, `position ${p} took only ${perPos[p]!.size} values`);
    }
  });

  test("without nodeId: today's ids (20 chars) still", () => {
    assert.match(generateId(), /^[\w-]{20}$/);
  });

  test("bad values throw TypeError/RangeError with code EIO_ERR_INVALID_ARG", () => {
    const cases: [unknown, typeof TypeError | typeof RangeError][] = [
      [1, TypeError],
      [null, TypeError],
      [{}, TypeError],
      ["", RangeError],
      ["ABCDE", RangeError],
      ["a-b", RangeError],
      ["a_", RangeError],
      ["é", RangeError],
      [" a", RangeError],
    ];
    for (const [v, Ctor] of cases) {
      assert.throws(
        () => new Server({ nodeId: v as string }),
        (e: Error & { code?: string }) => e instanceof Ctor && e.code === "EIO_ERR_INVALID_ARG",
        `nodeId ${JSON.stringify(v)}`,
      );
      assert.throws(() => validateNodeId(v), Ctor);
    }
  });

  describe("over HTTP", () => {
    let h: Harness;
    let custom: Harness;
    before(async () => {
      h = await startServer({ nodeId: "n2" });
      custom = await startServer({ nodeId: "n3" });
      custom.engine.generateId = () => "custom-id-0000000000";
    });
    after(async () => {
      await h.close();
      await custom.close();
    });

    test("the handshake's sid starts with the nodeId", async () => {
      for (let i = 0; i < 5; i++) {
        const { sid } = await handshake(h.port);
        assert.match(sid, /^n2[\w-]{18}$/);
      }
    });

    test("generateId still overrides nodeId", async () => {
      const { sid } = await handshake(custom.port);
      assert.equal(sid, "custom-id-0000000000");
    });
  });
});
