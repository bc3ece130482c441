"""A small client for a live Botpress v12 (FACTS §6-§8), on httpx.

Every call has a timeout, and an overall deadline with its retries (bounded.py); httpx
retries failed connects. Reads are also retried after no answer, and idempotent calls
(reads, pause, unpause) after a 502/503/504. Only a 2xx whose body has the shape
Botpress gives (answers.py) is a success. Errors become ServerError (the server said
no), BadAnswer (it answered, but not as Botpress does: a redirect, HTML, another shape,
too large) or ConnectionProblem (it could not be reached, or not in time), each saying
what was tried and the likely fix, and never a password or a token.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
import urllib.request
from urllib.parse import quote
from dataclasses import dataclass
from typing import Any, Callable

import httpx

from hitl_gen import answers, bounded, server_url
from hitl_gen.botpress import routes
from hitl_gen.errors import BadAnswer, ConnectionProblem, ServerError, UsageError

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_DEADLINE_S = 30.0  # the most one call may take, its retries included; BP_TIMEOUT changes it
MAX_BODY_BYTES = 32 * 1024 * 1024  # far above any HITL listing; a server sending more is cut off there
CHECK_URL = "check that the URL is the Botpress v12 server itself, not a proxy, a login page or another site"
RETRY_STATUSES = {502, 503, 504}
NEVER_CONNECTED = (httpx.ConnectError, httpx.ConnectTimeout)  # the transport has retried these already
# Who the token belongs to: a route that wants a valid token but no bot. It moved in
# 12.20.0 (admin/user/profile); 12.0 to 12.19 answer it under auth/me/profile.
PROFILE_ROUTES = ("/api/v1/admin/user/profile", "/api/v1/auth/me/profile")
FALLBACK_LIFETIME_S = 3600  # when the answer says nothing usable about the token's lifetime


def jwt_expiry(jwt: str) -> float | None:
    """The `exp` claim of a JWT (seconds since the epoch), read from its payload
    segment without checking the signature; None when there is no usable claim."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, RecursionError):  # JSONDecodeError, UnicodeDecodeError are ValueErrors
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or exp <= 0:
        return None
    return float(exp)


def token_expiry(jwt: str, lifetime_ms, now: float) -> float:
    """When a login token expires (epoch seconds). Botpress's login answers `exp` as the
    token's LIFETIME in milliseconds (`ms('1h')` = 3600000), not a date (FACTS §12):
    the date is the JWT's own `exp` claim; without one, now + lifetime."""
    claimed = jwt_expiry(jwt)
    if claimed is not None:
        return claimed
    if isinstance(lifetime_ms, (int, float)) and not isinstance(lifetime_ms, bool) and lifetime_ms > 0:
        return now + lifetime_ms / 1000
    return now + FALLBACK_LIFETIME_S


