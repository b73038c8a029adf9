// @backends: self — iterates every backend itself (availableCodecs()), so it runs once.
// Differential property tests: every backend (and the WASM kernels with thresholds at zero, and with every
// segment forced to Node's native base64) against engine.io-parser 5.2.3 as the oracle, on random valid
// payloads; plus random and mutated invalid bodies, on which all backends must agree with each other.
// Case counts: see NUM_RUNS below (≥ 10,000 generated cases per run in total).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as parser from "engine.io-parser";
import fc from "fast-check";
import {
  availableCodecs,
  type Codec,
  createNativeBackend,
  createWasmBackend,
  RAW_KERNELS,
  RAW_NATIVE,
} from "../src/codec/index.js";
import { PACKET_TYPES_BY_CODE, type Packet } from "../src/protocol/packet.js";
import { xorshiftBytes } from "./xorshift-bytes.js";

function backends(): [string, Codec][] {
  const list: [string, Codec][] = availableCodecs().map((c) => [c.name, c]);
  for (const name of ["wasm-simd", "wasm"] as const) {
    const raw = createWasmBackend(name, RAW_KERNELS);
    if (raw) list.push([`${name} (raw kernels)`, raw]);
  }
  const rawNative = createNativeBackend(RAW_NATIVE);
  if (rawNative) list.push(["native (raw kernels)", rawNative]);
  const native = createWasmBackend("wasm-simd", {
    minBytes: 0,
    nativeSegmentMin: 0,
    nativeSegmentMax: Number.POSITIVE_INFINITY,
    nativeDecodeMin: 0,
    nativeDecodeMax: Number.POSITIVE_INFINITY,
    nativeStringBase64: true,
  });
  if (native) list.push(["wasm-simd (native base64 everywhere)", native]);
  return list;
}
const BACKENDS = backends();

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const params = (numRuns: number) => ({ numRuns, seed });
console.log(`# fast-check seed ${seed} (re-run with FC_SEED=${seed})`);

type Plain = { type: string; data?: string; bin?: string };
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
function plain(packets: readonly Packet[] | readonly parser.Packet[]): Plain[] {
  return packets.map((p) => {
    const d = p.data as unknown;
    if (d instanceof Uint8Array) return { type: p.type, bin: hex(d) };
    return d === undefined ? { type: p.type } : { type: p.type, data: d as string };
  });
}

function refEncodePayload(packets: Packet[]): Buffer {
  let body = "";
  parser.encodePayload(packets as parser.Packet[], (s) => {
    body = s;
  });
  return Buffer.from(body);
}

function refEncodePacket(packet: Packet, supportsBinary: boolean): string | Uint8Array {
  let out: string | Uint8Array = "";
  parser.encodePacket(packet as parser.Packet, supportsBinary, (e) => {
    out = e as string | Uint8Array;
  });
  return out;
}

// ---- generators --------------------------------------------------------------------------------------------
const TEXT_TYPES = PACKET_TYPES_BY_CODE;
// No \x1e inside text: a separator inside a message is ambiguous in the protocol itself.
const noSep = (s: string) => s.split("\x1e").join("");
const bmpUnit = fc
  .oneof(fc.integer({ min: 0x20, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xfffd }))
  .map((c) => String.fromCharCode(c));
const text = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 64 }) },
    { weight: 2, arbitrary: fc.string({ unit: bmpUnit, maxLength: 64 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 64 }) },
    { weight: 1, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 100, maxLength: 3000 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 33, maxLength: 1000 }) },
  )
  .map(noSep);

const bytes = (maxLength: number) =>
  fc.uint8Array({ maxLength }).map((a) => (a.length % 2 ? Buffer.from(a) : a) as Uint8Array);
const binary = fc.oneof(
  { weight: 40, arbitrary: bytes(64) },
  { weight: 20, arbitrary: bytes(2048) },
  { weight: 1, arbitrary: fc.integer({ min: 2049, max: 64 * 1024 }).map(bigBytes) },
  { weight: 1, arbitrary: fc.integer({ min: 64 * 1024, max: 256 * 1024 }).map(bigBytes) },
);
/** Large inputs without generating 256 Ki integers through fast-check. */
function bigBytes(n: number): Uint8Array {
  return xorshiftBytes(n, n);
}

