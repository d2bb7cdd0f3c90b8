"""What uvicorn leaves to a proxy, done here so Agora is safe on an open port too: a request's
head is bounded in size and in the time it may take to arrive, and a worker leaves with its
master (a master killed with SIGKILL must not leave workers serving with no supervisor)."""

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
from asyncio import TimerHandle
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class BoundedHead(HttpToolsProtocol):
    """uvicorn's httptools protocol, with limits on a request's line and headers (its head).

    A head larger than `max_head_bytes` gets 431 and the connection closes, so what one
    connection can make us hold stays near that limit (the parser itself would keep a header of
    any length until it ends). A head that has not fully arrived `head_timeout` seconds after the
    connection opened, or after the first byte of the next request on it, gets 408 (a connection
    that sent nothing is just closed): slow clients cannot hold connections open at will.
    Bodies and responses keep uvicorn's own behaviour.
    """

    def __init__(self, *args: Any, max_head_bytes: int, head_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = max_head_bytes
        self.head_timeout = head_timeout
        self.reading_head = True  # a new connection owes us a head
        self.head_started = False
        self.received = 0  # bytes read while a head was unfinished (bounds memory)
        self.parsed = 0  # bytes of the head the parser handed over (exact, once complete)
        self.head_timer: TimerHandle | None = None
        self.refused = False

    # uvicorn's protocols take an asyncio.Transport, narrower than asyncio's BaseProtocol says.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.reading_head:
            self.received += len(data)
            self.head_started = True
        super().data_received(data)
        if self.reading_head and self.received > self.max_head_bytes and not self.refused:
            self._refuse(431, "Request headers too large.")

    # Parser callbacks. After a refusal the rest of the data already read is ignored.
    def on_message_begin(self) -> None:
        if self.refused:
            return
        super().on_message_begin()
        self.reading_head = self.head_started = True
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def on_url(self, url: bytes) -> None:
        self.parsed += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.parsed += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.refused:
            return
        self._disarm()
        too_large = self.parsed > self.max_head_bytes
        self.reading_head = self.head_started = False
        self.received = self.parsed = 0
        if too_large:
            self._refuse(431, "Request headers too large.")
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self.refused:
            super().on_message_complete()

    def _disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if not self.reading_head or self.refused or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # The next request began while this response is still being written: the
            # connection ends after the response instead.
            self.cycle.keep_alive = False
            return
        if self.head_started:
            self._refuse(408, "Request headers took too long.")
        else:
            self.refused = True
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        self.refused = True
        self._disarm()
        body = message.encode()
        reply = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            reply += [name, b": ", value, b"\r\n"]
        reply += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(reply))
        self.transport.close()


def worker_loop() -> asyncio.AbstractEventLoop:
    """The event loop uvicorn would pick (uvloop when installed), in a process that stops
    (SIGTERM: gracefully) when the process that started it is gone.

    uvicorn's master binds the port and hands it to its workers; if the master is killed
    (SIGKILL, OOM killer), nothing stops them and they keep the port with no supervisor. On
    Linux the kernel signals the worker the moment the master dies (PR_SET_PDEATHSIG); a
    parent-pid check every second is the portable fallback and also covers a master that died
    before the signal was asked for. A process with no master (one worker) has nothing to watch.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        loop = asyncio.new_event_loop()
    else:
        loop = uvloop.new_event_loop()
    parent = multiprocessing.parent_process()
    if parent is None:
        return loop
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    def check() -> None:
        if os.getppid() != parent.pid:
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            loop.call_later(1, check)

    loop.call_soon(check)
    return loop
