/**
 * `NodeApp`: the Node.js counterpart of python-engineio's `WSGIApp` / `ASGIApp`.
 *
 * One request listener that sends the Engine.IO path to the engine, serves a map of static files, hands every
 * other request to an optional application (Express, Koa's `callback()`, Hono's `getRequestListener`, any
 * `(req, res)` listener) and answers `404 Not Found` otherwise. `attach()` / `listen()` wire WebSocket upgrades
 * too, and `close()` shuts down gracefully: engine sessions first, then the HTTP server.
 * @packageDocumentation
 */
import { createReadStream } from "node:fs";
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Http2SecureServer, Http2Server } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { createDebug } from "../debug.js";
import { createError } from "../protocol/errors.js";
import { HTTP_SERVER_DEFAULTS } from "../server/http-defaults.js";
import { http2ConnectListener, trackHttp2Sessions } from "../server/http2.js";
import { unrefTimer } from "../timers.js";
import { pathOf, resolveStaticFile, type StaticFileMatch, type StaticFiles } from "./static-files.js";
import { locateStaticFile } from "./static-lookup.js";

export type { StaticFileMatch, StaticFileRule, StaticFiles } from "./static-files.js";
export { guessContentType, resolveStaticFile } from "./static-files.js";

const debug = createDebug("engine:app");

/**
 * What `NodeApp` needs from an engine: the engine.io-style entry points. `Server` from this package satisfies it,
 * and so does engine.io's own `Server`.
 */
export interface EngineHandler {
  /** Handles an HTTP request on the Engine.IO path (long-polling, or the handshake). */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Handles an HTTP upgrade on the Engine.IO path (WebSocket). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every session (reason `server shutting down` in this package) and stops accepting new ones. */
  close(): unknown;
  /**
   * Graceful {@link EngineHandler.close}: resolves once every session has closed, or after `timeoutMs`. Used by
   * {@link NodeApp.close} when present (this package's `Server` has it; engine.io's does not).
   */
  shutdown?(timeoutMs?: number): Promise<void>;
  /** engine.io keeps its options here; `NodeApp` reads `path` from it when `engineioPath` is not given. */
  readonly opts?: { readonly path?: string };
}

/** Any Node request listener: an Express app, `koaApp.callback()`, `getRequestListener(honoApp.fetch)`, … */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** An upgrade listener, as passed to `httpServer.on("upgrade", …)`. */
export type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

/** Options of {@link NodeApp}. */
export interface NodeAppOptions {
  /**
   * Static files served next to the engine. See {@link StaticFiles}.
   * @default {}
   */
  staticFiles?: StaticFiles;
  /**
   * Receives every request that is neither on the engine path nor a static file.
   * @default undefined (such requests get `404 Not Found`)
   */
  otherApp?: RequestListener;
  /**
   * The Engine.IO endpoint. A leading `/` and (with `addTrailingSlash`) a trailing `/` are added, so
   * python-engineio's `"engine.io"` works as is. Matched as a prefix of the URL path.
   * @default the engine's `opts.path`, else `"/engine.io"`
   */
  engineioPath?: string;
  /**
   * Appends `/` to `engineioPath`, like engine.io's and python-engineio's option of the same name.
   * @default true
   */
  addTrailingSlash?: boolean;
  /**
   * Directory that relative static file names are resolved against.
   * @default process.cwd() at construction
   */
  staticRoot?: string;
  /**
   * When an upgrade request is not for the engine and nothing else answers it within this many milliseconds,
   * the socket is ended (engine.io's `destroyUpgradeTimeout`). `false` leaves such sockets alone.
   * @default 1000
   */
  destroyUpgradeTimeout?: number | false;
}

/** Options of {@link NodeApp.close}. */
export interface CloseOptions {
  /**
   * Longest wait of each phase, in milliseconds: for polling clients to fetch their last messages (the engine's
   * `shutdown`), then for open HTTP connections (keep-alive sockets, slow responses), which are destroyed after it.
   * @default 5000
   */
  timeout?: number;
}

/** Normalizes an engine path the way python-engineio and engine.io do. */
function normalizeEnginePath(path: string, addTrailingSlash: boolean): string {
  let p = path.startsWith("/") ? path : `/${path}`;
  if (addTrailingSlash && !p.endsWith("/")) p += "/";
  return p;
}

/**
 * The servers `NodeApp.attach` accepts: `http.Server`, `https.Server` (e.g. `fastify.server`) and `http2` servers
 * (`createSecureServer({ allowHTTP1: true, settings: { enableConnectProtocol: true } })` for WebSocket over h2).
 */
export type AttachableServer = HttpServer | HttpsServer | Http2SecureServer | Http2Server;

/**
 * The WSGIApp/ASGIApp counterpart: routes the Engine.IO path to the engine, serves static files, and hands the
 * rest to `otherApp`.
 *
 * @example
 * ```ts
 * import { NodeApp, Server } from "engineio-wasm";
 * const eio = new Server();
 * const app = new NodeApp(eio, { staticFiles: { "/": "public/" }, otherApp: expressApp });
 * await app.listen(3000, "127.0.0.1");
 * process.on("SIGTERM", () => app.close());
 * ```
 */
