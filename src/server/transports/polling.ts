/**
 * HTTP long-polling transport (I/O only). A GET is held until there is something to send; its body is built with
 * the codec's bytes-first `encodePayload`. A POST body is read as bytes (bounded by `maxHttpBufferSize`) and
 * decoded with `decodePayload`. Overlap rules and status codes follow engine.io 6.6 (its `transports/polling.js`) and the Engine.IO v4 spec.
 *
 * Request listeners are shared module-level functions (`this` is the request or response); the transport is found
 * through a symbol property, so no closure is allocated per request.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { textPayload } from "../../codec/common.js";
import type { Codec, PayloadBody } from "../../codec/types.js";
import { createDebug } from "../../debug.js";
import { createError, type EioError, ERRORS } from "../../protocol/errors.js";
import type { Packet } from "../../protocol/packet.js";
import { unrefTimer } from "../../timers.js";
import { chooseEncoding, chooseTextEncoding, compress } from "../compression.js";
import type { DeadlineNode, DeadlineQueue } from "../deadline-queue.js";
import { abortRequest } from "../http-errors.js";
import { connectionClose } from "../http2.js";
import type { EngineRequest, HttpCompressionOptions } from "../options.js";
import { TransportBase } from "./base.js";
import { kTextBody, type ServerTransport } from "./types.js";

const debug = createDebug("engine:polling");

/** What the polling transport needs from its server. */
export interface PollingHost {
  /** The codec that encodes responses and decodes POST bodies. */
  readonly codec: Codec;
  /** Largest accepted POST body in bytes. */
  readonly maxHttpBufferSize: number;
  /** Compression settings of GET responses. */
  readonly httpCompression: false | HttpCompressionOptions;
  /** Queue bounding how long a POST body may take. */
  readonly bodyTimeouts: DeadlineQueue<PollingTransport>;
  /** Adds the server's per-response headers (cookie, `headers`/`initial_headers` events). */
  decorateHeaders(headers: OutgoingHttpHeaders, req: EngineRequest, sid: string): OutgoingHttpHeaders;
}

const kTransport = Symbol("engineio-wasm:polling");
type Tagged = { [kTransport]?: PollingTransport | null };

const CLOSE_TIMEOUT_MS = 30_000;
/**
 * Longest text payload handed over as a string (see `respond`): the sizes measured (handshakes and small polls);
 * longer bodies keep the codec's native encoding, and the JS count of UTF-8 bytes a compression decision may need
 * (`chooseTextEncoding`) stays short.
 */
const TEXT_BODY_MAX = 4096;
const OK_BODY = Buffer.from("ok");
const EMPTY_BODY = new Uint8Array(0);

function onPollClose(this: ServerResponse & Tagged): void {
  const t = this[kTransport];
  this[kTransport] = null;
  if (t && t.res === this) t.onPollAborted();
}
function onBodyData(this: IncomingMessage & Tagged, chunk: Buffer): void {
  this[kTransport]?.onBodyChunk(this, chunk);
}
function onBodyEnd(this: IncomingMessage & Tagged): void {
  this[kTransport]?.onBodyEnd(this);
}
function onBodyClose(this: IncomingMessage & Tagged): void {
  const t = this[kTransport];
  if (t && t.dataReq === this) t.onBodyAborted();
}
function destroyRequest(this: ServerResponse & { req: IncomingMessage }): void {
  this.req.destroy();
}

/** The long-polling transport of one session. */
export class PollingTransport extends TransportBase implements ServerTransport, DeadlineNode {
  /** @inheritdoc */
  readonly name = "polling" as const;
  /** @inheritdoc */
  writable = false;
  /** @inheritdoc */
  readonly writesDirectly = false;

  /** The pending GET. @internal */
  req: EngineRequest | null = null;
  /** The pending GET's response. @internal */
  res: ServerResponse | null = null;
  /** The POST being read. @internal */
  dataReq: IncomingMessage | null = null;
  private dataRes: ServerResponse | null = null;
  private chunks: Buffer | Buffer[] | null = null;
  private bodyLength = 0;
  private shouldClose: (() => void) | null = null;
  private closeTimer: ReturnType<typeof setTimeout> | null = null;
  private responseBytes = 0;

  /** @internal */ dqPrev: DeadlineNode | null = null;
  /** @internal */ dqNext: DeadlineNode | null = null;
  /** @internal */ dqQueue: DeadlineQueue<DeadlineNode> | null = null;
  /** @internal */ dqDue = 0;

  constructor(
    private readonly host: PollingHost,
    req: EngineRequest,
  ) {
    super(req._query);
  }

  /** @inheritdoc */
  get bufferedAmount(): number {
    return this.res === null ? 0 : this.res.writableLength + this.responseBytes;
  }

  /** Routes one HTTP request of this session. */
  onRequest(req: EngineRequest, res: ServerResponse): void {
    req.res = null;
    if (req.method === "GET") this.onPollRequest(req, res);
    else if (req.method === "POST") this.onDataRequest(req, res);
    else abortRequest(res, ERRORS.BAD_REQUEST);
  }

