/**
 * Attacks on a running server, each run in a loop for a while. Every attempt's outcome is classified
 * (`status:413`, `ws-close:1009`, `closed`, …) and compared with what SECURITY.md documents; anything else
 * is reported as unexpected. Loops are bounded in time and in concurrency.
 */

import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import {
  hasCompleteResponse,
  httpRequest,
  OP,
  parseResponses,
  RawWs,
  raw,
  wsFrame,
  wsUpgradeRequest,
} from "./raw.js";

export interface AttackReport {
  name: string;
  attempts: number;
  outcomes: Record<string, number>;
  unexpected: string[];
}

export interface AttackEnv {
  port: number;
  path: string;
  /** The server's maxHttpBufferSize. */
  maxHttpBufferSize: number;
  /** The server's httpRequestBodyTimeout (ms). */
  bodyTimeoutMs: number;
  /** The http server's headersTimeout (ms). */
  headersTimeoutMs: number;
  /** The server's pingInterval (ms): a held poll may legitimately end with a ping after this long. */
  pingIntervalMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Recorder {
  attempts = 0;
  outcomes: Record<string, number> = {};
  unexpected: string[] = [];
  constructor(readonly name: string) {}
  note(outcome: string, ok: boolean, detail = ""): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    if (!ok && this.unexpected.length < 20) this.unexpected.push(`${outcome} ${detail}`.trim());
  }
  report(): AttackReport {
    return { name: this.name, attempts: this.attempts, outcomes: this.outcomes, unexpected: this.unexpected };
  }
}

/** Runs `attempt(worker, iteration)` from `concurrency` workers until `durationMs` passed. */
async function loop(
  durationMs: number,
  concurrency: number,
  attempt: (worker: number, iteration: number) => Promise<void>,
): Promise<void> {
  const end = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; Date.now() < end; i++) await attempt(w, i);
    }),
  );
}

function q(env: AttackEnv, query: string): string {
  return `${env.path}/?EIO=4&${query}`;
}

/** Opens a polling session over a raw request; returns the sid. */
async function handshake(env: AttackEnv): Promise<string | null> {
  const r = await raw(env.port, httpRequest("GET", q(env, "transport=polling"), { Connection: "close" }), {
    timeoutMs: 5000,
    untilComplete: hasCompleteResponse,
  });
  const res = parseResponses(r.data).responses[0];
  if (res?.status !== 200) return null;
  const m = /"sid":"([^"]+)"/.exec(res.body.toString());
  return m ? m[1]! : null;
}

function outcomeOf(r: { data: Buffer; closed: boolean; reset: boolean; timedOut: boolean }): string {
  const p = parseResponses(r.data);
  if (p.responses.length > 0) return `status:${p.responses[0]!.status}`;
  if (p.error && r.data.length > 0 && !p.incomplete) return "malformed";
  if (r.reset) return "reset";
  if (r.closed) return "closed";
  return "timeout";
}

// ------------------------------------------------------------------------------------------- attacks

/** POST bodies over maxHttpBufferSize (declared, and chunked without a length): 413, then the session is gone. */
export async function oversizedPost(env: AttackEnv, durationMs: number): Promise<AttackReport> {
  const rec = new Recorder("oversized POST body");
  await loop(durationMs, 2, async (w, i) => {
    rec.attempts++;
    const sid = await handshake(env);
    if (!sid) return rec.note("handshake-failed", false);
    const body = Buffer.alloc(env.maxHttpBufferSize + 1 + ((w * 977 + i * 131) % 5000), 0x34);
    const chunked = (i + w) % 2 === 0;
    const req = chunked
      ? httpRequest(
          "POST",
          q(env, `transport=polling&sid=${sid}`),
          { "Transfer-Encoding": "chunked", "Content-Type": "text/plain;charset=UTF-8" },
          Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]),
        )
      : httpRequest(
          "POST",
          q(env, `transport=polling&sid=${sid}`),
          { "Content-Type": "text/plain;charset=UTF-8" },
          body,
        );
    const r = await raw(env.port, req, { timeoutMs: 5000, untilComplete: hasCompleteResponse });
    const o = outcomeOf(r);
    // 413 expected; a reset is acceptable when the server answered while we were still writing
    rec.note(
      `${chunked ? "chunked" : "declared"} ${o}`,
      o === "status:413" || o === "reset" || o === "closed",
    );
    const after = await raw(
      env.port,
      httpRequest("GET", q(env, `transport=polling&sid=${sid}`), { Connection: "close" }),
      {
        timeoutMs: 3000,
        untilComplete: hasCompleteResponse,
      },
    );
    const o2 = outcomeOf(after);
    rec.note(`session-after ${o2}`, o2 === "status:400");
  });
  return rec.report();
}

