/**
 * A minimal cookie jar for Node, so cookie-based sticky sessions (a load balancer's affinity cookie) work over
 * both transports. Browsers keep cookies themselves; the jar is only created in Node with `withCredentials`.
 * Behaviour follows engine.io-client's `globals.node.js` (RFC 6265 §5.2 expiry rules, no domain/path matching:
 * one jar belongs to one client socket, which talks to one origin).
 */

/** One stored cookie. */
export interface Cookie {
  /** Cookie name. */
  name: string;
  /** Cookie value (surrounding double quotes removed). */
  value: string;
  /** Absolute expiry, from `Expires` or `Max-Age`. */
  expires?: Date;
}

/** Parses one `Set-Cookie` header value; `undefined` when it has no name. */
export function parseSetCookie(header: string): Cookie | undefined {
  const parts = header.split(";");
  const first = parts[0] ?? "";
  const eq = first.indexOf("=");
  if (eq === -1) return undefined;
  const name = first.slice(0, eq).trim();
  if (name.length === 0) return undefined;
  let value = first.slice(eq + 1).trim();
  if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.endsWith('"')) value = value.slice(1, -1);
  const cookie: Cookie = { name, value };
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    const j = part.indexOf("=");
    if (j === -1) continue;
    const key = part.slice(0, j).trim().toLowerCase();
    const attr = part.slice(j + 1).trim();
    if (key === "expires") {
      const d = new Date(attr);
      // an unparseable date must not turn a deletion into a cookie kept forever
      cookie.expires = Number.isNaN(d.getTime()) ? new Date(0) : d;
    } else if (key === "max-age") {
      const delta = Number.parseInt(attr, 10);
      // RFC 6265 §5.2.2: zero or negative delta-seconds expires the cookie now; Max-Age wins over Expires
      cookie.expires = Number.isNaN(delta) || delta <= 0 ? new Date(0) : new Date(Date.now() + delta * 1000);
    }
  }
  return cookie;
}

/** Cookies received from the server, sent back on every later request of the same socket. */
export class CookieJar {
  #cookies = new Map<string, Cookie>();

  /** Stores the cookies of `Set-Cookie` header values. */
  parseCookies(values: readonly string[] | undefined): void {
    if (!values) return;
    for (const v of values) {
      const c = parseSetCookie(v);
      if (c) this.#cookies.set(c.name, c);
    }
  }

  /** The live cookies (expired ones are dropped first). */
  get cookies(): Cookie[] {
    const now = Date.now();
    for (const [name, c] of this.#cookies) {
      if (c.expires !== undefined && c.expires.getTime() <= now) this.#cookies.delete(name);
    }
    return [...this.#cookies.values()];
  }

  /** The `Cookie` request header value, or `undefined` when the jar is empty. */
  header(): string | undefined {
    const list = this.cookies;
    return list.length === 0 ? undefined : list.map((c) => `${c.name}=${c.value}`).join("; ");
  }
}
