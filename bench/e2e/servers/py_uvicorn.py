# Echo server on python-engineio's AsyncServer under uvicorn (engineio.ASGIApp) -- what a python-engineio user
# runs today; the python anchor of the e2e benchmark. Run with the venv python of test/python/setup.mjs.
# Speaks the orchestrator's JSON-lines protocol (see lines.mjs): a "ready" line on stdout once listening, "mem"
# and "exit" commands on stdin (EOF exits). CPU and RSS are read from /proc by the orchestrator; python has no
# GC heap figure comparable to V8's or JSC's, so "mem" replies carry none.
import asyncio
import gc
import json
import os
import socket
import sys
import threading

import engineio
import uvicorn

# The same settings as echo.mjs: 25 s ping interval, 20 s timeout, 1 MB messages, compression threshold 1024
# (the load generator never sends Accept-Encoding), no cookie.
eio = engineio.AsyncServer(
    async_mode="asgi",
    ping_interval=25,
    ping_timeout=20,
    max_http_buffer_size=1_000_000,
    compression_threshold=1024,
    cookie=None,
)


@eio.on("message")
async def message(sid, data):
    await eio.send(sid, data)


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def commands():
    # A thread, so commands are answered even while the event loop is saturated (like IPC on Node).
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("cmd") == "mem":
            if msg.get("gc"):
                gc.collect()
            out({"type": "mem", "id": msg.get("id")})
        elif msg.get("cmd") == "exit":
            break
    os._exit(0)


async def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        engineio.ASGIApp(eio),
        log_level="warning",
        lifespan="off",
        access_log=False,
        backlog=4096,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(3000):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        await task
        raise SystemExit("uvicorn did not start")
    from importlib.metadata import version

    out({
        "type": "ready",
        "port": sock.getsockname()[1],
        "pid": os.getpid(),
        "runtime": "python " + sys.version.split()[0],
        "codec": "python-engineio %s, uvicorn %s (http %s, ws %s)" % (
            version("python-engineio"),
            uvicorn.__version__,
            config.http_protocol_class.__module__.rsplit(".", 1)[-1],
            getattr(config.ws_protocol_class, "__module__", "none").rsplit(".", 1)[-1],
        ),
    })
    threading.Thread(target=commands, daemon=True).start()
    await task


asyncio.run(main())