/** WebSocket frames over the limit (real and lied-about lengths): close 1009, session closed. */
export async function oversizedFrame(env: AttackEnv, durationMs: number): Promise<AttackReport> {
  const rec = new Recorder("oversized WebSocket frame");
  await loop(durationMs, 2, async (w, i) => {
    rec.attempts++;
    let ws: RawWs;
    try {
      ws = await RawWs.connect(env.port, q(env, "transport=websocket"));
    } catch (e) {
      return rec.note("upgrade-failed", false, String(e));
    }
    const open = await ws.waitFor((f) => f.opcode === OP.text && f.payload[0] === 0x30, 3000);
    if (!open) {
      ws.destroy();
      return rec.note("no-open-packet", false);
    }
    const lie = (i + w) % 2 === 0;
    if (lie) ws.send(wsFrame(OP.text, "4x", { declaredLength: 2 ** 40 }));
    else ws.send(wsFrame(OP.text, Buffer.alloc(env.maxHttpBufferSize + 1, 0x34)));
    await Promise.race([ws.closed, sleep(3000)]);
    const code = ws.closeCode();
    rec.note(
      `${lie ? "lied-length" : "real"} ws-close:${code ?? "none"}${ws.isClosed ? "" : " still-open"}`,
      code === 1009 && ws.isClosed,
    );
    ws.destroy();
  });
  return rec.report();
}

/** Headers trickled byte by byte: the http server's headersTimeout ends them (408 or close). */
export async function slowlorisHeaders(
  env: AttackEnv,
  durationMs: number,
  connections = 20,
): Promise<AttackReport> {
  const rec = new Recorder("slowloris headers");
  const limit = env.headersTimeoutMs + 3000;
  await loop(durationMs, connections, async (w) => {
    rec.attempts++;
    const start = Date.now();
    const head = httpRequest("GET", q(env, "transport=polling"), { "X-Pad": "a".repeat(200) });
    const r = await raw(
      env.port,
      async (s: Socket) => {
        for (let i = 0; i < head.length - 4 && !s.destroyed && Date.now() - start < limit + 2000; i++) {
          s.write(head.subarray(i, i + 1));
          await sleep(100 + (w % 5) * 20);
        }
      },
      { timeoutMs: limit + 2000 },
    );
    const took = Date.now() - start;
    const o = outcomeOf(r);
    const ok = (o === "status:408" || o === "closed" || o === "reset") && took <= limit;
    rec.note(o, ok, `after ${took} ms`);
  });
  return rec.report();
}

