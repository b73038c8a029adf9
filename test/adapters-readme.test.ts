// The README's 60-second quickstart runs as written: its server.ts and client.ts blocks are copied into
// test/artifacts/ (inside the package, so `engineio-wasm` resolves to this package's build), the port is swapped
// for a free one, and the client must print the echo.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(root, "test", "artifacts", "readme");

/** The fenced ```ts block whose first line is `// <name>`. */
function block(readme: string, name: string): string {
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(readme); m; m = re.exec(readme)) {
    if (m[1]!.startsWith(`// ${name}\n`)) return m[1]!;
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

function run(file: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  return { child, output: () => out };
}

describe("README quickstart", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill("SIGKILL");
  });

  it("server.ts + client.ts echo as written", async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const port = await freePort();
    const server = block(readme, "server.ts").replaceAll("3000", String(port));
    const client = block(readme, "client.ts").replaceAll("3000", String(port));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "server.ts"), server);
    writeFileSync(join(dir, "client.ts"), client);

    const s = run(join(dir, "server.ts"));
    children.push(s.child);
    // Wait until the server answers a handshake (bounded).
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/engine.io/?EIO=4&transport=polling`);
        up = r.status === 200;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(up, `the README server never came up: ${s.output()}`);

    const c = run(join(dir, "client.ts"));
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
    assert.match(c.output(), /echo: hello over (polling|websocket)/);
  });
});
