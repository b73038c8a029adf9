/**
 * Request fuzzing against a running server: random methods, queries (duplicate keys, `__proto__`, huge values,
 * invalid percent-encoding), headers (huge, invalid Origin, lying lengths), bodies (random bytes, invalid UTF-8,
 * truncated base64, 10,000 separators, mutated payloads) over polling, and random frames over WebSocket (invalid
 * UTF-8 text, fragments, reserved opcodes, unmasked, over the limit). Every answer must be well-formed HTTP (any
 * status) or a clean close; WebSocket output must be well-formed frames.
 */
import { connect } from "node:net";
import { generateCase, mutateBytes } from "../../fuzz/generators.js";
import { Rng } from "../../fuzz/rng.js";
import {
  hasCompleteResponse,
  httpRequest,
  OP,
  parseFrames,
  parseResponses,
  raw,
  wsFrame,
  wsUpgradeRequest,
} from "./raw.js";

export interface RequestFuzzReport {
  http: number;
  ws: number;
  frames: number;
  /** Outcome histogram: `status:400`, `closed`, `ws-close:1002`… */
  outcomes: Record<string, number>;
  failures: string[];
}

const METHODS = [
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "OPTIONS",
  "HEAD",
  "PATCH",
  "TRACE",
  "get",
  "PROPFIND",
  "G\x01T",
  "POST ",
  "X".repeat(300),
];
const EVIL_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "__proto__[polluted]",
  "constructor[prototype][polluted]",
  "toString",
  "hasOwnProperty",
  "valueOf",
];
const BAD_PERCENT = ["%", "%z", "%zz", "%E2%82", "%C0%80", "%00", "%ff%fe", "%%", "%2", "%u0041"];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function queryValue(rng: Rng, sids: string[]): string {
  switch (rng.int(8)) {
    case 0:
      return pick(rng, BAD_PERCENT);
    case 1:
      return "x".repeat(rng.chance(0.5) ? rng.range(100, 2000) : rng.range(10_000, 70_000));
    case 2:
      return pick(rng, EVIL_KEYS);
    case 3:
      return sids.length ? pick(rng, sids) : "nope";
    case 4:
      return "";
    case 5:
      return encodeURIComponent(
        String.fromCodePoint(rng.chance(0.5) ? rng.int(0xd800) : rng.range(0xe000, 0x10ffff)),
      );
    default:
      return String(rng.int(10));
  }
}

function randomQuery(rng: Rng, sids: string[]): string {
  const parts: string[] = [];
  if (rng.chance(0.9))
    parts.push(`EIO=${rng.chance(0.8) ? "4" : pick(rng, ["3", "5", "", "4x", "04", "%34"])}`);
  if (rng.chance(0.9))
    parts.push(
      `transport=${rng.chance(0.8) ? pick(rng, ["polling", "websocket"]) : pick(rng, ["flash", "", "POLLING", "polling%00", "__proto__"])}`,
    );
  if (rng.chance(0.5))
    parts.push(`sid=${rng.chance(0.6) && sids.length ? pick(rng, sids) : queryValue(rng, sids)}`);
  for (let i = 0, n = rng.int(4); i < n; i++) {
    const k = rng.int(4);
    if (k === 0) parts.push(`${pick(rng, EVIL_KEYS)}=${queryValue(rng, sids)}`);
    else if (k === 1)
      parts.push(`${pick(rng, ["EIO", "transport", "sid", "b64", "t"])}=${queryValue(rng, sids)}`); // duplicate keys
    else if (k === 2) parts.push(pick(rng, BAD_PERCENT));
    else parts.push(`${pick(rng, ["b64", "t", "j"])}=${queryValue(rng, sids)}`);
  }
  // shuffle
  for (let i = parts.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [parts[i], parts[j]] = [parts[j]!, parts[i]!];
  }
  return parts.join("&");
}

