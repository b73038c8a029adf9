// The browser bundle in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against this
// project's Server and the official engine.io 6.6: polling only, websocket only, polling + upgrade; text and binary
// echo; which codec backend ran; the IIFE global `eio`; and that no Node-only module reached the bundle.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { CHROMIUM_PATH, hasChromium, launchChromium } from "./chromium.js";
import { type Peer, startEngineIo, startOurs } from "./client-helpers.js";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const dist = join(root, "dist", "browser");

let skipReason: string | undefined;
if (!hasChromium()) skipReason = `${CHROMIUM_PATH} not found (apt-get install chromium)`;
if (skipReason) console.warn(`\n!!! SKIPPING the client browser tests: ${skipReason}\n`);

const PAGE = `<!doctype html><meta charset="utf-8"><title>eio test</title><script src="/engineio.min.js"></script>`;

function serveStatic(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
  } else if (path === "/engineio.esm.js" || path === "/engineio.min.js") {
    res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(join(dist, path.slice(1))));
  } else {
    res.writeHead(404).end();
  }
}

interface Result {
  backend: string;
  transport: string;
  text: string[];
  binary: number[];
  binaryIsArrayBuffer: boolean;
  upgraded: boolean;
}

// Runs inside the page: open, echo text + binary, report.
const SCENARIO = async ({
  transports,
  esm,
}: {
  transports: string[] | null;
  esm: boolean;
}): Promise<Result> => {
  type S = {
    on(e: string, f: (...a: unknown[]) => void): void;
    once(e: string, f: (...a: unknown[]) => void): void;
    send(d: unknown): void;
    close(): void;
    transport: { name: string };
  };
  type Mod = { Socket: new (u: string, o: object) => S; codecBackend(): string };
  const mod: Mod = esm
    ? ((await import("/engineio.esm.js" as string)) as Mod)
    : (globalThis as unknown as { eio: Mod }).eio;
  const socket = new mod.Socket(location.origin, transports ? { transports } : {});
  const upgraded = new Promise<boolean>((resolve) => {
    socket.once("upgrade", () => resolve(true));
    if (transports) resolve(false);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", (e) => reject(new Error(String((e as Error).message ?? e))));
  });
  const up = await upgraded;
  const got: unknown[] = [];
  const done = new Promise<void>((resolve) =>
    socket.on("message", (d) => {
      got.push(d);
      if (got.length === 3) resolve();
    }),
  );
  socket.send("hello €");
  socket.send(new Uint8Array([1, 2, 3, 250, 255]));
  socket.send("x".repeat(3000));
  await done;
  const r: Result = {
    backend: mod.codecBackend(),
    transport: socket.transport.name,
    text: [got[0] as string, String((got[2] as string).length)],
    binary: [...new Uint8Array(got[1] as ArrayBuffer)],
    binaryIsArrayBuffer: got[1] instanceof ArrayBuffer,
    upgraded: up,
  };
  socket.close();
  return r;
};

