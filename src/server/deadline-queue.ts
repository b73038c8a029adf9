/**
 * One timer for many deadlines of the same length.
 *
 * Every entry of a queue waits the same `delay`, so deadlines are reached in insertion order: the queue is a FIFO
 * (an intrusive doubly linked list, O(1) insert/remove, no allocation per entry) and needs a single timer armed
 * for its head. This replaces engine.io's two `setTimeout`s per socket (ping interval and ping timeout).
 *
 * Event-loop stalls: deadlines are compared with wall-clock time when the timer fires. If the timer fires late
 * (the server itself was blocked), the entries that became due during the stall are not expired right away: the
 * verdict is deferred to `setImmediate`, i.e. after the next I/O poll phase, so replies that arrived during the
 * stall (sitting in kernel buffers) are processed first and can cancel the deadline.
 */

import { unrefTimer } from "../timers.js";

/** A node that can sit in one {@link DeadlineQueue} at a time (fields are owned by the queue). */
export interface DeadlineNode {
  /** @internal */ dqPrev: DeadlineNode | null;
  /** @internal */ dqNext: DeadlineNode | null;
  /** @internal */ dqQueue: DeadlineQueue<DeadlineNode> | null;
  /** @internal wall-clock time (ms) when the deadline is reached */
  dqDue: number;
}

/** Lateness (ms) beyond which a timer firing is treated as an event-loop stall. */
export const STALL_THRESHOLD_MS = 50;

/** Entries due within this fraction of the delay (capped at 25 ms) are handled in the same timer run (not for reply timeouts). */
const COALESCE_FRACTION = 0.02;
const COALESCE_MAX_MS = 25;

/** FIFO of nodes that all expire `delay` ms after insertion; one timer for the whole queue. */
export class DeadlineQueue<T extends DeadlineNode> {
  private head: T | null = null;
  private tail: T | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDue = 0;
  private readonly coalesce: number;
  private size_ = 0;

  /**
   * @param delay - time each entry waits, in ms
   * @param onExpire - called for each entry whose deadline passed (the entry is already removed)
   * @param deferOnStall - defer expiry past one I/O phase when the timer fired late (for reply timeouts)
   */
  constructor(
    readonly delay: number,
    private readonly onExpire: (node: T) => void,
    private readonly deferOnStall = false,
  ) {
    // Early expiry is harmless for "do something soon" queues (pings), not for reply timeouts.
    this.coalesce = deferOnStall ? 0 : Math.min(COALESCE_MAX_MS, Math.floor(delay * COALESCE_FRACTION));
  }

  /** Number of queued entries. */
  get size(): number {
    return this.size_;
  }

  /** Appends `node` (removing it from any queue first); it expires `delay` ms from now. */
  push(node: T, now = Date.now()): void {
    if (node.dqQueue !== null) node.dqQueue.remove(node);
    node.dqDue = now + this.delay;
    node.dqQueue = this as unknown as DeadlineQueue<DeadlineNode>;
    node.dqNext = null;
    node.dqPrev = this.tail;
    if (this.tail !== null) this.tail.dqNext = node;
    else this.head = node;
    this.tail = node;
    this.size_++;
    if (this.timer === null) this.arm(node.dqDue, now);
    else if (node.dqDue < this.timerDue && this.head === node) {
      // a timer kept from an emptied queue is due later only if the clock went back: arm for this one
      clearTimeout(this.timer);
      this.arm(node.dqDue, now);
    }
  }

  /** Removes `node` if it is in this queue. */
  remove(node: T): void {
    if (node.dqQueue !== (this as unknown as DeadlineQueue<DeadlineNode>)) return;
    const prev = node.dqPrev as T | null;
    const next = node.dqNext as T | null;
    if (prev !== null) prev.dqNext = next;
    else this.head = next;
    if (next !== null) next.dqPrev = prev;
    else this.tail = prev;
    node.dqPrev = node.dqNext = null;
    node.dqQueue = null;
    this.size_--;
    // An emptied queue keeps its timer (it fires once, finds nothing, and stops): at a few hundred short sessions
    // a second the queue empties between them, and a `setTimeout`/`clearTimeout` pair per session was 1.5 % of
    // a Bun-hosted server's samples at 200 handshakes/s (each a call into the runtime with its caches cold).
    // A push always expires after a pending timer's time (same delay, later start), so the kept one serves it.
  }

  /** Stops the timer and forgets every entry. */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    let node = this.head;
    while (node !== null) {
      const next = node.dqNext as T | null;
      node.dqPrev = node.dqNext = null;
      node.dqQueue = null;
      node = next;
    }
    this.head = this.tail = null;
    this.size_ = 0;
  }

  private arm(due: number, now: number): void {
    this.timerDue = due;
    // The queue never keeps the process alive on its own: sockets and servers do.
    this.timer = unrefTimer(setTimeout(this.fire, Math.max(0, due - now)));
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = Date.now();
    const stalled = this.deferOnStall && now - this.timerDue > STALL_THRESHOLD_MS;
    if (stalled) {
      // Let the poll phase run first: replies received during the stall cancel their deadlines.
      setImmediate(this.expireDue);
      return;
    }
    this.expireDue();
  };

  private readonly expireDue = (): void => {
    const limit = Date.now() + this.coalesce;
    let node = this.head;
    while (node !== null && node.dqDue <= limit) {
      this.remove(node);
      try {
        this.onExpire(node);
      } catch {
        // an expiry handler must never break the queue for the other entries
      }
      node = this.head;
    }
    if (this.head === null) return;
    if (this.timer !== null) {
      if (this.timerDue <= this.head.dqDue) return;
      clearTimeout(this.timer);
    }
    this.arm(this.head.dqDue, Date.now());
  };
}
