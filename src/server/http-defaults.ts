import type { ServerOptions as HttpServerOptions } from "node:http";

/**
 * Options for the `http.Server`s this package creates itself (`listen()`, `NodeApp.listen()`, the CLI).
 *
 * Node's own defaults bound a slowloris client only after up to 90 s (`headersTimeout` 60 s, checked every
 * `connectionsCheckingInterval` of 30 s). Long-polling GETs are unaffected by `requestTimeout`: it covers
 * receiving the request, and a poll's request is complete at once — only its response waits.
 * Servers you create yourself keep whatever you give them; see SECURITY.md for the recommended values.
 */
export const HTTP_SERVER_DEFAULTS: Readonly<HttpServerOptions> = Object.freeze({
  /** Request headers must be complete within 10 s. */
  headersTimeout: 10_000,
  /** A whole request (headers and body) must arrive within 30 s. */
  requestTimeout: 30_000,
  /** How often Node checks the two timeouts above. */
  connectionsCheckingInterval: 1_000,
});
