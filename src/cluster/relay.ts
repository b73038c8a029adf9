/**
 * The primary's relay for one client TCP connection: it reads the first request's head, and normally hands the
 * connection to its worker right there ({@link RelayContext.handOver}). When it relays instead, each request is
 * routed on its own (by the sid in its request line), so HTTP keep-alive never carries a request of one
 * session to the worker of another
 * (socket.io-sticky#8); but instead of parsing a message into objects and writing a new one (an HTTP server
 * plus an HTTP client per request), the relay finds where each request and response ends
 * ({@link parseHead}, {@link BodyCounter}) and copies the bytes. One request is in flight per connection: the
 * next head is read once the response before it has ended, so responses stay in order. An upgrade answered
 * 101 turns the connection into a tunnel.
 */
import { connect, type Socket } from "node:net";
import { createDebug } from "../debug.js";
import { BodyCounter, type Head, parseHead, responseBodyLength } from "./framing.js";
import { sidOf } from "./routing.js";

const debug = createDebug("engine:cluster");

/** A worker the relay can send to. */
export interface RelayTarget {
  port: number;
  nodeId: string;
}

/** What the relay asks of the primary. */
export interface RelayContext<T extends RelayTarget> {
  /** The owner of `sid`, a balanced pick without one, `undefined` when no worker is ready. */
  pick(sid: string | undefined): T | undefined;
  /** Called for a request without a sid sent to `target` (least-connections counts it). */
  onHandshake(target: T): void;
  /**
   * Offered the connection at its first request (`first`) and at a WebSocket upgrade with nothing in flight:
   * hands it over to `target`'s process with the bytes read so far and returns true, or returns false to keep
   * relaying (declined, or it cannot: the IPC channel is gone).
   */
  handOver?(target: T, socket: Socket, bytes: Buffer, head: Head, first: boolean): boolean;
}

/** Most client bytes held while a response is awaited (a pipelining client is paused beyond it). */
const HELD_MAX = 64 * 1024;

