/** Polling over the WHATWG `fetch` (browsers and Node 20's global fetch). */
import type { HttpRequest, HttpResponse } from "./platform-types.js";

/** Performs one polling request with `fetch`. */
export async function fetchRequest(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
  const init: RequestInit = {
    method: req.method,
    headers: req.headers,
    // engine.io-client uses "omit" without withCredentials, which drops same-origin sticky cookies; "same-origin"
    // is fetch's own default and keeps them.
    credentials: req.options.withCredentials ? "include" : "same-origin",
    cache: "no-store",
    signal,
  };
  if (req.body !== undefined) init.body = req.body as Uint8Array<ArrayBuffer>;
  const res = await fetch(req.url, init);
  const body = new Uint8Array(await res.arrayBuffer());
  const h = res.headers as Headers & { getSetCookie?: () => string[] };
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    setCookie: typeof h.getSetCookie === "function" ? h.getSetCookie() : [],
    body,
  };
}
