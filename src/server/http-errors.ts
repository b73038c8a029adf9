/**
 * Error answers for rejected requests: JSON `{code, message}` over HTTP, or a raw HTTP response on an upgrade
 * socket followed by `destroy()` (engine.io's `abortRequest`/`abortUpgrade`).
 */
import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ERROR_MESSAGES, ERRORS, type ErrorCode } from "../protocol/errors.js";
import { isFetchUpgrade } from "./fetch/upgrade.js";
import { abortHttp2Stream, isHttp2Stream } from "./http2.js";

/** Answers an HTTP request with the JSON body of an engine error (403 for FORBIDDEN, else 400). */
export function abortRequest(res: ServerResponse, code: ErrorCode, message?: string): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = JSON.stringify({ code, message: message ?? ERROR_MESSAGES[code] });
  res.writeHead(code === ERRORS.FORBIDDEN ? 403 : 400, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

function ignore(): void {}

/** Writes a raw HTTP error response on an upgrade socket and destroys it. */
export function abortUpgrade(
  socket: Duplex,
  status: number,
  statusText: string,
  message: string,
  json = false,
): void {
  socket.on("error", ignore);
  if (isFetchUpgrade(socket)) {
    socket.reject(status, message, json ? "application/json" : "text/html");
    return;
  }
  if (isHttp2Stream(socket)) {
    // an RFC 8441 WebSocket: the answer is an h2 status on its stream; the connection stays up
    abortHttp2Stream(socket, status, message, json ? "application/json" : "text/html");
    return;
  }
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: ${json ? "application/json" : "text/html"}\r\n` +
        `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
    );
  }
  socket.destroy();
}
