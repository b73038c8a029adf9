/**
 * Names both sides of the protocol share: the transports and the close reasons. One definition, so the
 * client's and the server's types cannot drift apart.
 */

/** The Engine.IO v4 transports this project implements. */
export type TransportName = "polling" | "websocket";

/**
 * Why a session closed, as either side reports it: `transport close` (the peer or the network closed it),
 * `transport error` (a request or frame failed), `ping timeout`, `parse error` (the peer sent something
 * undecodable), `forced close` (`close()` on this side).
 */
export type CloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "parse error"
  | "forced close";

/** What a server socket reports: every {@link CloseReason}, and `server shutting down` on `Server#close()`. */
export type ServerCloseReason = CloseReason | "server shutting down";
