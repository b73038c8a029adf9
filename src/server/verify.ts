/**
 * Request verification as a pure function of the request, the options and the session registry: what
 * engine.io's `Server#verify` checks synchronously (the asynchronous `allowRequest` stays with the server).
 */
import { ERRORS, type ErrorCode } from "../protocol/errors.js";
import { hasInvalidHeaderChar } from "./headers.js";
import type { EngineRequest, ResolvedOptions } from "./options.js";

/** Why a request is refused: the numeric Engine.IO error and details for `connection_error`. */
export interface Rejection {
  /** Numeric error code (`Server.errors`). */
  code: ErrorCode;
  /** Details (e.g. `{ name: "TRANSPORT_MISMATCH", … }`). */
  context: Record<string, unknown>;
}

/**
 * The synchronous checks of a request before it reaches a session or a handshake (engine.io's `verify`):
 * transport known and enabled, a valid Origin, sid known and on the same transport and protocol, the handshake
 * method. Returns `null` when the request may proceed, else the numeric error and its context.
 */
export function checkRequest(
  req: EngineRequest,
  upgrade: boolean,
  opts: Pick<ResolvedOptions, "transports" | "allowUpgrades">,
  clients: Readonly<Record<string, { readonly transport: { readonly name: string } | null }>>,
): Rejection | null {
  const transport = req._query.transport;
  if (transport !== "polling" && transport !== "websocket") {
    return { code: ERRORS.UNKNOWN_TRANSPORT, context: { transport } };
  }
  if (!opts.transports.includes(transport)) return { code: ERRORS.UNKNOWN_TRANSPORT, context: { transport } };
  const origin = req.headers.origin;
  if (hasInvalidHeaderChar(origin)) {
    req.headers.origin = undefined;
    return { code: ERRORS.BAD_REQUEST, context: { name: "INVALID_ORIGIN", origin } };
  }
  if (upgrade && transport !== "websocket") {
    return { code: ERRORS.BAD_REQUEST, context: { name: "TRANSPORT_MISMATCH", transport } };
  }
  const sid = req._query.sid;
  if (sid) {
    const client = Object.hasOwn(clients, sid) ? clients[sid] : undefined;
    if (client === undefined) return { code: ERRORS.UNKNOWN_SID, context: { sid } };
    if (upgrade && !opts.allowUpgrades) {
      return { code: ERRORS.BAD_REQUEST, context: { name: "UPGRADES_DISALLOWED", transport } };
    }
    const previousTransport = client.transport ? client.transport.name : undefined;
    if (!upgrade && previousTransport !== transport) {
      return {
        code: ERRORS.BAD_REQUEST,
        context: { name: "TRANSPORT_MISMATCH", transport, previousTransport },
      };
    }
    if (req._query.EIO !== "4") {
      return {
        code: ERRORS.BAD_REQUEST,
        context: { name: "PROTOCOL_MISMATCH", protocol: req._query.EIO, previousProtocol: 4 },
      };
    }
    return null;
  }
  // an RFC 8441 WebSocket (h2 extended CONNECT) is the GET of HTTP/1.1's Upgrade
  if (req.method !== "GET" && !(upgrade && req.method === "CONNECT")) {
    return { code: ERRORS.BAD_HANDSHAKE_METHOD, context: { method: req.method } };
  }
  if (transport === "websocket" && !upgrade) {
    return { code: ERRORS.BAD_REQUEST, context: { name: "TRANSPORT_HANDSHAKE_ERROR" } };
  }
  return null;
}
