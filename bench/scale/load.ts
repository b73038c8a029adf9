// The load generator of bench:scale: C closed-loop echo clients speaking the raw Engine.IO v4 protocol (one
// message in flight each), WebSocket or polling (POST the message, GET the echo, keep-alive; polling-close:
// every request on a new connection with `Connection: close`; polling-2conn: keep-alive, the POSTs on a second
// connection of their own, as a browser does). Prints "START" when the measured window opens
// and "END <json>" with the messages echoed inside it, and the HTTP requests and new connections made in it.
//   node --import tsx bench/scale/load.ts <port> websocket|polling|polling-2conn|polling-close <clients> <warmupMs> <windowMs>
import { Agent, request } from "node:http";
import { WebSocket } from "ws";

const [port, transport, clientsArg, warmupArg, windowArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const PATH = "/engine.io/?EIO=4&transport=";
const MSG = "4hello from the load generator";
let counting = false;
let count = 0;
let requests = 0;
let connections = 0;
let running = true;

function http(agent: Agent | false, method: string, path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = agent === false ? { Connection: "close" } : {};
    const req = request({ host: "127.0.0.1", port: Number(port), method, path, agent, headers }, (res) => {
      let t = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        t += d;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(t) : reject(new Error(`${res.statusCode} ${t}`)),
      );
    });
    req.on("socket", () => {
      if (!counting) return;
      requests++;
      if (!req.reusedSocket) connections++;
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function pollingClient(keepAlive: boolean, twoConnections: boolean): Promise<void> {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
  // polling-2conn: the POSTs on a kept-alive connection of their own, as a browser's pool does while a GET waits
  const postAgent = twoConnections ? new Agent({ keepAlive: true, maxSockets: 1 }) : agent;
  const sid = JSON.parse((await http(agent, "GET", `${PATH}polling`)).slice(1)).sid as string;
  const q = `${PATH}polling&sid=${sid}`;
  while (running) {
    await http(postAgent, "POST", q, MSG);
    const got = await http(agent, "GET", q);
    if (counting) count += got.split("\x1e").filter((p) => p === MSG).length;
  }
  if (agent) agent.destroy();
  if (postAgent) postAgent.destroy();
}

function wsClient(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${PATH}websocket`);
    ws.on("message", (d) => {
      const s = String(d);
      if (s[0] === "0") ws.send(MSG);
      else if (s === MSG) {
        if (counting) count++;
        if (running) ws.send(MSG);
        else ws.close();
      }
    });
    ws.on("close", () => resolve());
    ws.on("error", reject);
  });
}

const done = Promise.all(
  Array.from({ length: clients }, () =>
    transport === "websocket"
      ? wsClient()
      : pollingClient(transport !== "polling-close", transport === "polling-2conn"),
  ),
);
await new Promise((r) => setTimeout(r, Number(warmupArg)));
const c0 = process.cpuUsage();
counting = true;
process.stdout.write("START\n");
const t0 = performance.now();
await new Promise((r) => setTimeout(r, Number(windowArg)));
counting = false;
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
process.stdout.write(
  `END ${JSON.stringify({ messages: count, requests, connections, ms, cpuUs: cpu.user + cpu.system })}\n`,
);
running = false;
await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
process.exit(0);
