// socket.io 4.8 broadcast server, either on npm engine.io (its default engine) or bound to this project's engine
// (`io.bind(engine)`). argv[2]: "engineio" | "ours". A client emitting `go(seq)` makes the server emit
// `tick(seq, payload)` to every connected client (one encode, N writes — where wsPreEncodedFrame matters).
import { Server as IoServer } from "socket.io";
import { engineOptions, runServer } from "./harness.mjs";

const which = process.argv[2] === "ours" ? "ours" : "engineio";
const PAYLOAD = "x".repeat(20);

await runServer(`sio-${which}`, async (http) => {
  let io;
  if (which === "ours") {
    const dist = process.env.EIO_BENCH_DIST;
    const mod = await import(dist ? new URL(`file://${dist}/index.js`).href : "../../../dist/esm/index.js");
    if (typeof mod.Server !== "function") {
      console.error("[sio-ours] dist/esm/index.js does not export Server yet");
      process.exit(3);
    }
    const engine = new mod.Server({ ...engineOptions, path: "/socket.io/" });
    engine.attach(http);
    io = new IoServer({ serveClient: false });
    io.bind(engine);
  } else {
    io = new IoServer(http, { ...engineOptions, serveClient: false });
  }
  io.on("connection", (socket) => {
    socket.on("go", (seq) => io.emit("tick", seq, PAYLOAD));
  });
});
