// The echo application and engine options shared by every engine-shaped server, whatever its runtime (plain JS,
// no Node-only imports: Bun and Deno load it too).

/** Engine options shared by engine.io and this project, so both run with the same settings. */
export const engineOptions = {
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  perMessageDeflate: false,
  // engine.io's default (threshold 1024); the load generator never sends Accept-Encoding, so nothing is compressed.
  httpCompression: { threshold: 1024 },
  cookie: false,
};

/** The echo application, identical for every engine-shaped server. */
export function echo(socket) {
  socket.on("message", (data) => socket.send(data));
}
