"""A small client for a live Botpress v12 (FACTS §6-§8), on httpx.

Every call has a timeout. Idempotent calls (reads, pause, unpause) are retried with
backoff on connection errors and 502/503/504; nothing else is. Errors become
ServerError (the server said no) or ConnectionProblem (it could not be reached),
each saying what was tried and the likely fix, and never containing a password or
a token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import httpx

from hitl_gen.botpress import routes
from hitl_gen.errors import ConnectionProblem, ServerError

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRY_STATUSES = {502, 503, 504}


@dataclass(frozen=True)
class Token:
    jwt: str
    expires_at: float  # epoch seconds

    def valid(self, now: float, margin: float = 60) -> bool:
        return self.expires_at - margin > now


class BotpressClient:
    def __init__(self, url: str, *, token: str | None = None, http: httpx.Client | None = None,
                 retries: int = 2, backoff: float = 0.25, sleep: Callable[[float], None] = time.sleep):
        self.url = url.rstrip("/")
        self.token = token
        self._owns_http = http is None
        self.http = http or httpx.Client(timeout=DEFAULT_TIMEOUT)
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> "BotpressClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- auth ----------------------------------------------------------------
    def login(self, email: str, password: str) -> Token:
        response = self._request("POST", routes.LOGIN, json={"email": email, "password": password}, idempotent=False, auth=False,
                                 what="logging in")
        payload = response.json().get("payload", {})
        self.token = payload["jwt"]
        return Token(payload["jwt"], float(payload.get("exp", time.time() + 3600)))

    # ---- server --------------------------------------------------------------
    def version(self) -> str:
        return self._request("GET", "/version", auth=False, what="reading the version").text.strip()

    def status(self) -> Any:
        return self._request("GET", "/status", auth=False, what="checking the server").json()

    def bot(self, bot: str) -> dict:
        return self._request("GET", routes.bot_base(bot) + "/", what=f"reading bot {bot!r}",
                             headers={routes.WORKSPACE_HEADER: "default"}).json()

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
            path = routes.session_action(session, action)
            params = {}
        else:
            path = routes.user_action(channel, user, action)
            params = {"threadId": thread} if thread else {}
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
    def _request(self, method: str, path: str, *, what: str, idempotent: bool | None = None, auth: bool = True,
                 on_500: str | None = None, headers: dict | None = None, **kwargs) -> httpx.Response:
        if idempotent is None:
            idempotent = method == "GET" or path.endswith(("/pause", "/unpause"))
        headers = dict(headers or {})
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        attempt = 0
        while True:
            try:
                response = self.http.request(method, self.url + path, headers=headers, **kwargs)
            except httpx.TransportError as err:
                if idempotent and attempt < self.retries:
                    attempt += 1
                    self.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise ConnectionProblem(f"{self.url}: {what}: cannot reach {self.url} ({type(err).__name__}); "
                                        "check the URL and that Botpress is running") from None
            if response.status_code in RETRY_STATUSES and idempotent and attempt < self.retries:
                attempt += 1
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if response.status_code >= 400:
                raise ServerError(self._explain(method, path, response, what, on_500))
            return response

    def _explain(self, method: str, path: str, response: httpx.Response, what: str, on_500: str | None) -> str:
        status = response.status_code
        where = f"{self.url}: {what}: {method} {path} answered {status}"
        if status == 401:
            if path == routes.LOGIN:
                return f"{where}: the e-mail or password is wrong; check them (the password comes from BP_PASSWORD or the prompt)"
            return f"{where}: the token is missing, expired or refused; run `hitl-gen login --url {self.url} --email EMAIL` again"
        if status == 403:
            return f"{where}: this user may not do that; use an account with access to the bot's workspace"
        if status == 404:
            if "Cannot" in response.text:
                return (f"{where} (Cannot {method} {path}): no such route; the HITL routes are "
                        f"{routes.BOT_BASE}{routes.HITL}/..., so check the bot id and that the module is enabled for this bot")
            return f"{where}: not found; check the bot id"
        if status == 500 and on_500:
            return f"{where}: {on_500}"
        return f"{where}: {response.text[:200].strip() or response.reason_phrase}; see the Botpress server log"


def _who(session, channel, user, thread) -> str:
    if session is not None:
        return f"session {session}"
    return f"channel {channel}, user {user}" + (f", thread {thread}" if thread else ", every thread")