/** A POST body trickled byte by byte: 408 after httpRequestBodyTimeout, the session closed. */
export async function slowlorisBody(
  env: AttackEnv,
  durationMs: number,
  connections = 10,
): Promise<AttackReport> {
  const rec = new Recorder("slowloris body");
  const limit = env.bodyTimeoutMs + 2000;
  await loop(durationMs, connections, async () => {
    rec.attempts++;
    const sid = await handshake(env);
    if (!sid) return rec.note("handshake-failed", false);
    const start = Date.now();
    const req = httpRequest("POST", q(env, `transport=polling&sid=${sid}`), {
      "Content-Type": "text/plain;charset=UTF-8",
      "Content-Length": 100000,
    });
    const r = await raw(
      env.port,
      async (s: Socket) => {
        s.write(req);
        while (!s.destroyed && Date.now() - start < limit + 2000) {
          s.write("4");
          await sleep(200);
        }
      },
      { timeoutMs: limit + 2000, untilComplete: hasCompleteResponse },
    );
    const took = Date.now() - start;
    const o = outcomeOf(r);
    rec.note(o, (o === "status:408" || o === "closed" || o === "reset") && took <= limit, `after ${took} ms`);
  });
  return rec.report();
}

/** As many handshakes as possible over keep-alive connections, never polling again. */
export async function handshakeFlood(
  env: AttackEnv,
  durationMs: number,
  concurrency = 8,
): Promise<AttackReport> {
  const rec = new Recorder("handshake flood");
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  await loop(durationMs, concurrency, async () => {
    rec.attempts++;
    const o = await new Promise<string>((resolve) => {
      const req = request(
        { port: env.port, host: "127.0.0.1", path: q(env, "transport=polling"), agent, timeout: 5000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d) => chunks.push(d));
          res.on("end", () => {
            const body = Buffer.concat(chunks).toString();
            resolve(
              res.statusCode === 200 && body.startsWith('0{"sid":')
                ? "status:200 open"
                : `status:${res.statusCode} ${body.slice(0, 40)}`,
            );
          });
          res.on("error", () => resolve("response-error"));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      req.end();
    });
    rec.note(o, o === "status:200 open");
  });
  agent.destroy();
  const r = rec.report();
  return r;
}

/** Random sids on GET, POST and WebSocket upgrades: 400 with code 1 (or a raw 400 for upgrades). */
export async function unknownSidFlood(env: AttackEnv, durationMs: number): Promise<AttackReport> {
  const rec = new Recorder("unknown-sid flood");
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  await loop(durationMs, 4, async (w) => {
    rec.attempts++;
    const sid = randomBytes(15).toString("base64url");
    if (w === 3) {
      const r = await raw(env.port, wsUpgradeRequest(q(env, `transport=websocket&sid=${sid}`)), {
        timeoutMs: 3000,
        untilComplete: hasCompleteResponse,
      });
      const o = outcomeOf(r);
      return rec.note(`upgrade ${o}`, o === "status:400");
    }
    const method = w % 2 === 0 ? "GET" : "POST";
    const o = await new Promise<string>((resolve) => {
      const req = request(
        {
          port: env.port,
          host: "127.0.0.1",
          method,
          path: q(env, `transport=polling&sid=${sid}`),
          agent,
          headers: { "Content-Type": "text/plain;charset=UTF-8" },
          timeout: 5000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d) => chunks.push(d));
          res.on("end", () => resolve(`status:${res.statusCode} ${Buffer.concat(chunks).toString()}`));
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e) => resolve(`error ${e.message}`));
      req.end(method === "POST" ? "4hello" : undefined);
    });
    rec.note(`${method} ${o.split(" ")[0]}`, o === 'status:400 {"code":1,"message":"Session ID unknown"}', o);
  });
  agent.destroy();
  return rec.report();
}

