"""A small client for a live Botpress v12 (FACTS §6-§8), on httpx.

Every call has a timeout; httpx retries failed connects. Reads are also retried after
no answer, and idempotent calls (reads, pause, unpause) after a 502/503/504. Errors
become ServerError (the server said no) or ConnectionProblem (it could not be reached),
each saying what was tried and the likely fix, and never a password or a token.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable

import httpx

from hitl_gen.botpress import routes
from hitl_gen.errors import ConnectionProblem, ServerError

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
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
    except (ValueError, binascii.Error):  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
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
    return httpx.HTTPTransport(retries=retries, proxy=f"http://{proxy}" if proxy and "://" not in proxy else proxy)


class BotpressClient:
    def __init__(self, url: str, *, token: str | None = None, http: httpx.Client | None = None,
                 retries: int = 2, backoff: float = 0.25, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        self.url = url.rstrip("/")
        self.token = token
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
        response = self._request("POST", routes.LOGIN, json={"email": email, "password": password}, auth=None,
                                 what="logging in")
        try:
            body = response.json()
        except ValueError:
            body = None
        payload = body.get("payload") if isinstance(body, dict) else None
        jwt = payload.get("jwt") if isinstance(payload, dict) else None
        if not isinstance(jwt, str) or not jwt:
            raise ServerError(f"{self.url}: logging in: POST {routes.LOGIN} answered {response.status_code} without a token; "
                              "check that the URL is a Botpress v12 server")
        self.token = jwt
        return Token(jwt, token_expiry(jwt, payload.get("exp"), self.clock()))

    def profile(self) -> dict:
        """Whose token this is: needs a valid token but no bot, so it proves the login and nothing else."""
        current, before_12_20 = PROFILE_ROUTES
        headers = {routes.WORKSPACE_HEADER: "default"}
        response = self._request("GET", current, what="checking the token", headers=headers, missing_route_ok=True)
        if response.status_code == 404:  # Express's "Cannot GET": a Botpress before 12.20.0
            response = self._request("GET", before_12_20, what="checking the token", headers=headers)
        try:
            body = response.json()
        except ValueError:
            return {}
        return (body.get("payload") or {}) if isinstance(body, dict) else {}

    # ---- server --------------------------------------------------------------
    def version(self) -> str:
        return self._request("GET", "/version", auth=None, what="reading the version").text.strip()

    def status(self) -> Any:
        return self._request("GET", "/status", auth=None, what="checking the server").json()

    def bot(self, bot: str) -> dict:
        return self._request("GET", routes.bot_base(bot) + "/", what=f"reading bot {bot!r}",
                             headers={routes.WORKSPACE_HEADER: "default"},
                             on_404=f"there is no bot {bot!r} on this server; check the bot id (--bot, BP_BOT or the spec's "
                                    "target.bot) against the Admin's bot list").json()

    # ---- hitl ------------------------------------------------------------------
    def sessions(self, bot: str, *, paused_only: bool = False, search: str | None = None) -> list[dict]:
        params = {"pausedOnly": "true"} if paused_only else {}
        if search:
            params["searchText"] = search
        return self._request("GET", routes.bot_base(bot) + routes.HITL_SESSIONS, params=params, what="listing HITL sessions").json()

    def set_paused(self, bot: str, paused: bool, *, session: int | str | None = None, channel: str | None = None,
                   user: str | None = None, thread: str | None = None) -> None:
        action = "pause" if paused else "unpause"
        if session is not None:
            path, params = routes.session_action(session, action), {}
        else:
            path, params = routes.user_action(channel, user, action), ({"threadId": thread} if thread else {})
        self._request("POST", routes.bot_base(bot) + path, params=params, what=f"{action} ({_who(session, channel, user, thread)})",
                      on_500="the user has no HITL session yet: HITL creates one at the user's first message, so wait for it")

    def conversation_state(self, bot: str, channel: str, user: str, thread: str | None = None) -> list[dict]:
        """The matching sessions from the listing (the module's own channel/user
        isPaused route queries a missing column and crashes a real server)."""
        return [s for s in self.sessions(bot) if s.get("channel") == channel and s.get("user", {}).get("id") == user
                and (thread is None or str(s.get("threadId")) == str(thread))]

    # ---- hitlnext ----------------------------------------------------------------
    def handoffs(self, bot: str) -> list[dict]:
        return self._request("GET", routes.bot_base(bot) + routes.HITLNEXT_HANDOFFS, what="listing HITL Next handoffs").json()

    def agents(self, bot: str) -> list[dict]:
        return self._request("GET", routes.bot_base(bot) + routes.HITLNEXT_AGENTS, what="listing HITL Next agents").json()

    # ---- plumbing ------------------------------------------------------------------
    def _request(self, method: str, path: str, *, what: str, on_500: str | None = None, on_404: str | None = None,
                 missing_route_ok: bool = False, **kwargs) -> httpx.Response:
        """`auth=None` (httpx's own argument) sends no token: login and the public routes."""
        idempotent = method == "GET" or path.endswith(("/pause", "/unpause"))
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self.http.request(method, path, **kwargs)
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
        if response.status_code >= 400:
            if missing_route_ok and response.status_code == 404 and _express_404(response):
                return response
            raise ServerError(self._explain(method, path, response, what, on_500, on_404))
        return response

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
                 on_404: str | None = None) -> str:
        status = response.status_code
        where = f"{self.url}: {what}: {method} {path} answered {status}"
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
        return f"{where}: {response.text[:200].strip() or response.reason_phrase}; see the Botpress server log"


def _express_404(response: httpx.Response) -> bool:
    """Express's own 404 page (`Cannot GET /path`): the route does not exist at all."""
    return "Cannot " in response.text


def _who(session, channel, user, thread) -> str:
    if session is not None:
        return f"session {session}"
    return f"channel {channel}, user {user}" + (f", thread {thread}" if thread else ", every thread")
