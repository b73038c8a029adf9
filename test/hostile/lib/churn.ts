/**
 * Connection churn: connect, exchange, disconnect, over and over, with mixed transports and every close path
 * (client close, server close, ping timeout, transport error, abrupt reset). Afterwards the server must hold no
 * session, timer, socket or listener more than before, and its heap must not have grown.
 */

import { Agent, request } from "node:http";
import { WebSocket } from "ws";
import { type EitherClient, type EitherClientOptions, eitherClient } from "../../client-helpers.js";
import { type ChildHandle, startChild } from "./child.js";

export interface ChurnResult {
  cycles: number;
  perKind: Record<string, number>;
  failures: string[];
  clientsAfter: number;
  resourcesBefore: string[];
  resourcesAfter: string[];
  listenersBefore: unknown;
  listenersAfter: unknown;
  heapBefore: number;
  heapAfter: number;
  closes: Record<string, number>;
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Kind =
  | "ws-client-close"
  | "ws-server-close"
  | "ws-transport-error"
  | "ws-reset"
  | "ws-ping-timeout"
  | "polling-client-close"
  | "polling-server-close"
  | "polling-ping-timeout"
  | "eio-client-upgrade-close"
  | "ours-client-polling-close"
  | "ours-client-ws-server-close";

const KINDS: Kind[] = [
  "ws-client-close",
  "ws-server-close",
  "ws-transport-error",
  "ws-reset",
  "ws-ping-timeout",
  "polling-client-close",
  "polling-server-close",
  "polling-ping-timeout",
  "eio-client-upgrade-close",
  "ours-client-polling-close",
  "ours-client-ws-server-close",
];

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: timed out`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** A raw WebSocket session: open, echo one message, then end it the given way. */
async function rawWs(port: number, how: "client" | "server" | "error" | "reset" | "silent"): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`);
  await new Promise<void>((resolve, reject) => {
    let stage = 0;
    ws.on("message", (d) => {
      const t = String(d);
      if (stage === 0 && t[0] === "0") {
        stage = 1;
        ws.send("4ping-pong");
      } else if (stage === 1 && t === "4ping-pong") {
        stage = 2;
        if (how === "client")
          ws.send("1"); // close packet: we close the session over WebSocket
        else if (how === "server") ws.send("4!close");
        else if (how === "error")
          ws.send("2"); // a client ping in v4: transport error
        else if (how === "reset") {
          ws.terminate();
          resolve();
        } else resolve(); // silent: never answers pings; the server times it out
      } else if (t === "2" && how !== "silent") ws.send("3");
    });
    ws.on("close", () => resolve());
    ws.on("error", (e) => (how === "reset" ? resolve() : reject(e)));
  });
  if (how === "silent") {
    await new Promise<void>((resolve) => ws.on("close", () => resolve()));
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function http(port: number, method: string, query: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        port,
        host: "127.0.0.1",
        method,
        agent,
        path: `/engine.io/?EIO=4&transport=polling${query}`,
        headers: body ? { "Content-Type": "text/plain;charset=UTF-8" } : undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => resolve(Buffer.concat(chunks).toString()));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** GETs until a payload contains `want` (answering pings on the way); false if the session is gone. */
async function pollFor(port: number, sid: string, want: (packets: string[]) => boolean): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    const body = await http(port, "GET", `&sid=${sid}`);
    if (body.includes("Session ID unknown")) return false;
    const packets = body.split("\x1e");
    if (want(packets)) return true;
    if (packets.includes("2")) await http(port, "POST", `&sid=${sid}`, "3");
  }
  throw new Error("expected packet never came");
}

/** A raw polling session: handshake, POST a message, GET its echo, then end it the given way. */
async function rawPolling(port: number, how: "client" | "server" | "silent"): Promise<void> {
  const open = await http(port, "GET", "");
  const sid = /"sid":"([^"]+)"/.exec(open)?.[1];
  if (!sid) throw new Error(`no handshake: ${open}`);
  await http(port, "POST", `&sid=${sid}`, "4hello");
  if (!(await pollFor(port, sid, (p) => p.includes("4hello"))))
    throw new Error("session gone before its echo");
  if (how === "client") await http(port, "POST", `&sid=${sid}`, "1");
  else if (how === "server") {
    await http(port, "POST", `&sid=${sid}`, "4!close");
    // the close packet comes on the next poll (possibly after a ping); a gone session also counts as closed
    await pollFor(port, sid, (p) => p.includes("1"));
  }
  // silent: just go away; the server times the session out
}

type Client = EitherClient;

