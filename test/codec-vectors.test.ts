import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsCodec } from "../src/codec/js.js";

// The spec vector from PROTOCOL.md ("HTTP long-polling").
const SPEC_BYTES = "3468656c6c6f1e321e624151494442413d3d1e34e282ac";

describe("js codec: spec vectors", () => {
  it("encodes the mixed payload to the exact bytes", () => {
    const body = jsCodec.encodePayload([
      { type: "message", data: "hello" },
      { type: "ping" },
      { type: "message", data: new Uint8Array([1, 2, 3, 4]) },
      { type: "message", data: "€" },
    ]);
    assert.equal(Buffer.from(body).toString("hex"), SPEC_BYTES);
  });

  it("stops at the first invalid packet", () => {
    assert.deepEqual(jsCodec.decodePayload("4a\x1ex\x1e4b"), [
      { type: "message", data: "a" },
      { type: "error", data: "parser error" },
    ]);
  });
});
