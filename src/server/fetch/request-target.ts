/**
 * The request target of a Fetch `Request` (`/path?query`, what Node's `req.url` holds) read from `request.url`
 * by string position instead of `new URL()`: Bun and Deno hand over an already normalised absolute URL, and
 * parsing it again per request was the largest single cost of a Bun-hosted polling request in a profile
 * (`npm run bench:e2e -- --profile ours-bun`).
 */

/** Path and query of an absolute URL (`/` when it has no path); any `#fragment` is dropped. */
export function requestTarget(url: string): string {
  const scheme = url.indexOf("://");
  const slash = scheme < 0 ? url.indexOf("/") : url.indexOf("/", scheme + 3);
  if (slash < 0) return "/";
  const hash = url.indexOf("#", slash);
  return hash < 0 ? url.slice(slash) : url.slice(slash, hash);
}

/** The path of a request target (without the query). */
export function targetPath(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

/** Whether an absolute URL is `https:` or `wss:`. */
export function isSecureUrl(url: string): boolean {
  return url.startsWith("https:") || url.startsWith("wss:");
}
