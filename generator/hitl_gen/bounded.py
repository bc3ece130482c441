"""One HTTP exchange that a slow, huge or redirecting answer cannot stretch.

httpx's timeouts are per read: a server sending a byte every few seconds never trips
them, and keeps the command waiting for ever. So each call also has an overall
deadline: the socket is shut when it passes, which ends a read blocked on it. The answer
is read as a stream and dropped past a size limit, never held whole first. Redirects
are never followed: the caller says where one pointed.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx

ERROR_BODY_BYTES = 64 * 1024  # an error answer is quoted in 200 characters: the rest is not read
CONNECTED = "connection.connect_tcp.complete"  # httpcore's trace event for a new connection
_KEPT = ("http_version", "reason_phrase")  # the response extensions worth keeping
_DECODED = ("content-encoding", "content-length", "transfer-encoding")  # no longer true of the body read


class TooSlow(Exception):
    """The deadline passed before the whole answer arrived."""


class TooLarge(Exception):
    def __init__(self, status: int, limit: int):
        super().__init__(status, limit)
        self.status, self.limit = status, limit


class Deadline:
    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds, self.clock = seconds, clock
        self.at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        return self.clock() >= self.at


class Watchdog:
    """Shuts the exchange's socket when the deadline passes. httpcore has no overall
    timeout; the socket comes from its documented `trace` extension, at connect time
    (the client keeps no idle connection, so every request connects)."""

    def __init__(self, seconds: float):
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.fired = False
        self.timer = threading.Timer(seconds, self.fire)
        self.timer.daemon = True

    def trace(self, event: str, info: dict) -> None:
        if event != CONNECTED:
            return
        sock = info["return_value"].get_extra_info("socket")
        with self.lock:
            self.sockets.append(sock)
            late = self.fired
        if late:  # connected just as the deadline passed
            _shut(sock)

    def fire(self) -> None:
        with self.lock:
            self.fired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> "Watchdog":
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a recv blocked in another thread; close() would not
    except (OSError, AttributeError):  # already closed, or no socket (a transport without one)
        pass


def send(http: httpx.Client, method: str, path: str, *, deadline: Deadline, max_bytes: int, **kwargs) -> httpx.Response:
    """The answer read whole (a 2xx up to `max_bytes`, else TooLarge; any other status up
    to ERROR_BODY_BYTES, the rest dropped), or TooSlow once `deadline` has passed."""
    if deadline.expired():
        raise TooSlow()
    timeout = _capped(httpx.Timeout(kwargs.pop("timeout", http.timeout)), deadline.remaining())
    with Watchdog(deadline.remaining()) as watchdog:
        try:
            with http.stream(method, path, timeout=timeout, follow_redirects=False,
                             extensions={"trace": watchdog.trace}, **kwargs) as response:
                body = _read(response, max_bytes, deadline)
        except httpx.TransportError:
            if watchdog.fired or deadline.expired():
                raise TooSlow() from None
            raise
    return _whole(response, body)


def _capped(timeout: httpx.Timeout, seconds: float) -> httpx.Timeout:
    """No single wait (connect, read, write, pool) longer than what is left."""
    def cap(value):
        return seconds if value is None else min(value, seconds)
    return httpx.Timeout(connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool))


def _read(response: httpx.Response, max_bytes: int, deadline: Deadline) -> bytes:
    ok = response.is_success
    limit = max_bytes if ok else ERROR_BODY_BYTES
    declared = response.headers.get("content-length", "")
    if ok and declared.isdigit() and int(declared) > limit:  # said so up front: not a byte read
        raise TooLarge(response.status_code, limit)
    chunks, size = [], 0
    for chunk in response.iter_bytes():  # decoded: the limit is on what would be held
        size += len(chunk)
        if deadline.expired():  # between chunks; the watchdog ends a read that blocks
            raise TooSlow()
        if size > limit:
            if ok:
                raise TooLarge(response.status_code, limit)
            chunks.append(chunk[: len(chunk) - (size - limit)])
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _whole(response: httpx.Response, body: bytes) -> httpx.Response:
    """A plain response holding the body read (already decoded, so its encoding headers go)."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DECODED]
    extensions = {k: v for k, v in response.extensions.items() if k in _KEPT}
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request, extensions=extensions)
