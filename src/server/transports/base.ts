/**
 * The state every server transport keeps for its session (the Node polling and WebSocket transports, and the
 * Fetch-API ones): one definition of the {@link ServerTransport} fields that do not depend on the I/O.
 */
import type { TransportOwner } from "./types.js";

/** Common state of a server transport; subclasses add the I/O. */
export abstract class TransportBase {
  /** {@inheritDoc ServerTransport.readyState} */
  readyState: "open" | "closing" | "closed" = "open";
  /** {@inheritDoc ServerTransport.sid} */
  sid = "";
  /** {@inheritDoc ServerTransport.discarded} */
  discarded = false;
  /** {@inheritDoc ServerTransport.closePacket} */
  closePacket = false;
  /** {@inheritDoc ServerTransport.owner} */
  owner: TransportOwner | null = null;
  /** {@inheritDoc ServerTransport.supportsBinary} */
  readonly supportsBinary: boolean;

  /** @param query - the request's parsed query (`b64=1`: the peer takes no binary frames) */
  constructor(query: Readonly<Record<string, string | undefined>>) {
    this.supportsBinary = !query.b64;
  }

  /** {@inheritDoc ServerTransport.discard} */
  discard(): void {
    this.discarded = true;
  }
}
