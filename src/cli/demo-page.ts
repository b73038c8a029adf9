/**
 * The demo's single page (HTML, CSS and script inline), kept as a string so it ships inside `dist/` in both the
 * ESM and CJS builds without an asset-copying step. The script loads the browser bundle from `./engineio.esm.js`.
 *
 * Query parameters: `?transports=polling` (or `websocket`, or `polling,websocket`) restricts the client's
 * transports; `?name=Ada` sets the name shown next to messages.
 * @packageDocumentation
 */

/** The demo page served at `/`. */
export const DEMO_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>engineio-wasm demo</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --line: #8884; }
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 46rem; margin: 1.5rem auto; padding: 0 1rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  p.lead { margin: 0 0 1rem; opacity: .8; }
  .pills { display: flex; flex-wrap: wrap; gap: .4rem; margin-bottom: 1rem; }
  .pill { border: 1px solid var(--line); border-radius: 1rem; padding: .15rem .7rem; font-size: .85rem; }
  .pill b { font-weight: 600; }
  [data-transport="websocket"] b { color: var(--ok); }
  [data-transport="polling"] b { color: var(--warn); }
  [data-state="closed"] b, [data-state="error"] b { color: var(--bad); }
  #messages { list-style: none; padding: 0; margin: 0 0 1rem; border: 1px solid var(--line); border-radius: .5rem;
    height: 18rem; overflow-y: auto; }
  #messages li { padding: .3rem .7rem; border-bottom: 1px solid var(--line); }
  #messages li.system { opacity: .65; font-style: italic; }
  #messages .from { font-weight: 600; margin-right: .4rem; }
  #messages li.mine .from { color: var(--ok); }
  #messages .n { float: right; opacity: .5; font-size: .8rem; }
  form { display: flex; gap: .5rem; }
  #text { flex: 1; padding: .45rem .6rem; font: inherit; }
  button { padding: .45rem 1rem; font: inherit; }
</style>
</head>
<body>
<h1>engineio-wasm — live chat</h1>
<p class="lead">Open this page in two tabs and type. Add <code>?transports=polling</code> to stay on long-polling.</p>
<div class="pills">
  <span class="pill" id="state" data-state="connecting">state: <b>connecting</b></span>
  <span class="pill" id="transport" data-transport="">transport: <b>–</b></span>
  <span class="pill">messages: <b id="count">0</b></span>
  <span class="pill">online: <b id="online">–</b></span>
  <span class="pill">server codec: <b id="server-codec">–</b></span>
  <span class="pill">browser codec: <b id="browser-codec">–</b></span>
</div>
<ul id="messages"></ul>
<form id="form" autocomplete="off">
  <input id="text" maxlength="500" placeholder="Say something…" autofocus>
  <button id="send" type="submit">Send</button>
</form>
<script type="module">
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const transports = (params.get("transports") || "polling,websocket").split(",").filter(Boolean);
let count = 0;

function pill(id, attr, value) {
  const el = $(id);
  el.dataset[attr] = value;
  el.querySelector("b").textContent = value;
}
let myName;
function line(text, from, n) {
  const li = document.createElement("li");
  if (from === undefined) li.className = "system";
  else if (from === myName) li.className = "mine";
  else {
    const who = document.createElement("span");
    who.className = "from";
    who.textContent = from;
    li.append(who);
  }
  li.append(document.createTextNode(text));
  if (n !== undefined) {
    const num = document.createElement("span");
    num.className = "n";
    num.textContent = "#" + n;
    li.append(num);
  }
  $("messages").append(li);
  $("messages").scrollTop = $("messages").scrollHeight;
}

let mod;
try {
  mod = await import("./engineio.esm.js");
} catch (err) {
  pill("state", "state", "error");
  line("Could not load the browser bundle (run npm run build): " + err);
  throw err;
}
const Socket = mod.Socket || mod.ClientSocket || (mod.default && mod.default.Socket);
const browserCodec = typeof mod.codecBackend === "function" ? mod.codecBackend() : mod.backend;
$("browser-codec").textContent = browserCodec || "?";

const socket = new Socket(location.origin, { transports });
window.demoSocket = socket;
socket.on("open", () => {
  pill("state", "state", "open");
  pill("transport", "transport", socket.transport.name);
});
socket.on("upgrade", () => pill("transport", "transport", socket.transport.name));
socket.on("close", (reason) => {
  pill("state", "state", "closed");
  line("disconnected: " + reason);
});
socket.on("message", (data) => {
  let msg;
  try { msg = JSON.parse(String(data)); } catch { return; }
  if (msg.t === "welcome") {
    $("server-codec").textContent = msg.backend;
    myName = msg.name;
    line("connected as " + msg.name);
  } else if (msg.t === "presence") {
    $("online").textContent = String(msg.online);
  } else if (msg.t === "chat") {
    count++;
    $("count").textContent = String(count);
    line(msg.text, msg.from, msg.n);
  }
});
$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  socket.send(text);
  $("text").value = "";
});
</script>
</body>
</html>
`;
