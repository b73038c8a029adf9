// @backends: self — iterates every backend itself (availableCodecs()), so it runs once.
// Spec vectors (the engine.io-protocol README's examples) on every backend, including the WASM backends with
// their thresholds at zero so the kernels themselves run even on tiny inputs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as parser from "engine.io-parser";
import {
  availableCodecs,
  type Codec,
  codecBackend,
  createCodec,
  createNativeBackend,
  createWasmBackend,
  defaultCodec,
  getCodec,
  RAW_KERNELS,
  RAW_NATIVE,
} from "../src/codec/index.js";
import { jsCodec } from "../src/codec/js.js";
import { loadNativeAddon } from "../src/codec/native.js";
import type { Packet } from "../src/protocol/packet.js";
import { fromJs } from "./server-helpers.js";

/** The default where the native addon was built (`npm install` with cargo) is `native`, else WASM. */
const NATIVE_BUILT = process.env.EIO_NO_NATIVE !== "1" && loadNativeAddon() !== null;

function backends(): [string, Codec][] {
  const list: [string, Codec][] = availableCodecs().map((c) => [c.name, c]);
  for (const name of ["wasm-simd", "wasm"] as const) {
    const raw = createWasmBackend(name, RAW_KERNELS);
    if (raw) list.push([`${name} (raw kernels)`, raw]);
  }
  const rawNative = createNativeBackend(RAW_NATIVE);
  if (rawNative) list.push(["native (raw kernels)", rawNative]);
  return list;
}

