/**
 * A small typed event emitter that runs in Node and in browsers (Node's `events` is not browser-safe).
 * Semantics follow `@socket.io/component-emitter`: an `error` event without listeners is dropped, not thrown,
 * so an unobserved transport fault never becomes an uncaught exception.
 */

/** Map of event name → listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/** A listener for the arguments `A`. */
export type Listener<A extends unknown[]> = (...args: A) => void;

interface Entry {
  fn: (...args: never[]) => void;
  once: boolean;
}

/** Typed event emitter used by the client socket, its transports and the python-style clients. */
export class Emitter<E extends EventMap> {
  #listeners = new Map<keyof E, Entry[]>();

  /** Adds `fn` for `event`. */
  on<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    return this.#add(event, fn, false);
  }

  /** Adds `fn` for the next `event` only. */
  once<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    return this.#add(event, fn, true);
  }

  /** Removes `fn` (or every listener of `event` when `fn` is omitted). */
  off<K extends keyof E>(event: K, fn?: Listener<E[K]>): this {
    if (fn === undefined) {
      this.#listeners.delete(event);
      return this;
    }
    const list = this.#listeners.get(event);
    if (!list) return this;
    const i = list.findIndex((e) => e.fn === (fn as unknown));
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  /** Alias of {@link Emitter.off}, for Node-style callers. */
  removeListener<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    return this.off(event, fn);
  }

  /** Removes every listener, or every listener of `event`. */
  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  /** Number of listeners registered for `event`. */
  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** True when `event` has at least one listener. */
  hasListeners(event: keyof E): boolean {
    return this.listenerCount(event) > 0;
  }

  /**
   * Calls the listeners of `event` in registration order; returns whether there were any. A listener that
   * throws does not stop the others, nor the state machine that emitted: its exception is rethrown on a
   * microtask, where it surfaces as an uncaught exception (Node) or a page error (browsers), as usual.
   */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const entry of list.slice()) {
      const fn = entry.fn as unknown as Listener<E[K]>;
      if (entry.once) this.off(event, fn);
      try {
        fn(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    return true;
  }

  #add<K extends keyof E>(event: K, fn: Listener<E[K]>, once: boolean): this {
    let list = this.#listeners.get(event);
    if (!list) {
      list = [];
      this.#listeners.set(event, list);
    }
    list.push({ fn: fn as unknown as Entry["fn"], once });
    return this;
  }
}
