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
 * Run `engineio-wasm --help` for the commands, `engineio-wasm <command> --help` for their options.
 * Subcommands live in {@link COMMANDS}: add one entry (name → `{ description, run }`) to add a subcommand; an
 * option table ({@link OptionSpec}s) gives a command both its parser and its `--help` text.
 * Exit codes: {@link EXIT} (0 success, 1 failure while running, 2 bad usage).
 * @packageDocumentation
 */
import { realpathSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { CLUSTER_ROUTINGS, type ClusterRouting } from "../cluster/routing.js";
import { HTTP_SERVER_DEFAULTS } from "../server/http-defaults.js";
import { NODE_ID_PATTERN } from "../server/id.js";
import { Server } from "../server/server.js";
import {
  EXIT,
  EXIT_CODES_TEXT,
  HELP_OPTION,
  integerArg,
  type OptionSpec,
  packageVersion,
  parseOptions,
  portArg,
  UsageError,
  usageText,
} from "./args.js";
import { demoCommand } from "./demo.js";

/** A subcommand: receives the arguments after its name; resolves once started. */
export type Command = (argv: readonly string[]) => Promise<unknown>;

/** One entry of {@link COMMANDS}: what `--help` says about it, and what runs it. */
export interface CommandEntry {
  /** One line for `engineio-wasm --help`. */
  description: string;
  /** Runs the command. */
  run: Command;
}

/** Options of `serve`: the parser's configuration and the `serve --help` text both come from this table. */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
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
    description: "interface to listen on",
    default: "$HOST, else 127.0.0.1",
  },
  { name: "path", value: "<path>", description: "engine path", default: "/engine.io/" },
  { name: "echo", description: "send every message back to its sender", default: "off" },
  { name: "ping-interval", value: "<ms>", description: "ms between server pings", default: "25000" },
  { name: "ping-timeout", value: "<ms>", description: "ms to wait for a pong", default: "20000" },
  {
    name: "max-http-buffer-size",
    value: "<bytes>",
    description: "largest message or POST body",
    default: "1000000",
  },
  {
    name: "cors-origin",
    value: "<origins>",
    description: "comma-separated allowed origins, or *",
    default: "no CORS headers",
  },
  { name: "transports", value: "<list>", description: "comma-separated: polling,websocket", default: "both" },
  {
    name: "shutdown-timeout",
    value: "<ms>",
    description: "on SIGINT/SIGTERM, longest wait for sessions to close",
    default: "5000",
  },
  { name: "no-wasm", description: "use a non-WASM codec (same as EIO_NO_WASM=1)", default: "off" },
  {
    name: "workers",
    value: "<n>",
    description: "n worker processes behind a node:cluster primary routing by sid prefix",
    default: "0 (one process)",
  },
  {
    name: "routing",
    value: "<mode>",
    description:
      "with --workers: handover (the primary passes each connection to its session's worker), shared (workers accept, forward foreign sessions) or relay",
    default: "handover",
  },
  {
    name: "node-id",
    value: "<id>",
    description: "prefix of every sid (1-4 of [A-Za-z0-9]), for routing behind a load balancer",
    default: "none",
  },
  HELP_OPTION,
];

const SERVE_USAGE = `${usageText(
  "serve",
  "An Engine.IO server on its own HTTP server; prints one line with its URL.",
  SERVE_OPTIONS,
)}${EXIT_CODES_TEXT}`;

/** Parsed options of `serve`. */
export interface ServeArgs {
  /** @default $PORT, else 3000 */
  port: number;
  /** @default $HOST, else "127.0.0.1" */
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
  /** @default 5000 */
  shutdownTimeout: number;
  /** @default false */
  noWasm: boolean;
  /** Worker processes (0 = serve in this process). @default 0 */
  workers: number;
  /** How the cluster primary routes (`runCluster`'s `routing`). @default "handover" */
  routing: ClusterRouting;
  /** `nodeId` of the engine (single-process mode). */
  nodeId: string | undefined;
  /** Whether `--help` was given. */
  help: boolean;
}

const MAX_MS = 2 ** 31 - 1;

/** Parses the arguments of `serve` (throws a {@link UsageError} on bad input). */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const values = parseOptions(argv, SERVE_OPTIONS);
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const transports = String(str("transports") ?? "polling,websocket")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = transports.filter((t) => t !== "polling" && t !== "websocket");
  if (unknown.length > 0) {
    throw new UsageError(
      `--transports has unknown ${unknown.map((t) => `"${t}"`).join(", ")} (known: polling, websocket)`,
    );
  }
  if (transports.length === 0) throw new UsageError("--transports needs at least one of polling, websocket");
  const cors = str("cors-origin");
  return {
    port: portArg(str("port"), 3000),
    host: str("host") ?? (process.env.HOST || "127.0.0.1"),
    path: str("path") ?? "/engine.io/",
    echo: values.echo === true,
    pingInterval: integerArg(str("ping-interval"), 25000, "--ping-interval", 1, MAX_MS),
    pingTimeout: integerArg(str("ping-timeout"), 20000, "--ping-timeout", 1, MAX_MS),
    maxHttpBufferSize: integerArg(
      str("max-http-buffer-size"),
      1e6,
      "--max-http-buffer-size",
      0,
      Number.MAX_SAFE_INTEGER,
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
    shutdownTimeout: integerArg(str("shutdown-timeout"), 5000, "--shutdown-timeout", 0, MAX_MS),
    noWasm: values["no-wasm"] === true,
    workers: integerArg(str("workers"), 0, "--workers", 0, 62),
    routing: routingArg(str("routing")),
    nodeId: nodeIdArg(str("node-id")),
    help: values.help === true,
  };
}

