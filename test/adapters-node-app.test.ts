import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import { type EngineHandler, NodeApp, resolveStaticFile } from "../src/adapters/node-app.js";
import { Socket as ClientSocket } from "../src/client/index.js";
import { echoEngine, echoOnce, get, portOf } from "./adapters-helpers.js";

// A tree of files to serve, and a secret next to it that no URL may reach.
const dir = mkdtempSync(join(tmpdir(), "eio-nodeapp-"));
const pub = join(dir, "public");
mkdirSync(join(pub, "sub"), { recursive: true });
writeFileSync(join(dir, "secret.txt"), "SECRET");
writeFileSync(join(dir, "index.html"), "<h1>root</h1>");
writeFileSync(join(pub, "index.html"), "<h1>public</h1>");
writeFileSync(join(pub, "app.js"), "console.log(1)");
writeFileSync(join(pub, "a b.txt"), "spaced");
writeFileSync(join(pub, "data.bin"), "bin");
writeFileSync(join(pub, "sub", "index.html"), "<h1>sub</h1>");
writeFileSync(join(pub, "sub", "main.html"), "<h1>main</h1>");
symlinkSync(join(dir, "secret.txt"), join(pub, "link.txt"));

/** An engine that records what reached it and answers 200 "engine". */
function stubEngine(): EngineHandler & { requests: string[]; upgrades: string[]; closed: number } {
  const stub = {
    requests: [] as string[],
    upgrades: [] as string[],
    closed: 0,
    handleRequest(req: IncomingMessage, res: ServerResponse) {
      stub.requests.push(req.url ?? "");
      res.end("engine");
    },
    handleUpgrade(req: IncomingMessage, socket: Duplex) {
      stub.upgrades.push(req.url ?? "");
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    },
    close() {
      stub.closed++;
    },
  };
  return stub;
}

describe("resolveStaticFile: python-engineio's static_files rules", () => {
  const rules = {
    "/": "index.html",
    "/static": "public",
    "/assets/": "public/",
    "/typed": { filename: "public/data.bin", content_type: "text/x-custom" },
  };
  it("maps an exact URL to a file and guesses its type", () => {
    assert.deepEqual(resolveStaticFile("/", rules, dir), {
      filename: join(dir, "index.html"),
      contentType: "text/html; charset=utf-8",
    });
  });
  it("maps a URL prefix to a directory, with and without the trailing slash", () => {
    const a = resolveStaticFile("/static/sub/index.html", rules, dir);
    const b = resolveStaticFile("/assets/app.js", rules, dir);
    assert.ok(a && a !== "forbidden" && b && b !== "forbidden");
    assert.equal(a.filename, join(pub, "sub", "index.html"));
    assert.equal(b.filename, join(pub, "app.js"));
    assert.equal(b.contentType, "text/javascript; charset=utf-8");
  });
  it("serves index.html (or the '' rule) for directory URLs", () => {
    const a = resolveStaticFile("/assets/sub/", rules, dir);
    assert.ok(a && a !== "forbidden");
    assert.equal(a.filename, join(pub, "sub", "index.html"));
    const b = resolveStaticFile(
      "/assets/sub/",
      { ...rules, "": { filename: "main.html", contentType: "text/x-main" } },
      dir,
    );
    assert.ok(b && b !== "forbidden");
    assert.equal(b.filename, join(pub, "sub", "main.html"));
    assert.equal(b.contentType, "text/x-main");
  });
  it("takes an explicit content type (content_type or contentType)", () => {
    const a = resolveStaticFile("/typed", rules, dir);
    assert.ok(a && a !== "forbidden");
    assert.equal(a.contentType, "text/x-custom");
  });
  it("returns null when no rule matches", () => {
    const { "/": _root, ...noRoot } = rules;
    assert.equal(resolveStaticFile("/api/x", noRoot, dir), null);
    assert.equal(resolveStaticFile("*", rules, dir), null);
    assert.equal(resolveStaticFile("http://example.com/", rules, dir), null);
    // With a "/" rule every URL is a candidate under it (python's rule); a missing file then falls through.
    const c = resolveStaticFile("/api/x", rules, dir);
    assert.ok(c && c !== "forbidden");
    assert.equal(c.filename, join(dir, "index.html", "api", "x"));
  });
  it("refuses plain, encoded and backslash traversal", () => {
    for (const p of [
      "/static/../secret.txt",
      "/static/%2e%2e/secret.txt",
      "/static/%2E%2E%2Fsecret.txt",
      "/static/..%2fsecret.txt",
      "/static/..%5csecret.txt",
      "/static/sub/%2e%2e/%2e%2e/secret.txt",
      "/static/./app.js",
      "/static/%00app.js",
      "/static/%E0%A4%A",
    ]) {
      assert.equal(resolveStaticFile(p, rules, dir), "forbidden", p);
    }
  });
});

