# A python-socketio client used by test/python-socketio.test.ts: `sio_client.py sync|async URL TRANSPORTS`.
# Runs one scripted session against a socket.io server bound to this project's engine and prints one `EV {json}`
# line per step: connect (sid, transport), ack (echo of text/JSON), binack (echo of bytes), room (broadcast
# received after joining), heartbeats (how many pongs the server's engine socket saw), disconnect (reason).
import json
import sys
import threading
import time

import socketio

flavour, url, transports = sys.argv[1], sys.argv[2], sys.argv[3].split(",")


_out = threading.Lock()


def report(ev, **fields):
    # one write per line under a lock: handler threads report concurrently
    line = "EV " + json.dumps(dict(ev=ev, **fields)) + "\n"
    with _out:
        sys.stdout.write(line)
        sys.stdout.flush()


def hexify(v):
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if isinstance(v, dict):
        return {k: hexify(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [hexify(x) for x in v]
    return v


if flavour == "sync":
    sio = socketio.Client(reconnection=False, request_timeout=5, handle_sigint=False)
    shouted = threading.Event()
    gone = threading.Event()

    @sio.on("shouted")
    def on_shouted(msg):
        report("room", msg=msg)
        shouted.set()

    @sio.event
    def disconnect(reason=None):
        report("disconnect", reason=reason)
        gone.set()

    sio.connect(url, transports=transports, wait_timeout=5)
    report("connect", sid=sio.sid, transport=sio.transport())
    report("ack", value=hexify(sio.call("echo", ("hello € 😀", {"n": 1}), timeout=5)))
    report("binack", value=hexify(sio.call("echo", (b"\x00\x01\xff", {"inner": b"\x07"}), timeout=5)))
    sio.call("join", "r1", timeout=5)
    sio.emit("shout", ("r1", "to the room"))
    shouted.wait(5)
    beats = 0
    for _ in range(50):
        beats = sio.call("heartbeats", timeout=5)
        if beats >= 2:
            break
        time.sleep(0.1)
    report("heartbeats", count=beats, transport=sio.transport())
    sio.emit("bye")
    # python-socketio's sync Client handles the server's disconnect packet in a handler thread while its read
    # loop handles the end of the transport (socketio/client.py:388 deletes from self.namespaces while
    # client.py:546 iterates it): the disconnect handler may then not run. Wait for the state instead.
    for _ in range(100):
        if gone.is_set() or not sio.connected:
            break
        time.sleep(0.05)
    gone.wait(1)
    report("state", connected=sio.connected)
    sio.disconnect()
else:
    import asyncio

    async def main():
        sio = socketio.AsyncClient(reconnection=False, request_timeout=5, handle_sigint=False)
        shouted = asyncio.Event()
        gone = asyncio.Event()

        @sio.on("shouted")
        async def on_shouted(msg):
            report("room", msg=msg)
            shouted.set()

        @sio.event
        async def disconnect(reason=None):
            report("disconnect", reason=reason)
            gone.set()

        await sio.connect(url, transports=transports, wait_timeout=5)
        report("connect", sid=sio.sid, transport=sio.transport())
        report("ack", value=hexify(await sio.call("echo", ("hello € 😀", {"n": 1}), timeout=5)))
        report("binack", value=hexify(await sio.call("echo", (b"\x00\x01\xff", {"inner": b"\x07"}), timeout=5)))
        await sio.call("join", "r1", timeout=5)
        await sio.emit("shout", ("r1", "to the room"))
        await asyncio.wait_for(shouted.wait(), 5)
        beats = 0
        for _ in range(50):
            beats = await sio.call("heartbeats", timeout=5)
            if beats >= 2:
                break
            await asyncio.sleep(0.1)
        report("heartbeats", count=beats, transport=sio.transport())
        await sio.emit("bye")
        await asyncio.wait_for(gone.wait(), 5)
        report("state", connected=sio.connected)
        await sio.disconnect()

    asyncio.run(main())
report("done")
