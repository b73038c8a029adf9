/**
 * The ASGIApp counterpart for Fetch-API runtimes (Bun, Deno, any `(Request) => Response` host): the engine path
 * goes to the engine, `staticFiles` are served (the same rules as {@link NodeApp}), and the rest goes to
 * `otherApp` — itself a Fetch handler (a Hono app's `fetch`, for instance) — or is answered `404`.
 *
 * @example
 * ```ts
 * const app = new FetchApp(new Server(), { staticFiles: { "/": "public/index.html" }, otherApp: hono.fetch });
 * Bun.serve({ port: 3000, ...app.handler() });   // or: Deno.serve({ port: 3000 }, app.fetch)
 * ```
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createDebug } from "../debug.js";
import {
  type BunWebSocketHandler,
  createFetchHandler,
  type FetchAnswer,
  type FetchContext,
  type FetchEngine,
  type FetchHandler,
  serveFetch,
} from "../server/fetch/handler.js";
import { requestTarget, targetPath } from "../server/fetch/request-target.js";
import { computePath } from "../server/options.js";
import { pathOf, resolveStaticFile, type StaticFiles } from "./static-files.js";
import { locateStaticFile } from "./static-lookup.js";

const debug = createDebug("engine:app");

function notFound(): Response {
  return new Response("Not Found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** A Fetch handler `FetchApp` can fall back to. */
export type FetchOtherApp = (
  request: Request,
  ctx?: FetchContext,
) => Response | undefined | Promise<Response | undefined>;

/** Options of {@link FetchApp}. */
export interface FetchAppOptions {
  /**
   * The Engine.IO path.
   * @default the engine's `path` option ("/engine.io")
   */
  engineioPath?: string;
  /** Static files, as `NodeApp`'s `staticFiles` (URL → file, or URL prefix → directory). */
  staticFiles?: StaticFiles;
  /**
   * Directory relative static file names resolve against.
   * @default process.cwd()
   */
  staticRoot?: string;
  /** Handler for everything else. */
  otherApp?: FetchOtherApp;
}

/** Engine path + static files + a fallback Fetch handler. */
export class FetchApp {
  /** The normalized Engine.IO path prefix, e.g. `/engine.io/`. */
  readonly engineioPath: string;
  private readonly engineHandler: FetchHandler;
  private readonly staticFiles: StaticFiles;
  private readonly staticRoot: string;
  private readonly otherApp: FetchOtherApp | undefined;

  constructor(
    private readonly engine: FetchEngine,
    options: FetchAppOptions = {},
  ) {
    this.engineioPath = computePath(options.engineioPath ?? engine.opts.path, engine.opts.addTrailingSlash);
    this.engineHandler = createFetchHandler(engine);
    this.staticFiles = options.staticFiles ?? {};
    this.staticRoot = resolve(options.staticRoot ?? process.cwd());
    this.otherApp = options.otherApp;
  }

  /**
   * The Fetch handler (bound): `Deno.serve(app.fetch)`. Engine requests are answered as the engine's own
   * handler answers them (a `Response` at once where it is known, else a promise); the rest asynchronously.
   */
  readonly fetch = (request: Request, ctx?: FetchContext): FetchAnswer => {
    const target = requestTarget(request.url);
    const path = targetPath(target);
    if (path.startsWith(this.engineioPath)) return serveFetch(this.engine, request, ctx, target);
    return this.serveOther(request, ctx, path);
  };

  private async serveOther(request: Request, ctx: FetchContext, path: string): Promise<Response | undefined> {
    const method = request.method;
    if ((method === "GET" || method === "HEAD") && Object.keys(this.staticFiles).length > 0) {
      const served = await this.serveStatic(pathOf(path), method === "HEAD");
      if (served !== null) return served;
    }
    if (this.otherApp) return this.otherApp(request, ctx);
    return notFound();
  }

  /** What `Bun.serve` takes: `{ fetch, websocket, idleTimeout, maxRequestBodySize }`. */
  handler(): Omit<FetchHandler, "fetch"> & { fetch: FetchApp["fetch"]; websocket: BunWebSocketHandler } {
    const { websocket, idleTimeout, maxRequestBodySize } = this.engineHandler;
    return { fetch: this.fetch, websocket, idleTimeout, maxRequestBodySize };
  }

  private async serveStatic(path: string, head: boolean): Promise<Response | null> {
    const match = resolveStaticFile(path, this.staticFiles, this.staticRoot);
    if (match === null) return null;
    // as NodeApp: refused paths get 404, a missing file falls through to otherApp
    if (match === "forbidden") return notFound();
    const found = await locateStaticFile(match, this.staticFiles);
    if (found === null) return null;
    debug("static %s -> %s", path, found.filename);
    const body = head ? null : await readFile(found.filename);
    return new Response(body as BodyInit | null, {
      status: 200,
      headers: {
        "content-type": found.contentType,
        "content-length": String(found.size),
        "x-content-type-options": "nosniff",
      },
    });
  }
}
