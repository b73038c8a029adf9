// The demo (`npm start`): the CLI subcommand prints its URL and serves the page; two headless Chromium pages chat
// through it, one on long-polling and one upgraded to WebSocket. Screenshots go to test/artifacts/.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type RunningDemo, startDemo } from "../src/cli/demo.js";
import { get } from "./adapters-helpers.js";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "./chromium.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE = join(root, "dist", "browser", "engineio.esm.js");
const ARTIFACTS = join(root, "test", "artifacts");

/** Starts `cli/main.ts demo …` and resolves with its URL line once it prints one. */
function startCli(
  args: string[],
): Promise<{ line: string; port: number; stop(): Promise<number | null | "hung"> }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(root, "src", "cli", "main.ts"), "demo", ...args],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = async (): Promise<number | null | "hung"> => {
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 8000))]);
    if (code === "hung") child.kill("SIGKILL");
    return code;
  };
  return new Promise((done, fail) => {
    let out = "";
    const timer = setTimeout(() => {
      void stop();
      fail(new Error(`no URL line within 15 s; stderr: ${stderr}`));
    }, 15000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^.*http:\/\/127\.0\.0\.1:(\d+)\/.*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        done({ line: m[0], port: Number(m[1]), stop });
      }
    });
    child.on("exit", (code) => fail(new Error(`demo exited early (${code}); stderr: ${stderr}`)));
  });
}

describe("engineio-wasm demo (CLI)", () => {
  it("prints its URL, serves the page and the bundle, and stops on SIGTERM", async () => {
    const cli = await startCli(["--port", "0", "--host", "127.0.0.1"]);
    try {
      const { port } = cli;
      assert.ok(port > 0);
      const page = await get(port, "/");
      assert.equal(page.status, 200);
      assert.match(page.headers["content-type"] ?? "", /^text\/html/);
      assert.match(page.body, /engineio-wasm/);
      assert.match(page.body, /id="transport"/);
      const engine = await get(port, "/engine.io/?EIO=4&transport=polling");
      assert.equal(engine.status, 200);
      assert.match(engine.body, /^0\{"sid":/);
      if (existsSync(BUNDLE)) {
        const js = await get(port, "/engineio.esm.js");
        assert.equal(js.status, 200);
        assert.match(js.headers["content-type"] ?? "", /javascript/);
      }
      assert.equal((await get(port, "/nope")).status, 404);
    } finally {
      assert.equal(await cli.stop(), 0, "demo did not exit cleanly on SIGTERM");
    }
  });

  it("--no-wasm runs the demo on a non-WASM codec", async () => {
    const cli = await startCli(["--port", "0", "--no-wasm"]);
    try {
      assert.match(cli.line, /codec: (node|js)\)/);
    } finally {
      assert.equal(await cli.stop(), 0);
    }
  });

  it("rejects a bad --port", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(root, "src", "cli", "main.ts"), "demo", "--port", "nope"],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    assert.notEqual(code, 0);
  });
});

const skipReason = !hasChromium()
  ? `${CHROMIUM_PATH} is not installed (apt-get install -y chromium)`
  : !existsSync(BUNDLE)
    ? `${BUNDLE} is missing (npm run build)`
    : undefined;
if (skipReason) {
  process.stderr.write(`\n!!! SKIPPING the browser demo test: ${skipReason}\n\n`);
}

describe("engineio-wasm demo in two Chromium pages", { skip: skipReason ?? false }, () => {
  type Browser = import("playwright-core").Browser;
  type Page = import("playwright-core").Page;
  let demo: RunningDemo;
  let browser: Browser;

  before(async () => {
    demo = await startDemo({ port: 0, host: "127.0.0.1" });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function open(query: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 800, height: 640 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${demo.url}${query}`);
    try {
      await page.waitForSelector('#state[data-state="open"]', { timeout: 10000 });
    } catch (err) {
      throw new Error(`page ${query} never opened: ${errors.join("; ")} ${String(err)}`);
    }
    return page;
  }
  async function say(page: Page, text: string): Promise<void> {
    await page.fill("#text", text);
    await page.click("#send");
  }
  const seen = (page: Page, text: string) =>
    page.waitForFunction(
      (t) => Array.from(document.querySelectorAll("#messages li")).some((li) => li.textContent?.includes(t)),
      text,
      { timeout: 10000 },
    );

  it("relays messages between a polling page and a websocket page", async () => {
    const a = await open("?transports=polling");
    const b = await open("");
    // b starts on polling and upgrades; a never leaves polling.
    await b.waitForSelector('#transport[data-transport="websocket"]', { timeout: 10000 });
    assert.equal(await a.getAttribute("#transport", "data-transport"), "polling");

    await say(a, "hello from A (polling)");
    await seen(b, "hello from A (polling)");
    await say(b, "hi from B (websocket) — ünïcødé ✓");
    await seen(a, "hi from B (websocket) — ünïcødé ✓");
    await seen(b, "hi from B (websocket) — ünïcødé ✓");

    // Both counters saw both chat messages; both pages know the server's codec and see two people online.
    for (const p of [a, b]) {
      await p.waitForFunction(() => document.getElementById("count")?.textContent === "2", undefined, {
        timeout: 5000,
      });
      assert.notEqual(await p.textContent("#server-codec"), "–");
      assert.equal(await p.textContent("#online"), "2");
    }
    await a.screenshot({ path: join(ARTIFACTS, "demo-polling.png") });
    await b.screenshot({ path: join(ARTIFACTS, "demo-websocket.png") });
    await a.close();
    await b.waitForFunction(() => document.getElementById("online")?.textContent === "1", undefined, {
      timeout: 10000,
    });
    await b.close();
  });
});
