/**
 * Query-string parsing for engine requests, immune to prototype pollution: keys `__proto__`, `constructor` and
 * `prototype` are dropped, and a malformed URL never throws (URLSearchParams keeps invalid percent-escapes as text).
 */

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Parses the query of a request URL (`/path?a=1&b=2`) into a plain object of strings.
 * With duplicate keys the last value wins (as `Object.fromEntries(url.searchParams)` in engine.io).
 */
export function parseQuery(url: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!url) return out;
  const q = url.indexOf("?");
  if (q === -1) return out;
  let end = url.indexOf("#", q);
  if (end === -1) end = url.length;
  for (const [key, value] of new URLSearchParams(url.slice(q + 1, end))) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    out[key] = value;
  }
  return out;
}
