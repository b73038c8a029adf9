// Debian's python3-engineio (4.3.4) client against this server: text and binary both ways over polling,
// websocket, and polling with upgrade. Skipped loudly when /usr/bin/python3 cannot import engineio.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Harness, startServer, waitFor } from "./server-helpers.js";

const PY = "/usr/bin/python3";
const probe = spawnSync(PY, ["-c", "import engineio, websocket, requests"], { encoding: "utf8" });
const skip =
  probe.status !== 0
    ? `python3-engineio not importable by ${PY}: ${(probe.stderr || probe.error?.message || "").trim().split("\n").pop()}`
    : false;
if (skip) console.warn(`\n!!! SKIPPING interop-python: ${skip}\n`);

const SCRIPT = fileURLToPath(new URL("./fixtures/python-eio-client.py", import.meta.url));

function runClient(url: string, transports: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PY, [SCRIPT, url, transports], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`python client timed out\n${err}`));
    }, 20000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`python client exit ${code}: ${out}\n${err}`));
      }
    });
  });
}

describe("python-engineio client → this server", { skip }, () => {
  let h: Harness;
  const disconnects: { sid: string; reason: string }[] = [];
  before(async () => {
    h = await startServer({ pingInterval: 1000, pingTimeout: 2000 });
    // python-engineio style handlers on the server side too
    h.engine.on("message", (sid, data) => {
      h.engine.send(sid, data);
    });
    h.engine.on("connect", (sid) => {
      // sent from the connect handler: the session queues it behind the open packet
      h.engine.send(sid, "welcome");
    });
    h.engine.on("disconnect", (sid, reason) => disconnects.push({ sid, reason }));
  });
  after(() => h.close());

  for (const [transports, expected] of [
    ["polling", "polling"],
    ["websocket", "websocket"],
    ["polling,websocket", "websocket"],
  ] as const) {
    test(`${transports}: text and binary both ways`, async () => {
      const r = await runClient(h.url, transports);
      assert.equal(r.ok, true, JSON.stringify(r));
      const msgs = r.messages as Record<string, unknown>[];
      assert.deepEqual(
        msgs.filter((m) => m.text !== "welcome"),
        [{ text: "hello from python" }, { bin: [0, 1, 254, 255] }],
      );
      assert.ok(msgs.some((m) => m.text === "welcome"));
      assert.equal(r.transport, expected);
      await waitFor(() => disconnects.some((d) => d.sid === r.sid), 5000, "server-side disconnect");
      assert.equal(disconnects.find((d) => d.sid === r.sid)!.reason, "transport close");
    });
  }
});
