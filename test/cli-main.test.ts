// `engineio-wasm serve`: prints one URL line, echoes with --echo, honours options, and shuts down cleanly on
// SIGTERM/SIGINT (clients see the session close; the process exits 0).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Socket as EioClient } from "engine.io-client";
import { raw } from "./server-helpers.js";

const CLI = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));

function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "serve", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI did not print its URL: ${out} ${err}`));
    }, 15000);
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited early (${code}): ${err}`));
    });
  });
}

function exitOf(child: ChildProcess, ms = 10000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("CLI did not exit"));
    }, ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("engineio-wasm serve", () => {
  test("prints one URL line; --echo echoes over polling+upgrade; SIGTERM closes sessions and exits 0", async () => {
    const { child, url } = await start(["--echo", "--ping-interval", "300", "--no-wasm"]);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/engine\.io\/$/);
    const origin = url.replace(/\/engine\.io\/$/, "");
    const c = new EioClient(origin, { transports: ["polling", "websocket"] });
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("open timeout")), 5000);
        c.on("open", () => {
          clearTimeout(t);
          resolve();
        });
      });
      const handshake = await raw(Number(new URL(url).port), "GET", "/engine.io/?EIO=4&transport=polling");
      assert.equal(JSON.parse(handshake.text.slice(1)).pingInterval, 300);
      const echo = new Promise((resolve) => c.once("message", resolve));
      c.send("echo me");
      assert.equal(await echo, "echo me");
      const closed = new Promise<string>((resolve) => c.once("close", (reason: string) => resolve(reason)));
      child.kill("SIGTERM");
      assert.equal(await exitOf(child), 0);
      await closed;
    } finally {
      c.close();
      child.kill("SIGKILL");
    }
  });

  test("--transports websocket and --path; SIGINT also exits 0", async () => {
    const { child, url } = await start(["--transports", "websocket", "--path", "/rt"]);
    try {
      assert.match(url, /\/rt\/$/);
      const port = Number(new URL(url).port);
      const r = await raw(port, "GET", "/rt/?EIO=4&transport=polling");
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.text).code, 0);
      child.kill("SIGINT");
      assert.equal(await exitOf(child), 0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("--cors-origin sets Access-Control-Allow-Origin for allowed origins only", async () => {
    const { child, url } = await start(["--cors-origin", "http://a.example,http://b.example"]);
    try {
      const port = Number(new URL(url).port);
      const ok = await raw(port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
        origin: "http://b.example",
      });
      assert.equal(ok.headers["access-control-allow-origin"], "http://b.example");
      const no = await raw(port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
        origin: "http://c.example",
      });
      assert.equal(no.headers["access-control-allow-origin"], undefined);
    } finally {
      child.kill("SIGTERM");
      await exitOf(child);
    }
  });

  test("bad arguments and unknown commands exit 2 (usage); --help exits 0", () => {
    const bad = spawnSync(process.execPath, ["--import", "tsx", CLI, "serve", "--port", "abc"], {
      encoding: "utf8",
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--port must be/);
    const unknown = spawnSync(process.execPath, ["--import", "tsx", CLI, "frobnicate"], { encoding: "utf8" });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command/);
    const help = spawnSync(process.execPath, ["--import", "tsx", CLI, "serve", "--help"], {
      encoding: "utf8",
    });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--max-http-buffer-size/);
  });
});