function routingArg(raw: string | undefined): ServeArgs["routing"] {
  if (raw === undefined) return "handover";
  const known = CLUSTER_ROUTINGS.find((r) => r === raw);
  if (known !== undefined) return known;
  throw new UsageError(`--routing must be handover, shared or relay, got ${JSON.stringify(raw)}`);
}

function nodeIdArg(raw: string | undefined): string | undefined {
  if (raw !== undefined && !NODE_ID_PATTERN.test(raw))
    throw new UsageError(`--node-id must be 1-4 characters of [A-Za-z0-9], got ${JSON.stringify(raw)}`);
  return raw;
}

/** A running `serve`. */
export interface RunningServe {
  /** `http://host:port/path` of the engine. */
  url: string;
  /**
   * Graceful stop: stops accepting, closes the sessions (clients see their transport close; the server's `close`
   * handlers get `server shutting down`), then the HTTP server.
   */
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
  const makeApp = (nodeId: string | undefined) => {
    const engine = new Server({
      nodeId,
      // the best non-WASM backend here (`node`); a codec of its own, so nothing global is switched
      ...(args.noWasm ? { codec: "node" as const } : {}),
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
    // cluster mode: this same command runs again in every worker (node:cluster re-runs the entry script)
    const { runCluster } = await import("../cluster/index.js");
    const handle = await runCluster({
      workers: args.workers,
      routing: args.routing,
      port: args.port,
      host: args.host,
      shutdownTimeoutMs: args.shutdownTimeout,
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
      // the engine refuses new sessions at once; the listener stays open while the sessions close, so a
      // polling client between two polls can still fetch its close packet
      await engine.shutdown(args.shutdownTimeout);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => http.closeAllConnections?.(), CONNECTION_GRACE_MS);
        timer.unref();
        http.close(() => {
          clearTimeout(timer);
          resolve();
        });
        http.closeIdleConnections?.();
      });
    })();
    return closing;
  };
  if (installSignals) {
    const onSignal = (): void => {
      close().then(
        () => process.exit(EXIT.OK),
        () => process.exit(EXIT.FAILURE),
      );
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  return { url, close };
}

/**
 * After the sessions closed, how long connections still busy (a response being written) get before they are
 * destroyed. Idle keep-alive connections are closed at once.
 */
const CONNECTION_GRACE_MS = 250;

/**
 * Subcommands by name, with their one-line description. To add a command, add an entry: `--help` lists it and
 * {@link main} dispatches to it.
 */
export const COMMANDS: Record<string, CommandEntry> = {
  serve: {
    description: "run an Engine.IO server on its own HTTP server (--echo to echo messages)",
    run: (argv) => serveCommand(argv),
  },
  deploy: {
    description: "print a haproxy or nginx config routing by sid prefix (--nodes n1=host:port,…)",
    run: async (argv) => (await import("./deploy.js")).deployCommand(argv),
  },
  demo: {
    description: "a live chat page served with the browser bundle (what npm start runs)",
    run: (argv) => demoCommand(argv),
  },
};

function mainUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.description}`);
  return `Usage: engineio-wasm <command> [options]

Engine.IO v4 server and client with a WebAssembly codec.

Commands:
${rows.join("\n")}

Options:
  -h, --help      this text
  -V, --version   print the version and exit

Run "engineio-wasm <command> --help" for the options of a command.
${EXIT_CODES_TEXT}`;
}

/** Writes an argument error in the one wording every command uses, and returns {@link EXIT.USAGE}. */
function usageFailure(command: string | undefined, message: string): number {
  const where = command === undefined ? "engineio-wasm" : `engineio-wasm ${command}`;
  const help = command === undefined ? "engineio-wasm --help" : `engineio-wasm ${command} --help`;
  process.stderr.write(`${where}: ${message}\nRun "${help}" for the options.\n`);
  return EXIT.USAGE;
}

/**
 * Runs the CLI with `argv` (without `node` and the script). Resolves to the exit code ({@link EXIT}; 0 while a
 * server keeps running).
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(mainUsage());
    return EXIT.OK;
  }
  if (name === "-V" || name === "--version" || name === "version") {
    process.stdout.write(`engineio-wasm ${packageVersion()}\n`);
    return EXIT.OK;
  }
  if (name === undefined) {
    process.stderr.write(mainUsage());
    return EXIT.USAGE;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    return usageFailure(
      undefined,
      name.startsWith("-") ? `unknown option ${name}` : `unknown command "${name}"`,
    );
  }
  try {
    await command.run(rest);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(name, e.message);
    const err = e as Error & { code?: string };
    process.stderr.write(`engineio-wasm ${name}: ${err.message}${err.code ? ` (${err.code})` : ""}\n`);
    return EXIT.FAILURE;
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