function errorResponse(
  status: number,
  reason: string,
  code: number,
  message: string,
  close: boolean,
): string {
  const body = JSON.stringify({ code, message });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${close ? "Connection: close\r\n" : ""}\r\n${body}`;
}

/** Relays every request on `client` to its worker until either side closes. */
export function relay<T extends RelayTarget>(client: Socket, ctx: RelayContext<T>): void {
  // Built at the first relayed request: a connection handed over at its first request never needs it, and
  // remoteAddress costs a getpeername() call (the primary's cost is per connection there).
  let xff: Buffer | null = null;
  /** Kept-alive upstream connections of this client connection, by worker port. */
  const upstreams = new Map<number, Socket>();
  let held: Buffer = Buffer.alloc(0);
  let current: Socket | null = null;
  let reqBody: BodyCounter | null = null;
  // the response being awaited: its request's method, its head bytes so far, then its body
  let awaiting: {
    method: string;
    head: Buffer;
    body: BodyCounter | null;
    close: boolean;
    upgrade: boolean;
  } | null = null;
  let tunnel = false;
  let closed = false;
  // a request of this connection has been relayed (so the next one is not its first)
  let relayed = false;
  // the response in flight runs to the end of its connection (no length, not chunked)
  let responseRunsToEnd = false;
  // the upstream's send buffer is full: the client stays paused until it drains
  let blocked = false;

  const destroyAll = (): void => {
    if (closed) return;
    closed = true;
    client.destroy();
    for (const u of upstreams.values()) u.destroy();
    upstreams.clear();
  };

  const fail = (status: number, reason: string, code: number, message: string): void => {
    client.end(errorResponse(status, reason, code, message, true));
    closed = true;
    for (const u of upstreams.values()) u.destroy();
  };

  const upstreamFor = (target: T): Socket => {
    const up = upstreams.get(target.port);
    if (up !== undefined && !up.destroyed) return up;
    const u = connect(target.port, "127.0.0.1");
    u.setNoDelay(true);
    upstreams.set(target.port, u);
    u.on("data", (chunk: Buffer) => onUpstreamData(u, chunk));
    u.on("drain", () => {
      blocked = false;
      client.resume();
    });
    const gone = (err?: Error): void => {
      if (upstreams.get(target.port) === u) upstreams.delete(target.port);
      if (err) debug("upstream %s error: %s", target.nodeId, err.message);
      if (u !== current) return;
      if (tunnel) {
        destroyAll();
        return;
      }
      if (awaiting === null) {
        current = null;
        return;
      }
      if (awaiting.head.length === 0 && awaiting.body === null) {
        // nothing of the response sent yet: the client can be told
        current = null;
        fail(503, "Service Unavailable", 503, "No worker available");
        return;
      }
      // a body running to the connection's end ends here; any other cut is a broken response
      if (awaiting.body !== null && responseRunsToEnd) {
        client.end();
        closed = true;
        for (const other of upstreams.values()) other.destroy();
        return;
      }
      destroyAll();
    };
    u.on("error", gone);
    u.on("close", () => gone());
    return u;
  };

  const onUpstreamData = (u: Socket, chunk: Buffer): void => {
    if (u !== current || awaiting === null) {
      // bytes from a worker with no request in flight on it: it is out of step, drop it
      u.destroy();
      return;
    }
    if (!client.write(chunk)) u.pause();
    if (tunnel) return;
    let off = 0;
    while (off < chunk.length && awaiting !== null) {
      if (awaiting.body === null) {
        const buf = awaiting.head.length
          ? Buffer.concat([awaiting.head, chunk.subarray(off)])
          : chunk.subarray(off);
        const head = parseHead(buf, false);
        if (head === undefined) {
          awaiting.head = Buffer.from(buf);
          return;
        }
        if (head === null) {
          destroyAll();
          return;
        }
        off += head.length - awaiting.head.length;
        awaiting.head = Buffer.alloc(0);
        if (head.status === 101 && awaiting.upgrade) {
          tunnel = true;
          // the client's bytes after its upgrade request belong to the tunnel now
          if (held.length) u.write(held);
          held = Buffer.alloc(0);
          return;
        }
        if (head.status < 200) continue; // an interim response (100 Continue): the final one follows
        const len = responseBodyLength(awaiting.method, head);
        responseRunsToEnd = len === -2;
        awaiting.close ||= head.close || len === -2;
        awaiting.body = new BodyCounter(len);
      }
      off += awaiting.body.take(chunk, off);
      if (awaiting.body.invalid) {
        destroyAll();
        return;
      }
      if (awaiting.body.done) {
        const close = awaiting.close;
        awaiting = null;
        if (close) {
          client.end();
          closed = true;
          return;
        }
        next();
      }
    }
  };

  /** Sends as much of the request body as `held` has. */
  const sendBody = (): void => {
    if (reqBody === null || current === null) return;
    const n = reqBody.take(held, 0);
    if (reqBody.invalid) {
      destroyAll();
      return;
    }
    if (n > 0) {
      if (!current.write(held.subarray(0, n))) {
        blocked = true;
        client.pause();
      }
      held = held.subarray(n);
    }
    if (reqBody.done) reqBody = null;
  };

  /** Routes the next request in `held` once the previous exchange has ended. */
  const next = (): void => {
    while (!closed && !tunnel && awaiting === null && reqBody === null && held.length > 0) {
      const head: Head | null | undefined = parseHead(held, true);
      if (head === undefined) break;
      if (head === null) {
        fail(400, "Bad Request", 3, "Bad request");
        return;
      }
      const sid = sidOf(head.target);
      const target = ctx.pick(sid);
      if (target === undefined) {
        // the request (and its body) is answered here; skip its bytes
        const body = new BodyCounter(head.chunked ? -1 : Math.max(0, head.contentLength));
        const rest = held.subarray(head.length);
        const n = body.take(rest, 0);
        if (!body.done) {
          fail(503, "Service Unavailable", 503, "No worker available");
          return;
        }
        held = rest.subarray(n);
        client.write(errorResponse(503, "Service Unavailable", 503, "No worker available", false));
        continue;
      }
      if (sid === undefined) ctx.onHandshake(target);
      // The first request, or a WebSocket upgrade with nothing in flight: the worker can own the connection from
      // here and the primary leaves the data path (its cost is then per connection, not per request).
      const first = !relayed;
      if ((first || head.upgrade) && ctx.handOver !== undefined && awaiting === null && reqBody === null) {
        client.removeAllListeners("data");
        client.pause();
        // pause() only stops emitting: libuv would go on reading the fd until the handle is closed after the
        // IPC send, and a next request the client sends meanwhile (the worker may answer the first one before
        // that) would be read here and lost. Stop reading at the handle itself.
        // (`reading = false` as net.Socket's own readStop does: when declined, resume() starts reading again.)
        const h = (client as unknown as { _handle?: { readStop?: () => number; reading?: boolean } })._handle;
        if (h?.readStop !== undefined) {
          h.readStop();
          h.reading = false;
        }
        if (ctx.handOver(target, client, held, head, first)) {
          closed = true;
          for (const u of upstreams.values()) u.destroy();
          upstreams.clear();
          return;
        }
        client.on("data", onClientData);
      }
      const up = upstreamFor(target);
      current = up;
      if (!relayed) {
        // deferred from the connection's start for the same reason as xff (a setsockopt call)
        client.setNoDelay(true);
        xff = Buffer.from(`X-Forwarded-For: ${client.remoteAddress ?? ""}\r\n`, "latin1");
      }
      relayed = true;
      const end = head.length - 2;
      if (!up.write(Buffer.concat([held.subarray(0, end), xff!, held.subarray(end, head.length)])))
        blocked = true;
      held = held.subarray(head.length);
      awaiting = {
        method: head.method,
        head: Buffer.alloc(0),
        body: null,
        close: head.close,
        upgrade: head.upgrade,
      };
      if (head.upgrade) return; // what follows an upgrade request waits for the 101 (then it is tunnel bytes)
      reqBody = new BodyCounter(head.chunked ? -1 : Math.max(0, head.contentLength));
      if (reqBody.done) reqBody = null;
      else sendBody();
    }
    if (blocked || (held.length > HELD_MAX && (awaiting !== null || reqBody !== null))) client.pause();
    else client.resume();
  };

  // an idle kept-alive connection is closed after 65 s (as the HTTP server did); a waiting poll is not idle
  client.setTimeout(65_000, () => {
    if (awaiting === null && reqBody === null && !tunnel) destroyAll();
  });
  const onClientData = (chunk: Buffer): void => {
    if (tunnel) {
      if (current && !current.write(chunk)) {
        blocked = true;
        client.pause();
      }
      return;
    }
    held = held.length ? Buffer.concat([held, chunk]) : chunk;
    if (reqBody !== null) sendBody();
    next();
  };
  client.on("data", onClientData);
  client.on("drain", () => {
    for (const u of upstreams.values()) u.resume();
  });
  client.on("error", () => destroyAll());
  // a client that goes away (a pending poll it gave up on) takes its upstream connections with it
  client.on("close", () => destroyAll());
  client.on("end", () => {
    if (tunnel || awaiting === null) destroyAll();
  });
}
