// Broadcast benchmark clients: N raw `ws` connections (one process; source addresses rotated over
// 127.0.0.1–.8), answering pings and counting delivered messages. argv: port, "eio" | "sio", N.
// IPC: {type:"ready", connected} once all are open (socket.io: connected to the main namespace);
// {cmd:"await", total, timeoutMs, id} → {type:"await", id, received} once `received >= total` or at the timeout.
import WebSocket from "ws";

const [port, kind, nStr] = process.argv.slice(2);
const n = Number(nStr);
const path = kind === "sio" ? "/socket.io/" : "/engine.io/";
let received = 0;
let waiter = null;
const check = () => {
  if (waiter !== null && received >= waiter.total) {
    clearTimeout(waiter.timer);
    process.send?.({ type: "await", id: waiter.id, received });
    waiter = null;
  }
};

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}?EIO=4&transport=websocket`, {
      localAddress: `127.0.0.${1 + (i % 8)}`,
      perMessageDeflate: false,
    });
    let ready = false;
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        received++;
        return check();
      }
      const c = data[0];
      if (c === 0x32)
        ws.send("3"); // ping
      else if (c === 0x30) {
        if (kind === "sio") ws.send("40");
        else {
          ready = true;
          resolve();
        }
      } else if (c === 0x34) {
        // socket.io: "40{…}" is the namespace connect, "42[…]" an event
        if (kind === "sio" && !ready && data[1] === 0x30) {
          ready = true;
          resolve();
        } else {
          received++;
          check();
        }
      }
    });
    ws.on("error", reject);
  });
}

for (let i = 0; i < n; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, j) => open(i + j)));
}
process.send?.({ type: "ready", pid: process.pid, connected: n });
process.on("message", (msg) => {
  if (msg?.cmd === "await") {
    waiter = {
      id: msg.id,
      total: msg.total,
      timer: setTimeout(() => {
        process.send?.({ type: "await", id: msg.id, received });
        waiter = null;
      }, msg.timeoutMs),
    };
    check();
  } else if (msg?.cmd === "exit") process.exit(0);
});
process.on("disconnect", () => process.exit(0));
