/**
 * `engineio-wasm demo` (and `npm start`): a small live chat served by {@link NodeApp} — the page, the browser
 * bundle, and the engine on one port.
 * @packageDocumentation
 */
import { existsSync, realpathSync } from "node:fs";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { type CloseOptions, NodeApp } from "../adapters/node-app.js";
import { createDebug } from "../debug.js";
import { Server, type ServerOptions } from "../server/index.js";
import {
  EXIT,
  EXIT_CODES_TEXT,
  findPackageRoot,
  HELP_OPTION,
  type OptionSpec,
  parseOptions,
  portArg,
  usageText,
} from "./args.js";
import { DEMO_PAGE } from "./demo-page.js";

const debug = createDebug("engine:app");

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
   * The engine's codec (a codec object or backend name; `--no-wasm` passes `"node"`).
   * @default the shared default codec
   */
  codec?: ServerOptions["codec"];
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
  /**
   * Graceful shutdown: stops accepting, closes the sessions, then the HTTP server ({@link NodeApp.close};
   * `timeout` bounds each wait).
   */
  close(options?: CloseOptions): Promise<void>;
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

  const engine = new Server(options.codec === undefined ? {} : { codec: options.codec });
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
  return {
    url: `http://${shownHost}:${bound}/`,
    engine,
    app,
    httpServer,
    bundle,
    close: (o) => app.close(o),
  };
}

/** Options of `demo`: its parser and its `--help` text. */
export const DEMO_OPTIONS: readonly OptionSpec[] = [
  {
    name: "port",
    short: "p",
    value: "<n>",
    description: "TCP port; 0 picks a free one",
    default: "$PORT, else 3000",
  },
  {
    name: "host",
    short: "H",
    value: "<addr>",
    description: "interface; 0.0.0.0 for every interface",
    default: "$HOST, else 127.0.0.1",
  },
  {
    name: "bundle-dir",
    value: "<dir>",
    description: "directory of engineio.esm.js",
    default: "<package>/dist/browser",
  },
  { name: "no-wasm", description: "use a non-WASM codec (same as EIO_NO_WASM=1)", default: "off" },
  HELP_OPTION,
];

/** `engineio-wasm demo --help`. */
export const DEMO_USAGE = `${usageText(
  "demo",
  "A live chat page on the engine, served with the browser bundle (npm start -- [options]).",
  DEMO_OPTIONS,
)}${EXIT_CODES_TEXT}`;

/**
 * How long Ctrl+C waits for polling sessions to fetch their close packet, and then for busy connections,
 * before they are dropped: the demo must stop at once, not wait like a production server.
 */
export const DEMO_SHUTDOWN_MS = 300;

/**
 * The `demo` subcommand: `engineio-wasm demo [--port 3000] [--host 127.0.0.1]`. Prints the URL line on stdout
 * and stops on SIGINT/SIGTERM: it stops accepting at once, closes the sessions (waiting at most
 * {@link DEMO_SHUTDOWN_MS} for polling clients), then exits.
 * @param argv - The arguments after `demo`.
 * @returns the running demo, or `null` for `--help`.
 * @throws UsageError (`code` `EIO_ERR_INVALID_ARG`) on bad arguments.
 */
export async function demoCommand(argv: readonly string[]): Promise<RunningDemo | null> {
  const values = parseOptions(argv, DEMO_OPTIONS);
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return null;
  }
  const port = portArg(values.port as string | undefined, 3000);
  const demoOptions: DemoOptions = {
    port,
    host: (values.host as string | undefined) ?? (process.env.HOST || "127.0.0.1"),
  };
  if (values["bundle-dir"]) demoOptions.bundleDir = values["bundle-dir"] as string;
  if (values["no-wasm"]) demoOptions.codec = "node";
  const demo = await startDemo(demoOptions);
  const onSignal = (): void => {
    demo.close({ timeout: DEMO_SHUTDOWN_MS }).then(
      () => process.exit(EXIT.OK),
      () => process.exit(EXIT.FAILURE),
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
