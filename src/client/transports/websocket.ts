/**
 * The WebSocket transport: one packet per frame, binary messages as binary frames (or `b`+base64 text with
 * `forceBase64`). The socket itself comes from the platform: `ws` in Node, the global `WebSocket` in browsers.
 */

import { utf8Length } from "../../codec/js.js";
import { createDebug } from "../../debug.js";
import { errorPacket, type Packet } from "../../protocol/packet.js";
import { requestError, statusError, TransportError } from "../errors.js";
import { buildUri, timestamp } from "../options.js";
import type { WebSocketLike } from "../platform-types.js";
import { Transport } from "../transport.js";

const debug = createDebug("engine:client:ws");

/** The WebSocket transport. */
export class WebSocketTransport extends Transport {
  /** Always `"websocket"`. */
  readonly name = "websocket" as const;
  #ws: WebSocketLike | undefined;

  protected doOpen(): void {
    const query = { ...this.query };
    if (this.opts.timestampRequests === true) query[this.opts.timestampParam] = timestamp();
    if (!this.supportsBinary) query.b64 = "1";
    const uri = buildUri(this.opts, "ws", query);
    const p = this.opts.protocols;
    const protocols = p === undefined ? [] : typeof p === "string" ? [p] : p;
    let ws: WebSocketLike;
    try {
      ws = this.host.platform.createWebSocket(
        uri,
        protocols,
        this.opts,
        this.requestHeaders(),
        (status, body) => this.#onRejected(status, body),
      );
    } catch (err) {
      this.host.platform.nextTick(() =>
        this.onError(
          new TransportError("EIO_ERR_TRANSPORT", "websocket error", { transport: this.name, cause: err }),
        ),
      );
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.opts.autoUnref) this.host.platform.wsUnref(ws);
      this.onOpen();
    };
    ws.onclose = (ev) =>
      this.onClose({
        description: "websocket connection closed",
        context: { code: ev.code, reason: ev.reason },
      });
    ws.onmessage = (ev) => this.#onFrame(ev.data);
    // ws hands the system error (ECONNREFUSED, DNS, TLS) over as `ev.error`: lift its code and address
    ws.onerror = (ev) => this.onError(requestError(ev.error ?? ev, "websocket error", this.name));
  }

  #onRejected(status: number, body: string): void {
    const ws = this.#ws;
    if (ws) ws.onerror = () => {};
    // engine.io answers a refused WebSocket with a plain-text reason, python-engineio and this server with JSON
    this.onError(statusError(status, body, this.name, true));
  }

  #onFrame(data: unknown): void {
    let packet: Packet;
    const codec = this.host.codec;
    if (typeof data === "string") packet = codec.decodePacket(data);
    else {
      const bytes = this.host.platform.frameBytes(data);
      packet = bytes === undefined ? errorPacket() : codec.decodePacket(bytes);
    }
    if (packet.type === "error") {
      this.onError(new TransportError("EIO_ERR_PARSE", "parse error", { transport: this.name }));
      return;
    }
    this.onPacket(packet);
  }

  protected write(packets: Packet[]): void {
    this.writable = false;
    const ws = this.#ws;
    const pmd = this.opts.perMessageDeflate;
    const platform = this.host.platform;
    const threshold =
      pmd === false || !platform.wsCompression ? Number.POSITIVE_INFINITY : (pmd?.threshold ?? 1024);
    const codec = this.host.codec;
    for (const packet of packets) {
      const frame = codec.encodePacket(packet, this.supportsBinary);
      // measured only where the platform can act on it (Node's ws; browsers ignore a compress flag)
      const compress =
        threshold !== Number.POSITIVE_INFINITY &&
        packet.options?.compress !== false &&
        (typeof frame === "string" ? utf8Length(frame) : frame.byteLength) >= threshold;
      try {
        if (ws) this.host.platform.wsSend(ws, frame, compress);
      } catch (err) {
        // the socket closed under us; its close event follows
        debug("websocket send failed: %O", err);
      }
    }
    // "fake drain", as engine.io-client: let the socket clear its write buffer first
    this.host.platform.nextTick(() => {
      if (this.readyState === "closed") return;
      this.writable = true;
      this.emit("drain");
    });
  }

  protected doClose(): void {
    const ws = this.#ws;
    if (ws) {
      ws.onerror = () => {};
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close();
      } catch {
        // already closed
      }
      this.#ws = undefined;
    }
  }
}
