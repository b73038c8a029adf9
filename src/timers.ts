/**
 * Timers that never keep the process alive on their own, on every runtime: Node, Bun and Deno 2 (2.9.6 here)
 * return a `Timeout` object with `unref()`; Deno 1 returned a number, which `Deno.unrefTimer` takes; browsers
 * return numbers and have nothing to keep alive.
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
