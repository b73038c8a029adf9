/**
 * The EventEmitter of the Fetch adapters (request, response, upgrade, WebSocket): Node's `EventEmitter` API and
 * semantics (`newListener`/`removeListener` events, `once` wrappers seen through `listeners()`, an unhandled
 * `error` thrown) on one lazily made object of listeners, plus a hook telling the subclass when a listener is
 * added.
 *
 * Why not `node:events`: four of these objects are made per session on Bun and Deno, most of them never get a
 * listener, and with the caches cold (a server at a few hundred handshakes a second) constructing a Node
 * `EventEmitter` subclass cost ~3 µs on Bun against ~1 µs for a plain object — the same few µs again for every
 * request of the session (the handshake GET with cold caches: 37.9 → 35.1 µs, four alternating runs).
 */

/** A listener as `node:events` takes it. */
// biome-ignore lint/suspicious/noExplicitAny: the listener signature of node:events
export type Listener = (...args: any[]) => void;
type OnceWrapper = Listener & { listener: Listener };
type Slot = Listener | Listener[];

function unwrap(fn: Listener): Listener {
  return (fn as Partial<OnceWrapper>).listener ?? fn;
}

/** An `EventEmitter` look-alike whose state is made on the first listener. */
export class LiteEmitter {
  private _ev: Record<string | symbol, Slot> | null = null;
  private _max = 10;

  /** Called with the event name before a listener for it is added (by any of the adding methods). */
  protected listening(_event: string | symbol): void {}

  private add(event: string | symbol, fn: Listener, prepend: boolean): this {
    if (typeof fn !== "function") {
      throw new TypeError(`The "listener" argument must be of type function. Received type ${typeof fn}`);
    }
    this.listening(event);
    let ev = this._ev;
    if (ev === null) ev = this._ev = Object.create(null) as Record<string | symbol, Slot>;
    else if (ev.newListener !== undefined) this.emit("newListener", event, unwrap(fn));
    const slot = ev[event];
    if (slot === undefined) ev[event] = fn;
    else if (typeof slot === "function") ev[event] = prepend ? [fn, slot] : [slot, fn];
    else if (prepend) slot.unshift(fn);
    else slot.push(fn);
    return this;
  }

  private wrapOnce(event: string | symbol, fn: Listener): OnceWrapper {
    let fired = false;
    const wrapper = ((...args: unknown[]): void => {
      if (fired) return;
      fired = true;
      this.removeListener(event, wrapper);
      fn.apply(this, args);
    }) as OnceWrapper;
    wrapper.listener = fn;
    return wrapper;
  }

  /** Adds a listener. */
  on(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, false);
  }

  /** Alias of {@link LiteEmitter.on}. */
  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  /** Adds a listener before the others. */
  prependListener(event: string | symbol, listener: Listener): this {
    return this.add(event, listener, true);
  }

  /** Adds a listener called once. */
  once(event: string | symbol, listener: Listener): this {
    if (typeof listener !== "function") return this.add(event, listener, false);
    return this.add(event, this.wrapOnce(event, listener), false);
  }

  /** Adds a listener called once, before the others. */
  prependOnceListener(event: string | symbol, listener: Listener): this {
    if (typeof listener !== "function") return this.add(event, listener, true);
    return this.add(event, this.wrapOnce(event, listener), true);
  }

  /** Removes the most recently added instance of `listener` (or of its `once` wrapper). */
  removeListener(event: string | symbol, listener: Listener): this {
    const ev = this._ev;
    const slot = ev?.[event];
    if (ev == null || slot === undefined) return this;
    let removed: Listener | undefined;
    if (typeof slot === "function") {
      if (slot === listener || unwrap(slot) === listener) {
        removed = slot;
        delete ev[event];
      }
    } else {
      for (let i = slot.length - 1; i >= 0; i--) {
        const fn = slot[i]!;
        if (fn === listener || unwrap(fn) === listener) {
          removed = fn;
          if (slot.length === 2) ev[event] = slot[1 - i]!;
          else slot.splice(i, 1);
          break;
        }
      }
    }
    if (removed !== undefined && ev.removeListener !== undefined) {
      this.emit("removeListener", event, unwrap(removed));
    }
    return this;
  }

  /** Alias of {@link LiteEmitter.removeListener}. */
  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  /** Removes every listener of `event`, or of every event (also for an explicit `undefined`, unlike `node:events`). */
  removeAllListeners(event?: string | symbol): this {
    const ev = this._ev;
    if (ev === null) return this;
    if (ev.removeListener === undefined) {
      if (event === undefined) this._ev = null;
      else delete ev[event];
      return this;
    }
    // with `removeListener` listeners, each removal is reported (and that event's own listeners go last)
    const names = event === undefined ? this.eventNames().filter((n) => n !== "removeListener") : [event];
    for (const name of names) {
      for (const fn of this.rawListeners(name).reverse()) this.removeListener(name, fn);
    }
    if (event === undefined) this._ev = null;
    return this;
  }

  /**
   * Calls the listeners of `event` with `args`; `false` when there were none. An `error` event without a
   * listener throws, as `node:events` does.
   */
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const slot = this._ev?.[event];
    if (slot === undefined) {
      if (event === "error") {
        const err = args[0];
        if (err instanceof Error) throw err;
        throw new Error(`Unhandled error. (${String(err)})`);
      }
      return false;
    }
    if (typeof slot === "function") slot.apply(this, args);
    else for (const fn of slot.slice()) fn.apply(this, args);
    return true;
  }

  /** How many listeners `event` has (only those that are `listener`, when given). */
  listenerCount(event: string | symbol, listener?: Listener): number {
    const slot = this._ev?.[event];
    if (slot === undefined) return 0;
    if (listener === undefined) return typeof slot === "function" ? 1 : slot.length;
    let n = 0;
    for (const fn of typeof slot === "function" ? [slot] : slot)
      if (fn === listener || unwrap(fn) === listener) n++;
    return n;
  }

  /** The listeners of `event` (`once` listeners as given, not their wrappers). */
  listeners(event: string | symbol): Listener[] {
    return this.rawListeners(event).map(unwrap);
  }

  /** The listeners of `event` as stored (`once` wrappers included). */
  rawListeners(event: string | symbol): Listener[] {
    const slot = this._ev?.[event];
    return slot === undefined ? [] : typeof slot === "function" ? [slot] : slot.slice();
  }

  /** Events that have listeners. */
  eventNames(): (string | symbol)[] {
    const ev = this._ev;
    return ev === null ? [] : Reflect.ownKeys(ev);
  }

  /** Kept for the API; there is no leak warning here. */
  setMaxListeners(n: number): this {
    this._max = n;
    return this;
  }

  /** The value given to {@link LiteEmitter.setMaxListeners} (10 by default). */
  getMaxListeners(): number {
    return this._max;
  }
}
