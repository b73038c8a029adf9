/**
 * Wiring an engine into Node's servers (engine.io's `attach`): `request` events for the engine path go to the
 * engine and the rest to the listeners the server had; `upgrade` events (HTTP/1.1) and, on an http2 server,
 * RFC 8441 extended CONNECT streams go to `handleUpgrade`; closing the server closes the engine.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Http2SecureServer, Http2Server } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { createDebug } from "../debug.js";
import { ERRORS } from "../protocol/errors.js";
import { boolOption, stringOption, timeOption } from "../protocol/validate.js";
import { unrefTimer } from "../timers.js";
import { abortRequest } from "./http-errors.js";
import { http2ConnectListener } from "./http2.js";
import { type AttachOptions, computePath, type ResolvedOptions } from "./options.js";

const debug = createDebug("engine");

/** The servers an engine attaches to: `http`, `https`, and `http2` (secure or not). */
export type AttachableHttpServer = HttpServer | HttpsServer | Http2SecureServer | Http2Server;

/** What attaching needs from the engine. */
export interface AttachHost {
  readonly opts: ResolvedOptions;
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): unknown;
}

/** A `(req, res)` request listener. */
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

function ignore(): void {}

/** Whether a URL's query carries Engine.IO's `EIO` and `transport` parameters. */
function isEngineIoQuery(url: string | undefined): boolean {
  const q = url?.indexOf("?") ?? -1;
  if (q < 0) return false;
  const params = new URLSearchParams(url!.slice(q + 1));
  return params.has("EIO") && params.has("transport");
}

/** Attaches `engine` to `server` (see the module comment). */
export function attachEngine(
  engine: AttachHost,
  server: AttachableHttpServer,
  options: AttachOptions = {},
): void {
  const path = computePath(
    stringOption(options.path, engine.opts.path, "path"),
    boolOption(options.addTrailingSlash, engine.opts.addTrailingSlash, "addTrailingSlash"),
  );
  const destroyUpgrade = boolOption(options.destroyUpgrade, engine.opts.destroyUpgrade, "destroyUpgrade");
  const destroyUpgradeTimeout = timeOption(
    options.destroyUpgradeTimeout,
    engine.opts.destroyUpgradeTimeout,
    "destroyUpgradeTimeout",
    { allowZero: true },
  );
  const check = (req: IncomingMessage): boolean => typeof req.url === "string" && req.url.startsWith(path);
  const listeners = server.listeners("request").slice(0) as RequestListener[];
  server.removeAllListeners("request");
  server.on("close", () => engine.close());
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (check(req)) {
      debug('intercepting request for path "%s"', path);
      engine.handleRequest(req, res);
    } else if (server.listenerCount("request") === 1 && listeners.length === 0 && isEngineIoQuery(req.url)) {
      // An Engine.IO request for another path, and nothing else would answer it (it would hang): say where
      // the engine is. The common case is socket.io-client (path "/socket.io/") against an engine created
      // with the default "/engine.io".
      const asked = (req.url ?? "").split("?")[0];
      debug('engine.io request for "%s", but the engine is at "%s"', asked, path);
      abortRequest(
        res,
        ERRORS.BAD_REQUEST,
        `no Engine.IO endpoint at ${asked}: this engine is attached at ${path}` +
          (asked?.startsWith("/socket.io") ? ' (for socket.io, create it with { path: "/socket.io/" })' : ""),
      );
    } else {
      for (const l of listeners) l.call(server, req, res);
    }
  });
  if (engine.opts.transports.includes("websocket")) {
    if ("updateSettings" in server) {
      // an http2 server: WebSockets arrive as extended CONNECT streams (RFC 8441)
      const previous = server.listeners("connect") as unknown as Parameters<typeof http2ConnectListener>[2];
      server.removeAllListeners("connect");
      server.on(
        "connect",
        http2ConnectListener(
          check,
          (req, stream, head) => engine.handleUpgrade(req, stream, head),
          previous,
          server,
        ),
      );
    }
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (check(req)) {
        engine.handleUpgrade(req, socket, head);
      } else if (destroyUpgrade) {
        socket.on("error", ignore);
        unrefTimer(
          setTimeout(() => {
            const s = socket as Duplex & { bytesWritten?: number };
            if (s.writable && (s.bytesWritten ?? 0) <= 0) s.end();
          }, destroyUpgradeTimeout),
        );
      }
    });
  }
}