export class NodeApp {
  /** The engine requests on {@link NodeApp.engineioPath} go to. */
  readonly engine: EngineHandler;
  /** The normalized Engine.IO path prefix, e.g. `/engine.io/`. */
  readonly engineioPath: string;
  /** The static file rules in use. */
  readonly staticFiles: StaticFiles;
  /** The fallback application, if any. */
  readonly otherApp: RequestListener | undefined;
  /** Absolute directory that relative static file names are resolved against. */
  readonly staticRoot: string;
  private readonly destroyUpgradeTimeout: number | false;
  private readonly servers = new Set<AttachableServer>();
  private readonly h2Sessions = new Map<AttachableServer, Set<import("node:http2").ServerHttp2Session>>();
  private closing: Promise<void> | undefined;

  /**
   * @param engine - The engine (`new Server(...)` of this package, or anything with its entry points).
   * @param options - Static files, fallback app and engine path.
   */
  constructor(engine: EngineHandler, options: NodeAppOptions = {}) {
    if (!engine || typeof engine.handleRequest !== "function" || typeof engine.handleUpgrade !== "function") {
      throw createError(
        "EIO_ERR_INVALID_ENGINE",
        "NodeApp needs an engine with handleRequest() and handleUpgrade()",
        undefined,
        TypeError,
      );
    }
    this.engine = engine;
    this.engineioPath = normalizeEnginePath(
      options.engineioPath ?? engine.opts?.path ?? "/engine.io",
      options.addTrailingSlash ?? true,
    );
    this.staticFiles = options.staticFiles ?? {};
    this.otherApp = options.otherApp;
    this.staticRoot = resolve(options.staticRoot ?? process.cwd());
    this.destroyUpgradeTimeout = options.destroyUpgradeTimeout ?? 1000;
  }

  /** True when the request URL is on the Engine.IO path. */
  isEngineRequest(req: IncomingMessage): boolean {
    return pathOf(req.url).startsWith(this.engineioPath);
  }

