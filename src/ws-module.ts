/**
 * The `ws` package, required on first use: the Node server needs it only for what the lean connection
 * (server/ws-lite.ts) leaves to it — permessage-deflate, WebSocket over HTTP/2, the `EIO_WS=ws` kill switch — and
 * the Node client for its WebSocket. On Bun and Deno (the Fetch handler) it is never loaded: importing it reads
 * the environment (`WS_NO_BUFFER_UTIL`, refused on Deno without `--allow-env`) and probes for `bufferutil`.
 * @packageDocumentation
 */
import type * as Ws from "ws";
import { packageRequire } from "./module-dir.js";

let ws: typeof Ws | undefined;

/**
 * The `ws` module.
 * @throws Error `EIO_ERR_NO_WS` when it cannot be loaded (not installed, or bundled away: keep `ws` external).
 */
export function wsModule(): typeof Ws {
  if (ws !== undefined) return ws;
  let cause: unknown;
  try {
    const m = packageRequire()?.("ws") as typeof Ws | undefined;
    if (m !== undefined) {
      ws = m;
      return m;
    }
  } catch (e) {
    cause = e;
  }
  throw Object.assign(
    new Error("engineio-wasm needs the `ws` package here (keep it external when bundling)", { cause }),
    {
      code: "EIO_ERR_NO_WS",
    },
  );
}
