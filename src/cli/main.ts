#!/usr/bin/env node
/**
 * The `engineio-wasm` command line.
 *
 * ```
 * engineio-wasm serve [--port 3000] [--host 127.0.0.1] [--path /engine.io/] [--echo]
 *                     [--ping-interval ms] [--ping-timeout ms] [--max-http-buffer-size bytes]
 *                     [--cors-origin origin[,origin…]] [--transports polling,websocket] [--no-wasm]
 * ```
 *
 * Subcommands live in {@link COMMANDS}: add one entry (name → `(argv) => Promise`) to add a subcommand.
 * The server modules are imported after the arguments are parsed so `--no-wasm` applies before the codec loads.
 * @packageDocumentation
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** A subcommand: receives the arguments after its name; resolves once started. */
export type Command = (argv: readonly string[]) => Promise<unknown>;

const SERVE_USAGE = `Usage: engineio-wasm serve [options]

  --port <n>                   TCP port (default 3000; 0 picks a free port)
  --host <addr>                interface (default 127.0.0.1)
  --path <path>                engine path (default /engine.io/)
  --echo                       send every message back to its sender
  --ping-interval <ms>         default 25000
  --ping-timeout <ms>          default 20000
  --max-http-buffer-size <n>   default 1000000 bytes
  --cors-origin <origins>      comma-separated allowed origins, or * (default: no CORS headers)
  --transports <list>          comma-separated: polling,websocket (default both)
  --no-wasm                    use the pure TypeScript codec (same as EIO_NO_WASM=1)
  --workers <n>                run n worker processes behind a node:cluster primary that routes by the
                               sid prefix (default 0: one process)
  --node-id <id>               prefix of every sid (1-4 of [A-Za-z0-9]) for routing behind a load balancer
  -h, --help                   this text
`;

function fail(message: string): never {
  const err = new Error(message) as Error & { code: string; usage: boolean };
  err.code = "EIO_ERR_INVALID_ARG";
  err.usage = true;
  throw err;
}

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) fail(`--${name} must be a non-negative integer`);
  return n;
}

/** Parsed options of `serve`. */
export interface ServeArgs {
  /** @default 3000 */
  port: number;
  /** @default "127.0.0.1" */
  host: string;
  /** @default "/engine.io/" */
  path: string;
  /** @default false */
  echo: boolean;
  /** @default 25000 */
  pingInterval: number;
  /** @default 20000 */
  pingTimeout: number;
  /** @default 1e6 */
  maxHttpBufferSize: number;
  /** Allowed origins; `undefined` = CORS off. */
  corsOrigin: string[] | "*" | undefined;
  /** @default ["polling", "websocket"] */
  transports: ("polling" | "websocket")[];
  /** @default false */
  noWasm: boolean;
  /** Worker processes (0 = serve in this process). @default 0 */
  workers: number;
  /** `nodeId` of the engine (single-process mode). */
  nodeId: string | undefined;
  /** Whether `--help` was given. */
  help: boolean;
}

/** Parses the arguments of `serve` (throws an error with `usage: true` on bad input). */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        path: { type: "string" },
        echo: { type: "boolean" },
        "ping-interval": { type: "string" },
        "ping-timeout": { type: "string" },
        "max-http-buffer-size": { type: "string" },
        "cors-origin": { type: "string" },
        transports: { type: "string" },
        "no-wasm": { type: "boolean" },
        workers: { type: "string" },
        "node-id": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  const transports = String(values.transports ?? "polling,websocket")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of transports) if (t !== "polling" && t !== "websocket") fail(`unknown transport "${t}"`);
  if (transports.length === 0) fail("--transports needs at least one transport");
  const cors = values["cors-origin"] as string | undefined;
  return {
    port: intOption(values.port as string | undefined, "port", 3000),
    host: (values.host as string | undefined) ?? "127.0.0.1",
    path: (values.path as string | undefined) ?? "/engine.io/",
    echo: values.echo === true,
    pingInterval: intOption(values["ping-interval"] as string | undefined, "ping-interval", 25000),
    pingTimeout: intOption(values["ping-timeout"] as string | undefined, "ping-timeout", 20000),
    maxHttpBufferSize: intOption(
      values["max-http-buffer-size"] as string | undefined,
      "max-http-buffer-size",
      1e6,
    ),
    corsOrigin:
      cors === undefined
        ? undefined
        : cors.trim() === "*"
          ? "*"
          : cors
              .split(",")
              .map((o) => o.trim())
              .filter(Boolean),
    transports: transports as ("polling" | "websocket")[],
    noWasm: values["no-wasm"] === true,
    workers: intOption(values.workers as string | undefined, "workers", 0),
    nodeId: values["node-id"] as string | undefined,
    help: values.help === true,
  };
}

