/**
 * Timers that never keep the process alive on their own, on every runtime: Node and Bun return an object with
 * `unref()`, Deno returns a number that `Deno.unrefTimer` takes, browsers have neither (nothing to keep alive).
 * @packageDocumentation
 */

type TimerHandle = ReturnType<typeof setTimeout> | number;

const unrefDeno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno?.unrefTimer;

/** Unrefs `timer` where the runtime can (see the module's comment) and returns it. */
export function unrefTimer<T extends TimerHandle>(timer: T): T {
  if (typeof timer === "number") unrefDeno?.(timer);
  else (timer as { unref?: () => void }).unref?.();
  return timer;
}
