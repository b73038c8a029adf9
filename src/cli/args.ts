/**
 * Argument parsing shared by the subcommands: one table of options per command gives both `parseArgs`'s
 * configuration and the `--help` text (so help lists every option with its default), and every argument error
 * has one wording, whoever finds it (Node's parser, a range check, an environment variable):
 *
 * ```
 * engineio-wasm serve: --port must be an integer from 0 to 65535 (got "70000")
 * Run "engineio-wasm serve --help" for the options.
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** Exit codes of the command line (documented in `--help` and the README). */
export const EXIT = Object.freeze({
  /** Success: the command finished, `--help`/`--version`, or a server stopped gracefully by a signal. */
  OK: 0,
  /** The command failed while running (e.g. the port is in use: `EADDRINUSE`). */
  FAILURE: 1,
  /** Bad usage: unknown command or option, a bad value, a missing value. Nothing was started. */
  USAGE: 2,
} as const);

/** The exit codes as `--help` prints them. */
export const EXIT_CODES_TEXT = `
Exit codes:
  ${EXIT.OK}  success (also --help, --version, and a server stopped by SIGINT/SIGTERM)
  ${EXIT.FAILURE}  the command failed while running (e.g. the port is in use)
  ${EXIT.USAGE}  bad usage: unknown command or option, or a bad value; nothing was started
`;

/** An argument error: printed as `engineio-wasm <command>: <message>` and exits {@link EXIT.USAGE}. */
export class UsageError extends Error {
  /** Always `EIO_ERR_INVALID_ARG`. */
  readonly code = "EIO_ERR_INVALID_ARG";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One option of a command: its flag, value name, one-line description and default (as shown in help). */
export interface OptionSpec {
  /** Long name, without `--`. */
  name: string;
  /** One-letter alias, without `-`. */
  short?: string;
  /** Value placeholder (`<n>`); absent for a boolean flag. */
  value?: string;
  /** What it does, one line. */
  description: string;
  /** The default, as shown in help (`undefined`: none). */
  default?: string;
}

/** Options every command has. */
export const HELP_OPTION: OptionSpec = { name: "help", short: "h", description: "show this text and exit" };

/** Builds a command's `--help` text from its option table. */
export function usageText(command: string, summary: string, options: readonly OptionSpec[]): string {
  const rows = options.map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` ${o.value}` : ""}`;
    const def = o.default === undefined ? "" : ` (default: ${o.default})`;
    return `  ${flag.padEnd(34)} ${o.description}${def}`;
  });
  return `Usage: engineio-wasm ${command} [options]\n\n  ${summary}\n\nOptions:\n${rows.join("\n")}\n`;
}

/** Parses `argv` against `options`, turning Node's parser errors into {@link UsageError}s in our wording. */
export function parseOptions(
  argv: readonly string[],
  options: readonly OptionSpec[],
): Record<string, string | boolean | undefined> {
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const o of options) {
    config[o.name] = o.short
      ? { type: o.value ? "string" : "boolean", short: o.short }
      : { type: o.value ? "string" : "boolean" };
  }
  try {
    return parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(parserMessage(e as Error & { code?: string }, argv));
  }
}

/** Our wording for Node's `parseArgs` errors (which name internals such as "positional argument"). */
function parserMessage(err: Error & { code?: string }, argv: readonly string[]): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted ?? ""}`.trim();
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = /--[\w-]+/.exec(err.message)?.[0] ?? "an option";
      return /argument missing/.test(err.message) ? `${name} needs a value` : `${name} takes no value`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${quoted ?? argv.find((a) => !a.startsWith("-")) ?? ""}"`;
    default:
      return err.message;
  }
}

/**
 * An integer argument from `min` to `max`. `source` names where it came from (`--port`, `$PORT`), so the
 * message says which to fix.
 */
export function integerArg(
  raw: string | undefined,
  fallback: number,
  source: string,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${source} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return n;
}

/** A TCP port from `--port`, else `$PORT`, else `fallback`. */
export function portArg(flag: string | undefined, fallback: number): number {
  if (flag !== undefined) return integerArg(flag, fallback, "--port", 0, 65535);
  const env = process.env.PORT;
  return integerArg(env === "" ? undefined : env, fallback, "$PORT", 0, 65535);
}

/** The nearest directory at or above `from` whose package.json names this package. */
export function findPackageRoot(from: string): string | undefined {
  let dir = from;
  for (let i = 0; i < 12; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "engineio-wasm") return dir;
      } catch {
        // not JSON: keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/** This package's version, read from its package.json (src/cli/ and dist/esm/cli/ both find it). */
export function packageVersion(): string {
  const root = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  if (root === undefined) return "unknown";
  return (
    (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string }).version ??
    "unknown"
  );
}
