/**
 * Entry of the browser bundles (`dist/browser/engineio.esm.js`, `dist/browser/engineio.min.js` → global `eio`).
 * Like engine.io-client's bundle, the default export (and the global) is callable: `eio(url, opts)` opens a
 * {@link Socket}; every named export of the client is also a property of it.
 * @packageDocumentation
 */
import * as api from "./index.js";
import type { SocketOptions } from "./options.js";
import { Socket } from "./socket.js";

export * from "./index.js";

/** Opens a {@link Socket}, as engine.io-client's `eio(url, opts)`. */
function eio(uri?: string | SocketOptions, opts?: SocketOptions): Socket {
  return new Socket(uri, opts);
}

/** `eio(url, opts)`, with every export of the client as a property. */
const callable: typeof eio & typeof api = Object.assign(eio, api);
export default callable;
