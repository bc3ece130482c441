"""The client's retries on real loopback sockets, where pytest-httpx cannot reach:
httpx's transport retries a connect that was refused, and the client never resends
a pause whose connection dropped after it was sent."""

from __future__ import annotations

import socket
import threading

import pytest

from hitl_gen.client import BotpressClient
from hitl_gen.errors import ConnectionProblem, ServerError

BOT = "support-bot"
HANG_UP = None  # in a script: read the request, then close without answering


class Loopback:
    """An HTTP/1.1 server on 127.0.0.1 that takes one connection per script entry, keeps
    the request line it read, and answers `(status, body)` or hangs up (HANG_UP)."""

    def __init__(self, script, *, listening: bool = True):
        self.script = list(script)
        self.requests: list[str] = []
        self.closing = False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        if listening:
            self.listen()

    def listen(self) -> None:
        self.sock.listen()
        self.thread.start()

    def _serve(self) -> None:
        for answer in self.script:
            conn, _ = self.sock.accept()
            if self.closing:
                conn.close()
                return
            with conn:
                self.requests.append(_read_request(conn))
                if answer is not HANG_UP:
                    status, body = answer
                    conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                                 f"Connection: close\r\n\r\n{body}".encode())

    def close(self) -> None:
        """Ends the server even with script entries left: a connection of its own wakes the accept."""
        if self.thread.is_alive():
            self.closing = True
            socket.create_connection(("127.0.0.1", self.port)).close()
            self.thread.join()
        self.sock.close()


def _read_request(conn: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)
    return head.split(b"\r\n")[0].decode()


@pytest.fixture
def loopbacks():
    made = []
    yield lambda script, **kw: made.append(Loopback(script, **kw)) or made[-1]
    for server in made:
        server.close()


@pytest.fixture(autouse=True)
def no_proxy_from_the_caller(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_a_refused_connect_is_retried_by_the_transport_even_for_a_pause(loopbacks, monkeypatch):
    server = loopbacks([(200, "OK")], listening=False)  # bound, not listening: the kernel refuses; "OK" as Botpress answers
    connect, attempts = socket.create_connection, []

    def spy(address, *args, **kwargs):
        attempts.append(address)
        try:
            return connect(address, *args, **kwargs)
        except ConnectionRefusedError:
            server.listen()  # the next attempt, on the same port, is accepted
            raise

    monkeypatch.setattr(socket, "create_connection", spy)
    waits = []
    with BotpressClient(server.url, token="t", sleep=waits.append) as client:
        client.set_paused(BOT, True, session=7)
    assert attempts == [("127.0.0.1", server.port)] * 2
    assert server.requests == [f"POST /api/v1/bots/{BOT}/mod/hitl/sessions/7/pause HTTP/1.1"]
    assert waits == []  # the transport retried it, not the client's own loop


def test_a_pause_whose_connection_drops_after_sending_is_never_resent(loopbacks):
    server = loopbacks([HANG_UP, (200, '"OK"')])  # a resend would be answered, and the test fail
    with BotpressClient(server.url, token="t", sleep=lambda s: None) as client:
        with pytest.raises(ServerError, match="dropped the connection"):
            client.set_paused(BOT, True, channel="web", user="ghost")
    assert server.requests == [f"POST /api/v1/bots/{BOT}/mod/hitl/channel/web/user/ghost/pause HTTP/1.1"]


def test_a_read_whose_connection_drops_is_sent_again(loopbacks):
    server = loopbacks([HANG_UP, (200, "[]")])
    waits = []
    with BotpressClient(server.url, token="t", backoff=0.5, sleep=waits.append) as client:
        assert client.sessions(BOT) == []
    assert server.requests == [f"GET /api/v1/bots/{BOT}/mod/hitl/sessions HTTP/1.1"] * 2 and waits == [0.5]


def test_a_server_that_never_listens_is_a_connection_problem(loopbacks):
    server = loopbacks([], listening=False)
    with BotpressClient(server.url, token="t", sleep=lambda s: None) as client:
        with pytest.raises(ConnectionProblem, match=rf"cannot reach {server.url} \(ConnectError\)"):
            client.sessions(BOT)


def test_the_environments_proxy_is_used_as_httpx_would(loopbacks, monkeypatch):
    proxy = loopbacks([(200, '{"status": "ok"}')])
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with BotpressClient("http://bp.test:3000") as client:
        assert client.status() == {"status": "ok"}
    assert proxy.requests == ["GET http://bp.test:3000/status HTTP/1.1"]


def test_no_proxy_sends_straight_to_the_server(loopbacks, monkeypatch):
    server = loopbacks([(200, '{"status": "ok"}')])
    unused = loopbacks([], listening=False)
    monkeypatch.setenv("HTTP_PROXY", unused.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with BotpressClient(server.url) as client:
        assert client.status() == {"status": "ok"}
    assert server.requests == ["GET /status HTTP/1.1"]