const textPacket = fc
  .record({ type: fc.constantFrom(...TEXT_TYPES), data: text })
  .map((p): Packet => (p.data === "" && p.type !== "message" ? { type: p.type } : p));
const binaryPacket = binary.map((data): Packet => ({ type: "message", data }));
const packet = fc.oneof({ weight: 3, arbitrary: textPacket }, { weight: 2, arbitrary: binaryPacket });
const payload = fc.array(packet, { minLength: 1, maxLength: 12 });

// ---- valid input: byte-identical to engine.io-parser -------------------------------------------------------
const NUM_RUNS = { payload: 2500, frame: 3000, base64: 3000, invalid: 2000, mutated: 1500 };

describe("differential: every backend vs engine.io-parser 5.2.3", () => {
  it(`encodePayload/decodePayload (${NUM_RUNS.payload} payloads)`, () => {
    fc.assert(
      fc.property(payload, (packets) => {
        const ref = refEncodePayload(packets);
        const refDecoded = plain(parser.decodePayload(ref.toString()));
        for (const [label, codec] of BACKENDS) {
          const body = codec.encodePayload(packets);
          assert.ok(Buffer.from(body.buffer, body.byteOffset, body.length).equals(ref), `${label}: encode`);
          assert.deepEqual(plain(codec.decodePayload(body)), refDecoded, `${label}: decode bytes`);
          assert.deepEqual(plain(codec.decodePayload(ref.toString())), refDecoded, `${label}: decode string`);
        }
      }),
      params(NUM_RUNS.payload),
    );
  });

  it(`encodePacket/decodePacket (${NUM_RUNS.frame} frames)`, () => {
    fc.assert(
      fc.property(packet, fc.boolean(), (p, supportsBinary) => {
        const ref = refEncodePacket(p, supportsBinary);
        const refDecoded = plain([parser.decodePacket(ref as string)]);
        for (const [label, codec] of BACKENDS) {
          const frame = codec.encodePacket(p, supportsBinary);
          if (typeof ref === "string") assert.equal(frame, ref, `${label}: encode`);
          else assert.equal(hex(frame as Uint8Array), hex(ref), `${label}: encode binary`);
          assert.deepEqual(plain([codec.decodePacket(frame)]), refDecoded, `${label}: decode`);
        }
      }),
      params(NUM_RUNS.frame),
    );
  });

  it(`base64Encode/base64Decode (${NUM_RUNS.base64} inputs)`, () => {
    fc.assert(
      fc.property(binary, (data) => {
        const ref = Buffer.from(data.buffer, data.byteOffset, data.length).toString("base64");
        for (const [label, codec] of BACKENDS) {
          assert.equal(codec.base64Encode(data), ref, `${label}: encode`);
          const back = codec.base64Decode(ref);
          assert.ok(back && Buffer.from(back).equals(Buffer.from(data)), `${label}: decode string`);
          const back2 = codec.base64Decode(Buffer.from(ref, "latin1"));
          assert.ok(back2 && Buffer.from(back2).equals(Buffer.from(data)), `${label}: decode bytes`);
        }
      }),
      params(NUM_RUNS.base64),
    );
  });
});

// ---- invalid input: an error packet as a value, the same on every backend -----------------------------------
function decodeAll(body: Uint8Array | string): Plain[] {
  let first: Plain[] | undefined;
  for (const [label, codec] of BACKENDS) {
    let got: Plain[];
    try {
      got = plain(codec.decodePayload(body));
    } catch (err) {
      assert.fail(`${label} threw ${String(err)}`);
    }
    if (first === undefined) first = got;
    else assert.deepEqual(got, first, `${label} disagrees`);
  }
  return first!;
}

const b64ish = fc.string({
  unit: fc.constantFrom(
    ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \x80éŁ摸ɁŸ".split(""),
  ),
  maxLength: 200,
});

