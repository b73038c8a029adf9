/**
 * python-engineio's server API on top of the engine: `connect`/`message`/`disconnect` handlers that may be
 * async (run in order per session unless `asyncHandlers`), refusal with {@link ConnectionRefusedError}, and the
 * per-session user data of `get_session`/`save_session`. The state lives here, in maps keyed by socket and
 * created only when used, so sessions of apps that never use this API carry none of it.
 */
import type { IncomingMessage } from "node:http";
import { createDebug } from "../debug.js";
import type { Socket } from "./socket.js";

const debug = createDebug("engine");

/**
 * Thrown from a `connect` handler to refuse a connection (python-engineio's `ConnectionRefusedError`).
 * The HTTP 401 body is {@link ConnectionRefusedError.body}: `{"message": message, "data": data}`.
 */
export class ConnectionRefusedError extends Error {
  /** Extra JSON-able facts for the client (`undefined`: none). */
  readonly data: unknown;
  constructor(message = "Unauthorized", data?: unknown) {
    super(message);
    this.name = "ConnectionRefusedError";
    this.data = data;
  }

  /**
   * The JSON body of the 401 answer: `{"message": …}`, plus `"data": …` when given. This project's client
   * exposes them as the error's `serverMessage` and `data`; python-engineio's client as its exception's args.
   */
  get body(): { message: string; data?: unknown } {
    return this.data === undefined ? { message: this.message } : { message: this.message, data: this.data };
  }
}

/** A python-style handler: `(sid, arg)`, maybe async. */
export type PyHandler = (...args: unknown[]) => unknown;

/** Whether `v` is a promise-like. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === "object" && typeof (v as PromiseLike<unknown>).then === "function";
}

/**
 * The 401 body for a handler's refusal: a thrown {@link ConnectionRefusedError}'s {@link ConnectionRefusedError.body};
 * for another error, `{message}`, plus its `data` field when it has one.
 */
function refusalBody(e: unknown): unknown {
  if (e instanceof ConnectionRefusedError) return e.body;
  const message = e instanceof Error && e.message ? e.message : "Unauthorized";
  const data = e !== null && typeof e === "object" ? (e as { data?: unknown }).data : undefined;
  return data === undefined ? { message } : { message, data };
}

/** Runs the python-style handlers of one server and keeps the per-session state they need. */
export class PythonHandlers {
  /** Handlers still running or queued, per session (only while a session has async work pending). */
  private readonly queues = new Map<Socket, (() => unknown)[]>();
  /** User session objects (`get_session`), per session. */
  private readonly sessions = new WeakMap<Socket, Record<string, unknown>>();

  /**
   * @param thisArg - what handlers see as `this` (the server)
   * @param sequential - run a session's handlers one after another (python-engineio's default), or all at once
   */
  constructor(
    private readonly thisArg: unknown,
    private readonly sequential: boolean,
  ) {}

  /** Runs `connect` handlers in order; resolves with the 401 body when one refuses, else `null`. */
  async connect(handlers: readonly PyHandler[], sid: string, req: IncomingMessage): Promise<unknown | null> {
    for (const handler of handlers) {
      try {
        let r = handler.call(this.thisArg, sid, req);
        if (isThenable(r)) r = await r;
        if (r === false) return { message: "Unauthorized" };
      } catch (e) {
        return refusalBody(e);
      }
    }
    return null;
  }

  /** Calls `message`/`disconnect` handlers, catching errors of async ones; sequential per socket by default. */
  dispatch(handlers: readonly PyHandler[], socket: Socket, arg: unknown): void {
    const run = (): unknown => {
      let pending: Promise<unknown>[] | null = null;
      for (const h of handlers) {
        try {
          const r = h.call(this.thisArg, socket.id, arg);
          if (isThenable(r)) {
            if (pending === null) pending = [];
            pending.push(Promise.resolve(r).catch(onHandlerError));
          }
        } catch (e) {
          onHandlerError(e);
        }
      }
      return pending === null ? undefined : Promise.all(pending);
    };
    if (!this.sequential) {
      run();
      return;
    }
    const queued = this.queues.get(socket);
    if (queued !== undefined) {
      queued.push(run);
      return;
    }
    const r = run();
    if (r === undefined) return;
    const q: (() => unknown)[] = [];
    this.queues.set(socket, q);
    const drain = (): void => {
      while (q.length > 0) {
        const next = q.shift()!();
        if (next !== undefined) {
          (next as Promise<unknown>).then(drain);
          return;
        }
      }
      this.queues.delete(socket);
    };
    (r as Promise<unknown>).then(drain);
  }

  /** The user session of `socket`, created empty on first use. */
  session(socket: Socket): Record<string, unknown> {
    let s = this.sessions.get(socket);
    if (s === undefined) {
      s = {};
      this.sessions.set(socket, s);
    }
    return s;
  }

  /** Replaces the user session of `socket`. */
  saveSession(socket: Socket, session: Record<string, unknown>): void {
    this.sessions.set(socket, session);
  }
}

function onHandlerError(e: unknown): void {
  debug("handler error: %O", e);
}
