/**
 * Express-style middlewares (`(req, res, next)`), applied in order to handshakes and upgrades.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Middleware } from "./options.js";

/**
 * Runs `middlewares` in order; calls `done()` after the last, or `done(err)` at the first failure (an error passed
 * to `next`, a throw, or a rejected promise). `next` called twice is ignored.
 */
export function runMiddlewares(
  middlewares: readonly Middleware[],
  req: IncomingMessage,
  res: ServerResponse,
  done: (err?: unknown) => void,
): void {
  let i = 0;
  const step = (): void => {
    if (i === middlewares.length) {
      done();
      return;
    }
    const mw = middlewares[i++]!;
    let settled = false;
    const next = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (err) done(err);
      else step();
    };
    try {
      const r = mw(req, res, next);
      if (r && typeof (r as Promise<void>).then === "function")
        (r as Promise<void>).then(undefined, (e) => next(e ?? new Error("middleware rejected")));
    } catch (e) {
      next(e ?? new Error("middleware threw"));
    }
  };
  step();
}