/** A real client (engine.io-client or ours): open, echo, then close from the client or ask the server to. */
async function realClient(
  port: number,
  which: "eio" | "ours",
  transports: EitherClientOptions["transports"],
  serverClose: boolean,
): Promise<void> {
  const url = `http://127.0.0.1:${port}`;
  const s: Client = eitherClient(which, url, { transports, upgrade: transports.length > 1 });
  try {
    await new Promise<void>((resolve, reject) => {
      s.on("open", () => s.send("hi"));
      s.on("message", (d: unknown) => {
        if (d !== "hi") return;
        if (serverClose) s.send("!close");
        else {
          s.close();
          resolve();
        }
      });
      s.on("close", () => resolve());
      s.on("error", (e: unknown) => reject(e));
    });
  } finally {
    s.close();
  }
}

function runKind(port: number, kind: Kind): Promise<void> {
  switch (kind) {
    case "ws-client-close":
      return rawWs(port, "client");
    case "ws-server-close":
      return rawWs(port, "server");
    case "ws-transport-error":
      return rawWs(port, "error");
    case "ws-reset":
      return rawWs(port, "reset");
    case "ws-ping-timeout":
      return rawWs(port, "silent");
    case "polling-client-close":
      return rawPolling(port, "client");
    case "polling-server-close":
      return rawPolling(port, "server");
    case "polling-ping-timeout":
      return rawPolling(port, "silent");
    case "eio-client-upgrade-close":
      return realClient(port, "eio", ["polling", "websocket"], false);
    case "ours-client-polling-close":
      return realClient(port, "ours", ["polling"], false);
    case "ours-client-ws-server-close":
      return realClient(port, "ours", ["websocket"], true);
  }
}

async function cycles(
  port: number,
  n: number,
  concurrency: number,
  perKind: Record<string, number>,
  failures: string[],
): Promise<void> {
  let next = 0;
  const timeouts: Promise<void>[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const kind = KINDS[i % KINDS.length]!;
        perKind[kind] = (perKind[kind] ?? 0) + 1;
        const p = withTimeout(runKind(port, kind), 15_000, kind).catch((e) => {
          if (failures.length < 20) failures.push(`${kind} #${i}: ${String((e as Error)?.message ?? e)}`);
        });
        // sessions left to time out do not hold a worker
        if (kind.endsWith("ping-timeout")) timeouts.push(p);
        else await p;
      }
    }),
  );
  await Promise.all(timeouts);
}

export async function runChurn(opts: {
  /** Write heap snapshots before and after (file name prefix), for leak hunting. */
  snapshots?: string;
  cycles: number;
  concurrency?: number;
  pingInterval?: number;
  pingTimeout?: number;
}): Promise<ChurnResult> {
  const t0 = Date.now();
  let server: ChildHandle | undefined;
  try {
    server = await startChild("server-child.ts", {
      impl: "ours",
      // pingTimeout leaves room for a starved client on a loaded machine; silent sessions still expire in 3.5 s
      options: { pingInterval: opts.pingInterval ?? 1000, pingTimeout: opts.pingTimeout ?? 2500 },
      http: { keepAliveTimeout: 500 },
    });
    const port = server.port;
    const perKind: Record<string, number> = {};
    const failures: string[] = [];
    const srv = server;
    const idle = async () => {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if ((await srv.rpc<{ clientsCount: number }>("stats")).clientsCount === 0) break;
        await sleep(100);
      }
      await sleep(800); // keep-alive connections time out (keepAliveTimeout 500 ms)
    };
    const resourcesBefore = (await server.rpc<{ resources: string[] }>("stats")).resources.slice().sort();
    // warm-up: every kind a few times, so lazily created things (ws server, zlib, code) exist before measuring
    await cycles(port, KINDS.length * 10, 8, {}, failures);
    await idle();
    const listenersBefore = await server.rpc("listeners");
    const heapBefore = (await server.rpc<NodeJS.MemoryUsage>("mem")).heapUsed;
    if (opts.snapshots) await server.rpc("snapshot", { file: `${opts.snapshots}-before.heapsnapshot` });
    await cycles(port, opts.cycles, opts.concurrency ?? 32, perKind, failures);
    await idle();
    const stats = await server.rpc<{
      clientsCount: number;
      resources: string[];
      closes: Record<string, number>;
    }>("stats");
    const heapAfter = (await server.rpc<NodeJS.MemoryUsage>("mem")).heapUsed;
    if (opts.snapshots) await server.rpc("snapshot", { file: `${opts.snapshots}-after.heapsnapshot` });
    return {
      cycles: opts.cycles,
      perKind,
      failures,
      clientsAfter: stats.clientsCount,
      resourcesBefore,
      resourcesAfter: stats.resources.slice().sort(),
      listenersBefore,
      listenersAfter: await server.rpc("listeners"),
      heapBefore,
      heapAfter,
      closes: stats.closes,
      elapsedMs: Date.now() - t0,
    };
  } finally {
    agent.destroy();
    await server?.stop();
  }
}
