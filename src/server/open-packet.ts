/**
 * The data of a session's `open` packet (`{"sid","upgrades","pingInterval","pingTimeout","maxPayload"}`), the
 * same text `JSON.stringify` gives, written from parts: the numbers are the server's and do not change, so their
 * part is made once per options object, and a session id of base64url characters (what the engine issues)
 * needs no escaping. `JSON.stringify` of the whole object was 2.6 % of a Bun-hosted server's samples at
 * 200 handshakes/s, where each call into the runtime meets cold caches.
 */

/** The numbers an open packet announces. */
export interface OpenPacketOptions {
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly maxHttpBufferSize: number;
}

let cachedFor: OpenPacketOptions | null = null;
let cachedTail = "";

/** `"pingInterval":…,"pingTimeout":…,"maxPayload":…}`, as JSON writes it (a non-finite number as `null`). */
function numbersTail(opts: OpenPacketOptions): string {
  if (opts === cachedFor) return cachedTail;
  const json = JSON.stringify({
    pingInterval: opts.pingInterval,
    pingTimeout: opts.pingTimeout,
    maxPayload: opts.maxHttpBufferSize,
  });
  cachedFor = opts;
  cachedTail = json.slice(1);
  return cachedTail;
}

/** Whether `s` is made of base64url characters only (nothing JSON would escape). */
function isPlainId(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** The JSON text of an open packet for session `sid` offering `upgrades`. */
export function openPacketData(sid: string, upgrades: readonly string[], opts: OpenPacketOptions): string {
  const id = isPlainId(sid) ? `"${sid}"` : JSON.stringify(sid);
  const up =
    upgrades.length === 0
      ? "[]"
      : upgrades.length === 1 && upgrades[0] === "websocket"
        ? '["websocket"]'
        : JSON.stringify(upgrades);
  return `{"sid":${id},"upgrades":${up},${numbersTail(opts)}`;
}
