// bench:scale's broadcast load: N raw socket.io clients over WebSocket spread over the given ports; one of them
// sends B broadcasts (one every `gapMs`) carrying the send time; every client records the delivery latency.
// Prints "START" before the first broadcast and "END <json>" (deliveries, latency p50/p99 in ms) after the last
// delivery (or a 20 s bound).
//   node --import tsx bench/scale/sio-load.ts <port,port…> <clients> <broadcasts> <gapMs>
import { WebSocket } from "ws";

const [portsArg, clientsArg, bArg, gapArg] = process.argv.slice(2);
const ports = portsArg!.split(",").map(Number);
const clients = Number(clientsArg);
const broadcasts = Number(bArg);
const latencies: number[] = [];
const sockets: WebSocket[] = [];

function client(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.on("message", (d) => {
      const s = String(d);
      if (s[0] === "0") ws.send("40");
      else if (s.startsWith("40")) resolve(ws);
      else if (s === "2") ws.send("3");
      else if (s.startsWith('42["b",')) latencies.push(performance.now() - Number(JSON.parse(s.slice(2))[1]));
    });
    ws.on("error", reject);
  });
}

// connect in batches of 100 (a burst of 2,000 handshakes is not what is measured)
for (let i = 0; i < clients; i += 100) {
  const batch = [];
  for (let k = i; k < Math.min(clients, i + 100); k++) batch.push(client(ports[k % ports.length]!));
  sockets.push(...(await Promise.all(batch)));
}
const c0 = process.cpuUsage();
process.stdout.write("START\n");
const t0 = performance.now();
for (let b = 0; b < broadcasts; b++) {
  sockets[0]!.send(`42${JSON.stringify(["bcast", performance.now()])}`);
  await new Promise((r) => setTimeout(r, Number(gapArg)));
}
const expected = clients * broadcasts;
const end = Date.now() + 20_000;
while (latencies.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const sorted = [...latencies].sort((a, b) => a - b);
const q = (p: number): number =>
  +(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(2);
process.stdout.write(
  `END ${JSON.stringify({ deliveries: latencies.length, expected, ms, cpuUs: cpu.user + cpu.system, p50: q(0.5), p99: q(0.99) })}\n`,
);
for (const s of sockets) s.terminate();
process.exit(0);
