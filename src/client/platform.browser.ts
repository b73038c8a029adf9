/**
 * Browser (and worker) implementation of {@link Platform}: platform `fetch` and `WebSocket`, no Node modules.
 * Swapped in for `platform.ts` by the browser bundle and the package's `browser` field.
 */
import { fetchRequest } from "./http.js";
import type { BinaryType, MessageData } from "./options.js";
import type { Platform, WebSocketLike } from "./platform-types.js";

function frameBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** Converts bytes to the requested binary type (`nodebuffer` has no meaning here: plain `Uint8Array`). */
export function toBinaryCommon(bytes: Uint8Array, type: BinaryType): MessageData {
  switch (type) {
    case "arraybuffer":
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    case "blob":
      return new Blob([bytes as Uint8Array<ArrayBuffer>]);
    default:
      // a plain view, even when the platform handed us a subclass (Node's Buffer)
      return bytes.constructor === Uint8Array
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

/** The browser platform. */
export const platform: Platform = {
  wsCompression: false,
  name: "browser",
  defaultBinaryType: "arraybuffer",
  createCookieJar: () => undefined,
  request: fetchRequest,
  createWebSocket(url, protocols) {
    const Ctor = (globalThis as { WebSocket?: new (url: string, protocols?: string[]) => WebSocketLike })
      .WebSocket;
    if (!Ctor) throw new Error("WebSocket is not available on this platform");
    const ws = protocols.length > 0 ? new Ctor(url, protocols) : new Ctor(url);
    ws.binaryType = "arraybuffer";
    return ws;
  },
  wsSend(ws, data) {
    (ws as WebSocketLike & { send(d: string | Uint8Array): void }).send(data);
  },
  wsUnref() {},
  frameBytes,
  toBinary: toBinaryCommon,
  nextTick: (fn) => {
    queueMicrotask(fn);
  },
};
