/**
 * Where this package's compiled modules sit, found at run time in both builds (no `import.meta` in CommonJS, no
 * `__dirname` in ESM), and a `require` that resolves from there: what loads the native addon and, only when asked
 * for, the `debug` package. Node, Bun and Deno all have `process.getBuiltinModule`; elsewhere (browsers) both are
 * `null`.
 * @packageDocumentation
 */

interface PathApi {
  dirname(p: string): string;
  isAbsolute(p: string): boolean;
  join(...p: string[]): string;
}

/** The Node built-in `id` through `process.getBuiltinModule`, or `null` outside Node-like runtimes. */
function builtin<T>(id: string): T | null {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule;
  return typeof get === "function" ? ((get(id) as T | undefined) ?? null) : null;
}

let rootDir: string | null | undefined;

/**
 * The directory of this module — the root of `dist/esm`, `dist/cjs`, or `src/` under tsx — or `null` when it
 * cannot be told (not a Node-like runtime, or a bundle without file paths).
 */
export function packageModuleDir(): string | null {
  if (rootDir !== undefined) return rootDir;
  rootDir = null;
  const path = builtin<PathApi>("node:path");
  const url = builtin<{ fileURLToPath(u: string): string }>("node:url");
  if (path === null || url === null) return null;
  // (`node -e` defines a global `__dirname` of "." even for ES modules: only an absolute one is this module's.)
  if (typeof __dirname === "string" && path.isAbsolute(__dirname)) {
    rootDir = __dirname;
    return rootDir;
  }
  // ESM: the first frame of a fresh stack is this module: a file:// URL, or a path when source maps apply.
  const m = /((?:file:\/\/)?(?:\/|[A-Za-z]:\\)[^()\s]+?):\d+:\d+\)?$/m.exec(new Error().stack ?? "");
  if (!m) return null;
  rootDir = path.dirname(m[1]!.startsWith("file:") ? url.fileURLToPath(m[1]!) : m[1]!);
  return rootDir;
}

/** A `require` resolving from this package (its own dependencies), or `null` where there is none. */
export function packageRequire(): ((id: string) => unknown) | null {
  const dir = packageModuleDir();
  const path = builtin<PathApi>("node:path");
  const mod = builtin<{ createRequire(from: string): (id: string) => unknown }>("node:module");
  if (dir === null || path === null || mod === null) return null;
  try {
    return mod.createRequire(path.join(dir, "index.js"));
  } catch {
    return null;
  }
}
