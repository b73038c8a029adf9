/**
 * The client's upgrade probe (engine.io-client's `probe`): open the candidate transport beside the current one,
 * send `2probe`, and on `3probe` pause the current transport, switch, and send `5`. Any failure on the way
 * freezes the candidate and reports `upgradeError`; the session keeps its transport.
 */
import { createDebug } from "../debug.js";
import { createError } from "../protocol/errors.js";
import type { TransportName } from "./options.js";
// A cycle with socket.ts on purpose: `Socket` is only read when a probe runs, long after both modules loaded.
import { Socket } from "./socket.js";
import type { Transport } from "./transport.js";

const debug = createDebug("engine:client:socket");

/** Probes transport `name` for `socket` and upgrades to it when the probe succeeds. */
export function probeTransport(socket: Socket, name: TransportName): void {
  debug('probing transport "%s"', name);
  let transport: Transport | undefined = socket.createTransport(name);
  let failed = false;
  Socket.priorWebsocketSuccess = false;

  const onTransportOpen = () => {
    if (failed || !transport) return;
    debug('probe transport "%s" opened', name);
    transport.send([{ type: "ping", data: "probe" }]);
    transport.once("packet", (msg) => {
      if (failed || !transport) return;
      if (msg.type === "pong" && msg.data === "probe") {
        debug('probe transport "%s" pong', name);
        socket.upgrading = true;
        socket.emit("upgrading", transport);
        if (!transport) return;
        Socket.priorWebsocketSuccess = transport.name === "websocket";
        debug('pausing current transport "%s"', socket.transport.name);
        socket.transport.pause(() => {
          if (failed || !transport) return;
          if (socket.readyState === "closed") return;
          debug("changing transport and sending upgrade packet");
          cleanup();
          const next = transport;
          socket.setTransport(next);
          next.send([{ type: "upgrade" }]);
          socket.emit("upgrade", next);
          transport = undefined;
          socket.upgrading = false;
          socket.flush();
        });
      } else {
        debug('probe transport "%s" failed', name);
        const err = Object.assign(createError("EIO_ERR_PROBE", "probe error", { transport: name }), {
          transport: name,
        });
        freezeTransport();
        socket.emit("upgradeError", err);
      }
    });
  };

  const freezeTransport = () => {
    if (failed) return;
    failed = true;
    cleanup();
    transport?.close();
    transport = undefined;
  };

  const onerror = (err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    const error = Object.assign(createError("EIO_ERR_PROBE", `probe error: ${reason}`, { transport: name }), {
      transport: name,
      cause: err,
    });
    freezeTransport();
    debug('probe transport "%s" failed because of error: %s', name, reason);
    socket.emit("upgradeError", error);
  };
  const onTransportClose = () => onerror("transport closed");
  const onclose = () => onerror("socket closed");
  const onupgrade = (to: Transport) => {
    if (transport && to.name !== transport.name) {
      debug('"%s" works - aborting "%s"', to.name, transport.name);
      freezeTransport();
    }
  };
  const cleanup = () => {
    if (transport) {
      transport.off("open", onTransportOpen);
      transport.off("error", onerror);
      transport.off("close", onTransportClose);
    }
    socket.off("close", onclose);
    socket.off("upgrading", onupgrade);
  };

  transport.once("open", onTransportOpen);
  transport.once("error", onerror);
  transport.once("close", onTransportClose);
  socket.once("close", onclose);
  socket.once("upgrading", onupgrade);
  transport.open();
}
