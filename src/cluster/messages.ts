/** IPC messages between the cluster primary and its workers (tagged so app messages pass untouched). */

/** Worker → primary: listening on a private loopback port. */
export interface ReadyMessage {
  eio: "ready";
  port: number;
}
/** Worker → primary: its open session count changed. */
export interface LoadMessage {
  eio: "load";
  sessions: number;
}
/** Primary → worker: close every session (`server shutting down`) and exit. */
export interface ShutdownMessage {
  eio: "shutdown";
  timeoutMs: number;
}
/**
 * Primary → worker, with a client socket handle: a WebSocket upgrade request (its bytes so far, base64) the
 * worker's HTTP server handles as if it had accepted the connection itself.
 */
export interface ConnectionMessage {
  eio: "connection";
  head: string;
}
/** Any message of the cluster protocol. */
export type ClusterMessage = ReadyMessage | LoadMessage | ShutdownMessage | ConnectionMessage;

/** Whether `m` is one of ours. */
export function isClusterMessage(m: unknown): m is ClusterMessage {
  return typeof m === "object" && m !== null && typeof (m as { eio?: unknown }).eio === "string";
}

/** Environment variables a worker reads its identity from. */
export const ENV_NODE_ID = "EIO_CLUSTER_NODE_ID";
/** Index of the worker (0-based), stable across restarts. */
export const ENV_INDEX = "EIO_CLUSTER_INDEX";
