/**
 * HTTP long-polling over the platform's request function (`fetch`, or Node's http(s) when agents/TLS options
 * are set). GET receives (one request held open at a time), POST sends one payload at a time; payloads are
 * decoded straight from the response bytes by the codec.
 */
import { createDebug } from "../../debug.js";
import type { Packet } from "../../protocol/packet.js";
import { unrefTimer } from "../../timers.js";
import { requestError, statusError, TransportError } from "../errors.js";
import { buildUri, timestamp } from "../options.js";
import type { HttpResponse } from "../platform-types.js";
import { Transport } from "../transport.js";

const debug = createDebug("engine:client:polling");
const utf8 = new TextDecoder();

/** Longest wait, after `close()`, for the server to answer the goodbye and the held GET before both are aborted. */
const CLOSE_GRACE_MS = 1000;

/** The long-polling transport. */
export class Polling extends Transport {
  /** Always `"polling"`. */
  readonly name = "polling" as const;
  /** Timeout (ms) of GETs after the handshake; set by the socket from the heartbeat. 0 = none. */
  pollTimeout = 0;
  #polling = false;
  #handshaken = false;
  #inflight = new Set<AbortController>();

  protected doOpen(): void {
    this.#poll();
  }

  override pause(onPause: () => void): void {
    this.readyState = "pausing";
    const pause = () => {
      debug("paused");
      this.readyState = "paused";
      onPause();
    };
    if (this.#polling || !this.writable) {
      let total = 0;
      if (this.#polling) {
        total++;
        this.once("pollComplete", () => {
          if (--total === 0) pause();
        });
      }
      if (!this.writable) {
        total++;
        this.once("drain", () => {
          if (--total === 0) pause();
        });
      }
    } else {
      pause();
    }
  }

  #poll(): void {
    debug("polling");
    this.#polling = true;
    const timeout = this.#handshaken ? this.pollTimeout : this.opts.requestTimeout;
    this.#request("GET", undefined, timeout).then(
      (res) => this.#onPollResponse(res),
      (err: unknown) => this.#onRequestError(err, "fetch read error"),
    );
    this.emit("poll");
  }

  #onPollResponse(res: HttpResponse): void {
    if (this.readyState === "closed" || this.readyState === undefined) return;
    if (res.status < 200 || res.status > 299) {
      this.#onStatusError(res, "fetch read error");
      return;
    }
    const packets = this.host.codec.decodePayload(res.body);
    debug("received %d packet(s)", packets.length);
    for (const packet of packets) {
      if (packet.type === "error") {
        // a garbage payload: report it once, as a parse error, and stop
        this.onError(new TransportError("EIO_ERR_PARSE", "parse error", { transport: this.name }));
        return;
      }
      if (this.readyState === "opening" && packet.type === "open") {
        this.#handshaken = true;
        this.onOpen();
      }
      if (packet.type === "close") {
        this.onClose({ description: "transport closed by the server", closePacket: true });
        return;
      }
      this.onPacket(packet);
      if (this.#isClosed()) return;
    }
    if (this.readyState === "opening" && !this.#handshaken) {
      this.onError(
        new TransportError("EIO_ERR_HANDSHAKE", "the handshake response is not an open packet", {
          transport: this.name,
        }),
      );
      return;
    }
    this.#polling = false;
    this.emit("pollComplete");
    if (this.readyState === "open") this.#poll();
    else debug("ignoring poll - transport state %s", this.readyState);
  }

  #isClosed(): boolean {
    return this.readyState === "closed";
  }

  protected write(packets: Packet[]): void {
    this.writable = false;
    this.#post(this.host.codec.encodePayload(packets), () => {
      this.writable = true;
      this.emit("drain");
    });
  }

  #post(body: Uint8Array, done: () => void): void {
    this.#request("POST", body, this.opts.requestTimeout).then(
      (res) => {
        if (res.status < 200 || res.status > 299) {
          this.#onStatusError(res, "fetch write error");
          return;
        }
        // the body is "ok" (engine.io) or "OK" (python-engineio); neither carries meaning
        done();
      },
      (err: unknown) => {
        this.#onRequestError(err, "fetch write error");
      },
    );
  }

  protected doClose(): void {
    const inflight = [...this.#inflight];
    this.#inflight.clear();
    const abortAll = () => {
      for (const c of inflight) c.abort();
    };
    if (this.readyState !== "open") {
      debug("transport not open - no close packet");
      abortAll();
      return;
    }
    debug("writing close packet");
    // The held GET is not aborted at once: the server answers it (a noop) when the close packet arrives, so
    // both connections end their requests normally and go back to the keep-alive pool idle. Aborting it made
    // undici open a fresh connection that never carries a request, which the server's graceful close
    // (`server.close()` + `closeIdleConnections()`) cannot tell from a slow client, and waits on for undici's
    // 4 s keep-alive. Whatever is still in flight when the goodbye is answered (or fails) is aborted then,
    // and after CLOSE_GRACE_MS at the latest, so a server that never answers cannot hold the process.
    unrefTimer(setTimeout(abortAll, CLOSE_GRACE_MS));
    this.#request(
      "POST",
      this.host.codec.encodePayload([{ type: "close" }]),
      this.opts.requestTimeout,
      false,
    ).then(() => {}, abortAll);
  }

  #request(method: "GET" | "POST", body: Uint8Array | undefined, timeout: number, tracked = true) {
    const query = { ...this.query };
    if (this.opts.timestampRequests !== false) query[this.opts.timestampParam] = timestamp();
    if (!this.supportsBinary && !query.sid) query.b64 = "1";
    const headers = this.requestHeaders();
    if (body !== undefined) headers["content-type"] = "text/plain;charset=UTF-8";
    const controller = new AbortController();
    if (tracked) this.#inflight.add(controller);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeout > 0) {
      timer = setTimeout(
        () => controller.abort(new TransportError("EIO_ERR_TIMEOUT", "request timeout")),
        timeout,
      );
      if (this.opts.autoUnref) unrefTimer(timer);
    }
    const req = { method, url: buildUri(this.opts, "http", query), headers, options: this.opts };
    return this.host.platform
      .request(body === undefined ? req : { ...req, body }, controller.signal)
      .then(
        (res) => {
          this.host.cookieJar?.parseCookies(res.setCookie);
          return res;
        },
        (err: unknown) => {
          throw controller.signal.aborted && controller.signal.reason instanceof TransportError
            ? controller.signal.reason
            : err;
        },
      )
      .finally(() => {
        if (timer !== undefined) clearTimeout(timer);
        this.#inflight.delete(controller);
      });
  }

  #onRequestError(err: unknown, message: string): void {
    if (this.readyState === "closed" || this.readyState === undefined) return;
    this.onError(err instanceof TransportError ? err : requestError(err, message, this.name));
  }

  #onStatusError(res: HttpResponse, message: string): void {
    if (this.readyState === "closed" || this.readyState === undefined) return;
    this.onError(
      statusError(res.status, utf8.decode(res.body), this.name, this.readyState === "opening", message),
    );
  }
}
