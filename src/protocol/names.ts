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

/**
 * The reasons python-engineio's server passes to its `disconnect` handler (`engineio/base_server.py`,
 * `BaseServer.reason`, 4.11+): what the python-style `Server#on("disconnect", (sid, reason) => …)` receives.
 */
export type PythonServerReason =
  | "server disconnect"
  | "client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error";

/**
 * The reasons python-engineio's clients pass to their `disconnect` handler (`engineio/base_client.py`,
 * `BaseClient.reason`, 4.11+): what the python-style `Client`/`AsyncClient` `disconnect` handlers receive.
 */
export type PythonClientReason = "client disconnect" | "server disconnect" | "transport error";

/**
 * The python-engineio name of a server socket's close: a close by this side (`forced close`, `server shutting
 * down`) is `server disconnect`; the peer's close packet is `client disconnect`, a dropped connection
 * `transport close`; an undecodable packet, which python-engineio has no name for, `transport error`.
 */
export function pythonServerReason(reason: ServerCloseReason, closePacket: boolean): PythonServerReason {
  switch (reason) {
    case "forced close":
    case "server shutting down":
      return "server disconnect";
    case "transport close":
      return closePacket ? "client disconnect" : "transport close";
    case "ping timeout":
      return "ping timeout";
    default:
      return "transport error";
  }
}

/**
 * The python-engineio name of a client's close: `client disconnect` after `disconnect()` (with or without
 * `abort`), `server disconnect` when the server sent a close packet, and `transport error` for everything else,
 * ping timeouts included (python-engineio's clients have no other name: `engineio/client.py` `_read_loop_*`).
 */
export function pythonClientReason(byClient: boolean, closePacket: boolean): PythonClientReason {
  if (byClient) return "client disconnect";
  return closePacket ? "server disconnect" : "transport error";
}