  /**
   * The request listener: `http.createServer(app.handleRequest)`. Bound, so it can be passed around.
   */
  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res, this.otherApp);
  };

  /**
   * The upgrade listener: `httpServer.on("upgrade", app.handleUpgrade)`. Engine-path upgrades go to the engine;
   * others are left to other listeners and ended after `destroyUpgradeTimeout` if nobody answered.
   */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (this.isEngineRequest(req)) {
      debug("upgrade %s -> engine", req.url);
      this.engine.handleUpgrade(req, socket, head);
      return;
    }
    const timeout = this.destroyUpgradeTimeout;
    if (timeout === false) return;
    const timer = unrefTimer(
      setTimeout(() => {
        const s = socket as Duplex & { bytesWritten?: number };
        if (s.writable && (s.bytesWritten ?? 0) <= 0) {
          debug("ending unanswered upgrade %s", req.url);
          socket.on("error", () => {});
          socket.end();
        }
      }, timeout),
    );
    socket.once("close", () => clearTimeout(timer));
  };

  private route(req: IncomingMessage, res: ServerResponse, fallback: RequestListener | undefined): void {
    const path = pathOf(req.url);
    if (path.startsWith(this.engineioPath)) {
      this.engine.handleRequest(req, res);
      return;
    }
    const method = req.method ?? "GET";
    if ((method === "GET" || method === "HEAD") && Object.keys(this.staticFiles).length > 0) {
      const match = resolveStaticFile(path, this.staticFiles, this.staticRoot);
      if (match === "forbidden") {
        debug("refused static path %s", req.url);
        this.notFound(res);
        return;
      }
      if (match) {
        this.serveStatic(req, res, match).then(
          (served) => {
            if (!served) this.fallback(req, res, fallback);
          },
          (err: unknown) => {
            debug("static file error %o", err);
            if (!res.headersSent) this.notFound(res);
            else res.destroy();
          },
        );
        return;
      }
    }
    this.fallback(req, res, fallback);
  }

  private fallback(req: IncomingMessage, res: ServerResponse, fallback: RequestListener | undefined): void {
    if (fallback) {
      fallback(req, res);
      return;
    }
    this.notFound(res);
  }

  private notFound(res: ServerResponse): void {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": 9 });
    res.end("Not Found");
  }

  /** Streams a static file; resolves `false` when the file does not exist (so the request falls through). */
  private async serveStatic(
    req: IncomingMessage,
    res: ServerResponse,
    match: StaticFileMatch,
  ): Promise<boolean> {
    const found = await locateStaticFile(match, this.staticFiles);
    if (found === null) return false;
    const { filename, contentType } = found;
    debug("static %s -> %s", req.url, filename);
    res.writeHead(200, {
      "Content-Type": contentType,
      "Content-Length": found.size,
      "X-Content-Type-Options": "nosniff",
    });
    if (req.method === "HEAD") {
      res.end();
      return true;
    }
    await new Promise<void>((done, fail) => {
      const stream = createReadStream(filename);
      stream.on("error", fail);
      res.on("close", () => {
        stream.destroy();
        done();
      });
      stream.pipe(res).on("finish", () => done());
    });
    return true;
  }

  /**
   * Wires this app into an existing `http`/`https` server (like engine.io's `attach`): the server's existing
   * request listeners become the fallback (after `otherApp`, if both are set), and engine-path upgrades go to the
   * engine.
   * @returns the server, for chaining.
   */
  attach<S extends AttachableServer>(httpServer: S): S {
    const previous = httpServer.listeners("request") as RequestListener[];
    httpServer.removeAllListeners("request");
    const chained: RequestListener | undefined =
      previous.length === 0
        ? this.otherApp
        : (req, res) => {
            if (this.otherApp) {
              this.otherApp(req, res);
              return;
            }
            for (const l of previous) l.call(httpServer, req, res);
          };
    httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => this.route(req, res, chained));
    httpServer.on("upgrade", this.handleUpgrade);
    if ("updateSettings" in httpServer) {
      // http2: WebSockets arrive as RFC 8441 extended CONNECT streams; sessions are tracked for close()
      const previous = httpServer.listeners("connect") as unknown as Parameters<
        typeof http2ConnectListener
      >[2];
      httpServer.removeAllListeners("connect");
      httpServer.on(
        "connect",
        http2ConnectListener(
          (req) => this.isEngineRequest(req),
          (req, stream, head) => this.engine.handleUpgrade(req, stream, head),
          previous,
          httpServer,
        ),
      );
      this.h2Sessions.set(httpServer, trackHttp2Sessions(httpServer));
    }
    this.servers.add(httpServer);
    httpServer.on("close", () => this.servers.delete(httpServer));
    debug("attached at %s", this.engineioPath);
    return httpServer;
  }

  /**
   * Creates an HTTP server for this app (with `HTTP_SERVER_DEFAULTS`: headers within 10 s, a whole request
   * within 30 s), attaches it and starts listening.
   * @param port - TCP port; `0` picks a free one.
   * @default port 3000, host undefined (all interfaces, like `server.listen`)
   * @returns the listening server (`server.address()` tells the port).
   */
  listen(port = 3000, host?: string): Promise<HttpServer> {
    // Bounded slow headers/bodies (slowloris), as every http server this package creates (SECURITY.md).
    const server = createServer(HTTP_SERVER_DEFAULTS);
    this.attach(server);
    return new Promise((done, fail) => {
      server.once("error", fail);
      const ready = () => {
        server.off("error", fail);
        const a = server.address() as AddressInfo | null;
        debug("listening on %s:%d", a?.address, a?.port);
        done(server);
      };
      if (host === undefined) server.listen(port, ready);
      else server.listen(port, host, ready);
    });
  }

  /**
   * Graceful shutdown: the engine refuses new sessions at once (403 `Server shutting down`), closes every session (waiting up to `timeout` for polling clients to fetch their
   * close packet; the sessions' server-side `close` handlers get `server shutting down`, clients see their
   * transport close), then closes idle connections and destroys the ones still open `timeout` later. Safe to
   * call more than once.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return this.closing;
    const timeout = options.timeout ?? 5000;
    this.closing = (async () => {
      debug("closing: %d http server(s)", this.servers.size);
      // The listener stays open while the sessions close (the engine already refuses new handshakes): a
      // polling client between two polls needs a connection to fetch its close packet.
      if (typeof this.engine.shutdown === "function") await this.engine.shutdown(timeout);
      else await this.engine.close();
      await Promise.all(
        [...this.servers].map(
          (server) =>
            new Promise<void>((done) => {
              const sessions = this.h2Sessions.get(server);
              const timer = unrefTimer(
                setTimeout(() => {
                  if ("closeAllConnections" in server) server.closeAllConnections();
                  if (sessions) for (const session of sessions) session.destroy();
                }, timeout),
              );
              server.close(() => {
                clearTimeout(timer);
                done();
              });
              if ("closeIdleConnections" in server) server.closeIdleConnections();
              // h2: GOAWAY, then the session ends once its open streams have
              if (sessions) for (const session of sessions) session.close();
            }),
        ),
      );
      this.servers.clear();
      this.h2Sessions.clear();
      debug("closed");
    })();
    return this.closing;
  }

  /**
   * Calls {@link NodeApp.close} on the first of `signals`, then lets the process exit.
   * @default signals `["SIGINT", "SIGTERM"]`
   * @returns a function that removes the signal handlers.
   */
  closeOnSignals(
    signals: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"],
    options: CloseOptions = {},
  ): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      debug("%s: shutting down", signal);
      remove();
      void this.close(options);
    };
    const remove = () => {
      for (const s of signals) process.off(s, onSignal);
    };
    for (const s of signals) process.once(s, onSignal);
    return remove;
  }
}
