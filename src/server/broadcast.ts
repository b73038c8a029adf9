/**
 * Encode-once broadcast: one message to many sessions, framed once per transport kind.
 *
 * A loop of `socket.send` frames the message again for every WebSocket (`4` + text → UTF-8, a header per frame).
 * Here the WebSocket frame (RFC 6455 header + payload, unmasked as a server sends it) is built once and the same
 * two buffers are written to every socket that can take a pre-built frame — the path socket.io's adapter takes
 * with `wsPreEncodedFrame`. Polling sessions share the message data itself (no copy per session); their poll
 * answers are framed by the codec, as they batch with whatever else the session has queued. Sockets that
 * negotiated permessage-deflate, or `b64=1` peers of a binary message, frame their own copy. Each delivery
 * goes through the session's own send path, so `maxBufferedBytes` closes a slow consumer as it does for `send`.
 */
import { createError } from "../protocol/errors.js";
import { isBinaryMessage, type PythonSendData, pythonMessage } from "../protocol/message.js";
import type { Socket } from "./socket.js";

/** Which sessions a broadcast reaches (all open ones by default). */
export interface BroadcastOptions {
  /** Only these session ids (unknown ones are skipped). */
  sids?: Iterable<string>;
  /** Not these session ids (one id or several). */
  except?: string | Iterable<string>;
  /** python-style name of {@link BroadcastOptions.sids} (python-socketio's `to`); one id or several. */
  to?: string | Iterable<string>;
  /** python-style name of {@link BroadcastOptions.except} (python-socketio's `skip_sid`). */
  skip_sid?: string | Iterable<string>;
  /**
   * Whether the message may be compressed (permessage-deflate / HTTP compression), as for `send`.
   * @default true
   */
  compress?: boolean;
}

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;

/**
 * The frame of one unfragmented, unmasked message: `[header, payload]`, the shape `ws`'s sender writes as is.
 * @internal exported for the tests
 */
export function wsFrame(payload: Uint8Array, binary: boolean): Buffer[] {
  const len = payload.length;
  const header = Buffer.allocUnsafe(len < 126 ? 2 : len < 65536 ? 4 : 10);
  header[0] = 0x80 | (binary ? OPCODE_BINARY : OPCODE_TEXT); // FIN, no RSV bits
  if (len < 126) {
    header[1] = len;
  } else if (len < 65536) {
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header[1] = 127;
    header.writeUInt32BE(Math.floor(len / 0x1_0000_0000), 2);
    header.writeUInt32BE(len >>> 0, 6);
  }
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, len);
  return [header, body];
}

function idSet(name: string, v: string | Iterable<string> | undefined): Set<string> | null {
  if (v === undefined) return null;
  if (typeof v === "string") return new Set([v]);
  if (v !== null && typeof (v as Iterable<string>)[Symbol.iterator] === "function") return new Set(v);
  throw createError(
    "EIO_ERR_INVALID_ARG",
    `broadcast() option ${name} takes a session id or an iterable of them`,
    { option: name },
    TypeError,
  );
}

/**
 * Sends `data` to the chosen sessions of `clients`, framing it once (see the module comment).
 * @returns how many sessions it was handed to
 * @throws TypeError (`EIO_ERR_INVALID_ARG`) for data JSON cannot encode or a malformed option
 */
export function broadcast(
  clients: Readonly<Record<string, Socket>>,
  data: PythonSendData,
  options: BroadcastOptions = {},
): number {
  const message = pythonMessage(data);
  const only = idSet("sids", options.sids) ?? idSet("to", options.to);
  const skip = idSet("except", options.except) ?? idSet("skip_sid", options.skip_sid);
  const binary = isBinaryMessage(message);
  let bytes: Uint8Array | string;
  if (binary) {
    bytes = ArrayBuffer.isView(message)
      ? new Uint8Array(message.buffer, message.byteOffset, message.byteLength)
      : new Uint8Array(message);
  } else {
    bytes = message;
  }
  const frame = wsFrame(typeof bytes === "string" ? Buffer.from(`4${bytes}`) : bytes, binary);
  // one options object for every WebSocket session that can take the frame, one for the others
  const framed =
    options.compress === false ? { compress: false, wsPreEncodedFrame: frame } : { wsPreEncodedFrame: frame };
  const plain = options.compress === false ? { compress: false } : undefined;
  let sent = 0;
  const deliver = (socket: Socket): void => {
    if (skip?.has(socket.id) || socket.readyState !== "open") return;
    const t = socket.transport;
    // a binary frame is only right for a binary-capable peer; a polling session takes the shared data
    const pre = t !== null && t.writesDirectly && (!binary || t.supportsBinary);
    socket.send(bytes, pre ? framed : plain);
    sent++;
  };
  if (only !== null) {
    for (const sid of only) if (Object.hasOwn(clients, sid)) deliver(clients[sid]!);
  } else {
    for (const sid in clients) deliver(clients[sid]!);
  }
  return sent;
}
