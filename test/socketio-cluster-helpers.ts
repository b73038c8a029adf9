// socket.io processes on this engine behind a Redis adapter (test/fixtures/socketio-redis-node.ts) and
// socket.io-client sockets that record what they receive, for the Redis and fault tests.
import { fileURLToPath } from "node:url";
import { type Socket as IoSocket, io, type ManagerOptions, type SocketOptions } from "socket.io-client";
import { type Child, seen, start } from "./cluster-helpers.js";

const NODE = fileURLToPath(new URL("./fixtures/socketio-redis-node.ts", import.meta.url));

/** One socket.io node process. */
export interface IoNode {
  id: string;
  port: number;
  child: Child;
}

/** Starts socket.io nodes `ids` on the Redis adapter `kind` (in parallel), resolved once each listens. */
export async function startIoNodes(
  ids: string[],
  kind: "redis" | "sharded" | "streams",
  redisUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<IoNode[]> {
  const children = ids.map((id) =>
    start(process.execPath, ["--import", "tsx", NODE, id, kind, redisUrl], env),
  );
  return Promise.all(
    children.map(async (child, i) => ({
      id: ids[i]!,
      port: Number((await seen(child, /^READY (\d+)/, 30_000))[1]),
      child,
    })),
  );
}

/** A socket.io-client socket and every `b` (broadcast) and `r` (room) event it got, in order. */
export interface Recorded {
  socket: IoSocket;
  b: unknown[];
  r: unknown[];
}

/** Connects a recording socket.io client (resolves on `connect`, rejects on `connect_error` or after 10 s). */
export function ioConnect(
  url: string,
  opts: Partial<ManagerOptions & SocketOptions> = {},
): Promise<Recorded> {
  const socket = io(url, { reconnection: false, ...opts });
  const rec: Recorded = { socket, b: [], r: [] };
  socket.on("b", (m: unknown) => rec.b.push(m));
  socket.on("r", (m: unknown) => rec.r.push(m));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      socket.close();
      reject(new Error(`no connect to ${url}`));
    }, 10_000);
    socket.once("connect", () => {
      clearTimeout(t);
      resolve(rec);
    });
    if (!opts.reconnection)
      socket.once("connect_error", (e) => {
        clearTimeout(t);
        socket.close();
        reject(e);
      });
  });
}

/** Polls `pred` every 10 ms until it holds (bounded by `ms`; the error names `what`). */
export async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
