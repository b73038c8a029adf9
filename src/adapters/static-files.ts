/**
 * Static files the python-engineio way (`static_files`): rules mapping URLs to files and directories, resolved
 * to a file without touching the file system, with traversal (`..`, encoded separators, NUL) refused. Pure, so
 * `NodeApp` and the Fetch-API app share it; the I/O (stat, realpath, streaming) stays with each app.
 * @packageDocumentation
 */
import { extname, isAbsolute, resolve, sep } from "node:path";

/** The long form of a static file rule (python-engineio's dict form). */
export interface StaticFileRule {
  /**
   * The file, or with a trailing `/` the directory, that the URL maps to. Relative names are resolved against
   * {@link NodeAppOptions.staticRoot}.
   */
  filename: string;
  /** The `Content-Type` to send; guessed from the file extension when absent. */
  contentType?: string;
  /** python-engineio's spelling of {@link StaticFileRule.contentType}, accepted to ease porting. */
  content_type?: string;
}

/**
 * Static file rules, python-engineio's `static_files` semantics:
 * - `"/": "index.html"` — an exact URL served from a file;
 * - `"/static": "public"` (or `"/static/": "public/"`) — a URL prefix served from a directory: `/static/a.js` →
 *   `public/a.js`; a URL naming a directory serves its `index.html`;
 * - `"/": { filename: "index.html", contentType: "text/html" }` — the long form with an explicit content type;
 * - `"": "main.html"` — the file served for directory URLs instead of `index.html`.
 * A URL that matches a rule but names no existing file falls through to `otherApp` (or 404), like python-engineio.
 */
export type StaticFiles = Readonly<Record<string, string | StaticFileRule>>;

/** A resolved static file: what {@link resolveStaticFile} returns for a servable URL. */
export interface StaticFileMatch {
  /** Absolute path of the file to serve (may still turn out not to exist, or to be a directory). */
  filename: string;
  /** The `Content-Type` to send. */
  contentType: string;
  /** The directory the match is confined to, for prefix rules; `undefined` for exact-URL rules. */
  root?: string;
}

/**
 * Content types guessed from file extensions: python-engineio's table plus the types a browser page of this
 * package needs (`.mjs`, `.wasm`, `.svg`, `.map`, `.ico`). Text types carry `charset=utf-8`.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  css: "text/css; charset=utf-8",
  gif: "image/gif",
  htm: "text/html; charset=utf-8",
  html: "text/html; charset=utf-8",
  ico: "image/x-icon",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  js: "text/javascript; charset=utf-8",
  json: "application/json; charset=utf-8",
  map: "application/json; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  png: "image/png",
  svg: "image/svg+xml",
  txt: "text/plain; charset=utf-8",
  wasm: "application/wasm",
  webp: "image/webp",
};
const DEFAULT_CONTENT_TYPE = "application/octet-stream";
/** The file served for a directory URL unless the `""` rule names another. */
export const DEFAULT_INDEX = "index.html";

/** The `Content-Type` guessed for a file name (python-engineio's rule: by extension, else octet-stream). */
export function guessContentType(filename: string): string {
  return CONTENT_TYPES[extname(filename).slice(1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}

/** Splits the path part off a request URL (`/a/b?x=1#f` → `/a/b`). */
export function pathOf(url: string | undefined): string {
  const u = url ?? "/";
  const q = u.search(/[?#]/);
  return q === -1 ? u : u.slice(0, q);
}

/**
 * Percent-decodes a URL path segment by segment, refusing anything that could step outside a directory:
 * `..` / `.` segments (plain or encoded, e.g. `%2e%2e`), encoded separators (`%2f`, `%5c`), backslashes, NUL bytes
 * and malformed escapes. Returns `null` when refused.
 */
function decodeSafePath(rawPath: string): string | null {
  const out: string[] = [];
  const segments = rawPath.split("/");
  for (let i = 0; i < segments.length; i++) {
    let s: string;
    try {
      s = decodeURIComponent(segments[i]!);
    } catch {
      return null;
    }
    if (s === ".." || s === "." || s.includes("/") || s.includes("\\") || s.includes("\0")) return null;
    out.push(s);
  }
  return out.join("/");
}

export function ruleOf(rule: string | StaticFileRule): { filename: string; contentType?: string } {
  if (typeof rule === "string") return { filename: rule };
  const contentType = rule.contentType ?? rule.content_type;
  return contentType === undefined ? { filename: rule.filename } : { filename: rule.filename, contentType };
}

/** `child` equals `root` or lies inside it. */
export function isInside(root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Maps a request URL path to a static file with python-engineio's `get_static_file` rules (exact URL first, then
 * the longest matching prefix, with or without its trailing slash; `""` names the directory index), confined to
 * the mapped directory. Returns `null` when no rule matches, and `"forbidden"` for a traversal attempt.
 * @param rawPath - The path part of `req.url`, still percent-encoded.
 * @param staticFiles - The rules.
 * @param staticRoot - Base for relative file names.
 */
export function resolveStaticFile(
  rawPath: string,
  staticFiles: StaticFiles,
  staticRoot: string = process.cwd(),
): StaticFileMatch | "forbidden" | null {
  // `*` (OPTIONS) and absolute-form URLs (proxy requests) are not file paths: leave them to otherApp.
  if (!rawPath.startsWith("/")) return null;
  const path = decodeSafePath(rawPath);
  if (path === null) return "forbidden";
  let rule: { filename: string; contentType?: string } | undefined;
  let extra = "";
  let prefix = false;
  if (Object.hasOwn(staticFiles, path) && path !== "") {
    rule = ruleOf(staticFiles[path]!);
  } else {
    let head = path;
    while (head !== "") {
      const cut = head.lastIndexOf("/");
      extra = head.slice(cut) + extra;
      head = head.slice(0, cut);
      // The "" key names the directory index, never a prefix (python would map "/x" to "<index>/x", which
      // cannot exist anyway).
      if (head !== "" && Object.hasOwn(staticFiles, head)) {
        rule = ruleOf(staticFiles[head]!);
        break;
      }
      if (Object.hasOwn(staticFiles, `${head}/`)) {
        rule = ruleOf(staticFiles[`${head}/`]!);
        break;
      }
    }
    prefix = rule !== undefined;
  }
  if (!rule) return null;
  let filename = rule.filename;
  let { contentType } = rule;
  if (filename.endsWith("/") && extra.startsWith("/")) extra = extra.slice(1);
  const base = resolve(staticRoot, filename);
  filename += extra;
  if (filename.endsWith("/")) {
    const index = staticFiles[""];
    if (index === undefined) filename += DEFAULT_INDEX;
    else {
      const r = ruleOf(index);
      filename += r.filename;
      if (r.contentType !== undefined) contentType = r.contentType;
    }
  }
  const abs = isAbsolute(filename) ? resolve(filename) : resolve(staticRoot, filename);
  if (prefix && !isInside(base, abs)) return "forbidden";
  const match: StaticFileMatch = { filename: abs, contentType: contentType ?? guessContentType(abs) };
  if (prefix) match.root = base;
  return match;
}
