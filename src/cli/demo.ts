/**
 * `engineio-wasm demo` (and `npm start`): a small live chat served by {@link NodeApp} — the page, the browser
 * bundle, and the engine on one port.
 * @packageDocumentation
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import debugModule from "debug";
import { NodeApp } from "../adapters/node-app.js";
import { createError } from "../protocol/errors.js";
import { Server } from "../server/index.js";
import { DEMO_PAGE } from "./demo-page.js";

const debug = debugModule("engine:app");

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /**
   * TCP port; `0` picks a free one.
   * @default 3000
   */
  port?: number;
  /**
   * Interface to listen on.
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * Directory holding `engineio.esm.js` (the browser bundle).
   * @default `<package root>/dist/browser`
   */
  bundleDir?: string;
  /**
   * Longest chat message relayed, in characters; longer ones are cut.
   * @default 500
   */
  maxMessageLength?: number;
}

/** A running demo. */
export interface RunningDemo {
  /** `http://host:port/` of the page. */
  readonly url: string;
  /** The engine behind the chat. */
  readonly engine: Server;
  /** The request listener that serves page, bundle and engine. */
  readonly app: NodeApp;
  /** The HTTP server. */
  readonly httpServer: HttpServer;
  /** Where the page's `engineio.esm.js` comes from, and whether it exists (it is built by `npm run build`). */
  readonly bundle: { readonly path: string; readonly exists: boolean };
  /** Graceful shutdown: sessions first, then the HTTP server. */
  close(): Promise<void>;
}

/** The nearest directory at or above `from` whose package.json names this package. */
function findPackageRoot(from: string): string | undefined {
  let dir = from;
  for (let i = 0; i < 12; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "engineio-wasm") return dir;
      } catch {
        // not JSON: keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/**
 * Where the browser bundle lives. Both builds must compile this file, so there is no `import.meta.url` (CJS) and
 * no `__dirname` (ESM): start from `__dirname` when it exists, else from the running script (the CLI), else the
 * working directory.
 */
function defaultBundleDir(): string {
  const starts: string[] = [];
  if (typeof __dirname === "string") starts.push(__dirname);
  if (process.argv[1]) {
    try {
      starts.push(dirname(realpathSync(process.argv[1])));
    } catch {
      // the script path may not exist (REPL, eval)
    }
  }
  starts.push(process.cwd(), join(process.cwd(), "node_modules", "engineio-wasm"));
  for (const s of starts) {
    const root = findPackageRoot(s);
    if (root) return join(root, "dist", "browser");
  }
  return resolve("dist", "browser");
}

/** Answers the page itself; anything else is a 404. */
function pageApp(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  if ((req.method === "GET" || req.method === "HEAD") && (path === "/" || path === "/index.html")) {
    const body = Buffer.from(DEMO_PAGE, "utf8");
    res.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": body.length,
      "Cache-Control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return;
  }
  res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
  res.end("Not Found");
}

/**
 * Starts the demo chat: every text message a client sends is relayed, numbered, to every connected client as
 * `{"t":"chat","from","text","n"}`; clients also get `{"t":"welcome","name","backend"}` and
 * `{"t":"presence","online"}`.
 */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const port = options.port ?? 3000;
  const host = options.host ?? "127.0.0.1";
  const max = options.maxMessageLength ?? 500;
  const bundleDir = resolve(options.bundleDir ?? defaultBundleDir());
  const bundle = {
    path: join(bundleDir, "engineio.esm.js"),
    exists: existsSync(join(bundleDir, "engineio.esm.js")),
  };
  if (!bundle.exists) debug("browser bundle missing: %s (run `npm run build`)", bundle.path);

  const engine = new Server();
  const sockets = new Map<string, { send(data: string): unknown }>();
  let n = 0;
  const broadcast = (msg: object) => {
    const text = JSON.stringify(msg);
    for (const s of sockets.values()) s.send(text);
  };
  engine.on("connection", (socket) => {
    const name = `guest-${socket.id.slice(0, 4)}`;
    sockets.set(socket.id, socket);
    socket.send(JSON.stringify({ t: "welcome", name, backend: engine.codec.name }));
    broadcast({ t: "presence", online: sockets.size });
    socket.on("message", (data) => {
      const text = (typeof data === "string" ? data : "[binary]").slice(0, max);
      broadcast({ t: "chat", from: name, text, n: ++n });
    });
    socket.on("close", () => {
      sockets.delete(socket.id);
      broadcast({ t: "presence", online: sockets.size });
    });
  });

  const app = new NodeApp(engine, {
    staticFiles: {
      "/engineio.esm.js": bundle.path,
      "/engineio.esm.js.map": join(bundleDir, "engineio.esm.js.map"),
    },
    otherApp: pageApp,
  });
  const httpServer = await app.listen(port, host);
  const bound = (httpServer.address() as AddressInfo).port;
  // A wildcard address is not something to click on: show the loopback name instead.
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const shownHost = wildcard ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return { url: `http://${shownHost}:${bound}/`, engine, app, httpServer, bundle, close: () => app.close() };
}

/** `engineio-wasm demo --help`. */
export const DEMO_USAGE = `Usage: engineio-wasm demo [options]      (npm start -- [options])

  A live chat page on the engine, served with the browser bundle.

  --port <n>          TCP port (default 3000, or $PORT; 0 picks a free port)
  --host <addr>       interface (default 127.0.0.1, or $HOST; 0.0.0.0 for every interface)
  --bundle-dir <dir>  directory of engineio.esm.js (default <package>/dist/browser)
  --no-wasm           use the pure TypeScript codec (same as EIO_NO_WASM=1)
  -h, --help          this text
`;

/**
 * The `demo` subcommand: `engineio-wasm demo [--port 3000] [--host 127.0.0.1]`. Prints the URL line on stdout
 * and stops gracefully on SIGINT/SIGTERM (then exits).
 * @param argv - The arguments after `demo`.
 * @returns the running demo, or `null` for `--help`.
 * @throws Error with `code` `EIO_ERR_INVALID_ARG` on bad arguments.
 */
export async function demoCommand(argv: readonly string[]): Promise<RunningDemo | null> {
  const invalid = (message: string): never => {
    throw createError("EIO_ERR_INVALID_ARG", message, undefined, Error);
  };
  let values: { port?: string; host?: string; "bundle-dir"?: string; "no-wasm"?: boolean; help?: boolean } =
    {};
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: "string", short: "p" },
        host: { type: "string", short: "H" },
        "bundle-dir": { type: "string" },
        "no-wasm": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    invalid(`${(e as Error).message}\n${DEMO_USAGE}`);
  }
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return null;
  }
  const rawPort = values.port ?? process.env.PORT ?? "3000";
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) invalid(`--port must be an integer 0..65535, got "${rawPort}"`);
  const demoOptions: DemoOptions = { port, host: values.host ?? process.env.HOST ?? "127.0.0.1" };
  if (values["bundle-dir"]) demoOptions.bundleDir = values["bundle-dir"];
  const demo = await startDemo(demoOptions);
  const onSignal = (): void => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const missing = demo.bundle.exists
    ? ""
    : ` — browser bundle missing (${demo.bundle.path}): run npm run build`;
  process.stdout.write(
    `engineio-wasm demo on ${demo.url} (codec: ${demo.engine.codec.name}); Ctrl+C to stop${missing}\n`,
  );
  return demo;
}
