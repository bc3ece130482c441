"""A hostile or broken server cannot break the commands that talk to it (issue 16, item 4).

`Hostile` is a real HTTP/1.1 server on 127.0.0.1 (raw sockets, a thread per
connection) that answers like Botpress 12.22.1 except on the one route a test makes
hostile: a drip of one byte at a time, a redirect, an HTML page, an endless body,
JSON of another shape, escape sequences in its text. Every live command (login,
pause, unpause, status, sessions, doctor) must then end with its documented exit code
and exactly one line saying what happened (doctor: its one FAIL line on stdout), no
traceback, within the deadline. BP_TIMEOUT keeps the deadline short so the module
runs in seconds; the elapsed time is measured only to show the deadline cut the call
off (a behaviour, not a benchmark).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time
from dataclasses import dataclass
from typing import Callable

import pytest
from support.build import run_cli as run

from hitl_gen.client import Token
from hitl_gen.credentials import TokenCache

BOT = "support-bot"
EMAIL = "admin@example.com"
PASSWORD = "hostile-test-password"
TOKEN = "hostile-test-token"
DEADLINE_S = 0.3  # BP_TIMEOUT in this module
MARGIN_S = 2.0  # scheduling noise on a busy 2-core machine; a missed deadline is the drip's 100+ s
LOGIN = "/api/v1/auth/login/basic/default"
SESSIONS = f"/api/v1/bots/{BOT}/mod/hitl/sessions"
CHECK = "check that the URL is the Botpress v12 server itself, not a proxy, a login page or another site"
CHUNK = b"[" * 65536  # the endless body is this chunk again and again, never held whole
SESSION = {"id": 7, "botId": BOT, "channel": "web", "threadId": "2", "isPaused": 0, "pausedBy": None,
           "lastMessage": {"text": "I want a human", "direction": "in"}, "user": {"id": "u1", "fullName": "Alice Martin"}}


# ---- the server ----------------------------------------------------------------------
Reply = Callable[[socket.socket, "Hostile"], None]


class Hostile:
    """Answers like Botpress (login, status, version, profile, bot, the hitl sessions and
    pause routes, a 401 without the token) except where `hostile` says otherwise."""

    def __init__(self):
        self.hostile: dict[tuple[str, str], Reply] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.stopping = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)  # the accept loop looks at `stopping` this often
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:  # the timeout, or the socket closed by close()
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with conn:
            try:
                method, target, headers = _read_request(conn)
                path = target.split("?")[0]
                self.requests.append((method, target, headers))
                self.hostile.get((method, path), self._botpress(method, path, headers))(conn, self)
            except OSError:  # the client hung up: what a cut-off looks like from here
                pass

    def _botpress(self, method: str, path: str, headers: dict) -> Reply:
        public = {("POST", LOGIN): json_reply({"status": "success", "payload": {"jwt": TOKEN, "exp": 3_600_000}}),
                  ("GET", "/status"): json_reply({"botpress": "up"}), ("GET", "/version"): text_reply("12.22.1")}
        if (method, path) in public:
            return public[(method, path)]
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return json_reply({"statusCode": 401, "message": "Unauthorized: Invalid authentication token"}, 401)
        private = {("GET", "/api/v1/admin/user/profile"): json_reply({"status": "success", "payload": {"email": EMAIL}}),
                   ("GET", f"/api/v1/bots/{BOT}/"): json_reply({"id": BOT, "name": BOT}),
                   ("GET", SESSIONS): json_reply([SESSION]),
                   ("POST", f"{SESSIONS}/7/pause"): text_reply("OK"), ("POST", f"{SESSIONS}/7/unpause"): text_reply("OK")}
        return private.get((method, path), text_reply(f"Cannot {method} {path}", 404))

    def close(self) -> None:
        self.stopping.set()
        self.sock.close()


def _read_request(conn: socket.socket) -> tuple[str, str, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionResetError("no request")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += conn.recv(65536)
    method, target, _ = lines[0].split(" ", 2)
    return method, target, headers


def _head(status: int, headers: dict) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever"] + [f"{k}: {v}" for k, v in headers.items()] + ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def text_reply(body: str, status: int = 200, content_type: str = "text/plain; charset=utf-8", **headers) -> Reply:
    data = body.encode("utf-8")
    head = _head(status, {"Content-Type": content_type, "Content-Length": len(data), **headers})
    return lambda conn, server: conn.sendall(head + data)


def json_reply(value, status: int = 200) -> Reply:
    return text_reply(json.dumps(value), status, "application/json; charset=utf-8")


def html_reply() -> Reply:
    return text_reply("<html><body>Please log in</body></html>", 200, "text/html; charset=utf-8")


def redirect_reply(location: str, status: int = 302) -> Reply:
    return text_reply("", status, Location=location)


def drip_reply(where: str, every: float = 0.05) -> Reply:
    """One byte at a time, each well within the per-read timeout: only the deadline ends it."""
    body = json.dumps([SESSION] * 50).encode()
    whole = _head(200, {"Content-Type": "application/json", "Content-Length": len(body)}) + body
    start = 0 if where == "head" else len(whole) - len(body)

    def reply(conn, server):
        conn.sendall(whole[:start])
        for index in range(start, len(whole)):
            if server.stopping.is_set():
                return
            conn.sendall(whole[index:index + 1])
            time.sleep(every)
    return reply


def endless_reply(declared: bool, status: int = 200) -> Reply:
    """A body that never ends: a 300 MB Content-Length, or chunked without one."""
    def reply(conn, server):
        if declared:
            conn.sendall(_head(status, {"Content-Type": "application/json", "Content-Length": 300_000_000}))
            frame = CHUNK
        else:
            conn.sendall(_head(status, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}))
            frame = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
        while not server.stopping.is_set():
            conn.sendall(frame)  # raises once the client has hung up
    return reply


# ---- the commands ----------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    method: str
    path: str  # the route a hostile answer goes on: the first one whose answer the command uses
    what: str

    def where(self, url: str) -> str:
        return f"{url}: {self.what}: {self.method} {self.path}"


COMMANDS = {
    "login": Command(("login", "--email", EMAIL), "POST", LOGIN, "logging in"),
    "pause": Command(("pause", "--bot", BOT, "--session", "7"), "POST", f"{SESSIONS}/7/pause", "pause (session 7)"),
    "unpause": Command(("unpause", "--bot", BOT, "--session", "7"), "POST", f"{SESSIONS}/7/unpause", "unpause (session 7)"),
    "status": Command(("status", "--bot", BOT, "--channel", "web", "--user", "u1", "--thread", "2"), "GET", SESSIONS,
                      "listing HITL sessions"),
    "sessions": Command(("sessions", "--bot", BOT), "GET", SESSIONS, "listing HITL sessions"),
    "doctor": Command(("doctor", "--bot", BOT), "GET", "/status", "checking the server"),
}
EVERY = pytest.mark.parametrize("name", list(COMMANDS))


@pytest.fixture
def server():
    made = Hostile()
    yield made
    made.close()


@pytest.fixture
def config(monkeypatch, tmp_path):
    """A logged-in user (a valid cached token), BP_PASSWORD for login, the short deadline."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_PASSWORD", PASSWORD)
    monkeypatch.setenv("BP_TIMEOUT", str(DEADLINE_S))
    for name in ("BP_URL", "BP_BOT", "BP_EMAIL", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config" / "hitl-gen" / "tokens.json"


@pytest.fixture
def logged_in(config, server):
    TokenCache(config).put(server.url, Token(TOKEN, time.time() + 3600), EMAIL)
    return config


def command(name: str, url: str, *extra: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    code, out, err = run(*COMMANDS[name].argv, "--url", url, *extra)
    return code, out, err, time.monotonic() - started


def failure(name: str, out: str, err: str, check: str = "server answers") -> str:
    """The one line saying what failed: on stderr, or doctor's FAIL line on stdout."""
    assert "Traceback" not in out + err
    if name != "doctor":
        assert err.count("\n") == 1 and err.endswith("\n"), err
        return err[:-1]
    assert err == ""
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and out.splitlines()[-1] == fails[0], out
    assert fails[0].startswith(f"FAIL {check}: ")
    return fails[0][len(f"FAIL {check}: "):]


# ---- a server that drips ----------------------------------------------------------------
@EVERY
@pytest.mark.parametrize("where", ["head", "body"])
def test_a_drip_feeding_server_is_cut_off_at_the_deadline(server, logged_in, name, where):
    cmd = COMMANDS[name]
    server.hostile[(cmd.method, cmd.path)] = drip_reply(where)
    code, out, err, elapsed = command(name, server.url)
    maybe = ": check with `hitl-gen status` or `hitl-gen sessions`" if name in ("pause", "unpause") else ""
    maybe = f"; it may still have happened{maybe}" if maybe else ""
    assert failure(name, out, err) == (f"{cmd.where(server.url)} got no complete answer within {DEADLINE_S:g} s and was cut "
                                       f"off{maybe}; check that Botpress is running and not overloaded, or allow more time "
                                       "with BP_TIMEOUT=SECONDS")
    assert code == 3
    assert DEADLINE_S * 0.9 <= elapsed < DEADLINE_S + MARGIN_S  # cut off by the deadline, not by the end of the drip


# ---- redirects ------------------------------------------------------------------------
@EVERY
def test_a_redirect_is_not_followed_and_says_where_it_pointed_without_secrets(server, logged_in, name):
    cmd = COMMANDS[name]
    server.hostile[(cmd.method, cmd.path)] = redirect_reply("https://sso:hunter2@login.example.com/sso?code=one-time-secret")
    code, out, err, _ = command(name, server.url)
    assert failure(name, out, err) == (f"{cmd.where(server.url)} answered 302, a redirect to https://login.example.com/sso; "
                                       "hitl-gen does not follow redirects: if Botpress is there, pass that address with --url "
                                       "(or BP_URL)")
    assert code == 4
    assert "hunter2" not in out + err and "one-time-secret" not in out + err
    assert [r for r in server.requests if "login.example.com" in r[1]] == []


def test_a_relative_redirect_is_shown_as_the_address_it_means(server, logged_in):
    server.hostile[("GET", SESSIONS)] = redirect_reply("/login", 301)
    code, out, err, _ = command("sessions", server.url)
    assert code == 4 and f"answered 301, a redirect to {server.url}/login;" in failure("sessions", out, err)


# ---- not Botpress's answers -------------------------------------------------------------
@EVERY
def test_an_html_page_is_a_bad_answer(server, logged_in, name):
    cmd = COMMANDS[name]
    server.hostile[(cmd.method, cmd.path)] = html_reply()
    code, out, err, _ = command(name, server.url)
    problem = ("with '<html><body>Please log in</body></html>' where Botpress answers OK" if name in ("pause", "unpause")
               else "with an HTML page, not JSON")
    assert failure(name, out, err) == f"{cmd.where(server.url)} answered 200 {problem}; {CHECK}"
    assert code == 4


WRONG_SHAPES = {  # command: (answer, what is wrong with it)
    "login": ({"status": "success", "payload": {"token": TOKEN}}, "without a token (no payload.jwt)"),
    "pause": ({"paused": True}, """with '{"paused": true}' where Botpress answers OK"""),
    "unpause": ([], "with '[]' where Botpress answers OK"),
    "status": ({"items": []}, "with JSON an object where a list belongs"),
    "sessions": ([{"id": 7, "channel": "web", "user": {"id": "u1"}}], "with a session list whose item 0 has no isPaused"),
    "doctor": ([], "with JSON a list where an object belongs"),
}


@EVERY
def test_json_of_another_shape_is_a_bad_answer(server, logged_in, name):
    cmd = COMMANDS[name]
    answer, problem = WRONG_SHAPES[name]
    server.hostile[(cmd.method, cmd.path)] = json_reply(answer)
    code, out, err, _ = command(name, server.url)
    assert failure(name, out, err) == f"{cmd.where(server.url)} answered 200 {problem}; {CHECK}"
    assert code == 4


@pytest.mark.parametrize("answer, problem", [
    ({"items": []}, "with JSON an object where a list belongs"),  # what doctor once counted as "1 session(s)"
    ([{"id": 7, "isPaused": 0, "channel": "web", "user": None}], "with a session list whose item 0 has no user"),
    ([{"id": True, "isPaused": 0, "user": {"id": "u1"}}], "with a session list whose item 0 has a boolean as id"),
    ([{"id": 7, "isPaused": "no", "user": {"id": "u1"}}], "with a session list whose item 0 has a text as isPaused"),
    ([{"id": 7, "isPaused": 0, "user": {"id": "u1"}, "lastMessage": {"text": 3}}],
     "with a session list whose item 0 has a number as lastMessage.text"),
])
def test_doctor_fails_the_module_check_on_a_listing_of_another_shape(server, logged_in, answer, problem):
    server.hostile[("GET", SESSIONS)] = json_reply(answer)
    code, out, err, _ = command("doctor", server.url)
    where = f"{server.url}: listing HITL sessions: GET {SESSIONS}"
    assert failure("doctor", out, err, "hitl routes answer") == f"{where} answered 200 {problem}; {CHECK}"
    assert code == 4 and out.count("OK   ") == 3


@pytest.mark.parametrize("payload, problem", [
    ({"jwt": "a\r\nX-Injected: 1"}, "with a payload.jwt that is not a token"),
    ({"jwt": 42}, "with a payload.jwt that is not a token"),
    ([], "without a token (no payload.jwt)"),
])
def test_a_login_token_that_cannot_go_in_a_header_is_refused_and_not_cached(server, config, payload, problem):
    server.hostile[("POST", LOGIN)] = json_reply({"status": "success", "payload": payload})
    code, out, err, _ = command("login", server.url)
    assert code == 4 and failure("login", out, err).startswith(f"{COMMANDS['login'].where(server.url)} answered 200 {problem}")
    assert not config.exists()


def test_a_version_that_is_not_one_fails_doctors_last_check(server, logged_in):
    server.hostile[("GET", "/version")] = text_reply("<h1>\x1b]0;pwned\x07Welcome</h1>")
    code, out, err, _ = command("doctor", server.url)
    assert failure("doctor", out, err, "version") == (f"{server.url}: reading the version: GET /version answered 200 with "
                                                      "'<h1>\\x1b]0;pwned\\x07Welcome</h1>' where a version such as 12.22.1 "
                                                      f"belongs; {CHECK}")
    assert code == 4


# ---- huge answers ---------------------------------------------------------------------
@EVERY
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_endless_body_is_cut_off_at_the_size_limit(server, logged_in, name, declared):
    cmd = COMMANDS[name]
    server.hostile[(cmd.method, cmd.path)] = endless_reply(declared)
    code, out, err, _ = command(name, server.url)
    problem = "with more than 32 MiB, so it was cut off there"
    assert failure(name, out, err) == f"{cmd.where(server.url)} answered 200 {problem}; {CHECK}"
    assert code == 4


def test_an_endless_error_answer_is_read_only_as_far_as_the_message_needs(server, logged_in):
    server.hostile[("GET", SESSIONS)] = endless_reply(declared=False, status=500)
    code, out, err, _ = command("sessions", server.url)
    assert failure("sessions", out, err) == (f"{COMMANDS['sessions'].where(server.url)} answered 500: {'[' * 200}; see the "
                                             "Botpress server log")
    assert code == 1


# ---- credentials in the URL --------------------------------------------------------------
@EVERY
def test_a_url_with_credentials_is_refused_before_anything_is_sent(server, config, name):
    bare = server.url
    code, out, err, _ = command(name, bare.replace("http://", "http://admin:hunter2@"))
    assert err == (f"{bare}: --url: the URL carries a user name or password, which hitl-gen never sends, prints or stores; "
                   f"remove it and log in with `hitl-gen login --url {bare} --email EMAIL` (the password from BP_PASSWORD or "
                   "the prompt)\n")
    assert code == 2 and out == ""
    assert server.requests == [] and not config.exists()
    assert "hunter2" not in err and "admin:" not in err


def test_a_url_with_credentials_in_bp_url_names_bp_url(server, config, monkeypatch):
    monkeypatch.setenv("BP_URL", server.url.replace("http://", "http://:hunter2@"))
    code, out, err = run("sessions", "--bot", BOT)
    assert code == 2 and err.startswith(f"{server.url}: BP_URL: the URL carries a user name or password")
    assert "hunter2" not in err and server.requests == []


@pytest.mark.parametrize("url", ["localhost:3000", "http://[::1", "http://bad\x1b[31mhost/", "ftp://example.com"])
def test_a_url_that_is_not_http_is_a_usage_error(config, url):
    code, out, err = run("sessions", "--url", url, "--bot", BOT)
    assert code == 2 and err.startswith("hitl-gen: --url: ") and err.endswith(" is not an http:// or https:// URL; e.g. "
                                                                             "http://localhost:3000\n")
    assert "\x1b" not in err and err.count("\n") == 1


# ---- escape sequences from the server -----------------------------------------------------
ANSI = "\x1b[2J\x1b[31mboom\nFAKE: second line\x07\u009b1m\u202edone"
ANSI_SHOWN = "\\x1b[2J\\x1b[31mboom FAKE: second line\\x07\\x9b1m\\u202edone"


@EVERY
def test_escape_sequences_in_an_error_message_are_shown_escaped(server, logged_in, name):
    cmd = COMMANDS[name]
    server.hostile[(cmd.method, cmd.path)] = text_reply(ANSI, 400)
    code, out, err, _ = command(name, server.url)
    assert failure(name, out, err) == f"{cmd.where(server.url)} answered 400: {ANSI_SHOWN}; see the Botpress server log"
    assert code == 1
    assert not any(char in out + err for char in "\x1b\x07\u009b\u202e")


def test_escape_sequences_in_the_sessions_listing_are_shown_escaped(server, logged_in):
    hostile = {**SESSION, "threadId": "2\x1b[8m", "user": {"id": "u1\rroot", "fullName": "Eve\x1b]0;owned\x07"},
               "lastMessage": {"text": "hi\u2028there\u009b"}}
    server.hostile[("GET", SESSIONS)] = json_reply([hostile])
    code, table, err, _ = command("sessions", server.url)
    assert code == 0 and err == ""
    assert table.splitlines()[1].split() == ["7", "no", "web", "u1", "root", "2\\x1b[8m", "Eve\\x1b]0;owned\\x07", "hi",
                                             "there\\x9b"]
    code, listing, err, _ = command("sessions", server.url, "--json")
    assert code == 0 and json.loads(listing) == [hostile]  # the same data, every character escaped as JSON
    code, status, err = run("status", "--url", server.url, "--bot", BOT, "--channel", "web", "--user", "u1\rroot",
                            "--thread", "2\x1b[8m")
    assert (code, status, err) == (0, "session 7 thread 2\\x1b[8m: not paused\n", "")
    for text in (table, listing, status):
        assert not any(char in text for char in "\x1b\x07\u009b\u2028\r")


# ---- a corrupt token cache ----------------------------------------------------------------
def _cache_of(entry) -> Callable[[str], bytes]:
    return lambda url: json.dumps({url: entry}).encode()


CORRUPT = {  # what tokens.json holds: bytes for the server's URL
    "not json": lambda url: b'{"http://127.0.0.1": ',
    "binary": lambda url: b"\xff\xfe\x00\x1b[31m",
    "nested too deep": lambda url: b"[" * 100_000,
    "a list": lambda url: b"[]",
    "an entry of another shape": _cache_of(TOKEN),
    "a token that would forge a header": _cache_of({"jwt": f"{TOKEN}\r\nX-Injected: 1", "expires_at": time.time() + 3600}),
    "a date past any float": _cache_of({"jwt": TOKEN, "expires_at": 10 ** 400}),
}


@EVERY
@pytest.mark.parametrize("kind", list(CORRUPT))
def test_a_corrupt_token_cache_counts_as_no_cache(server, config, name, kind, monkeypatch):
    config.parent.mkdir(parents=True)
    config.write_bytes(CORRUPT[kind](server.url))
    if name == "doctor":
        monkeypatch.delenv("BP_PASSWORD")
    code, out, err, _ = command(name, server.url)
    assert "Traceback" not in out + err
    if name == "login":  # logs in, and writes the cache again whole, readable and private
        assert (code, err) == (0, "")
        expires = pytest.approx(time.time() + 3600, abs=60)
        assert json.loads(config.read_text()) == {server.url: {"jwt": TOKEN, "expires_at": expires, "email": EMAIL}}
        assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
        return
    assert all("authorization" not in headers for _, _, headers in server.requests)  # no token was sent
    if name == "doctor":
        assert failure(name, out, err, "login works") == (f"{server.url}: not logged in: run `hitl-gen login --url {server.url} "
                                                           "--email EMAIL`, or set BP_EMAIL and BP_PASSWORD")
        assert code == 1
        return
    cmd = COMMANDS[name]
    assert failure(name, out, err) == (f"{cmd.where(server.url)} answered 401: the token is missing, expired or refused; run "
                                       f"`hitl-gen login --url {server.url} --email EMAIL` again")
    assert code == 1


def test_a_token_cache_that_cannot_be_written_is_one_line(server, config):
    config.mkdir(parents=True)  # a folder where the file belongs
    code, out, err, _ = command("login", server.url)
    assert failure("login", out, err) == (f"{config}: token cache: cannot write the token cache (Is a directory); make it a file "
                                          "you can write, or remove it (it holds only login tokens), then log in again")
    assert code == 2


def test_the_deadline_comes_from_bp_timeout_and_a_wrong_one_is_a_usage_error(server, logged_in, monkeypatch):
    monkeypatch.setenv("BP_TIMEOUT", "soon")
    code, out, err, _ = command("sessions", server.url)
    assert (code, err) == (2, "hitl-gen: BP_TIMEOUT: 'soon' is not a number of seconds between 0 and 86400; e.g. BP_TIMEOUT=30\n")
    assert server.requests == []