/** Two GETs (or two POSTs) at once on one session: the second is 400 and the session closes. */
export async function overlappingPolls(env: AttackEnv, durationMs: number): Promise<AttackReport> {
  const rec = new Recorder("overlapping polls");
  await loop(durationMs, 2, async (w) => {
    rec.attempts++;
    // the server's ping timer cannot start before it has the handshake request, sent after t0
    const t0 = performance.now();
    const sid = await handshake(env);
    if (!sid) return rec.note("handshake-failed", false);
    if (w === 0) {
      let firstAt = 0;
      const first = raw(
        env.port,
        httpRequest("GET", q(env, `transport=polling&sid=${sid}`), { Connection: "close" }),
        {
          timeoutMs: 5000,
          untilComplete: hasCompleteResponse,
        },
      ).then((r) => {
        firstAt = performance.now();
        return r;
      });
      await sleep(30);
      const second = await raw(
        env.port,
        httpRequest("GET", q(env, `transport=polling&sid=${sid}`), { Connection: "close" }),
        {
          timeoutMs: 5000,
          untilComplete: hasCompleteResponse,
        },
      );
      const f = await first;
      const o2 = outcomeOf(second);
      const res1 = parseResponses(f.data).responses[0];
      const body1 = res1?.body.toString() ?? "";
      const packets1 = body1.split("\x1e");
      // On a starved machine the heartbeat can answer the first poll with a ping before the second GET reaches
      // the server; the second is then an ordinary poll. Only a ping sent no earlier than pingInterval after
      // the handshake excuses it (an early ping would be a bug).
      const pingedFirst =
        res1?.status === 200 &&
        body1 === "2" &&
        firstAt - t0 >= env.pingIntervalMs - 5 &&
        o2 === "status:200";
      if (pingedFirst) return rec.note("heartbeat answered the first GET before the second arrived", true);
      rec.note(`second-GET ${o2}`, o2 === "status:400");
      // the first GET is answered with the close packet (possibly after a ping or noop)
      rec.note(
        `first-GET ${outcomeOf(f)} ${packets1.includes("1") ? "close-packet" : JSON.stringify(body1.slice(0, 20))}`,
        res1?.status === 200 && packets1.includes("1"),
      );
    } else {
      const post = (body: string | null) =>
        raw(
          env.port,
          async (s: Socket) => {
            s.write(
              httpRequest("POST", q(env, `transport=polling&sid=${sid}`), {
                "Content-Type": "text/plain;charset=UTF-8",
                "Content-Length": 6,
                Connection: "close",
              }),
            );
            if (body !== null) s.write(body);
            else {
              await sleep(800);
              s.write("4hello");
            }
          },
          { timeoutMs: 5000, untilComplete: hasCompleteResponse },
        );
      const first = post(null); // body held back: the POST is still in progress
      await sleep(150);
      const second = await post("4hello");
      const o1 = outcomeOf(await first);
      const o2 = outcomeOf(second);
      // Normally the second POST is the overlap (400). On a loaded machine the server may see the second one's
      // headers first; then the held one is the overlap. Either way exactly the overlap must be refused.
      // Both 200: the server never saw them overlap (the first's headers arrived after the second ended):
      // inconclusive, not an error.
      const noOverlap = o1 === "status:200" && o2 === "status:200";
      rec.note(
        noOverlap ? "POSTs did not overlap" : `POSTs ${o1}/${o2}`,
        noOverlap || o1 === "status:400" || o2 === "status:400",
      );
    }
  });
  return rec.report();
}

