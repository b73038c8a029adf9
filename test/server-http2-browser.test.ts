// Real headless Chromium against an h2 server (self-signed certificate made in the test): the page loads over
// https, and the browser bundle's client opens its WebSocket — Chromium uses RFC 8441 extended CONNECT once the
// server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, so the session must arrive on an h2 stream.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import type { Socket } from "../src/index.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from "./chromium.js";
import { type Cert, certUnavailable, type H2Harness, makeCert, startH2 } from "./http2-helpers.js";
import { waitFor } from "./server-helpers.js";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const bundle = join(root, "dist", "browser", "engineio.min.js");

let skip = certUnavailable();
if (!skip && !hasChromium()) skip = `${CHROMIUM_PATH} not found (apt-get install chromium)`;
if (skip) console.warn(`\n!!! SKIPPING the HTTP/2 browser tests: ${skip}\n`);

const PAGE = `<!doctype html><meta charset="utf-8"><title>h2</title><script src="/engineio.min.js"></script>`;

function serve(req: Http2ServerRequest, res: Http2ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
  else if (path === "/engineio.min.js")
    res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(bundle));
  else res.writeHead(404).end();
}

// Runs inside the page: open with the given transports, echo a text and a binary message, report.
const SCENARIO = async (transports: string[]) => {
  type S = {
    on(e: string, f: (...a: unknown[]) => void): void;
    once(e: string, f: (...a: unknown[]) => void): void;
    send(d: unknown): void;
    close(): void;
    transport: { name: string };
  };
  const { Socket } = (globalThis as unknown as { eio: { Socket: new (u: string, o: object) => S } }).eio;
  const socket = new Socket(location.origin, { transports });
  const upgraded = new Promise<void>((resolve) => {
    if (transports.length === 1) resolve();
    else socket.once("upgrade", () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", (e) => reject(new Error(String((e as Error).message ?? e))));
  });
  await upgraded;
  const got: unknown[] = [];
  const done = new Promise<void>((resolve) =>
    socket.on("message", (d) => {
      got.push(d);
      if (got.length === 2) resolve();
    }),
  );
  socket.send("hello over h2 €");
  socket.send(new Uint8Array([1, 2, 3, 255]));
  await done;
  const r = {
    protocol: (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).nextHopProtocol,
    transport: socket.transport.name,
    text: got[0] as string,
    binary: [...new Uint8Array(got[1] as ArrayBuffer)],
  };
  socket.close();
  return r;
};

describe("HTTP/2 in Chromium", { skip }, () => {
  let cert: Cert;
  let h: H2Harness;
  let browser: Browser;
  const sessions: { transport: string; httpVersion: string; wsOnH2: boolean }[] = [];

  before(async () => {
    cert = makeCert();
    h = await startH2(cert, {}, serve);
    h.engine.on("connection", (s: Socket) => {
      const record = () =>
        sessions.push({
          transport: s.transport?.name ?? "",
          httpVersion: s.request.httpVersion,
          // the ws socket's underlying Duplex: an Http2Stream has `respond`
          wsOnH2:
            typeof (s.transport as unknown as { socket?: { _socket?: { respond?: unknown } } }).socket
              ?._socket?.respond === "function",
        });
      if (s.transport?.name === "websocket") record();
      else s.once("upgrade", record);
      s.on("message", (m) => s.send(m));
    });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, "--ignore-certificate-errors"],
      timeout: 30_000,
    });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  for (const transports of [["websocket"], ["polling", "websocket"]]) {
    it(`page over h2, client transports ${transports.join(" → ")}: the WebSocket is an RFC 8441 stream`, async (t) => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(`${h.origin}/`);
      const before = sessions.length;
      const r = await page.evaluate(SCENARIO, transports);
      assert.equal(r.protocol, "h2");
      assert.equal(r.transport, "websocket");
      assert.equal(r.text, "hello over h2 €");
      assert.deepEqual(r.binary, [1, 2, 3, 255]);
      await waitFor(() => sessions.length > before, 5000, "server-side websocket session");
      const s = sessions[sessions.length - 1]!;
      assert.equal(s.transport, "websocket");
      assert.equal(s.httpVersion, "2.0");
      assert.equal(s.wsOnH2, true, "the ws socket runs over an Http2Stream");
    });
  }
});