def configured_deadline() -> float:
    """BP_TIMEOUT in seconds, else DEFAULT_DEADLINE_S."""
    text = os.environ.get("BP_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_DEADLINE_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 24 * 3600:  # NaN fails too
        raise UsageError(f"{text!r} is not a number of seconds between 0 and 86400; e.g. BP_TIMEOUT=30",
                         subject="hitl-gen", where="BP_TIMEOUT")
    return seconds


@dataclass(frozen=True)
class Token:
    jwt: str
    expires_at: float  # epoch seconds

    def valid(self, now: float, margin: float = 60) -> bool:
        return self.expires_at - margin > now


class BearerToken(httpx.Auth):
    """The token as of sending, so a login mid-session (doctor) is in the next request."""

    def __init__(self, current: Callable[[], str | None]):
        self.current = current

    def auth_flow(self, request: httpx.Request):
        token = self.current()
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        yield request


def server_transport(url: str, retries: int) -> httpx.HTTPTransport:
    """Retries failed connects: a request that never connected never reached the server, so
    even a login or a pause may be retried. Given a transport, httpx stops reading
    HTTP(S)_PROXY, ALL_PROXY and NO_PROXY, so this one server's proxy is looked up here."""
    proxies, parts = urllib.request.getproxies(), httpx.URL(url)
    proxy = None if urllib.request.proxy_bypass(parts.host) else proxies.get(parts.scheme) or proxies.get("all")
    # No idle connection is kept: each request connects, so the deadline's watchdog (bounded.py) has its socket.
    return httpx.HTTPTransport(retries=retries, proxy=f"http://{proxy}" if proxy and "://" not in proxy else proxy,
                               limits=httpx.Limits(max_keepalive_connections=0))


class BotpressClient:
    def __init__(self, url: str, *, token: str | None = None, http: httpx.Client | None = None,
                 retries: int = 2, backoff: float = 0.25, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, deadline: float | None = None):
        self.url = server_url.checked(url, "server URL")  # never a password in a URL: not sent, not shown
        self.token = token
        self.deadline = deadline or configured_deadline()
        self._owns_http = http is None
        self.http = http or httpx.Client(timeout=DEFAULT_TIMEOUT, transport=server_transport(self.url, retries))
        # An injected client (tests) keeps its transport and timeouts, and gets this server and token too.
        self.http.base_url, self.http.auth = self.url, BearerToken(lambda: self.token)
        self.retries, self.backoff, self.sleep, self.clock = retries, backoff, sleep, clock

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> "BotpressClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- auth ----------------------------------------------------------------
    def login(self, email: str, password: str) -> Token:
        jwt, lifetime = self._call("POST", routes.LOGIN, answers.login, json={"email": email, "password": password},
                                   auth=None, what="logging in")
        self.token = jwt
        return Token(jwt, token_expiry(jwt, lifetime, self.clock()))

    def profile(self) -> dict:
        """Whose token this is: needs a valid token but no bot, so it proves the login and nothing else."""
        current, before_12_20 = PROFILE_ROUTES
        headers = {routes.WORKSPACE_HEADER: "default"}
        path, what = current, "checking the token"
        response = self._request("GET", path, what=what, headers=headers, missing_route_ok=True)
        if response.status_code == 404:  # Express's "Cannot GET": a Botpress before 12.20.0
            path = before_12_20
            response = self._request("GET", path, what=what, headers=headers)
        return self._expect(response, answers.profile, "GET", path, what)

    # ---- server --------------------------------------------------------------
    def version(self) -> str:
        return self._call("GET", "/version", answers.version, auth=None, what="reading the version")

    def status(self) -> Any:
        return self._call("GET", "/status", answers.json_object, auth=None, what="checking the server")

    def bot(self, bot: str) -> dict:
        return self._call("GET", routes.bot_base(bot) + "/", answers.bot, what=f"reading bot {bot!r}",
                          headers={routes.WORKSPACE_HEADER: "default"},
                          on_404=f"there is no bot {bot!r} on this server; check the bot id (--bot, BP_BOT or the spec's "
                                 "target.bot) against the Admin's bot list")

    # ---- modules ---------------------------------------------------------------
    def loaded_modules(self) -> list[dict]:
        """The definitions of the modules the server loaded (installed and enabled); a public route."""
        return self._call("GET", routes.LOADED_MODULES, answers.object_list, auth=None, what="listing the loaded modules")

    def all_modules(self) -> list[dict]:
        """Every module the server finds, enabled or not, with its version (super admins only)."""
        return self._call("GET", routes.ALL_MODULES, answers.object_list, what="listing every module")

    # ---- hitl ------------------------------------------------------------------
    def sessions(self, bot: str, *, paused_only: bool = False, search: str | None = None) -> list[dict]:
        params = {"pausedOnly": "true"} if paused_only else {}
        if search:
            params["searchText"] = search
        return self._call("GET", routes.bot_base(bot) + routes.HITL_SESSIONS, answers.sessions, params=params,
                          what="listing HITL sessions")

    def set_paused(self, bot: str, paused: bool, *, session: int | str | None = None, channel: str | None = None,
                   user: str | None = None, thread: str | None = None) -> None:
        action = "pause" if paused else "unpause"
        if session is not None:
            path, params = routes.session_action(session, action), {}
        else:
            path, params = routes.user_action(channel, user, action), ({"threadId": thread} if thread else {})
        self._call("POST", routes.bot_base(bot) + path, answers.paused, params=params,
                   what=f"{action} ({_who(session, channel, user, thread)})",
                   on_500="the user has no HITL session yet: HITL creates one at the user's first message, so wait for it")

    def conversation_state(self, bot: str, channel: str, user: str, thread: str | None = None) -> list[dict]:
        """The matching sessions from the listing (the module's own channel/user
        isPaused route queries a missing column and crashes a real server)."""
        return [s for s in self.sessions(bot) if s.get("channel") == channel and str(s["user"]["id"]) == user
                and (thread is None or str(s.get("threadId")) == str(thread))]

    # ---- hitlnext ----------------------------------------------------------------
    def handoffs(self, bot: str) -> list[dict]:
        return self._call("GET", routes.bot_base(bot) + routes.HITLNEXT_HANDOFFS, answers.object_list,
                          what="listing HITL Next handoffs")

    def agents(self, bot: str) -> list[dict]:
        return self._call("GET", routes.bot_base(bot) + routes.HITLNEXT_AGENTS, answers.object_list,
                          what="listing HITL Next agents")

    def go_online(self, bot: str) -> None:
        """Mark the logged-in user online as a HITL Next agent of `bot` (taking and resolving need it)."""
        self._call("POST", routes.bot_base(bot) + routes.HITLNEXT_AGENT_ONLINE, answers.json_object, json={"online": True},
                   what="going online as a HITL Next agent")

    def handoff_action(self, bot: str, handoff: int | str, action: str, *, on_status: dict[int, str] | None = None) -> dict:
        """assign (to the logged-in agent), resolve or reject one handoff; its new state."""
        path = routes.bot_base(bot) + routes.fill(routes.HITLNEXT_HANDOFF_ACTION, handoff=quote(str(handoff), safe=""), action=action)
        if action == "reject":  # Express's 404 on a release without the route (table: routes.hitlnext_handoff_action)
            on_status = {404: "this Botpress has no route to reject a HITL Next handoff (12.22.1 has none, 12.31.10 has): "
                              f"resolve it instead (`hitl-gen resolve {handoff}`)", **(on_status or {})}
        return self._call("POST", path, answers.handoff, json={}, what=f"{HANDOFF_DOING[action]} handoff {handoff}",
                          on_status=on_status)

    # ---- plumbing ------------------------------------------------------------------
    def _call(self, method: str, path: str, expect: Callable[[httpx.Response], Any], *, what: str, **kwargs) -> Any:
        """_request, then what `expect` (answers.py) reads from the answer."""
        return self._expect(self._request(method, path, what=what, **kwargs), expect, method, path, what)

    def _expect(self, response: httpx.Response, expect: Callable[[httpx.Response], Any], method: str, path: str,
                what: str) -> Any:
        try:
            return expect(response)
        except answers.Malformed as bad:
            raise BadAnswer(f"{self.url}: {what}: {method} {path} answered {response.status_code} {bad}; {CHECK_URL}") from None

    def _request(self, method: str, path: str, *, what: str, on_500: str | None = None, on_404: str | None = None,
                 on_status: dict[int, str] | None = None, missing_route_ok: bool = False, deadline: float | None = None, max_bytes: int = MAX_BODY_BYTES,
                 **kwargs) -> httpx.Response:
        """A 2xx, read whole; `auth=None` (httpx's own argument) sends no token: login and the public routes.
        `deadline` (seconds, retries included) and `max_bytes` (of a 2xx body) default to the client's."""
        response = self._send(method, path, what, bounded.Deadline(deadline or self.deadline), max_bytes, kwargs)
        status = response.status_code
        if status >= 400:
            if missing_route_ok and status == 404 and _express_404(response):
                return response
            raise ServerError(self._explain(method, path, response, what, on_500, on_404, on_status))
        if not response.is_success:  # a redirect, or a 1xx as a final answer: nothing Botpress sends
            raise BadAnswer(self._not_followed(method, path, response, what))
        return response

    def _send(self, method: str, path: str, what: str, deadline: bounded.Deadline, max_bytes: int,
              kwargs: dict) -> httpx.Response:
        idempotent = method == "GET" or path.endswith(("/pause", "/unpause"))
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(min(self.backoff * 2 ** (attempt - 1), deadline.remaining()))
            try:
                response = bounded.send(self.http, method, path, deadline=deadline, max_bytes=max_bytes, **kwargs)
            except bounded.TooSlow:
                raise self._too_slow(method, path, what, deadline.seconds) from None
            except bounded.TooLarge as big:
                raise BadAnswer(f"{self.url}: {what}: {method} {path} answered {big.status} with more than "
                                f"{_size(big.limit)}, so it was cut off there; {CHECK_URL}") from None
            except httpx.TransportError as err:
                # The transport has retried the connect already, and never resends a request it
                # sent, so a read that got no answer is sent again here. A pause is not: on 12.22.1
                # no answer is the hitl module crashing its worker (no session for the user or
                # thread), and every retry would crash it again (it stops for good after a few).
                if method != "GET" or isinstance(err, NEVER_CONNECTED) or attempt == self.retries:
                    raise self._unanswered(method, path, what, err) from None
                continue
            if not (response.status_code in RETRY_STATUSES and idempotent):
                break
        return response

    def _too_slow(self, method: str, path: str, what: str, seconds: float) -> ConnectionProblem:
        # A change that was sent may have happened; a login or a read changes nothing.
        maybe = "" if method == "GET" or path == routes.LOGIN else "; it may still have happened"
        if path.endswith(("/pause", "/unpause")):
            maybe += ": check with `hitl-gen status` or `hitl-gen sessions`"
        return ConnectionProblem(f"{self.url}: {what}: {method} {path} got no complete answer within {seconds:g} s and was "
                                 f"cut off{maybe}; check that Botpress is running and not overloaded, or allow more time "
                                 "with BP_TIMEOUT=SECONDS")

    def _not_followed(self, method: str, path: str, response: httpx.Response, what: str) -> str:
        where = f"{self.url}: {what}: {method} {path} answered {response.status_code}"
        location = response.headers.get("location")
        if not 300 <= response.status_code < 400 or not location:
            return f"{where}, which Botpress never answers there; {CHECK_URL}"
        try:
            target = server_url.shown(str(response.request.url.join(location)))
        except httpx.InvalidURL:
            target = server_url.shown(location)
        return (f"{where}, a redirect to {target}; hitl-gen does not follow redirects: if Botpress is there, pass that "
                "address with --url (or BP_URL)")

    def _unanswered(self, method: str, path: str, what: str, err: httpx.TransportError) -> Exception:
        """A call that reached the server and got no answer may have happened: say so, never retry it."""
        if method == "GET" or isinstance(err, NEVER_CONNECTED):
            return ConnectionProblem(f"{self.url}: {what}: cannot reach {self.url} ({type(err).__name__}); "
                                     "check the URL and that Botpress is running")
        if isinstance(err, httpx.TimeoutException):
            return ConnectionProblem(f"{self.url}: {what}: {method} {path} got no answer in time; it may still "
                                     "have happened: check with `hitl-gen status` or `hitl-gen sessions`")
        return ServerError(f"{self.url}: {what}: {method} {path} got no answer: the server dropped the "
                           "connection. Botpress 12.22.1's hitl module crashes its worker when the user has no HITL "
                           "session yet (one is created at the user's first message) or the thread is unknown; check "
                           "the ids with `hitl-gen sessions`, and the server log")

    def _explain(self, method: str, path: str, response: httpx.Response, what: str, on_500: str | None,
                 on_404: str | None = None, on_status: dict[int, str] | None = None) -> str:
        status = response.status_code
        where = f"{self.url}: {what}: {method} {path} answered {status}"
        if status in (on_status or {}):  # the caller knows what this status means here
            return f"{where}: {on_status[status]}"
        if status == 401:
            if path == routes.LOGIN:
                return f"{where}: the e-mail or password is wrong; check them (the password comes from BP_PASSWORD or the prompt)"
            return f"{where}: the token is missing, expired or refused; run `hitl-gen login --url {self.url} --email EMAIL` again"
        if status == 403:
            return f"{where}: this user may not do that; use an account with access to the bot's workspace"
        if status == 404:
            if _express_404(response):
                module = re.search(r"/mod/([^/]+)", path)
                if module is None:
                    return f"{where} (Cannot {method} {path}): no such route; check that the URL is a Botpress v12 server"
                name = module.group(1)
                title = {"hitl": "HITL", "hitlnext": "HITL Next"}.get(name, name)
                return (f"{where} (Cannot {method} {path}): no such route; the {title} routes are "
                        f"{routes.BOT_BASE}/mod/{name}/..., so check the bot id and that the module is enabled for this bot")
            return f"{where}: {on_404 or 'not found; check the bot id'}"
        if status == 500 and on_500:
            return f"{where}: {on_500}"
        text = " ".join(response.text[:200].split())  # one line; control characters are escaped when printed
        return f"{where}: {text or response.reason_phrase}; see the Botpress server log"


HANDOFF_DOING = {"assign": "taking", "resolve": "resolving", "reject": "rejecting"}


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _express_404(response: httpx.Response) -> bool:
    """Express's own 404 page (`Cannot GET /path`): the route does not exist at all."""
    return "Cannot " in response.text


def _who(session, channel, user, thread) -> str:
    if session is not None:
        return f"session {session}"
    return f"channel {channel}, user {user}" + (f", thread {thread}" if thread else ", every thread")