/** A running `serve`. */
export interface RunningServe {
  /** `http://host:port/path` of the engine. */
  url: string;
  /** Graceful stop: sessions close with `server shutting down`, then the HTTP server. */
  close(): Promise<void>;
}

/**
 * `engineio-wasm serve`: starts an engine on its own HTTP server, prints one line with its URL, and stops
 * gracefully on SIGINT/SIGTERM.
 */
export async function serveCommand(
  argv: readonly string[],
  installSignals = true,
): Promise<RunningServe | null> {
  const args = parseServeArgs(argv);
  if (args.help) {
    process.stdout.write(SERVE_USAGE);
    return null;
  }
  if (args.noWasm) process.env.EIO_NO_WASM = "1";
  const { createServer } = await import("node:http");
  const { Server, HTTP_SERVER_DEFAULTS } = await import("../server/index.js");
  const makeApp = (nodeId: string | undefined) => {
    const engine = new Server({
      nodeId,
      pingInterval: args.pingInterval,
      pingTimeout: args.pingTimeout,
      maxHttpBufferSize: args.maxHttpBufferSize,
      transports: args.transports,
      cors: args.corsOrigin === undefined ? false : { origin: args.corsOrigin },
    });
    if (args.echo) {
      engine.on("connection", (socket) => {
        socket.on("message", (data) => socket.send(data));
      });
    }
    const server = createServer(HTTP_SERVER_DEFAULTS, (_req, res) => {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("Not Found");
    });
    server.keepAliveTimeout = 65_000;
    engine.attach(server, { path: args.path });
    return { server, engine };
  };
  const host = args.host.includes(":") ? `[${args.host}]` : args.host;
  const path = args.path.endsWith("/") ? args.path : `${args.path}/`;
  const urlOf = (port: number) => `http://${host}:${port}${path.startsWith("/") ? path : `/${path}`}`;
  if (args.workers > 0) {
    const { runCluster } = await import("../cluster/index.js");
    const handle = await runCluster({
      workers: args.workers,
      port: args.port,
      host: args.host,
      installSignals,
      worker: ({ nodeId }) => makeApp(nodeId),
    });
    if (handle.role === "worker") return null;
    const url = urlOf(handle.port);
    process.stdout.write(`engineio-wasm listening on ${url} (${args.workers} workers)\n`);
    return { url, close: handle.close };
  }
  const { server: http, engine } = makeApp(args.nodeId);
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(args.port, args.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === "object" && address !== null ? address.port : args.port;
  const url = urlOf(port);
  process.stdout.write(`engineio-wasm listening on ${url}\n`);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await engine.shutdown(5000);
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections?.();
        setTimeout(() => {
          http.closeAllConnections?.();
        }, 1000).unref();
      });
    })();
    return closing;
  };
  if (installSignals) {
    const onSignal = (): void => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  return { url, close };
}

/** Subcommands by name. */
export const COMMANDS: Record<string, Command> = {
  serve: (argv) => serveCommand(argv),
  deploy: async (argv) => (await import("./deploy.js")).deployCommand(argv),
  // `demo` (npm start) lives in demo.ts; imported late so `--no-wasm` applies before the codec loads.
  demo: async (argv) => {
    if (argv.includes("--no-wasm")) process.env.EIO_NO_WASM = "1";
    return (await import("./demo.js")).demoCommand(argv);
  },
};

const USAGE = `Usage: engineio-wasm <command> [options]

Commands:
${Object.keys(COMMANDS)
  .map((c) => `  ${c}`)
  .join("\n")}

Run "engineio-wasm <command> --help" for the options of a command.
`;

/** Runs the CLI with `argv` (without `node` and the script). Resolves to the exit code (0 while serving). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(USAGE);
    return name === undefined ? 1 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`engineio-wasm: unknown command "${name}"\n${USAGE}`);
    return 1;
  }
  try {
    await command(rest);
    return 0;
  } catch (e) {
    const err = e as Error & { usage?: boolean };
    process.stderr.write(`engineio-wasm ${name}: ${err.message}\n`);
    if (err.usage && name === "serve") process.stderr.write(SERVE_USAGE);
    return 1;
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    // The CLI is ESM-only (no CommonJS build), so the module can compare its own path with the entry's.
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exitCode = code;
  });
}
