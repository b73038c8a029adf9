/**
 * CORS: with an allow-list, a disallowed Origin never receives `Access-Control-Allow-Origin` (on handshakes,
 * polls, posts, preflights or upgrades), look-alike origins are not allowed, and credentials are never combined
 * with `*`, whatever the configuration (static `*`, the default origin, a delegate, an origin function).
 */
import assert from "node:assert/strict";
import {
  createServer,
  type Server as HttpServer,
  type ServerOptions as HttpServerOptions,
  type IncomingHttpHeaders,
} from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import type { CorsOptions } from "cors";
import { Server, type ServerOptions } from "../../src/index.js";
import { hasCompleteResponse, parseResponses, raw, wsUpgradeRequest } from "./lib/raw.js";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  body: string;
}

async function withServer(
  opts: ServerOptions,
  fn: (port: number, engine: Server) => Promise<void>,
  httpOpts: HttpServerOptions = {},
): Promise<void> {
  const http: HttpServer = createServer(httpOpts);
  const engine = new Server(opts);
  engine.attach(http);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  try {
    await fn((http.address() as AddressInfo).port, engine);
  } finally {
    engine.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  }
}

async function req(
  port: number,
  method: string,
  query: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}/engine.io/?EIO=4&transport=polling${query}`, {
    method,
    headers,
    body,
  });
  const h: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    h[k] = v;
  });
  return { status: res.status, headers: h, body: await res.text() };
}

async function upgrade(port: number, origin: string): Promise<Answer> {
  const r = await raw(port, wsUpgradeRequest("/engine.io/?EIO=4&transport=websocket", { Origin: origin }), {
    timeoutMs: 3000,
    untilComplete: hasCompleteResponse,
  });
  const res = parseResponses(r.data).responses[0]!;
  return { status: res.status, headers: res.headers, body: "" };
}

const GOOD = "http://good.example";
const LOOKALIKES = [
  "http://evil.example",
  "http://good.example.evil.example",
  "http://evilgood.example",
  "https://good.example",
  "http://good.example:8080",
  "HTTP://GOOD.EXAMPLE",
  "null",
  "*",
  `${GOOD}/`,
  `${GOOD}.`,
];

function acao(a: Answer): string | undefined {
  return a.headers["access-control-allow-origin"] as string | undefined;
}
function acac(a: Answer): string | undefined {
  return a.headers["access-control-allow-credentials"] as string | undefined;
}

type AllowList = NonNullable<CorsOptions["origin"]>;

describe("CORS with an allow-list", () => {
  const lists: [string, AllowList][] = [
    ["array", [GOOD]],
    ["string", GOOD],
    ["regexp", /^http:\/\/good\.example$/],
    [
      "function",
      (o: string | undefined, cb: (e: Error | null, allow?: boolean) => void) => cb(null, o === GOOD),
    ],
  ];
  for (const [label, origin] of lists) {
    it(`(${label}) allows the listed origin and nothing else, on every kind of request`, async () => {
      await withServer({ cors: { origin, credentials: true } }, async (port) => {
        const good = await req(port, "GET", "", { Origin: GOOD });
        assert.equal(good.status, 200);
        assert.equal(acao(good), GOOD);
        assert.equal(acac(good), "true");
        const sid = /"sid":"([^"]+)"/.exec(good.body)![1]!;
        for (const bad of LOOKALIKES) {
          const answers = [
            await req(port, "GET", "", { Origin: bad }),
            await req(
              port,
              "POST",
              `&sid=${sid}`,
              { Origin: bad, "Content-Type": "text/plain;charset=UTF-8" },
              "4x",
            ),
            await req(port, "OPTIONS", "", {
              Origin: bad,
              "Access-Control-Request-Method": "POST",
              "Access-Control-Request-Headers": "content-type",
            }),
            await upgrade(port, bad),
          ];
          for (const a of answers) {
            const v = acao(a);
            // a fixed-string configuration always names the allowed origin itself: never the requester's
            if (label === "string") assert.ok(v === undefined || v === GOOD, `${bad}: ${v}`);
            else assert.equal(v, undefined, `disallowed origin ${JSON.stringify(bad)} got ACAO ${v}`);
            assert.notEqual(v, "*");
          }
        }
      });
    });
  }
});

describe("credentials are never combined with *", () => {
  const configs: [string, ServerOptions["cors"]][] = [
    ['origin "*"', { origin: "*", credentials: true }],
    ["default origin", { credentials: true }],
    ['array with "*"', { origin: ["*", GOOD], credentials: true }],
    ["reflect (origin: true)", { origin: true, credentials: true }],
    ['origin function answering "*"', { origin: (_o, cb) => cb(null, "*"), credentials: true }],
    ["delegate", (_req, cb) => cb(null, { origin: "*", credentials: true })],
  ];
  for (const [label, cors] of configs) {
    it(label, async () => {
      await withServer({ cors }, async (port) => {
        for (const origin of [GOOD, "*", "http://evil.example"]) {
          const answers = [
            await req(port, "GET", "", { Origin: origin }),
            await req(port, "OPTIONS", "", { Origin: origin, "Access-Control-Request-Method": "POST" }),
          ];
          for (const a of answers) {
            assert.ok(
              !(acao(a) === "*" && acac(a) === "true"),
              `${label}, Origin ${origin}: ACAO * with credentials`,
            );
          }
        }
      });
    });
  }
});

describe("Origin header validation", () => {
  it("an Origin with invalid characters is refused (400) and never echoed", async () => {
    await withServer(
      { cors: { origin: true, credentials: true } },
      async (port, engine) => {
        const seen: unknown[] = [];
        engine.on("connection_error", (e) => seen.push(e.context));
        const r = await raw(
          port,
          Buffer.from(
            `GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: http://a\x01.example\r\nConnection: close\r\n\r\n`,
            "latin1",
          ),
          {
            untilComplete: hasCompleteResponse,
          },
        );
        const res = parseResponses(r.data).responses[0]!;
        assert.equal(res.status, 400);
        // code 3 is the engine's answer: Node's strict parser would answer a bare 400 before the engine ran
        assert.deepEqual(JSON.parse(res.body.toString()), { code: 3, message: "Bad request" });
        assert.equal(res.headers["access-control-allow-origin"], undefined);
        // Middlewares (CORS included) run before the engine's checks, as in engine.io: reflecting this Origin
        // makes setHeader throw, so the CORS middleware refuses it. The engine's own Origin check (no CORS) is
        // test/server-polling.test.ts "Origin with invalid characters → 400 code 3 (INVALID_ORIGIN)".
        assert.deepEqual(seen, [{ name: "MIDDLEWARE_FAILURE" }]);
      },
      { insecureHTTPParser: true },
    );
  });
});

describe("CORS still works where it is valid", () => {
  it('origin "*" without credentials answers *; with credentials the * stays and credentials go', async () => {
    await withServer({ cors: { origin: "*" } }, async (port) => {
      const a = await req(port, "GET", "", { Origin: GOOD });
      assert.equal(acao(a), "*");
    });
    await withServer({ cors: { origin: "*", credentials: true } }, async (port) => {
      const a = await req(port, "GET", "", { Origin: GOOD });
      assert.equal(acao(a), "*");
      assert.equal(acac(a), undefined);
    });
  });
});