describe("NodeApp over HTTP", () => {
  let server: Server;
  let port: number;
  const engine = stubEngine();
  const app = new NodeApp(engine, {
    staticRoot: dir,
    staticFiles: {
      "/": "index.html",
      "/static": "public",
      "/ct": { filename: "public/data.bin", contentType: "x/y" },
    },
    otherApp: (req, res) => {
      res.writeHead(req.url === "/missing-too" ? 404 : 200);
      res.end(`other ${req.method} ${req.url}`);
    },
  });
  before(async () => {
    server = await app.listen(0, "127.0.0.1");
    port = portOf(server);
  });
  after(() => app.close());

  it("routes the engine path (and nothing shorter) to the engine", async () => {
    const r = await get(port, "/engine.io/?EIO=4&transport=polling");
    assert.equal(r.body, "engine");
    assert.deepEqual(engine.requests, ["/engine.io/?EIO=4&transport=polling"]);
    assert.equal((await get(port, "/engine.iox")).body, "other GET /engine.iox");
  });
  it("serves static files with their content type and length", async () => {
    const r = await get(port, "/");
    assert.equal(r.status, 200);
    assert.equal(r.body, "<h1>root</h1>");
    assert.equal(r.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(r.headers["content-length"], "13");
    assert.equal((await get(port, "/static/a%20b.txt")).body, "spaced");
    assert.equal(
      (await get(port, "/static/app.js?v=1")).headers["content-type"],
      "text/javascript; charset=utf-8",
    );
    assert.equal((await get(port, "/ct")).headers["content-type"], "x/y");
    const head = await get(port, "/static/app.js", "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
  });
  it("serves index.html for a directory, with or without the trailing slash", async () => {
    assert.equal((await get(port, "/static/sub/")).body, "<h1>sub</h1>");
    assert.equal((await get(port, "/static/sub")).body, "<h1>sub</h1>");
    assert.equal((await get(port, "/static/")).body, "<h1>public</h1>");
  });
  it("falls through to otherApp for unmatched URLs, missing files and other methods", async () => {
    assert.equal((await get(port, "/api/users")).body, "other GET /api/users");
    assert.equal((await get(port, "/static/nope.js")).body, "other GET /static/nope.js");
    assert.equal((await get(port, "/static/app.js", "POST")).body, "other POST /static/app.js");
  });
  it("answers 404 to traversal, never the secret", async () => {
    for (const p of [
      "/static/../secret.txt",
      "/static/%2e%2e/secret.txt",
      "/static/..%2fsecret.txt",
      "/static/link.txt",
    ]) {
      const r = await get(port, p);
      assert.notEqual(r.body, "SECRET", p);
      assert.ok(r.status === 404 || r.body.startsWith("other"), `${p}: ${r.status} ${r.body}`);
    }
  });
  it("sends engine-path upgrades to the engine and ends others", async () => {
    const upgrade = (path: string) =>
      new Promise<string>((done, fail) => {
        const s = connect(port, "127.0.0.1", () =>
          s.write(
            `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
          ),
        );
        let got = "";
        s.on("data", (d) => {
          got += d.toString();
        });
        s.on("close", () => done(got));
        s.on("error", fail);
        s.setTimeout(4000, () => s.destroy(new Error("upgrade left hanging")));
      });
    await upgrade("/engine.io/?EIO=4&transport=websocket");
    assert.deepEqual(engine.upgrades, ["/engine.io/?EIO=4&transport=websocket"]);
    assert.equal(await upgrade("/elsewhere"), ""); // ended after destroyUpgradeTimeout, nothing written
    assert.equal(engine.upgrades.length, 1);
  });
  it("answers 404 without otherApp", async () => {
    const bare = new NodeApp(stubEngine(), { engineioPath: "socket" });
    assert.equal(bare.engineioPath, "/socket/");
    const s = await bare.listen(0, "127.0.0.1");
    assert.equal(s.headersTimeout, 10_000); // HTTP_SERVER_DEFAULTS
    assert.equal(s.requestTimeout, 30_000);
    try {
      const r = await get(portOf(s), "/x");
      assert.equal(r.status, 404);
      assert.equal(r.body, "Not Found");
      assert.equal((await get(portOf(s), "/socket/?EIO=4")).body, "engine");
    } finally {
      await bare.close();
    }
  });
});

describe("NodeApp.closeOnSignals", () => {
  it("closes the engine and the server on the signal, once", async () => {
    const engine = stubEngine();
    const app = new NodeApp(engine);
    const server = await app.listen(0, "127.0.0.1");
    const before = process.listenerCount("SIGUSR2");
    app.closeOnSignals(["SIGUSR2"]);
    assert.equal(process.listenerCount("SIGUSR2"), before + 1);
    const closed = new Promise<void>((r) => server.once("close", () => r()));
    process.emit("SIGUSR2", "SIGUSR2");
    await closed;
    assert.equal(engine.closed, 1);
    assert.equal(process.listenerCount("SIGUSR2"), before);
  });
});

describe("NodeApp is exported from the package root", () => {
  it("is the same class", async () => {
    const root = await import("../src/index.js");
    assert.equal(root.NodeApp, NodeApp);
    assert.equal(root.resolveStaticFile, resolveStaticFile);
  });
});

describe("NodeApp.attach keeps the server's own listener as the fallback", () => {
  it("routes engine, static and the rest", async () => {
    const server = createServer((_req, res) => res.end("framework"));
    const app = new NodeApp(stubEngine(), { staticFiles: { "/": join(dir, "index.html") } });
    app.attach(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = portOf(server);
      assert.equal((await get(port, "/")).body, "<h1>root</h1>");
      assert.equal((await get(port, "/engine.io/?EIO=4")).body, "engine");
      assert.equal((await get(port, "/other")).body, "framework");
    } finally {
      await app.close();
    }
    assert.equal(server.listening, false);
  });
});

describe("NodeApp with the real engine and client", () => {
  let app: NodeApp;
  let url: string;
  let httpServer: Server;
  const engine = echoEngine();
  before(async () => {
    app = new NodeApp(engine, {
      staticRoot: dir,
      staticFiles: { "/": "index.html" },
    });
    httpServer = await app.listen(0, "127.0.0.1");
    url = `http://127.0.0.1:${portOf(httpServer)}`;
  });
  after(() => app.close({ timeout: 1000 }));

  for (const transport of ["polling", "websocket"] as const) {
    it(`echoes over ${transport}`, async () => {
      const r = await echoOnce(url, transport, `hello over ${transport}`);
      assert.equal(r.echoed, `hello over ${transport}`);
      assert.equal(r.transport, transport);
    });
  }
  it("still serves the static page next to the engine", async () => {
    assert.equal((await get(Number(new URL(url).port), "/")).body, "<h1>root</h1>");
  });
  it("close() ends open sessions (server shutting down) and then the HTTP server", async () => {
    const s = new ClientSocket(url, { transports: ["websocket"] });
    await new Promise<void>((r) => s.on("open", () => r()));
    const serverSide = new Promise<string>((r) => engine.once("disconnect", (_sid, reason) => r(reason)));
    const session = engine.clients[s.id!];
    assert.ok(session, "the session is registered");
    const socketSide = new Promise<string>((r) => session.once("close", (reason) => r(reason)));
    const clientSide = new Promise<string>((r) => s.on("close", (reason) => r(reason)));
    await app.close({ timeout: 1000 });
    // the python-style event speaks python-engineio's reasons, the socket's close event engine.io's
    assert.equal(await serverSide, "server disconnect");
    assert.equal(await socketSide, "server shutting down");
    assert.ok(await clientSide);
    assert.equal(httpServer.listening, false);
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));
