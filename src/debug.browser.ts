/**
 * The browser build of {@link createDebug} (picked through the package's `browser` field): the `debug` package's
 * own browser build, which reads `localStorage.debug`, as engine.io-client uses it.
 * @packageDocumentation
 */
import debug from "debug";

/** A logger: `debug("format %s", arg)`. */
export type Log = (formatter: unknown, ...args: unknown[]) => void;

/** A logger for `namespace`. */
export const createDebug: (namespace: string) => Log = debug;