function randomBody(rng: Rng): Buffer {
  switch (rng.int(9)) {
    case 0:
      return Buffer.from(rng.bytes(rng.size(3000)));
    case 1:
      return Buffer.from([0x34, 0xe2, 0x82]); // truncated UTF-8
    case 2:
      return Buffer.from(`b${"QUJD".repeat(rng.int(50))}Q`); // truncated base64
    case 3:
      return Buffer.alloc(10_000, 0x1e);
    case 4:
      return Buffer.from(
        pick(rng, ["1", "2", "2probe", "5", "6", "3", "0", "4", "", "4hello\x1e1", "4a\x1e2\x1e4b"]),
      );
    case 5: {
      // a codec fuzz case (valid or mutated payload) as the body
      const c = generateCase(rng);
      if (c.fn === "decodePayload" && c.input !== undefined)
        return Buffer.from(c.input as Uint8Array | string);
      return Buffer.from("4fallback");
    }
    case 6: {
      let b: Uint8Array = Buffer.from("4hello\x1ebAQIDBA==\x1e4€");
      for (let i = 0, n = rng.range(1, 4); i < n; i++) b = mutateBytes(rng, b)[0];
      return Buffer.from(b);
    }
    case 7:
      return Buffer.from(`4${"x".repeat(rng.range(90_000, 110_000))}`); // around maxHttpBufferSize (100 kB)
    default:
      return Buffer.from(`4${"é".repeat(rng.int(200))}`);
  }
}

function randomHeaders(rng: Rng, body: Buffer | undefined): Record<string, string | number> {
  const h: Record<string, string | number> = {};
  if (rng.chance(0.3)) {
    h.Origin = pick(rng, [
      "http://example.com",
      "null",
      "http://evil.example\x01",
      "http://a\u00ff.example",
      "*",
      "",
      `http://${"a".repeat(5000)}.example`,
      "javascript:alert(1)",
    ]);
  }
  if (rng.chance(0.5))
    h["Content-Type"] = pick(rng, [
      "text/plain;charset=UTF-8",
      "application/octet-stream",
      "text/plain",
      "application/json",
      "x/\x7f",
    ]);
  if (rng.chance(0.05)) h["X-Huge"] = "h".repeat(rng.range(8_000, 20_000));
  if (rng.chance(0.1)) h.Cookie = pick(rng, ["io=abc", "io=%zz; io=1", `io=${"c".repeat(3000)}`, "=;=;"]);
  if (rng.chance(0.1))
    h["Accept-Encoding"] = pick(rng, ["gzip", "deflate", "br", "gzip;q=0, *", "identity;q=0"]);
  if (body !== undefined) {
    const k = rng.int(10);
    if (k === 0)
      h["Content-Length"] = body.length + rng.range(1, 50); // longer than the body: the body timeout ends it
    else if (k === 1)
      h["Content-Length"] = Math.max(0, body.length - rng.range(1, 5)); // shorter: the rest is garbage
    else if (k === 2) h["Content-Length"] = pick(rng, ["abc", "-1", "1e3", "99999999999999999999"]);
    else if (k === 3) h["Transfer-Encoding"] = "chunked";
  }
  if (rng.chance(0.05)) {
    h.Upgrade = "websocket";
    h.Connection = "Upgrade";
    if (rng.chance(0.5)) h["Sec-WebSocket-Key"] = pick(rng, ["dGhlIHNhbXBsZSBub25jZQ==", "short", ""]);
    if (rng.chance(0.5)) h["Sec-WebSocket-Version"] = pick(rng, ["13", "8", "x"]);
  }
  return h;
}

function chunkedBody(rng: Rng, body: Buffer): Buffer {
  if (rng.chance(0.2)) return Buffer.concat([Buffer.from("zz\r\n"), body, Buffer.from("\r\n0\r\n\r\n")]); // bad chunk size
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]);
}

/** One random HTTP request; returns its outcome or a failure description. */
async function fuzzHttp(
  rng: Rng,
  port: number,
  path: string,
  sids: string[],
): Promise<{ outcome: string; failure?: string }> {
  const method = rng.chance(0.85) ? pick(rng, ["GET", "POST"]) : pick(rng, METHODS);
  const target = rng.chance(0.03)
    ? pick(rng, ["*", `${path}`, `${path}/../etc/passwd`, `http://x${path}/?EIO=4`])
    : `${path}/?${randomQuery(rng, sids)}`;
  const body = method === "GET" && rng.chance(0.9) ? undefined : randomBody(rng);
  const headers = randomHeaders(rng, body);
  let payload = body;
  if (body !== undefined && headers["Transfer-Encoding"] === "chunked") payload = chunkedBody(rng, body);
  let req: Buffer;
  try {
    req = httpRequest(method, target, headers, payload);
  } catch {
    return { outcome: "skipped" };
  }
  const head = method === "HEAD";
  const r = await raw(port, req, { timeoutMs: 6000, untilComplete: (d) => hasCompleteResponse(d, { head }) });
  if (r.connectError)
    return { outcome: "connect-error", failure: `connect error ${r.connectError}: the server is down?` };
  const p = parseResponses(r.data, { head });
  const desc = `${method} ${target.slice(0, 120)} ${JSON.stringify(headers).slice(0, 200)}`;
  if (p.responses.length > 0 && !p.error) return { outcome: `status:${p.responses[0]!.status}` };
  // Known nit (engine.io does the same): a refused *upgrade* request made with HEAD gets its error body anyway,
  // then the connection is closed. Tolerated: the bytes after a `Connection: close` answer cannot be misread.
  if (
    head &&
    p.responses.length > 0 &&
    p.responses[0]!.headers.connection === "close" &&
    (r.closed || r.reset)
  ) {
    return { outcome: `status:${p.responses[0]!.status} head-with-body` };
  }
  if (r.data.length === 0 && (r.closed || r.reset)) return { outcome: r.reset ? "reset" : "closed" };
  if (r.timedOut) return { outcome: "timeout", failure: `no answer within 6 s: ${desc}` };
  return {
    outcome: "malformed",
    failure: `malformed answer (${p.error}): ${JSON.stringify(r.data.subarray(0, 200).toString("latin1"))} to ${desc}`,
  };
}

