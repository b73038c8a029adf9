/**
 * The Fetch adapters' emitter against `node:events`: the same random sequence of adds, removals and emits on
 * both must call the same listeners in the same order and report the same listener lists.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, test } from "node:test";
import { type Listener, LiteEmitter } from "../src/server/fetch/lite-emitter.js";

type Emitterish = Pick<
  EventEmitter,
  | "on"
  | "once"
  | "prependListener"
  | "prependOnceListener"
  | "removeListener"
  | "removeAllListeners"
  | "emit"
  | "listenerCount"
  | "listeners"
  | "rawListeners"
  | "eventNames"
>;

describe("LiteEmitter", () => {
  test("behaves as node:events over random sequences (with newListener/removeListener watchers)", () => {
    let seed = 777;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      // (the high bits: an LCG's low bits repeat with a short period)
      return (seed >>> 16) % n;
    };
    const events = ["a", "b", Symbol.for("c")];
    for (let round = 0; round < 300; round++) {
      const logs: string[][] = [[], []];
      const fns: Listener[][] = [[], []];
      const emitters: Emitterish[] = [
        new EventEmitter().setMaxListeners(0),
        new LiteEmitter() as unknown as Emitterish,
      ];
      for (let k = 0; k < 2; k++) {
        for (let i = 0; i < 4; i++) {
          fns[k]!.push(function (this: unknown, ...args: unknown[]) {
            logs[k]!.push(`${i}:${args.join(",")}:${this === emitters[k]}`);
          });
        }
        if (round % 3 === 0) {
          emitters[k]!.on("newListener", (e: string | symbol) => logs[k]!.push(`new ${String(e)}`));
          emitters[k]!.on("removeListener", (e: string | symbol) => logs[k]!.push(`rm ${String(e)}`));
        }
      }
      const steps = 5 + next(25);
      for (let s = 0; s < steps; s++) {
        const op = next(8);
        const ev = events[next(events.length)]!;
        const f = next(4);
        const arg = next(100);
        const clearAll = next(5) === 0;
        for (let k = 0; k < 2; k++) {
          const e = emitters[k]!;
          const fn = fns[k]![f]!;
          if (op === 0 || op === 1) e.on(ev, fn);
          else if (op === 2) e.once(ev, fn);
          else if (op === 3) e.prependListener(ev, fn);
          else if (op === 4) e.prependOnceListener(ev, fn);
          else if (op === 5) e.removeListener(ev, fn);
          else if (op === 6) logs[k]!.push(`emit ${e.emit(ev, arg, "x")}`);
          else if (clearAll) {
            // (node:events reads an explicit `undefined` as an event name; LiteEmitter as "every event")
            if (round % 2) e.removeAllListeners(ev);
            else e.removeAllListeners();
          } else logs[k]!.push(`emit ${e.emit(ev)}`);
          const indexOf = (l: Listener): number => fns[k]!.indexOf(l);
          logs[k]!.push(
            `${String(ev)} n=${e.listenerCount(ev)} n(f)=${e.listenerCount(ev, fn)} ` +
              `[${e.listeners(ev).map((l) => indexOf(l as Listener))}] raw=${e.rawListeners(ev).length}`,
          );
        }
        // eventNames order may differ between the two (node keeps insertion order), the set must not
        const names = emitters.map((e) => e.eventNames().map(String).sort().join());
        assert.equal(names[1], names[0]);
      }
      assert.deepEqual(logs[1], logs[0], `round ${round}`);
    }
  });

  test("an error event without a listener throws what was emitted", () => {
    const e = new LiteEmitter();
    const err = new Error("boom");
    assert.throws(
      () => e.emit("error", err),
      (x) => x === err,
    );
    assert.throws(() => e.emit("error", "text"), /Unhandled error/);
    let seen: unknown;
    e.once("error", (x: unknown) => {
      seen = x;
    });
    assert.equal(e.emit("error", err), true);
    assert.equal(seen, err);
    assert.throws(() => e.emit("error", err));
  });

  test("a listener must be a function; the hook sees every add", () => {
    const added: (string | symbol)[] = [];
    class Hooked extends LiteEmitter {
      protected override listening(event: string | symbol): void {
        added.push(event);
      }
    }
    const h = new Hooked();
    h.on("data", () => {});
    h.once("end", () => {});
    h.prependListener("close", () => {});
    h.prependOnceListener("close", () => {});
    h.addListener("x", () => {});
    assert.deepEqual(added, ["data", "end", "close", "close", "x"]);
    assert.throws(() => h.on("data", 1 as unknown as Listener), TypeError);
    assert.equal(h.setMaxListeners(3).getMaxListeners(), 3);
  });
});
