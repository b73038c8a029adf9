# A python-engineio server driven by test/python/peers.ts: `eio_server.py MODE OPTIONS_JSON` with MODE one of
# asgi (AsyncServer + ASGIApp under uvicorn), aiohttp (AsyncServer attached to an aiohttp app) or wsgi (Server in
# threading mode + WSGIApp under werkzeug's threaded server). Prints `PORT n`, then one `EV {json}` line per
# connect/message/disconnect. Echoes every message, except the commands the tests send as text:
#   cmd:close         the server disconnects the session (server-initiated close)
#   cmd:big:N         the server sends N characters of text
#   cmd:bigbin:N      the server sends N bytes (i % 256)
import json
import socket
import sys
import threading

import engineio

mode = sys.argv[1]
opts = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
kwargs = {
    "ping_interval": opts.get("ping_interval", 25),
    "ping_timeout": opts.get("ping_timeout", 20),
    "max_http_buffer_size": opts.get("max_http_buffer_size", 1000000),
}


_out = threading.Lock()


def report(ev, **fields):
    # one write per line under a lock: handler threads report concurrently
    line = "EV " + json.dumps(dict(ev=ev, **fields)) + "\n"
    with _out:
        sys.stdout.write(line)
        sys.stdout.flush()


def describe(data):
    if isinstance(data, (bytes, bytearray)):
        return {"bin": len(data), "head": list(data[:8])}
    if isinstance(data, str):
        return {"text": len(data), "head": data[:32]}
    return {"json": json.dumps(data)[:64]}


def command(data):
    """Returns (action, payload) for a command message, or None."""
    if not isinstance(data, str) or not data.startswith("cmd:"):
        return None
    parts = data.split(":")
    if parts[1] == "close":
        return ("close", None)
    if parts[1] == "big":
        return ("send", "x" * int(parts[2]))
    if parts[1] == "bigbin":
        return ("send", bytes(i % 256 for i in range(int(parts[2]))))
    return None


def listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


if mode in ("asgi", "aiohttp"):
    import asyncio

    eio = engineio.AsyncServer(async_mode="asgi" if mode == "asgi" else "aiohttp", **kwargs)

    @eio.on("connect")
    async def connect(sid, environ):
        report("connect", sid=sid, transport=eio.transport(sid))

    @eio.on("message")
    async def message(sid, data):
        report("message", sid=sid, **describe(data))
        cmd = command(data)
        if cmd is None:
            await eio.send(sid, data)
        elif cmd[0] == "close":
            await eio.disconnect(sid)
        else:
            await eio.send(sid, cmd[1])

    @eio.on("disconnect")
    async def disconnect(sid, reason=None):
        report("disconnect", sid=sid, reason=reason)

    sock = listening_socket()
    print("PORT", sock.getsockname()[1], flush=True)
    if mode == "asgi":
        import uvicorn

        app = engineio.ASGIApp(eio)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        server.run(sockets=[sock])
    else:
        from aiohttp import web

        app = web.Application()
        eio.attach(app)

        async def main():
            runner = web.AppRunner(app)
            await runner.setup()
            await web.SockSite(runner, sock).start()
            while True:
                await asyncio.sleep(3600)

        asyncio.run(main())
elif mode == "wsgi":
    from werkzeug.serving import make_server

    eio = engineio.Server(async_mode="threading", **kwargs)

    @eio.on("connect")
    def connect(sid, environ):
        report("connect", sid=sid, transport=eio.transport(sid))

    @eio.on("message")
    def message(sid, data):
        report("message", sid=sid, **describe(data))
        cmd = command(data)
        if cmd is None:
            eio.send(sid, data)
        elif cmd[0] == "close":
            eio.disconnect(sid)
        else:
            eio.send(sid, cmd[1])

    @eio.on("disconnect")
    def disconnect(sid, reason=None):
        report("disconnect", sid=sid, reason=reason)

    sock = listening_socket()
    port = sock.getsockname()[1]
    server = make_server("127.0.0.1", port, engineio.WSGIApp(eio), threaded=True, fd=sock.fileno())
    print("PORT", port, flush=True)
    server.serve_forever()
else:
    sys.exit("unknown mode " + mode)
