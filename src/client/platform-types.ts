/**
 * What the client needs from its host, so `socket.ts` and the transports stay platform-free. `platform.ts`
 * implements it for Node (ws, node:http/https, Buffer, a cookie jar), `platform.browser.ts` for browsers; the
 * browser bundle and the package's `browser` field swap one for the other.
 */
import type { CookieJar } from "./cookies.js";
import type { BinaryType, MessageData, ResolvedOptions } from "./options.js";

/** One HTTP request of the polling transport. */
export interface HttpRequest {
  /** `GET` polls, `POST` sends. */
  method: "GET" | "POST";
  /** Absolute URL. */
  url: string;
  /** Request headers (extraHeaders, content type, cookies). */
  headers: Record<string, string>;
  /** POST body (an encoded payload). */
  body?: Uint8Array;
  /** The socket's options (credentials mode, Node agent and TLS options). */
  options: ResolvedOptions;
}

/** The parts of an HTTP response the polling transport reads. */
export interface HttpResponse {
  /** HTTP status. */
  status: number;
  /** `Content-Type`, if any. */
  contentType: string | null;
  /** `Set-Cookie` values (Node only; browsers hide them). */
  setCookie: string[];
  /** The whole body. */
  body: Uint8Array;
}

/** The subset of the WHATWG `WebSocket` (which `ws` also implements) the transport uses. */
export interface WebSocketLike {
  /** How binary frames are delivered (`arraybuffer` in browsers, `nodebuffer` with ws). */
  binaryType: string;
  /** WHATWG ready state (0 connecting, 1 open, 2 closing, 3 closed). */
  readonly readyState: number;
  /** The connection opened. */
  onopen: ((ev: unknown) => void) | null;
  /** The connection closed. */
  onclose: ((ev: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  /** The connection failed (ws adds `error` and `message`). */
  onerror: ((ev: { message?: string; error?: unknown }) => void) | null;
  /** A frame arrived: `data` is a string for text frames. */
  onmessage: ((ev: { data: unknown }) => void) | null;
  /** Closes the connection. */
  close(code?: number, reason?: string): void;
}

/** Called when the server refuses a WebSocket handshake with an HTTP response (Node only can see it). */
export type WebSocketRejected = (status: number, body: string) => void;

/** The host services the client uses. */
export interface Platform {
  /** `node` or `browser`. */
  readonly name: "node" | "browser";
  /** Default {@link BinaryType}: `nodebuffer` in Node, `arraybuffer` in browsers. */
  readonly defaultBinaryType: BinaryType;
  /** A cookie jar for `withCredentials` (Node); browsers keep cookies themselves and return `undefined`. */
  createCookieJar(): CookieJar | undefined;
  /** Performs one HTTP request; rejects on network failure or abort. */
  request(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse>;
  /** Opens a WebSocket. May throw synchronously (bad URL). */
  createWebSocket(
    url: string,
    protocols: string[],
    options: ResolvedOptions,
    headers: Record<string, string>,
    onRejected: WebSocketRejected,
  ): WebSocketLike;
  /**
   * Whether {@link Platform.wsSend} can honour `compress` (Node's `ws`); browsers decide compression
   * themselves, so the client does not measure frames for the threshold there.
   */
  readonly wsCompression: boolean;
  /** Sends one frame, honouring `compress` where the platform can. */
  wsSend(ws: WebSocketLike, data: string | Uint8Array, compress: boolean): void;
  /** Lets the process exit while the WebSocket is open (Node `autoUnref`). */
  wsUnref(ws: WebSocketLike): void;
  /** Converts a received frame's payload (whatever the platform's WebSocket gave) to bytes. */
  frameBytes(data: unknown): Uint8Array | undefined;
  /** Converts received bytes to what the application asked for. */
  toBinary(bytes: Uint8Array, type: BinaryType): MessageData;
  /** Runs `fn` after the current task's synchronous work. */
  nextTick(fn: () => void): void;
}
