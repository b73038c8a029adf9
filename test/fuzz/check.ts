/**
 * Runs one fuzz case through every codec backend and engine.io-parser, and reports what went wrong:
 * an exception escaping a backend, a result of the wrong shape, two backends disagreeing, a backend
 * disagreeing with the oracle on valid input, or an input mutated in place.
 */
import { decodePacket as eipDecodePacket, decodePayload as eipDecodePayload } from "engine.io-parser";
import type { Codec } from "../../src/codec/types.js";
import type { Packet } from "../../src/protocol/packet.js";
import { type FuzzCase, oraclePacket, oraclePayload, viewBytes } from "./generators.js";

export type FailureKind = "exception" | "shape" | "divergence" | "oracle" | "roundtrip" | "mutation";

export interface Failure {
  kind: FailureKind;
  backend: string;
  detail: string;
}

const TYPES = new Set(["open", "close", "ping", "pong", "message", "upgrade", "noop", "error"]);

function isBin(v: unknown): v is ArrayBuffer | ArrayBufferView {
  return v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function hex(v: ArrayBuffer | ArrayBufferView): string {
  const b = viewBytes(v);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function bytesOf(v: ArrayBuffer | ArrayBufferView): Buffer {
  const b = viewBytes(v);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Deep equality of codec results: packets, lists, strings, and binary by content (any container). */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "string" || typeof b === "string" || a == null || b == null) return false;
  if (isBin(a) || isBin(b)) return isBin(a) && isBin(b) && bytesOf(a).equals(bytesOf(b));
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (typeof a === "object" && typeof b === "object") {
    const p = a as Packet;
    const q = b as Packet;
    return p.type === q.type && same(p.data, q.data);
  }
  return false;
}

/** A readable string for any codec result (for messages only). */
export function norm(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undef";
  if (typeof v === "string") return `s:${JSON.stringify(v)}`;
  if (isBin(v)) return `b:${hex(v.byteLength > 200 ? viewBytes(v).subarray(0, 200) : v)}`;
  if (Array.isArray(v)) return `[${v.map(norm).join(",")}]`;
  if (typeof v === "object") {
    const p = v as Packet;
    return `{${p.type}${p.data === undefined ? "" : `|${norm(p.data)}`}}`;
  }
  return `?${String(v)}`;
}

function shortNorm(v: unknown): string {
  if (Array.isArray(v) && v.length > 20) return `${norm(v.slice(0, 20))}…(${v.length} items)`;
  const s = norm(v);
  return s.length > 300 ? `${s.slice(0, 300)}…(${s.length})` : s;
}

/** Shape problems of one decoded packet list (or packet), or "" when fine. */
function packetShape(packets: unknown, list: boolean): string {
  const arr = list ? packets : [packets];
  if (!Array.isArray(arr)) return "not an array";
  if (arr.length === 0) return "empty packet list";
  for (let i = 0; i < arr.length; i++) {
    const p = arr[i] as Packet | undefined;
    if (!p || typeof p !== "object") return `packet ${i} is not an object`;
    if (!TYPES.has(p.type)) return `packet ${i} has type ${String(p.type)}`;
    if (p.type === "error") {
      if (i !== arr.length - 1) return `error packet at ${i} is not last`;
      if (p.data !== "parser error") return "error packet without 'parser error'";
      continue;
    }
    if (p.data !== undefined && typeof p.data !== "string") {
      if (!(p.data instanceof Uint8Array)) return `packet ${i} has non-Uint8Array binary`;
      if (p.type !== "message") return `binary ${p.type} packet`;
    }
    if (p.data === "") return `packet ${i} has empty-string data (should be absent)`;
  }
  return "";
}

function resultShape(c: FuzzCase, r: unknown): string {
  switch (c.fn) {
    case "decodePayload":
      return packetShape(r, true);
    case "decodePacket":
      return packetShape(r, false);
    case "encodePacket":
      return typeof r === "string" || r instanceof Uint8Array ? "" : "not a string or Uint8Array";
    case "encodePayload":
      return r instanceof Uint8Array ? "" : "not a Uint8Array";
    case "base64Encode":
      return typeof r === "string" ? "" : "not a string";
    case "base64Decode":
      return r === null || r instanceof Uint8Array ? "" : "not a Uint8Array or null";
  }
}

function call(codec: Codec, c: FuzzCase): unknown {
  switch (c.fn) {
    case "decodePayload":
      return codec.decodePayload(c.input!);
    case "decodePacket":
      return codec.decodePacket(c.input!);
    case "encodePacket":
      return codec.encodePacket(c.packets![0]!, c.supportsBinary!);
    case "encodePayload":
      return codec.encodePayload(c.packets!);
    case "base64Encode":
      return codec.base64Encode(c.input as Uint8Array);
    case "base64Decode":
      return codec.base64Decode(c.input!);
  }
}

/** Copies of every binary input the case hands to the codec, to detect in-place mutation. */
function snapshot(c: FuzzCase): [Buffer, Buffer][] {
  const views: Buffer[] = [];
  if (c.input !== undefined && typeof c.input !== "string") views.push(bytesOf(c.input));
  for (const p of c.packets ?? [])
    if (p.data !== undefined && typeof p.data !== "string") views.push(bytesOf(p.data));
  return views.map((v) => [v, Buffer.from(v)]);
}

function mutated(snap: [Buffer, Buffer][]): boolean {
  return snap.some(([view, copy]) => !view.equals(copy));
}

function errorIndex(packets: Packet[]): number {
  const i = packets.findIndex((p) => p.type === "error");
  return i === -1 ? packets.length : i;
}

/** Compares a consensus result with engine.io-parser where the input is valid. */
function oracleCheck(c: FuzzCase, r: unknown): string {
  switch (c.fn) {
    case "decodePayload": {
      const ours = r as Packet[];
      // Buffer's UTF-8 decoding replaces invalid sequences (like TextDecoder) and keeps a BOM.
      const body = typeof c.input === "string" ? c.input : bytesOf(c.input as Uint8Array).toString("utf8");
      const theirs = eipDecodePayload(body, "nodebuffer") as Packet[];
      const k = errorIndex(ours);
      if (c.valid && k !== ours.length) return `valid input rejected at packet ${k}`;
      // Everything we accept must match the oracle; where we stop (bad base64, bad UTF-8) it may be lenient.
      for (let i = 0; i < k; i++) {
        if (!same(ours[i], theirs[i])) {
          return `packet ${i}: ours ${shortNorm(ours[i])} oracle ${shortNorm(theirs[i])}`;
        }
      }
      if (k === ours.length && theirs.length !== ours.length) {
        return `ours has ${ours.length} packets, oracle ${theirs.length}`;
      }
      return "";
    }
    case "decodePacket": {
      const ours = r as Packet;
      if (typeof c.input !== "string") {
        return ours.type === "message" && same(ours.data, c.input) ? "" : "binary frame not a binary message";
      }
      if (c.valid && ours.type === "error") return "valid frame rejected";
      if (ours.type === "error") return "";
      const theirs = eipDecodePacket(c.input, "nodebuffer");
      return same(ours, theirs) ? "" : `ours ${shortNorm(ours)} oracle ${shortNorm(theirs)}`;
    }
    case "encodePacket": {
      const p = c.packets![0]!;
      if (p.type === "error") return "";
      const theirs = oraclePacket(p, c.supportsBinary!);
      return same(r, theirs) ? "" : `ours ${shortNorm(r)} oracle ${shortNorm(theirs)}`;
    }
    case "encodePayload": {
      if (c.packets!.some((p) => p.type === "error")) return "";
      const theirs = Buffer.from(oraclePayload(c.packets!));
      return same(r, theirs) ? "" : `ours ${shortNorm(r)} oracle ${shortNorm(theirs)}`;
    }
    case "base64Encode": {
      const theirs = Buffer.from(c.input as Uint8Array).toString("base64");
      return r === theirs ? "" : `ours ${shortNorm(r)} oracle ${shortNorm(theirs)}`;
    }
    case "base64Decode": {
      if (r === null) return c.valid ? "valid base64 rejected" : "";
      const text =
        typeof c.input === "string" ? c.input : Buffer.from(c.input as Uint8Array).toString("latin1");
      const theirs = Buffer.from(text, "base64");
      return same(r, theirs) ? "" : `ours ${shortNorm(r)} oracle ${shortNorm(theirs)}`;
    }
  }
}

/** Round trip: a valid input built from known packets decodes back to exactly those packets. */
function roundTripCheck(c: FuzzCase, r: unknown): string {
  if (!c.roundTrip || !c.packets) return "";
  const got = c.fn === "decodePacket" ? [r] : r;
  return same(got, c.packets) ? "" : `decoded ${shortNorm(got)} expected ${shortNorm(c.packets)}`;
}

/**
 * Checks one case against all backends (the first is the reference for divergences) and, with `oracle`,
 * against engine.io-parser. Returns every failure found (empty when the case passes).
 */
export function checkCase(
  c: FuzzCase,
  codecs: readonly Codec[],
  oracle = true,
  timings?: Map<string, number>,
): Failure[] {
  const failures: Failure[] = [];
  const snap = snapshot(c);
  let haveReference = false;
  let referenceName = "";
  let consensus: unknown;
  for (const codec of codecs) {
    let r: unknown;
    const t0 = timings ? performance.now() : 0;
    try {
      r = call(codec, c);
      if (timings) timings.set(codec.name, (timings.get(codec.name) ?? 0) + performance.now() - t0);
    } catch (err) {
      failures.push({ kind: "exception", backend: codec.name, detail: String((err as Error)?.stack ?? err) });
      continue;
    }
    if (mutated(snap)) {
      failures.push({ kind: "mutation", backend: codec.name, detail: "input changed by the call" });
    }
    const shape = resultShape(c, r);
    if (shape) {
      failures.push({ kind: "shape", backend: codec.name, detail: `${shape}: ${shortNorm(r)}` });
      continue;
    }
    if (!haveReference) {
      haveReference = true;
      referenceName = codec.name;
      consensus = r;
    } else if (!same(r, consensus)) {
      failures.push({
        kind: "divergence",
        backend: codec.name,
        detail: `${codec.name} ${shortNorm(r)} vs ${referenceName} ${shortNorm(consensus)}`,
      });
    }
    const rt = roundTripCheck(c, r);
    if (rt) failures.push({ kind: "roundtrip", backend: codec.name, detail: rt });
  }
  if (oracle && haveReference) {
    let o: string;
    try {
      o = oracleCheck(c, consensus);
    } catch (err) {
      o = `oracle comparison threw: ${String(err)}`;
    }
    if (o) failures.push({ kind: "oracle", backend: referenceName, detail: o });
  }
  return failures;
}
