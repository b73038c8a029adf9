// Echo server on npm engine.io 6.6 (the baseline every ratio is taken against).
import { Server } from "engine.io";
import { echo, engineOptions, runServer } from "./harness.mjs";

await runServer("engineio", (http) => {
  const engine = new Server(engineOptions);
  engine.attach(http);
  engine.on("connection", echo);
  return engine;
});
