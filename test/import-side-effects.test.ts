// @backends: once — fresh processes, independent of the serving codec.
// Importing the package and running a server must not load `ws` or `debug` where they are not used: `ws` is only
// for what the lean WebSocket connection leaves to it (permessage-deflate, HTTP/2, EIO_WS=ws) and the Node client;
// `debug` only when DEBUG is set (src/debug.ts). With DEBUG set, engine.io's namespaces log as before.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runFresh } from "./fresh-process.js";

/** Runs `body` after importing the package in a fresh Node process; returns its JSON output and stderr. */
function fresh(
  body: string,
  env: Record<string, string | undefined>,
): { out: Record<string, unknown>; stderr: string } {
  const script = `
    const { createRequire } = await import("node:module");
    const loaded = (name) => Object.keys(createRequire(process.cwd() + "/x.js").cache)
      .some((p) => p.includes("/node_modules/" + name + "/"));
    const pkg = await import("./src/index.ts");
    const out = {};
    ${body}
    process.stdout.write(JSON.stringify(out));
  `;
  const r = runFresh(script, { DEBUG: undefined, EIO_WS: undefined, ...env });
  return { out: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
}

// a server on node:http that completes one WebSocket session through the lean connection (raw bytes, no ws client)
const SESSION = `
  const http = await import("node:http");
  const net = await import("node:net");
  const srv = http.createServer();
  const engine = pkg.attach(srv);
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const opened = new Promise((r) => engine.once("connection", r));
  const sock = net.connect(srv.address().port, "127.0.0.1");
  sock.write("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\n" +
    "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n");
  let got = "";
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no open packet: " + got)), 5000);
    sock.on("data", (d) => { got += d.toString("latin1"); if (got.includes('0{"sid"')) { clearTimeout(t); resolve(); } });
  });
  await opened;
  out.status = got.split("\\r\\n")[0];
  sock.destroy();
  engine.close();
  await new Promise((r) => srv.close(r));
`;

describe("import side effects", () => {
  it("import, a server and a WebSocket session load neither ws nor debug (DEBUG unset)", () => {
    const { out, stderr } = fresh(
      `out.afterImport = [loaded("ws"), loaded("debug")]; ${SESSION} out.after = [loaded("ws"), loaded("debug")];`,
      {},
    );
    assert.equal(out.status, "HTTP/1.1 101 Switching Protocols");
    assert.deepEqual(out.afterImport, [false, false]);
    assert.deepEqual(out.after, [false, false]);
    assert.equal(stderr, "");
  });

  it("DEBUG=engine* loads debug and the engine's namespaces log", () => {
    const { out, stderr } = fresh(`${SESSION} out.after = [loaded("ws"), loaded("debug")];`, {
      DEBUG: "engine*",
    });
    assert.deepEqual(out.after, [false, true]);
    assert.match(stderr, /engine:socket/);
    assert.match(stderr, /engine closing all open clients/);
  });

  it("EIO_WS=ws (the kill switch) loads ws on the first upgrade", () => {
    const { out } = fresh(`${SESSION} out.after = [loaded("ws"), loaded("debug")];`, { EIO_WS: "ws" });
    assert.equal(out.status, "HTTP/1.1 101 Switching Protocols");
    assert.deepEqual(out.after, [true, false]);
  });
});
