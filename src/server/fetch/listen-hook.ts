/**
 * An EventEmitter that tells its subclass when a listener is added, without a `newListener` listener per
 * instance (the Fetch request/response objects are made per HTTP request, so that would be one more
 * registration on the hot path).
 */
import { EventEmitter } from "node:events";

type Listener = Parameters<EventEmitter["on"]>[1];

/** Base of the Fetch request/response adapters: {@link ListenHookEmitter.listening} runs before each add. */
export abstract class ListenHookEmitter extends EventEmitter {
  /** Called with the event name before a listener for it is added by `on`/`addListener`/`once`/`prependListener`. */
  protected abstract listening(event: string | symbol): void;

  /** @inheritdoc */
  override on(event: string | symbol, listener: Listener): this {
    this.listening(event);
    return super.on(event, listener);
  }

  /** @inheritdoc */
  override addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  /** @inheritdoc */
  override once(event: string | symbol, listener: Listener): this {
    this.listening(event);
    return super.once(event, listener);
  }

  /** @inheritdoc */
  override prependListener(event: string | symbol, listener: Listener): this {
    this.listening(event);
    return super.prependListener(event, listener);
  }
}
