// The README's socket.io section runs as written (its socketio-server.mts and socketio-client.mts blocks are
// copied into test/artifacts/, inside the package so `engineio-wasm` resolves to this package's build, with the
// port swapped for a free one), and its path-mismatch claim holds: an Engine.IO request for a path the engine
// does not serve, with nothing else to answer it, gets a 400 that names the engine's path — seen by a raw
// request, by socket.io-client (an error, not a hang) and by this package's client (`serverMessage`).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { io as ioClient } from "socket.io-client";
import { Socket, type TransportError } from "../src/client/index.js";
import { attach } from "../src/index.js";
import { next } from "./client-helpers.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(root, "test", "artifacts", "readme-socketio");

/** The fenced ```ts block whose first line starts with `// <name>`. */
function block(readme: string, name: string): string {
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(readme); m; m = re.exec(readme)) {
    if (m[1]!.startsWith(`// ${name} `) || m[1]!.startsWith(`// ${name}\n`)) return m[1]!;
  }
  throw new Error(`README has no \`\`\`ts block starting with "// ${name}"`);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function run(file: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

describe("README: socket.io on this engine", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill("SIGKILL");
  });

  it("socketio-server.mts + socketio-client.mts: emit with ack, as written", async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const port = await freePort();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "socketio-server.mts"),
      block(readme, "socketio-server.mts").replaceAll("3000", String(port)),
    );
    writeFileSync(
      join(dir, "socketio-client.mts"),
      block(readme, "socketio-client.mts").replaceAll("3000", String(port)),
    );
    const s = run(join(dir, "socketio-server.mts"));
    children.push(s.child);
    let up = false;
    for (let i = 0; i < 100 && !up && s.child.exitCode === null; i++) {
      try {
        up = (await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`)).status === 200;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(up, `the README socket.io server never came up: ${s.output()}`);
    const c = run(join(dir, "socketio-client.mts"));
    children.push(c.child);
    const code = await new Promise<number | null>((done) => {
      const timer = setTimeout(() => {
        c.child.kill("SIGKILL");
        done(null);
      }, 15000);
      c.child.once("exit", (exitCode) => {
        clearTimeout(timer);
        done(exitCode);
      });
    });
    assert.equal(code, 0, `client did not exit cleanly: ${c.output()}`);
    assert.match(c.output(), /hello, world/);
  });

  describe("path mismatch: an engine on the default /engine.io/", () => {
    let http: ReturnType<typeof createServer>;
    let url = "";
    before(async () => {
      http = createServer();
      attach(http); // default path, and nothing else listens for requests
      await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
      url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    });
    after(async () => {
      http?.closeAllConnections();
      await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    });

    it("a raw socket.io handshake gets 400 naming the configured path", async () => {
      const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(res.status, 400);
      const body = (await res.json()) as { code: number; message: string };
      assert.equal(body.code, 3);
      assert.match(
        body.message,
        /no Engine\.IO endpoint at \/socket\.io\/: this engine is attached at \/engine\.io\//,
      );
      assert.match(body.message, /path: "\/socket\.io\/"/);
    });

    it("socket.io-client reports a connect_error instead of hanging", async () => {
      const socket = ioClient(url, { reconnection: false, transports: ["polling"] });
      try {
        const [err] = await next<[Error & { description?: unknown }]>(socket, "connect_error", 10000);
        assert.equal(err.message, "xhr poll error");
        assert.equal(err.description, 400);
      } finally {
        socket.close();
      }
    });

    it("this package's client reports the message as serverMessage", async () => {
      const s = new Socket(url, { path: "/socket.io/" });
      const [err] = await next<[TransportError]>(s, "error", 10000);
      assert.equal(err.status, 400);
      assert.match(err.serverMessage ?? "", /this engine is attached at \/engine\.io\//);
      s.close();
    });
  });
});