describe("client browser bundle", { skip: skipReason }, () => {
  // one Chromium for every peer; playwright-core is loaded lazily so a missing browser never breaks loading
  let browser: Promise<import("playwright-core").Browser> | undefined;
  const launch = () => {
    browser ??= launchChromium();
    return browser;
  };
  after(async () => {
    if (browser) await (await browser).close();
  });
  before(() => {
    execFileSync(process.execPath, [join(root, "esbuild.config.mjs")], {
      cwd: root,
      stdio: "pipe",
    });
  });

  it("keeps ws, node:* and Node's Buffer out of both bundles, and stays small", () => {
    for (const f of ["engineio.esm.js", "engineio.min.js"]) {
      const text = readFileSync(join(dist, f), "utf8");
      assert.doesNotMatch(
        text,
        /require\(["'](ws|http|https|node:[a-z]+)["']\)|from ?["'](ws|node:[a-z]+)["']/,
        f,
      );
      assert.doesNotMatch(text, /\bBuffer\.from\(/, f);
      assert.ok(text.length < 60 * 1024, `${f} is ${text.length} bytes`);
      // the goal is ≤ 15 KiB gzipped, WASM included: say so loudly when it is missed, fail only when far off
      const gz = gzipSync(text, { level: 9 }).length;
      if (gz > 15 * 1024)
        console.warn(`!!! ${f} is ${(gz / 1024).toFixed(1)} KiB gzipped, over the 15 KiB goal`);
      assert.ok(gz < 20 * 1024, `${f} is ${gz} bytes gzipped`);
    }
  });

  it("the package's `browser` field keeps Node modules out of a user's bundle of dist/esm/client", async (t) => {
    const entry = join(root, "dist", "esm", "client", "index.js");
    if (!existsSync(join(root, "dist", "esm", "client", "platform.browser.js"))) {
      console.warn("!!! SKIPPING the browser-field check: dist/esm/client is not built (npm run build:ts)");
      return t.skip("dist/esm/client not built");
    }
    const { build } = await import("esbuild");
    const nodeOnly: string[] = [];
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      plugins: [
        {
          name: "no-node",
          setup(b) {
            b.onResolve({ filter: /^(ws|http|https|net|tls|node:.*)$/ }, (a) => {
              nodeOnly.push(`${a.path} <- ${a.importer}`);
              return { path: a.path, external: true };
            });
          },
        },
      ],
    });
    assert.deepEqual(nodeOnly, []);
    assert.equal(r.errors.length, 0);
  });

  const peers: Array<{ name: string; start: (o: object) => Promise<Peer | undefined> }> = [
    { name: "engineio-wasm Server", start: (o) => startOurs(o) },
    { name: "engine.io 6.6", start: (o) => startEngineIo(o) },
  ];

  for (const p of peers) {
    describe(`in Chromium ↔ ${p.name}`, () => {
      let peer: Peer | undefined;
      let page: import("playwright-core").Page | undefined;
      before(async () => {
        peer = await p.start({ onRequest: serveStatic });
        if (!peer) {
          console.warn(
            `!!! SKIPPING browser ↔ ${p.name}: src/server/index.ts does not export a working Server yet`,
          );
          return;
        }
        page = await (await launch()).newPage();
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(`${peer.url}/`);
        assert.deepEqual(errors, []);
      });
      after(async () => {
        await page?.close();
        await peer?.close();
      });

      const modes: Array<{ name: string; transports: string[] | null; final: string; esm: boolean }> = [
        { name: "polling only (ESM bundle)", transports: ["polling"], final: "polling", esm: true },
        { name: "websocket only (ESM bundle)", transports: ["websocket"], final: "websocket", esm: true },
        { name: "polling + upgrade (ESM bundle)", transports: null, final: "websocket", esm: true },
        {
          name: "polling + upgrade (global eio from engineio.min.js)",
          transports: null,
          final: "websocket",
          esm: false,
        },
      ];
      for (const m of modes) {
        it(`${m.name}: text and binary echo`, async (t) => {
          if (!page) return t.skip("server not available");
          const r = await page.evaluate(SCENARIO, { transports: m.transports, esm: m.esm });
          t.diagnostic(`codec backend in Chromium: ${r.backend}`);
          if (r.backend === "js")
            console.warn("!!! the browser bundle fell back to the pure-TS codec in Chromium");
          assert.equal(r.transport, m.final);
          assert.equal(r.upgraded, m.transports === null);
          assert.deepEqual(r.text, ["hello €", "3000"]);
          assert.deepEqual(r.binary, [1, 2, 3, 250, 255]);
          assert.equal(r.binaryIsArrayBuffer, true);
          assert.match(r.backend, /^(wasm-simd|wasm|js)$/);
        });
      }

      it("closeOnBeforeunload closes silently; an `offline` event closes with `transport close`", async (t) => {
        if (!page) return t.skip("server not available");
        const r = await page.evaluate(async () => {
          type S = {
            once(e: string, f: (...a: unknown[]) => void): void;
            on(e: string, f: (...a: unknown[]) => void): void;
            readyState: string;
            transport: { readyState: string };
          };
          const { Socket } = (await import("/engineio.esm.js" as string)) as {
            Socket: new (u: string, o: object) => S;
          };
          // (no named helpers here: tsx would wrap them in a `__name` call the page does not have)
          const a = new Socket(location.origin, { transports: ["websocket"], closeOnBeforeunload: true });
          await new Promise<void>((resolve) => a.once("open", () => resolve()));
          let aClosed = false;
          a.on("close", () => {
            aClosed = true;
          });
          dispatchEvent(new Event("beforeunload"));
          const b = new Socket(location.origin, { transports: ["websocket"] });
          await new Promise<void>((resolve) => b.once("open", () => resolve()));
          // b's handshake is a network round trip begun after beforeunload: a close event of a would be out by now
          const silent = !aClosed;
          const reason = new Promise<string>((resolve) => b.once("close", (why) => resolve(String(why))));
          dispatchEvent(new Event("offline"));
          return { silent, aTransport: a.transport.readyState, offline: await reason };
        });
        assert.deepEqual(r, { silent: true, aTransport: "closed", offline: "transport close" });
      });

      it("runs in a module Web Worker (polling + upgrade, text and binary echo)", async (t) => {
        if (!page) return t.skip("server not available");
        const r = await page.evaluate(async () => {
          const src = `
            import { Socket, codecBackend } from "${location.origin}/engineio.esm.js";
            const socket = new Socket("${location.origin}");
            const got = [];
            socket.on("message", (d) => {
              got.push(typeof d === "string" ? d : Array.from(new Uint8Array(d)));
              if (got.length === 2) {
                postMessage({ got, transport: socket.transport.name, backend: codecBackend() });
                socket.close();
              }
            });
            socket.on("upgrade", () => { socket.send("in a worker"); socket.send(new Uint8Array([4, 5, 6])); });
            socket.on("error", (e) => postMessage({ error: String(e && e.message) }));
          `;
          const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
          const worker = new Worker(url, { type: "module" });
          return await new Promise<unknown>((resolve) => {
            worker.onmessage = (e) => resolve(e.data);
            worker.onerror = (e) => resolve({ error: e.message });
          });
        });
        const res = r as { got: unknown[]; transport: string; backend: string };
        assert.deepEqual(res.got, ["in a worker", [4, 5, 6]], JSON.stringify(r));
        assert.equal(res.transport, "websocket");
        t.diagnostic(`codec backend in a worker: ${res.backend}`);
      });

      it("the global eio is callable like engine.io-client's", async (t) => {
        if (!page) return t.skip("server not available");
        const shape = await page.evaluate(() => {
          const g = (
            globalThis as unknown as { eio: ((u: string) => { close(): void }) & Record<string, unknown> }
          ).eio;
          const s = g(location.origin);
          s.close();
          return {
            callable: typeof g,
            Socket: typeof g.Socket,
            Client: typeof g.Client,
            AsyncClient: typeof g.AsyncClient,
            protocol: g.protocol,
          };
        });
        assert.deepEqual(shape, {
          callable: "function",
          Socket: "function",
          Client: "function",
          AsyncClient: "function",
          protocol: 4,
        });
      });
    });
  }
});
