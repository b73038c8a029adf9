/**
 * Fuzz cases as JSON (regression fixtures in test/fixtures/codec-fuzz/): bytes as hex, binary packet data
 * with its container kind, strings as JSON strings (lone surrogates survive as `\udXXX` escapes).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Packet } from "../../src/protocol/packet.js";
import { type BinKind, type FuzzCase, viewBytes, wrapBinary } from "./generators.js";

/** A value; `times` repeats it and `parts` concatenates (so big fixtures stay small on disk). */
type JsonValue = (
  | { str: string }
  | { hex: string; kind?: BinKind }
  | { parts: JsonValue[]; kind?: BinKind }
) & {
  times?: number;
};
interface JsonPacket {
  type: Packet["type"];
  data?: JsonValue;
}
export interface JsonCase {
  fn: FuzzCase["fn"];
  gen: string;
  note?: string;
  input?: JsonValue;
  packets?: JsonPacket[];
  supportsBinary?: boolean;
  valid?: boolean;
  roundTrip?: boolean;
}

function binKind(v: unknown): BinKind {
  if (Buffer.isBuffer(v)) return "buffer";
  if (v instanceof Uint8Array) return v.byteOffset === 0 ? "u8" : "offset";
  if (v instanceof ArrayBuffer) return "arraybuffer";
  if (v instanceof DataView) return "dataview";
  if (v instanceof Uint16Array) return "u16";
  return "i8";
}

function valueToJson(v: unknown): JsonValue {
  if (typeof v === "string") return { str: v };
  const b = viewBytes(v as ArrayBufferView);
  return { hex: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex"), kind: binKind(v) };
}

function rawFromJson(v: JsonValue): string | Buffer {
  let one: string | Buffer;
  if ("str" in v) one = v.str;
  else if ("hex" in v) one = Buffer.from(v.hex, "hex");
  else {
    const parts = v.parts.map(rawFromJson);
    one = parts.every((p) => typeof p === "string")
      ? parts.join("")
      : Buffer.concat(parts.map((p) => Buffer.from(p)));
  }
  const times = v.times ?? 1;
  if (times === 1) return one;
  return typeof one === "string"
    ? one.repeat(times)
    : Buffer.concat(Array.from({ length: times }, () => one as Buffer));
}

function valueFromJson(v: JsonValue): string | Uint8Array | ArrayBuffer | ArrayBufferView {
  const raw = rawFromJson(v);
  if (typeof raw === "string") return raw;
  return wrapBinary(new Uint8Array(raw), "kind" in v ? (v.kind ?? "u8") : "u8");
}

export function caseToJson(c: FuzzCase, note?: string): JsonCase {
  const out: JsonCase = { fn: c.fn, gen: c.gen };
  if (note) out.note = note;
  if (c.input !== undefined) out.input = valueToJson(c.input);
  if (c.packets) {
    out.packets = c.packets.map((p) =>
      p.data === undefined ? { type: p.type } : { type: p.type, data: valueToJson(p.data) },
    );
  }
  if (c.supportsBinary !== undefined) out.supportsBinary = c.supportsBinary;
  if (c.valid !== undefined) out.valid = c.valid;
  if (c.roundTrip !== undefined) out.roundTrip = c.roundTrip;
  return out;
}

export function caseFromJson(j: JsonCase): FuzzCase {
  const c: FuzzCase = { fn: j.fn, gen: j.gen };
  if (j.input) {
    const v = valueFromJson(j.input);
    c.input = typeof v === "string" ? v : viewBytes(v);
  }
  if (j.packets) {
    c.packets = j.packets.map((p) =>
      p.data === undefined ? { type: p.type } : { type: p.type, data: valueFromJson(p.data) },
    );
  }
  if (j.supportsBinary !== undefined) c.supportsBinary = j.supportsBinary;
  if (j.valid !== undefined) c.valid = j.valid;
  if (j.roundTrip !== undefined) c.roundTrip = j.roundTrip;
  return c;
}

export const FIXTURE_DIR = new URL("../fixtures/codec-fuzz/", import.meta.url).pathname;

/** Every regression case kept in test/fixtures/codec-fuzz/*.json (each file holds an array). */
export function loadFixtures(dir = FIXTURE_DIR): { file: string; cases: JsonCase[] }[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".json"))
      .sort();
  } catch {
    return [];
  }
  return names.map((file) => ({
    file,
    cases: JSON.parse(readFileSync(join(dir, file), "utf8")) as JsonCase[],
  }));
}
