/**
 * The file-system half of static files (the pure rules are in static-files.ts): turns a rule match into the
 * file to send, or `null` so the request falls through — shared by {@link NodeApp} and {@link FetchApp}.
 */
import { promises as fsp, type Stats } from "node:fs";
import { resolve } from "node:path";
import { createDebug } from "../debug.js";
import {
  DEFAULT_INDEX,
  guessContentType,
  isInside,
  ruleOf,
  type StaticFileMatch,
  type StaticFiles,
} from "./static-files.js";

const debug = createDebug("engine:app");

/** A file found for a static request. */
export interface StaticFileFound {
  /** Absolute path to send. */
  filename: string;
  /** The `Content-Type` to send. */
  contentType: string;
  /** Size in bytes. */
  size: number;
}

async function statFile(filename: string): Promise<Stats | null> {
  try {
    return await fsp.stat(filename);
  } catch {
    return null;
  }
}

/**
 * Resolves `match` to an existing regular file: a directory serves its index (the `""` rule, else
 * `index.html`), and prefix rules stay inside their directory after symlinks are resolved.
 */
export async function locateStaticFile(
  match: StaticFileMatch,
  staticFiles: StaticFiles,
): Promise<StaticFileFound | null> {
  let filename = match.filename;
  let contentType = match.contentType;
  let st = await statFile(filename);
  if (st?.isDirectory()) {
    // A prefix rule whose URL names a directory without the trailing slash: serve its index too.
    const index = staticFiles[""];
    const indexName = index === undefined ? DEFAULT_INDEX : ruleOf(index).filename;
    filename = resolve(filename, indexName);
    if (match.root !== undefined && !isInside(match.root, filename)) return null;
    const explicit = index === undefined ? undefined : ruleOf(index).contentType;
    contentType = explicit ?? guessContentType(filename);
    st = await statFile(filename);
  }
  if (!st?.isFile()) return null;
  // Symlinks may point anywhere; confine prefix rules to their directory after resolving them.
  if (match.root !== undefined) {
    const real = await fsp.realpath(filename);
    const realRoot = await fsp.realpath(match.root).catch(() => match.root!);
    if (!isInside(realRoot, real)) {
      debug("refused %s: resolves outside %s", filename, match.root);
      return null;
    }
  }
  return { filename, contentType, size: st.size };
}
