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
 * Primary → worker, with a client socket handle: a client connection at its first request (the bytes read so
 * far, base64), which the worker's HTTP server serves from then on as if it had accepted it itself.
 */
export interface ConnectionMessage {
  eio: "connection";
  head: string;
}
/** One worker as the others see it, for forwarding a foreign session's request and balancing handshakes. */
export interface PeerInfo {
  nodeId: string;
  /** Its private loopback port (0 before it is first ready). */
  port: number;
  ready: boolean;
  /** Its open sessions, as last reported. */
  load: number;
}
/** Primary → worker: every worker's port, readiness and load (sent on changes, load changes throttled). */
export interface PeersMessage {
  eio: "peers";
  peers: PeerInfo[];
}
/** Primary → worker (`routing: "shared"`), with the public listening handle: accept from it too. */
export interface ListenMessage {
  eio: "listen";
}
/** Worker → primary (`routing: "shared"`): accepting from the public socket (the worker is ready now). */
export interface AcceptingMessage {
  eio: "accepting";
}
/**
 * Worker → primary (`routing: "shared"`), with the client socket: a WebSocket upgrade of worker `to`'s session
 * that this worker accepted (its request's bytes, base64); the primary hands it to `to` as a
 * {@link ConnectionMessage}, so the WebSocket is not tunnelled through this worker for its whole life.
 */
export interface HandoffMessage {
  eio: "handoff";
  to: string;
  head: string;
}
/** Any message of the cluster protocol. */
export type ClusterMessage =
  | ReadyMessage
  | LoadMessage
  | ShutdownMessage
  | ConnectionMessage
  | PeersMessage
  | ListenMessage
  | AcceptingMessage
  | HandoffMessage;

/** Whether `m` is one of ours. */
export function isClusterMessage(m: unknown): m is ClusterMessage {
  return typeof m === "object" && m !== null && typeof (m as { eio?: unknown }).eio === "string";
}

/** Environment variables a worker reads its identity from. */
export const ENV_NODE_ID = "EIO_CLUSTER_NODE_ID";
/** Index of the worker (0-based), stable across restarts. */
export const ENV_INDEX = "EIO_CLUSTER_INDEX";
/** The cluster's handshake balance, for the handshakes a worker balances itself (later ones on a connection). */
export const ENV_BALANCE = "EIO_CLUSTER_BALANCE";
/** The cluster's routing (`handover`, `relay`, `shared`): a shared worker accepts and balances differently. */
export const ENV_ROUTING = "EIO_CLUSTER_ROUTING";
/**
 * Request header a worker adds when it forwards a request to the worker that owns it: the receiver serves it
 * itself whatever its sid says (a loop guard while the peer table is stale, e.g. during a restart).
 */
export const HOP_HEADER = "x-eio-cluster-hop";
