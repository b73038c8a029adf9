# A python-engineio client driven by test/python/peers.ts over stdin/stdout:
# `eio_client.py sync|async URL TRANSPORTS` (TRANSPORTS comma-separated). One command per stdin line:
#   connect | send TEXT_AS_JSON | sendbin HEX | sendbig N | sendbigbin N | disconnect | exit
# One `EV {json}` line per event on stdout: connect (sid, transport), message (text/bin with length and head),
# disconnect (reason; None on python-engineio versions without reasons), error (connect failures).
import json
import sys
import threading
import time

import engineio

flavour, url, transports = sys.argv[1], sys.argv[2], sys.argv[3].split(",")


_out = threading.Lock()


def report(ev, **fields):
    # one write per line under a lock: handler threads report concurrently
    line = "EV " + json.dumps(dict(ev=ev, **fields)) + "\n"
    with _out:
        sys.stdout.write(line)
        sys.stdout.flush()


def describe(data):
    if isinstance(data, (bytes, bytearray)):
        ok = all(b == i % 256 for i, b in enumerate(data)) if len(data) > 64 else None
        return {"bin": len(data), "head": list(data[:8]), "pattern": ok}
    if isinstance(data, str):
        return {"text": len(data), "head": data[:64]}
    return {"json": json.dumps(data)[:64]}


def payload(cmd, arg):
    if cmd == "send":
        return json.loads(arg)
    if cmd == "sendbin":
        return bytes.fromhex(arg)
    if cmd == "sendbig":
        return "y" * int(arg)
    if cmd == "sendbigbin":
        return bytes(i % 256 for i in range(int(arg)))
    return None


if flavour == "sync":
    eio = engineio.Client(request_timeout=5, handle_sigint=False)

    @eio.on("connect")
    def on_connect():
        report("connect", sid=eio.sid, transport=eio.transport())

    @eio.on("message")
    def on_message(data):
        report("message", **describe(data))

    @eio.on("disconnect")
    def on_disconnect(reason=None):
        report("disconnect", reason=reason)

    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        try:
            if cmd == "connect":
                # the disconnect event fires before the state is reset (engineio/client.py disconnect())
                for _ in range(100):
                    if eio.state == "disconnected":
                        break
                    time.sleep(0.05)
                eio.connect(url, transports=transports)
            elif cmd == "disconnect":
                eio.disconnect()
                report("disconnected")
            elif cmd == "exit":
                break
            else:
                eio.send(payload(cmd, arg))
        except Exception as e:  # reported, the test decides
            report("error", cmd=cmd, message=repr(e))
    if eio.state == "connected":
        eio.disconnect()
else:
    import asyncio

    async def main():
        eio = engineio.AsyncClient(request_timeout=5, handle_sigint=False)

        @eio.on("connect")
        async def on_connect():
            report("connect", sid=eio.sid, transport=eio.transport())

        @eio.on("message")
        async def on_message(data):
            report("message", **describe(data))

        @eio.on("disconnect")
        async def on_disconnect(reason=None):
            report("disconnect", reason=reason)

        loop = asyncio.get_running_loop()
        lines = asyncio.Queue()
        threading.Thread(
            target=lambda: [loop.call_soon_threadsafe(lines.put_nowait, l) for l in sys.stdin] + [
                loop.call_soon_threadsafe(lines.put_nowait, "exit")],
            daemon=True).start()
        while True:
            cmd, _, arg = (await lines.get()).strip().partition(" ")
            try:
                if cmd == "connect":
                    for _ in range(100):
                        if eio.state == "disconnected":
                            break
                        await asyncio.sleep(0.05)
                    await eio.connect(url, transports=transports)
                elif cmd == "disconnect":
                    await eio.disconnect()
                    report("disconnected")
                elif cmd == "exit":
                    break
                else:
                    await eio.send(payload(cmd, arg))
            except Exception as e:
                report("error", cmd=cmd, message=repr(e))
        if eio.state == "connected":
            await eio.disconnect()

    asyncio.run(main())
