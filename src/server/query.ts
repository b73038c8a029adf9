/**
 * Query-string parsing for engine requests, immune to prototype pollution: keys `__proto__`, `constructor` and
 * `prototype` are dropped, and a malformed URL never throws (URLSearchParams keeps invalid percent-escapes as text).
 */

/** Keys never stored (prototype pollution); compared directly, as a `Set` lookup hashes the key first. */
function isForbiddenKey(key: string): boolean {
  return key === "__proto__" || key === "constructor" || key === "prototype";
}

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
  // (tested on the whole URL, not the query sliced out: a `%` in the path only sends it the slow way)
  if (!NEEDS_DECODING.test(url)) {
    // Nothing to decode (an engine.io client's `EIO=4&transport=polling&sid=…&t=…`): the pairs are the
    // substrings themselves. URLSearchParams and its iterator were ~14 % of a Bun-hosted poll's JS samples; the
    // scan works on the URL in place, since the query's own slice, a `Set` for the forbidden keys and the
    // regular expression on the slice were half of a cold call (6.5 → 3.4–4.2 µs on Bun after the caches were
    // flushed, what every request of a server at a few hundred handshakes a second sees).
    // (URLSearchParams drops one leading "?" of its input too)
    for (let i = url.charCodeAt(q + 1) === 0x3f ? q + 2 : q + 1; i < end; ) {
      let amp = url.indexOf("&", i);
      if (amp === -1 || amp > end) amp = end;
      if (amp > i) {
        let eq = url.indexOf("=", i);
        if (eq === -1 || eq > amp) eq = amp;
        const key = queryKey(url, i, eq);
        if (!isForbiddenKey(key)) out[key] = eq === amp ? "" : url.slice(eq + 1, amp);
      }
      i = amp + 1;
    }
    return out;
  }
  for (const [key, value] of new URLSearchParams(url.slice(q + 1, end))) {
    if (isForbiddenKey(key)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * The key `s[start, end)`, as the string literal when it is one of the keys engine.io clients send: storing a
 * property under a fresh substring makes the engine intern it first (a hash and a table lookup per key), which
 * was most of this function's time on Bun (a four-key poll query: ~410 → ~184 ns on Bun, ~380 → ~307 on Node).
 */
function queryKey(s: string, start: number, end: number): string {
  switch (end - start) {
    case 1: {
      const c = s.charCodeAt(start);
      if (c === 0x74) return "t";
      if (c === 0x6a) return "j";
      break;
    }
    case 3:
      if (s.startsWith("sid", start)) return "sid";
      if (s.startsWith("EIO", start)) return "EIO";
      if (s.startsWith("b64", start)) return "b64";
      break;
    case 9:
      if (s.startsWith("transport", start)) return "transport";
      break;
  }
  return s.slice(start, end);
}

/**
 * What URLSearchParams would change: `%` escapes, `+` (a space), and lone surrogates (U+FFFD after its UTF-8
 * round trip). A query without any is split as it is.
 */
const NEEDS_DECODING = /[%+\uD800-\uDFFF]/;
