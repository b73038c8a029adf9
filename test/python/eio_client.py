# A python-engineio client driven by test/python/peers.ts over stdin/stdout:
# `eio_client.py sync|async URL TRANSPORTS` (TRANSPORTS comma-separated). One command per stdin line:
#   connect | send TEXT_AS_JSON | sendbin HEX | sendbig N | sendbigbin N | disconnect | exit
# One `EV {json}` line per event on stdout: connect (sid, transport), message (text/bin with length and head),
# disconnect (reason; None on python-engineio versions without reasons), error (connect failures).
import json
import os
import sys
import threading

import engineio

flavour, url, transports = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
# EIO_PY_LOG=1: python-engineio logs every packet and transport decision to stderr (kept in failure messages)
LOG = os.environ.get("EIO_PY_LOG") == "1"


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
    eio = engineio.Client(logger=LOG, request_timeout=5, handle_sigint=False)

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
                # A client reused after the server closed its session: state is "disconnected" as soon as the
                # read loop has handled the close packet, but that loop then joins the write loop and checks
                # `if self.state == 'connected'` once more (engineio/client.py _read_loop_polling and
                # _read_loop_websocket, after `self.write_loop_task.join()`). Connecting before it has ended
                # lets it fire a second disconnect ("transport error") on the new session and reset it.
                # wait() is python-engineio's own "the connection has ended" (it joins the read loop).
                eio.wait()
                eio.connect(url, transports=transports)
            elif cmd == "disconnect":
                # disconnect() queues the close packet and at once sets state "disconnecting"; a write loop that
                # is still inside the POST of an earlier message then leaves `while self.state == 'connected'`
                # without sending it (engineio/client.py _write_loop, every version to date), and the server
                # only learns of the close from the missing pong. Let the earlier POSTs finish first (bounded:
                # join() has no timeout of its own, and a dead write loop never finishes them)
                if eio.queue is not None:
                    drained = threading.Thread(target=eio.queue.join, daemon=True)
                    drained.start()
                    drained.join(5)
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
        eio = engineio.AsyncClient(logger=LOG, request_timeout=5, handle_sigint=False)

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
                    # the same race in engineio/async_client.py's read loops: wait for the old one to end
                    await eio.wait()
                    await eio.connect(url, transports=transports)
                elif cmd == "disconnect":
                    # the same write-loop race as above (engineio/async_client.py _write_loop); here the loop runs
                    # on to its next queue.get() before join() returns, so waiting for it closes the race
                    if eio.queue is not None:
                        try:
                            await asyncio.wait_for(eio.queue.join(), 5)
                        except asyncio.TimeoutError:
                            pass
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