  private onPollRequest(req: EngineRequest, res: ServerResponse): void {
    if (this.res !== null) {
      this.refuseOverlap(res, "overlap from client");
      return;
    }
    if (this.readyState === "closed") {
      res.writeHead(400);
      res.end();
      return;
    }
    this.req = req;
    this.res = res;
    (res as ServerResponse & Tagged)[kTransport] = this;
    res.on("close", onPollClose); // emitted once; `on` avoids a once-wrapper per request
    this.writable = true;
    this.owner?.onTransportReady(this);
    // still writable with a close pending: send an empty payload that carries the close packet
    if (this.writable && this.shouldClose !== null) this.send([{ type: "noop" }], false);
  }

  /** A second GET (or POST) while one is pending: engine.io answers 400 and closes the session. */
  private refuseOverlap(res: ServerResponse, why: string): void {
    debug(why);
    res.writeHead(400);
    res.end();
    this.error(why);
  }

  private onDataRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.dataReq !== null) {
      this.refuseOverlap(res, "data request overlap from client");
      return;
    }
    if (req.headers["content-type"] === "application/octet-stream") {
      // v4 bodies are text; engine.io >= 6.6.7 answers 400
      res.writeHead(400);
      res.end();
      this.error("invalid content");
      return;
    }
    const declared = Number(req.headers["content-length"]);
    if (declared > this.host.maxHttpBufferSize) {
      this.rejectTooLarge(res, declared);
      return;
    }
    this.dataReq = req;
    this.dataRes = res;
    this.chunks = null;
    this.bodyLength = 0;
    (req as IncomingMessage & Tagged)[kTransport] = this;
    req.on("data", onBodyData);
    req.on("end", onBodyEnd);
    req.on("close", onBodyClose);
    this.host.bodyTimeouts.push(this);
  }

  private rejectTooLarge(res: ServerResponse, size: number): void {
    debug("payload too large (%d bytes)", size);
    res.writeHead(413, connectionClose(res.req));
    res.end();
    res.once("finish", destroyRequest);
    this.fail(
      createError("EIO_ERR_PAYLOAD_TOO_LARGE", "payload too large", {
        limit: this.host.maxHttpBufferSize,
        size,
      }),
    );
  }

  /** @internal */
  onBodyChunk(req: IncomingMessage, chunk: Buffer): void {
    if (req !== this.dataReq) return;
    this.bodyLength += chunk.length;
    if (this.bodyLength > this.host.maxHttpBufferSize) {
      const res = this.dataRes!;
      this.cleanupData();
      this.rejectTooLarge(res, this.bodyLength);
      return;
    }
    if (this.chunks === null) this.chunks = chunk;
    else if (Array.isArray(this.chunks)) this.chunks.push(chunk);
    else this.chunks = [this.chunks, chunk];
  }

  /** @internal */
  onBodyEnd(req: IncomingMessage): void {
    if (req !== this.dataReq) return;
    const res = this.dataRes!;
    const chunks = this.chunks;
    this.cleanupData();
    // the codec takes the chunks as they came (copied once, into its working memory)
    const body: PayloadBody = chunks === null ? EMPTY_BODY : chunks;
    const headers = this.host.decorateHeaders(
      { "Content-Type": "text/html", "Content-Length": "2", "cache-control": "no-store" },
      req as EngineRequest,
      this.sid,
    );
    this.onData(body);
    res.writeHead(200, headers);
    res.end(OK_BODY);
  }

  /** @internal The POST connection closed before its body ended. */
  onBodyAborted(): void {
    this.cleanupData();
    this.error("data request connection closed prematurely");
  }

  /** @internal The POST body did not arrive within `httpRequestBodyTimeout`. */
  onBodyTimeout(): void {
    const req = this.dataReq;
    const res = this.dataRes;
    if (req === null || res === null) return;
    this.cleanupData();
    if (!res.headersSent) {
      res.writeHead(408, connectionClose(req));
      res.end();
    }
    req.destroy();
    this.fail(createError("EIO_ERR_TIMEOUT", "http request timeout"));
  }

  private cleanupData(): void {
    const req = this.dataReq;
    if (req !== null) {
      (req as IncomingMessage & Tagged)[kTransport] = null;
      req.removeListener("data", onBodyData);
      req.removeListener("end", onBodyEnd);
      req.removeListener("close", onBodyClose);
      this.host.bodyTimeouts.remove(this);
    }
    this.dataReq = this.dataRes = null;
    this.chunks = null;
    this.bodyLength = 0;
  }

  /** Feeds one decoded POST body to the owner. */
  private onData(body: PayloadBody): void {
    const packets = this.host.codec.decodePayload(body);
    const owner = this.owner;
    for (let i = 0; i < packets.length; i++) {
      const packet = packets[i]!;
      if (packet.type === "close") {
        debug("got xhr close packet");
        this.closePacket = true;
        this.onClose();
        return;
      }
      if (owner === null || this.readyState === "closed") return;
      owner.onTransportPacket(this, packet);
    }
  }

  /** @internal The pending GET's connection closed before we answered. */
  onPollAborted(): void {
    this.req = this.res = null;
    this.writable = false;
    this.error("poll connection closed prematurely");
  }

  /** @inheritdoc */
  send(packets: Packet[], _wantDrain: boolean): void {
    const res = this.res;
    const req = this.req;
    if (res === null || req === null) return;
    this.writable = false;
    if (this.shouldClose !== null) {
      debug("appending close packet to payload");
      packets.push({ type: "close" });
      const fn = this.shouldClose;
      this.shouldClose = null;
      if (this.closeTimer !== null) clearTimeout(this.closeTimer);
      this.closeTimer = null;
      this.respond(req, res, packets);
      fn();
      return;
    }
    this.respond(req, res, packets);
  }

  /** Answers the poll with `packets`: as bytes with our Content-Length, or as a string with the runtime's. */
  private respond(req: EngineRequest, res: ServerResponse, packets: Packet[]): void {
    // A runtime that encodes string bodies itself gets text payloads as the string: building the bytes here
    // took three calls into it (`byteLength`, `allocUnsafe`, the UTF-8 write: 3 % of a Bun-hosted server's
    // samples at 200 handshakes/s) for the one it makes anyway.
    const text =
      (res as ServerResponse & { [kTextBody]?: boolean })[kTextBody] === true ? textPayload(packets) : null;
    const payload: Uint8Array | string =
      text !== null && text.length <= TEXT_BODY_MAX ? text : this.host.codec.encodePayload(packets);
    const compression = this.host.httpCompression;
    const headers: OutgoingHttpHeaders = {
      "Content-Type": "text/plain; charset=UTF-8",
      "cache-control": "no-store",
    };
    const ua = req.headers["user-agent"];
    if (ua && (ua.includes(";MSIE") || ua.includes("Trident/"))) headers["X-XSS-Protection"] = "0";
    let compressIt = false;
    for (let i = 0; i < packets.length; i++) {
      if (packets[i]!.options?.compress !== false) {
        compressIt = true;
        break;
      }
    }
    let encoding: "gzip" | "deflate" | null = null;
    if (compressIt) {
      encoding =
        typeof payload === "string"
          ? chooseTextEncoding(req, payload, compression)
          : chooseEncoding(req, payload.length, compression);
    }
    // the poll is answered: detach it now so a close of its connection is not taken as an abort
    (res as ServerResponse & Tagged)[kTransport] = null;
    this.req = this.res = null;
    if (encoding === null) {
      if (typeof payload !== "string") headers["Content-Length"] = payload.length;
      res.writeHead(200, this.host.decorateHeaders(headers, req, this.sid));
      res.end(payload);
      this.owner?.onTransportDrain(this);
      return;
    }
    headers["Content-Encoding"] = encoding;
    const body = typeof payload === "string" ? Buffer.from(payload) : payload;
    this.responseBytes += body.length;
    compress(body, encoding, compression as HttpCompressionOptions, (err, out) => {
      this.responseBytes -= body.length;
      if (err) {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      } else {
        headers["Content-Length"] = out.length;
        res.writeHead(200, this.host.decorateHeaders(headers, req, this.sid));
        res.end(out);
      }
      this.owner?.onTransportDrain(this);
    });
  }

  /** @inheritdoc */
  close(fn?: () => void): void {
    if (this.readyState === "closed" || this.readyState === "closing") return;
    this.readyState = "closing";
    debug("closing");
    if (this.dataReq !== null) {
      const req = this.dataReq;
      this.cleanupData();
      req.destroy();
    }
    const done = (): void => {
      if (this.closeTimer !== null) clearTimeout(this.closeTimer);
      this.closeTimer = null;
      fn?.();
      this.onClose();
    };
    if (this.writable) {
      debug("transport writable - closing right away");
      this.send([{ type: "close" }], false);
      done();
    } else if (this.discarded) {
      done();
    } else {
      debug("transport not writable - buffering orderly close");
      this.shouldClose = done;
      this.closeTimer = unrefTimer(setTimeout(done, CLOSE_TIMEOUT_MS));
    }
  }

  /** @inheritdoc */
  sendMessage(data: string | Uint8Array, opts: Packet["options"], wantDrain: boolean): void {
    this.send(
      [opts === undefined ? { type: "message", data } : { type: "message", data, options: opts }],
      wantDrain,
    );
  }

  /** @inheritdoc */
  releasePoll(): void {
    if (this.writable) this.send([{ type: "noop" }], false);
  }

  private onClose(): void {
    if (this.readyState === "closed") return;
    // a client `1` while a GET is pending: the GET receives `6`
    if (this.writable) this.send([{ type: "noop" }], false);
    this.readyState = "closed";
    this.writable = false;
    if (this.dataReq !== null) this.cleanupData();
    const owner = this.owner;
    this.owner = null;
    owner?.onTransportClose(this);
  }

  private error(message: string): void {
    this.fail(createError("EIO_ERR_TRANSPORT", message));
  }

  private fail(err: EioError): void {
    const owner = this.owner;
    if (owner === null) {
      debug("ignored transport error %s", err.message);
      return;
    }
    owner.onTransportError(this, err);
  }
}