describe("differential: invalid and mutated bodies, all backends agree", () => {
  it(`random bodies (${NUM_RUNS.invalid})`, () => {
    const segment = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      b64ish.map((s) => `b${s}`),
      fc.constantFrom("", "4", "b", "b=", "b==", "bA", "bAA", "bAAA=", "7x", "\x00", "\u00e9"),
    );
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), fc.boolean(), (segments, asBytes) => {
        const s = segments.join("\x1e");
        const out = decodeAll(asBytes ? Buffer.from(s) : s);
        const last = out[out.length - 1]!;
        // Only the last packet may be the error packet, and it is exactly engine.io-parser's value.
        for (const p of out.slice(0, -1)) assert.notEqual(p.type, "error");
        if (last.type === "error") assert.equal(last.data, "parser error");
      }),
      params(NUM_RUNS.invalid),
    );
  });

  it(`mutated valid bodies, incl. truncated UTF-8 and large binary (${NUM_RUNS.mutated})`, () => {
    const mutation = fc.record({
      op: fc.constantFrom("flip", "set", "truncate", "insertSep", "delete"),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(payload, fc.array(mutation, { minLength: 1, maxLength: 3 }), (packets, mutations) => {
        let body = Buffer.from(refEncodePayload(packets));
        for (const m of mutations) {
          if (body.length === 0) break;
          const at = m.at % body.length;
          if (m.op === "flip") body[at]! ^= 1 << (m.value & 7);
          else if (m.op === "set") body[at] = m.value;
          else if (m.op === "truncate") body = body.subarray(0, at);
          else if (m.op === "insertSep")
            body = Buffer.concat([body.subarray(0, at), Buffer.of(0x1e), body.subarray(at)]);
          else body = Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
        }
        decodeAll(new Uint8Array(body));
        for (const [label, codec] of BACKENDS) {
          const frame = body.toString("latin1");
          assert.deepEqual(
            plain([codec.decodePacket(frame)]),
            plain([BACKENDS[0]![1].decodePacket(frame)]),
            label,
          );
          const b = codec.base64Decode(body);
          const ref = BACKENDS[0]![1].base64Decode(body);
          assert.equal(b && hex(b), ref && hex(ref), label);
        }
      }),
      params(NUM_RUNS.mutated),
    );
  });

  it("specific invalid inputs give the error packet on every backend", () => {
    const err = { type: "error", data: "parser error" };
    const cases: [string, Uint8Array | string, Plain[]][] = [
      ["unknown type", "9x", [err]],
      ["empty packet", "4a\x1e\x1e4b", [{ type: "message", data: "a" }, err]],
      ["trailing separator", "4a\x1e", [{ type: "message", data: "a" }, err]],
      ["bad base64 char", "bAQ!DBA==", [err]],
      ["base64 length 1 mod 4", "bAQIDB", [err]],
      ["padding in the middle", "bAQ==IDBA", [err]],
      ["url-safe base64", `b${"-_".repeat(40000)}`, [err]],
      ["url-safe base64 (short)", "b-_-_", [err]],
      ["truncated UTF-8", Buffer.from([0x34, 0x61, 0xe2, 0x82]), [err]],
      ["truncated UTF-8 then valid", Buffer.from([0x34, 0xe2, 0x82, 0x1e, 0x34, 0x61]), [err]],
      ["lone continuation byte", Buffer.from([0x34, 0x80]), [err]],
      [
        "valid then invalid UTF-8",
        Buffer.from([0x34, 0x61, 0x1e, 0x34, 0xff]),
        [{ type: "message", data: "a" }, err],
      ],
      ["non-ASCII in base64", Buffer.from("bAQID\u00e9BA==", "utf8"), [err]],
      ["big base64 with one bad char", `b${"A".repeat(70000)}!AAA`, [err]],
      // Node's base64 reads U+6478 by its low byte 0x78 ("x"): must still be refused (found by test/codec-fuzz).
      ["wide char in base64 frame", "bs摸ym7JJ/hLb", [err]],
      ["wide char in long base64", `b${"A".repeat(200)}摸AAA`, [err]],
    ];
    for (const [name, body, expected] of cases) {
      assert.deepEqual(decodeAll(body), expected, name);
      if (typeof body === "string")
        assert.deepEqual(decodeAll(Buffer.from(body)), expected, `${name} (bytes)`);
    }
  });
});
