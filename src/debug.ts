/**
 * `debug` loggers (namespaces `engine`, `engine:socket`, … as engine.io's), with the `debug` package loaded only
 * when the `DEBUG` environment variable is set: it pulls in `node:tty` and its stream setup, about 9 MB of RSS and
 * 0.7 MB of heap on Bun (6 MB and 0.5 MB on Node) in every process that never logs. With `DEBUG` unset when this
 * package is imported, every logger is a no-op (so `debug.enable()` called later does not reach them: set `DEBUG`
 * before the import). In browsers (no `process`) loggers are no-ops too, as in engine.io-client's own bundles.
 * @packageDocumentation
 */
import { envVar } from "./env.js";
import { packageRequire } from "./module-dir.js";

/** A logger: `debug("format %s", arg)`. */
export type Log = (formatter: unknown, ...args: unknown[]) => void;

const noop: Log = () => {};

type DebugFactory = (namespace: string) => Log;
let factory: DebugFactory | null | undefined;

function load(): DebugFactory | null {
  if ((envVar("DEBUG") ?? "") === "") return null;
  try {
    const m = packageRequire()?.("debug") as DebugFactory | { default: DebugFactory } | undefined;
    if (m === undefined) return null;
    return typeof m === "function" ? m : m.default;
  } catch {
    return null;
  }
}

/** A logger for `namespace` (a no-op unless `DEBUG` was set when the first logger was created). */
export function createDebug(namespace: string): Log {
  if (factory === undefined) factory = load();
  return factory === null ? noop : factory(namespace);
}
