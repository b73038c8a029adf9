/**
 * Reading the engine's environment switches (`EIO_CODEC`, `EIO_WS`, `DEBUG`, …) on every runtime: browsers have
 * no `process`, and Deno without `--allow-env` throws on any read — there a switch is simply unset.
 * @packageDocumentation
 */

/** The environment variable `name`, or `undefined` where it is unset or cannot be read. */
export function envVar(name: string): string | undefined {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  } catch {
    return undefined;
  }
}