/** Plain JSON-able view of decoded packets (binary as arrays), so Buffer and Uint8Array compare equal. */
function plain(packets: Packet[]): unknown[] {
  return packets.map((p) =>
    p.data instanceof Uint8Array ? { type: p.type, data: Array.from(p.data) } : { ...p },
  );
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

// The spec vector of the engine.io-protocol README ("HTTP long-polling").
const SPEC_PACKETS: Packet[] = [
  { type: "message", data: "hello" },
  { type: "ping" },
  { type: "message", data: new Uint8Array([1, 2, 3, 4]) },
  { type: "message", data: "€" },
];
const SPEC_BYTES = "3468656c6c6f1e321e624151494442413d3d1e34e282ac";

it("the default backend is native where built, else a WASM backend on Node 20 (unless forced)", () => {
  const forced =
    process.env.EIO_CODEC || (process.env.EIO_NO_WASM === "1" && !NATIVE_BUILT ? "node" : undefined);
  assert.equal(codecBackend(), forced ?? (NATIVE_BUILT ? "native" : "wasm-simd"));
  assert.equal(getCodec().name, codecBackend());
  assert.equal(defaultCodec().name, codecBackend());
  assert.ok(availableCodecs().some((c) => c.name === "js"));
});

for (const [label, codec] of backends()) {
  describe(`${label}: spec vectors`, () => {
    it("encodes the mixed payload to the exact bytes", () => {
      assert.equal(hex(codec.encodePayload(SPEC_PACKETS)), SPEC_BYTES);
    });

    it("decodes the exact bytes and the string back to the packets", () => {
      const expected = plain(SPEC_PACKETS);
      assert.deepEqual(plain(codec.decodePayload(Buffer.from(SPEC_BYTES, "hex"))), expected);
      assert.deepEqual(plain(codec.decodePayload(new Uint8Array(Buffer.from(SPEC_BYTES, "hex")))), expected);
      assert.deepEqual(plain(codec.decodePayload("4hello\x1e2\x1ebAQIDBA==\x1e4€")), expected);
    });

    it("stops at the first invalid packet", () => {
      const expected = [
        { type: "message", data: "a" },
        { type: "error", data: "parser error" },
      ];
      assert.deepEqual(plain(codec.decodePayload("4a\x1ex\x1e4b")), expected);
      assert.deepEqual(plain(codec.decodePayload(Buffer.from("4a\x1ex\x1e4b"))), expected);
    });

    it("encodes and decodes WebSocket frames", () => {
      assert.equal(codec.encodePacket({ type: "message", data: "hello" }, true), "4hello");
      assert.equal(codec.encodePacket({ type: "ping", data: "probe" }, true), "2probe");
      assert.equal(codec.encodePacket({ type: "upgrade" }, true), "5");
      assert.equal(codec.encodePacket({ type: "message", data: "" }, true), "4");
      const bin = new Uint8Array([1, 2, 3, 4]);
      assert.equal(codec.encodePacket({ type: "message", data: bin }, true), bin);
      assert.equal(codec.encodePacket({ type: "message", data: bin }, false), "bAQIDBA==");
      assert.equal(codec.encodePacket({ type: "message", data: bin.buffer }, false), "bAQIDBA==");
      assert.deepEqual(codec.decodePacket("4hello"), { type: "message", data: "hello" });
      assert.deepEqual(codec.decodePacket("3probe"), { type: "pong", data: "probe" });
      assert.deepEqual(codec.decodePacket("4"), { type: "message" });
      assert.deepEqual(codec.decodePacket("6"), { type: "noop" });
      assert.deepEqual(plain([codec.decodePacket("bAQIDBA==")]), [{ type: "message", data: [1, 2, 3, 4] }]);
      assert.deepEqual(plain([codec.decodePacket(bin)]), [{ type: "message", data: [1, 2, 3, 4] }]);
      assert.deepEqual(codec.decodePacket(""), { type: "error", data: "parser error" });
      assert.deepEqual(codec.decodePacket("7"), { type: "error", data: "parser error" });
      assert.deepEqual(codec.decodePacket("b!!!!"), { type: "error", data: "parser error" });
    });

    it("encodes an empty list and decodes an empty body as the error packet", () => {
      assert.equal(codec.encodePayload([]).length, 0);
      assert.deepEqual(codec.decodePayload(new Uint8Array(0)), [{ type: "error", data: "parser error" }]);
      assert.deepEqual(codec.decodePayload(""), [{ type: "error", data: "parser error" }]);
    });

    it("encodes non-string, non-binary data as engine.io-parser does (String(data || ''))", () => {
      const odd = [42, 0, true, false, { a: 1 }, null] as unknown as string[];
      const packets: Packet[] = odd.map((data) => ({ type: "message", data }));
      packets.push({ type: "message", data: new Uint8Array(700) }); // big enough for the WASM path
      let ref = "";
      parser.encodePayload(packets as parser.Packet[], (s) => {
        ref = s;
      });
      assert.equal(Buffer.from(codec.encodePayload(packets)).toString(), ref);
      for (const p of packets.slice(0, -1)) {
        let frame: unknown;
        parser.encodePacket(p as parser.Packet, true, (e) => {
          frame = e;
        });
        assert.equal(codec.encodePacket(p, true), frame);
      }
    });

    it("base64 matches RFC 4648 test vectors", () => {
      const vectors: [string, string][] = [
        ["", ""],
        ["f", "Zg=="],
        ["fo", "Zm8="],
        ["foo", "Zm9v"],
        ["foob", "Zm9vYg=="],
        ["fooba", "Zm9vYmE="],
        ["foobar", "Zm9vYmFy"],
      ];
      for (const [text, b64] of vectors) {
        assert.equal(codec.base64Encode(new TextEncoder().encode(text)), b64);
        assert.equal(Buffer.from(codec.base64Decode(b64)!).toString(), text);
        assert.equal(Buffer.from(codec.base64Decode(new TextEncoder().encode(b64))!).toString(), text);
        assert.equal(Buffer.from(codec.base64Decode(b64.replace(/=/g, ""))!).toString(), text);
      }
      for (const bad of ["Z", "Zm9vY", "Zm=v", "Zm9v!", "Zm9v-_", "Z===", "Zg==Zg=="]) {
        assert.equal(codec.base64Decode(bad), null, bad);
      }
    });
  });
}

describe("chunked bodies decode exactly like the joined body, on every backend", () => {
  const body = Buffer.concat([
    Buffer.from("4hello\x1e"),
    Buffer.from(`b${Buffer.alloc(3000, 9).toString("base64")}\x1e`),
    Buffer.from("4€ and more\x1e2\x1e"),
    Buffer.from(`b${Buffer.alloc(700, 1).toString("base64")}`),
  ]);
  const cuts = [1, 7, 100, 2048, 4000, body.length - 1];
  for (const [label, codec] of backends()) {
    it(label, () => {
      const whole = plain(codec.decodePayload(body));
      assert.equal(whole.length, 5);
      for (const cut of cuts) {
        assert.deepEqual(
          plain(codec.decodePayload([body.subarray(0, cut), body.subarray(cut)])),
          whole,
          `cut ${cut}`,
        );
      }
      const bytes = [...body].map((_, i) => body.subarray(i, i + 1));
      assert.deepEqual(plain(codec.decodePayload(bytes)), whole, "one chunk per byte");
      assert.deepEqual(plain(codec.decodePayload([body])), whole);
      const broken = Buffer.from("4ok\x1ebA=A=\x1e4x");
      assert.deepEqual(
        plain(codec.decodePayload([broken.subarray(0, 5), broken.subarray(5)])),
        plain(codec.decodePayload(broken)),
      );
    });
  }
});

describe("non-ASCII text payloads (one UTF-8 write for all texts) match engine.io-parser, on every backend", () => {
  const cases: string[][] = [
    ["héllo", "wörld", "€".repeat(300)],
    ["a\ud83d", "\ude00b", "x".repeat(600)], // a lone high surrogate, then a lone low one: must not pair up
    ["\ud83d\ude00".repeat(200), "lone \udc00", "end \ud800"],
  ];
  for (const [label, codec] of backends()) {
    it(label, () => {
      for (const texts of cases) {
        const packets: Packet[] = texts.map((data) => ({ type: "message", data }));
        let ref = "";
        parser.encodePayload(packets as parser.Packet[], (out) => {
          ref = out;
        });
        assert.equal(hex(codec.encodePayload(packets)), Buffer.from(ref, "utf8").toString("hex"));
      }
    });
  }
});

describe("the shared default codec delegates to its backend", () => {
  it("round-trips the spec payload", () => {
    const codec = defaultCodec();
    assert.equal(hex(codec.encodePayload(SPEC_PACKETS)), SPEC_BYTES);
    assert.deepEqual(plain(codec.decodePayload(Buffer.from(SPEC_BYTES, "hex"))), plain(SPEC_PACKETS));
    assert.equal(codec.encodePacket({ type: "message", data: "x" }, true), "4x");
    assert.deepEqual(codec.decodePacket("4x"), { type: "message", data: "x" });
  });

  it("createCodec gives each caller its own WASM instance; unknown or switched-off names throw coded errors", () => {
    const a = createCodec("wasm-simd");
    const b = createCodec("wasm-simd");
    assert.notEqual(a, b, "two codecs must not share scratch memory");
    const big = [{ type: "message" as const, data: new Uint8Array(4096).fill(7) }];
    assert.deepEqual(a.encodePayload(big), b.encodePayload(big));
    assert.throws(
      // an unchecked caller (JavaScript, a config file) can name any backend
      () => createCodec(fromJs("nope")),
      (err: Error & { code?: string }) => err instanceof RangeError && err.code === "EIO_ERR_UNKNOWN_CODEC",
    );
  });

  it("the js backend never needs Buffer", () => {
    // jsCodec's outputs are plain Uint8Arrays (a Buffer would mean Node leaked into the browser path).
    const body = jsCodec.encodePayload(SPEC_PACKETS);
    assert.equal(Object.getPrototypeOf(body), Uint8Array.prototype);
    const bin = jsCodec.decodePayload(body)[2]!.data;
    assert.equal(Object.getPrototypeOf(bin), Uint8Array.prototype);
  });
});
