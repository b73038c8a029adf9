// @backends: self — the Bun/Deno processes pick their own codec (the WASM default; EIO_CODEC is cleared for
// them), so this file runs once rather than once per backend.
// The README's "Runtimes" blocks run as written: each is copied into test/artifacts/runtimes/ (inside the
// package, so `engineio-wasm` resolves to this package's build), the port is swapped for a free one, the block
// runs on its runtime (Node + tsx, Bun, Deno), and a Node client must get its answers.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Socket as EioClient } from "engine.io-client";
import { certUnavailable, clientFrame, h2Session, h2WebSocket, makeCert } from "./http2-helpers.js";
import { hostUnavailable, type Runtime, runtimeBinary } from "./runtimes/hosts.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(root, "test", "artifacts", "runtimes");

/** The fenced ```ts block whose first line starts with `// <name>`. */
function block(readme: string, name: string): string {
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(readme); m; m = re.exec(readme)) {
    if (m[1]!.startsWith(`// ${name}`)) return m[1]!;
  }
  throw new Error(`README has no \`\`\`ts block starting with "// ${name}"`);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

const children: ChildProcess[] = [];

function start(cmd: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, {
    cwd: dir,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, EIO_CODEC: "", EIO_NO_WASM: "" },
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return { child, output: () => out };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    return Promise.resolve();
  }
  return gone;
}

/** Waits until `url` answers (bounded: 30 s, every 100 ms). */
async function waitUp(url: string, output: () => string): Promise<void> {
  const end = Date.now() + 30_000;
  for (let i = 0; i < 300 && Date.now() < end; i++) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} never answered; output: ${output()}`);
}

/** engine.io-client over polling → websocket: the echo of one message. */
async function echoOnce(url: string): Promise<string> {
  const c = new EioClient(url, { transports: ["polling", "websocket"] });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no echo within 10 s")), 10_000);
      c.once("error", (e) => reject(e));
      c.once("upgrade", () => c.send("echo me"));
      c.on("message", (d) => {
        clearTimeout(timer);
        resolve(String(d));
      });
    });
  } finally {
    c.close();
  }
}

function runtimeArgs(runtime: Runtime, file: string): [string, string[]] {
  if (runtime === "bun") return [runtimeBinary("bun"), [file]];
  return [
    runtimeBinary("deno"),
    // the README's permissions exactly: no --allow-env (the engine reads its switches only where allowed)
    ["run", "--node-modules-dir=manual", "--allow-net", "--allow-read", file],
  ];
}

describe("README Runtimes section", () => {
  let readme: string;
  before(() => {
    mkdirSync(dir, { recursive: true });
    readme = readFileSync(join(root, "README.md"), "utf8");
  });
  after(async () => {
    await Promise.all(children.map(stop));
  });

  const noCert = certUnavailable();
  if (noCert) console.warn(`\n!!! SKIPPING the README h2 block: ${noCert}\n`);
  it("h2-server.ts: RFC 8441 WebSocket over h2 says hello over HTTP/2.0 and echoes", {
    skip: noCert,
  }, async () => {
    const cert = makeCert();
    writeFileSync(join(dir, "key.pem"), cert.key);
    writeFileSync(join(dir, "cert.pem"), cert.cert);
    const port = await freePort();
    writeFileSync(join(dir, "h2-server.ts"), block(readme, "h2-server.ts").replaceAll("3443", String(port)));
    const { child, output } = start(process.execPath, ["--import", "tsx", "h2-server.ts"]);
    try {
      const origin = `https://127.0.0.1:${port}`;
      let session: Awaited<ReturnType<typeof h2Session>> | undefined;
      for (let i = 0; i < 300 && session === undefined; i++) {
        session = await h2Session(origin).catch(async () => {
          await new Promise((r) => setTimeout(r, 100));
          return undefined;
        });
      }
      assert.ok(session, `h2 server never answered: ${output()}`);
      try {
        const ws = await h2WebSocket(session, "/engine.io/?EIO=4&transport=websocket");
        assert.equal(ws.status, 200);
        assert.equal((await ws.frames.next()).payload.toString()[0], "0");
        assert.equal((await ws.frames.next()).payload.toString(), "4hello over HTTP/2.0");
        ws.stream.write(clientFrame(1, "4round trip"));
        assert.equal((await ws.frames.next()).payload.toString(), "4round trip");
      } finally {
        session.destroy();
      }
    } finally {
      await stop(child);
    }
  });

  for (const [name, runtime] of [
    ["bun-server.ts", "bun"],
    ["deno-server.ts", "deno"],
  ] as [string, Runtime][]) {
    const skip = hostUnavailable(runtime);
    if (skip) console.warn(`\n!!! SKIPPING the README ${name} block: ${skip}\n`);
    it(`${name} on ${runtime}: engine.io-client echo over polling → websocket`, { skip }, async () => {
      const port = await freePort();
      writeFileSync(join(dir, name), block(readme, name).replaceAll("3000", String(port)));
      const [cmd, args] = runtimeArgs(runtime, name);
      const { child, output } = start(cmd, args);
      try {
        const url = `http://127.0.0.1:${port}`;
        await waitUp(`${url}/engine.io/?EIO=4&transport=polling`, output);
        assert.equal(await echoOnce(url), "echo me");
      } finally {
        await stop(child);
      }
    });
  }

  for (const runtime of ["bun", "deno"] as Runtime[]) {
    const skip = hostUnavailable(runtime);
    if (skip) console.warn(`\n!!! SKIPPING the README fetch-app.ts block on ${runtime}: ${skip}\n`);
    it(`fetch-app.ts on ${runtime}: static file, the Hono route, 404, and the engine`, { skip }, async () => {
      const port = await freePort();
      writeFileSync(join(dir, "index.html"), "<!doctype html><title>static</title>");
      writeFileSync(
        join(dir, "fetch-app.ts"),
        block(readme, "fetch-app.ts").replaceAll("3000", String(port)),
      );
      const [cmd, args] = runtimeArgs(runtime, "fetch-app.ts");
      const { child, output } = start(cmd, args);
      try {
        const url = `http://127.0.0.1:${port}`;
        await waitUp(`${url}/engine.io/?EIO=4&transport=polling`, output);
        const page = await fetch(`${url}/`);
        assert.equal(page.status, 200);
        assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(await page.text(), "<!doctype html><title>static</title>");
        const api = await fetch(`${url}/api/hello`);
        assert.deepEqual(await api.json(), { hello: "world" });
        const missing = await fetch(`${url}/nope`);
        assert.equal(missing.status, 404);
        await missing.arrayBuffer();
        assert.equal(await echoOnce(url), "echo me");
      } finally {
        await stop(child);
      }
    });
  }
});
