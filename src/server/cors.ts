/**
 * CORS options as given to the `cors` package, made safe: `Access-Control-Allow-Credentials: true` is never sent
 * together with `Access-Control-Allow-Origin: *`. Browsers refuse that combination (Fetch standard, "CORS check"),
 * so such a configuration never worked; the `cors` package would still emit it, and a reflecting configuration
 * (`origin: true`, arrays, functions) would answer a literal `Origin: *` with `*` plus credentials.
 *
 * With `credentials: true`: an origin of `*` (or the package's default, which is `*`) drops credentials; a
 * request whose Origin is `*`, or an origin function answering `*`, gets no CORS headers at all.
 */
import type { CorsOptions, CorsOptionsDelegate } from "cors";

type OriginCallback = (
  err: Error | null,
  origin?: boolean | string | RegExp | (boolean | string | RegExp)[],
) => void;
type OriginFunction = (requestOrigin: string | undefined, callback: OriginCallback) => void;

function guard(o: CorsOptions): CorsOptions {
  if (!o.credentials) return o;
  const origin = o.origin ?? "*";
  if (origin === "*") return { ...o, credentials: false };
  const inner = origin;
  const safe: OriginFunction = (requestOrigin, cb) => {
    if (requestOrigin === "*") return cb(null, false);
    if (typeof inner !== "function")
      return cb(null, inner as boolean | string | RegExp | (string | RegExp)[]);
    (inner as OriginFunction)(requestOrigin, (err, value) => cb(err, value === "*" ? false : value));
  };
  return { ...o, origin: safe as CorsOptions["origin"] };
}

/** Returns options (or a delegate) for the `cors` package that never combine credentials with `*`. */
export function safeCorsOptions(opts: CorsOptions | CorsOptionsDelegate): CorsOptions | CorsOptionsDelegate {
  if (typeof opts !== "function") return guard(opts);
  const delegate = opts as (req: unknown, cb: (err: Error | null, o?: CorsOptions) => void) => void;
  const wrapped = (req: unknown, cb: (err: Error | null, o?: CorsOptions) => void): void =>
    delegate(req, (err, o) => cb(err, o ? guard(o) : o));
  return wrapped as unknown as CorsOptionsDelegate;
}