const TEXT_PACKETS = [
  "4hello",
  "2probe",
  "3probe",
  "5",
  "1",
  "6",
  "3",
  "2",
  "0",
  "4",
  "b",
  "bAQID",
  "bQ",
  "7x",
  "",
  "4€",
  "4\x1e4",
];

/** A random sequence of frames on one WebSocket; checks the server's frames are well-formed. */
async function fuzzWs(
  rng: Rng,
  port: number,
  path: string,
  sids: string[],
  maxPayload: number,
): Promise<{ outcomes: string[]; frames: number; failure?: string }> {
  const query =
    rng.chance(0.7) || sids.length === 0
      ? "EIO=4&transport=websocket"
      : `EIO=4&transport=websocket&sid=${pick(rng, sids)}`;
  const s = connect({ port, host: "127.0.0.1" });
  s.on("error", () => {});
  let data = Buffer.alloc(0);
  let closed = false;
  s.on("data", (d) => {
    data = Buffer.concat([data, d]);
  });
  const closedP = new Promise<void>((resolve) =>
    s.on("close", () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve) => s.once("connect", () => resolve()));
  s.write(wsUpgradeRequest(`${path}/?${query}`));
  const upgradeDeadline = Date.now() + 3000;
  while (data.indexOf("\r\n\r\n") === -1 && !closed && Date.now() < upgradeDeadline)
    await new Promise((r) => setTimeout(r, 5));
  const headEnd = data.indexOf("\r\n\r\n");
  if (headEnd === -1) {
    s.destroy();
    return closed
      ? { outcomes: ["upgrade-closed"], frames: 0 }
      : { outcomes: ["upgrade-timeout"], frames: 0, failure: "no upgrade answer" };
  }
  let head = parseResponses(data.subarray(0, headEnd + 4));
  if (head.responses[0]?.status !== 101) {
    // an error answer: wait for its body (or the close), then parse it whole
    while (!hasCompleteResponse(data) && !closed && Date.now() < upgradeDeadline + 2000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    head = parseResponses(data);
  }
  if (head.error || head.responses.length === 0) {
    s.destroy();
    return {
      outcomes: ["upgrade-malformed"],
      frames: 0,
      failure: `malformed upgrade answer ${data.subarray(0, 100).toString("latin1")}`,
    };
  }
  if (head.responses[0]!.status !== 101) {
    s.destroy();
    return { outcomes: [`upgrade-status:${head.responses[0]!.status}`], frames: 0 };
  }
  const n = rng.range(1, 12);
  let sent = 0;
  for (let i = 0; i < n && !closed; i++) {
    sent++;
    const k = rng.int(16);
    let f: Buffer;
    if (k < 5) f = wsFrame(OP.text, pick(rng, TEXT_PACKETS));
    else if (k === 5)
      f = wsFrame(OP.text, Buffer.from([0x34, 0xff, 0xfe, 0xc0, 0x80])); // invalid UTF-8
    else if (k === 6)
      f = wsFrame(OP.text, Buffer.from([0x34, 0xe2, 0x82])); // truncated UTF-8
    else if (k === 7)
      f = Buffer.concat([
        wsFrame(OP.text, "4fr", { fin: false }),
        wsFrame(OP.cont, "ag", { fin: false }),
        wsFrame(OP.cont, "ment"),
      ]);
    else if (k === 8)
      f = wsFrame(OP.cont, "4orphan"); // continuation without a start
    else if (k === 9)
      f = wsFrame(OP.text, "4x", { mask: false }); // client frames must be masked
    else if (k === 10)
      f = wsFrame(pick(rng, [3, 4, 5, 6, 7, 11, 12, 15]), "4x"); // reserved opcode
    else if (k === 11)
      f = wsFrame(OP.text, "4x", { rsv: rng.range(1, 7) }); // RSV bits without an extension
    else if (k === 12)
      f = wsFrame(OP.ping, "p".repeat(rng.chance(0.5) ? 10 : 200)); // control frame > 125 bytes is invalid
    else if (k === 13)
      f = wsFrame(OP.binary, Buffer.from(rng.bytes(rng.chance(0.1) ? maxPayload + 1 : rng.size(2000))));
    else if (k === 14) {
      const reason = rng.chance(0.5) ? Buffer.from([0xff, 0xfe]) : Buffer.from("bye");
      const code = Buffer.alloc(2);
      code.writeUInt16BE(pick(rng, [1000, 999, 1005, 1006, 4000, 5000, 1015]));
      f = wsFrame(OP.close, Buffer.concat([code, reason]));
    } else {
      const raw = wsFrame(OP.text, Buffer.from(rng.bytes(rng.size(300))));
      f = rng.chance(0.5) ? raw.subarray(0, rng.range(1, raw.length)) : raw; // random bytes, maybe a truncated frame
    }
    if (!s.destroyed) s.write(f);
    await new Promise((r) => setTimeout(r, rng.int(10)));
  }
  await Promise.race([closedP, new Promise((r) => setTimeout(r, 200))]);
  s.destroy();
  const { frames, error } = parseFrames(data.subarray(headEnd + 4));
  const outcomes: string[] = [];
  const close = frames.find((x) => x.opcode === OP.close);
  outcomes.push(
    close
      ? `ws-close:${close.payload.length >= 2 ? close.payload.readUInt16BE(0) : "empty"}`
      : closed
        ? "tcp-closed"
        : "open",
  );
  if (error) return { outcomes, frames: sent, failure: `bad server frame: ${error}` };
  for (const fr of frames) {
    if (fr.opcode === OP.text && !isUtf8(fr.payload))
      return { outcomes, frames: sent, failure: "server sent invalid UTF-8 text" };
  }
  return { outcomes, frames: sent };
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Opens a few real polling sessions whose sids the fuzzer reuses. */
async function freshSids(port: number, path: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await raw(
      port,
      httpRequest("GET", `${path}/?EIO=4&transport=polling`, { Connection: "close" }),
      {
        timeoutMs: 3000,
        untilComplete: hasCompleteResponse,
      },
    );
    const m = /"sid":"([^"]+)"/.exec(r.data.toString());
    if (m) out.push(m[1]!);
  }
  return out;
}