/** WebSocket upgrades with a wrong sid, a wrong transport, or twice for one session. */
export async function badUpgrades(env: AttackEnv, durationMs: number): Promise<AttackReport> {
  const rec = new Recorder("bad upgrades");
  await loop(durationMs, 2, async (w, i) => {
    rec.attempts++;
    const kind = (i * 2 + w) % 4;
    if (kind === 0) {
      // transport=polling on an upgrade request
      const r = await raw(env.port, wsUpgradeRequest(q(env, "transport=polling")), {
        timeoutMs: 3000,
        untilComplete: hasCompleteResponse,
      });
      const o = outcomeOf(r);
      return rec.note(`polling-transport-upgrade ${o}`, o === "status:400");
    }
    if (kind === 1) {
      // unknown transport
      const r = await raw(env.port, wsUpgradeRequest(q(env, "transport=flash")), {
        timeoutMs: 3000,
        untilComplete: hasCompleteResponse,
      });
      const o = outcomeOf(r);
      return rec.note(`unknown-transport-upgrade ${o}`, o === "status:400");
    }
    const sid = await handshake(env);
    if (!sid) return rec.note("handshake-failed", false);
    if (kind === 2) {
      // two concurrent upgrades of one session: the second WebSocket is closed, the first may proceed
      const [a, b] = await Promise.allSettled([
        RawWs.connect(env.port, q(env, `transport=websocket&sid=${sid}`)),
        RawWs.connect(env.port, q(env, `transport=websocket&sid=${sid}`)),
      ]);
      const socks = [a, b]
        .filter((x) => x.status === "fulfilled")
        .map((x) => (x as PromiseFulfilledResult<RawWs>).value);
      await sleep(200);
      const closedCount = socks.filter(
        (s) => s.isClosed || s.frames.some((f) => f.opcode === OP.close),
      ).length;
      rec.note(`double-upgrade opened=${socks.length} closed=${closedCount}`, closedCount >= 1);
      for (const s of socks) s.destroy();
      return;
    }
    // websocket with a polling sid but EIO=3
    const r = await raw(env.port, wsUpgradeRequest(`${env.path}/?EIO=3&transport=websocket&sid=${sid}`), {
      timeoutMs: 3000,
      untilComplete: hasCompleteResponse,
    });
    const o = outcomeOf(r);
    rec.note(`eio3-upgrade ${o}`, o === "status:400");
  });
  return rec.report();
}

/** Clients that vanish: mid-poll, mid-POST body, mid-WebSocket-frame, mid-request-line. */
export async function vanishing(env: AttackEnv, durationMs: number): Promise<AttackReport> {
  const rec = new Recorder("vanishing clients");
  await loop(durationMs, 4, async (w, i) => {
    rec.attempts++;
    const kind = (i + w) % 4;
    if (kind === 0) {
      const sid = await handshake(env);
      if (!sid) return rec.note("handshake-failed", false);
      const s = connect({ port: env.port, host: "127.0.0.1" });
      s.on("error", () => {});
      s.write(httpRequest("GET", q(env, `transport=polling&sid=${sid}`)));
      await sleep(20);
      s.resetAndDestroy();
      return rec.note("reset-during-poll", true);
    }
    if (kind === 1) {
      const sid = await handshake(env);
      if (!sid) return rec.note("handshake-failed", false);
      const s = connect({ port: env.port, host: "127.0.0.1" });
      s.on("error", () => {});
      s.write(
        httpRequest("POST", q(env, `transport=polling&sid=${sid}`), {
          "Content-Length": 1000,
          "Content-Type": "text/plain",
        }),
      );
      s.write("4hel");
      await sleep(20);
      s.destroy();
      return rec.note("gone-mid-body", true);
    }
    if (kind === 2) {
      let ws: RawWs;
      try {
        ws = await RawWs.connect(env.port, q(env, "transport=websocket"));
      } catch (e) {
        return rec.note("upgrade-failed", false, String(e));
      }
      const frame = wsFrame(OP.text, "4".repeat(5000));
      ws.send(frame.subarray(0, 1000));
      await sleep(10);
      ws.socket.resetAndDestroy();
      return rec.note("gone-mid-frame", true);
    }
    const s = connect({ port: env.port, host: "127.0.0.1" });
    s.on("error", () => {});
    s.write(`GET ${env.path}/?EIO=4&transport=pol`);
    await sleep(10);
    s.resetAndDestroy();
    rec.note("gone-mid-request-line", true);
  });
  return rec.report();
}

export const ATTACKS = {
  oversizedPost,
  oversizedFrame,
  slowlorisHeaders,
  slowlorisBody,
  handshakeFlood,
  unknownSidFlood,
  overlappingPolls,
  badUpgrades,
  vanishing,
} as const;
export type AttackName = keyof typeof ATTACKS;