/** Runs `httpCases` HTTP and `wsCases` WebSocket fuzz cases with `concurrency` in flight. */
export async function fuzzRequests(opts: {
  port: number;
  path?: string;
  httpCases: number;
  wsCases: number;
  seed: number;
  maxPayload: number;
  concurrency?: number;
  deadline?: number;
}): Promise<RequestFuzzReport> {
  const path = opts.path ?? "/engine.io";
  const report: RequestFuzzReport = { http: 0, ws: 0, frames: 0, outcomes: {}, failures: [] };
  let sids = await freshSids(opts.port, path, 5);
  let next = 0;
  const total = opts.httpCases + opts.wsCases;
  const note = (o: string) => {
    report.outcomes[o] = (report.outcomes[o] ?? 0) + 1;
  };
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total || (opts.deadline && Date.now() > opts.deadline)) return;
      if (i % 50 === 0) sids = [...(await freshSids(opts.port, path, 2)), ...sids].slice(0, 8);
      const rng = new Rng(opts.seed, i);
      // interleave HTTP and WebSocket cases in the requested proportion
      const isHttp =
        Math.floor(((i + 1) * opts.httpCases) / total) > Math.floor((i * opts.httpCases) / total);
      if (isHttp) {
        report.http++;
        const r = await fuzzHttp(rng, opts.port, path, sids);
        note(r.outcome);
        if (r.failure && report.failures.length < 30) report.failures.push(`#${i} ${r.failure}`);
      } else {
        report.ws++;
        const r = await fuzzWs(rng, opts.port, path, sids, opts.maxPayload);
        report.frames += r.frames;
        for (const o of r.outcomes) note(o);
        if (r.failure && report.failures.length < 30) report.failures.push(`#${i} ${r.failure}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  return report;
}
