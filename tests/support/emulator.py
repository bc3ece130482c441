"""A loopback HTTP server that answers like Botpress 12.22.1 with the hitl and
hitlnext modules (FACTS §6-§8), plus sinks that record webhook and e-mail API calls.

Semantics copied from reading the modules' routes and queries, not from a guess:
- every /api/v1/bots/<bot>/mod/* route needs `Authorization: Bearer <jwt>`;
- unknown paths get Express's `404 Cannot POST /path` HTML page;
- HITL session ids are the table's own integers (deliberately far from thread ids);
- a session is created at a user's first incoming message; pausing a user who has
  none fails with 500 (the module reads `sessions[0].id` of an empty result);
- `POST .../user/<id>/<action>` pauses only when action is exactly `pause`;
  `.../channel/<c>/user/<u>/isPaused` crashes the worker (here: connection dropped);
- while paused, `text`, `message` and `quick_reply` events are swallowed.

Test control lives under /__emulator/ (no auth) and on the Python object.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

SWALLOWED_TYPES = {"text", "message", "quick_reply"}
TOKEN_LIFETIME_S = 3600


@dataclass
class Session:
    id: int
    bot: str
    channel: str
    user: str
    thread: str | None
    full_name: str
    paused: bool = False
    paused_trigger: str | None = None
    messages: list = field(default_factory=list)
    last_event_on: float = field(default_factory=time.time)

    def set_paused(self, paused: bool) -> None:
        # The module stores "operator" as the trigger whatever the caller says.
        self.paused, self.paused_trigger = paused, "operator"


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: object
    status: int = 0


class HitlEmulator:
    def __init__(self, bots=("support-bot",), *, first_session_id: int = 9000, version: str = "12.22.1"):
        self.lock = threading.RLock()
        self.version = version
        self.bots = {bot: {"hitl", "hitlnext"} for bot in bots}
        self.accounts = {"admin@example.com": "correct horse battery staple"}
        self.tokens: dict[str, float] = {}
        self.users: dict[tuple, dict] = {}
        self.sessions: list[Session] = []
        self.next_session_id = first_session_id
        self.handoffs: list[dict] = []
        self.agents: list[dict] = []
        # hitlnext's config value: texts by language, sent in the bot's DEFAULT language
        # whatever the user's (seen on a real 12.22.1); "" turns it off.
        self.transfer_message: dict | str = {"en": "You are being transferred to an agent.", "fr": "Vous êtes transféré à un agent."}
        self.default_language = "en"
        self.outbox: list[dict] = []  # messages the server itself sent to users
        self.webhooks: list[Request] = []
        self.email_api: list[Request] = []
        self.requests: list[Request] = []
        self.faults: dict[str, tuple] = {}
        self.crashes = 0
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle -------------------------------------------------------
    def start(self) -> "HitlEmulator":
        emulator = self

        class Handler(_Handler):
            pass

        Handler.emulator = emulator
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- control from tests ---------------------------------------------
    def issue_token(self, lifetime_s: float = TOKEN_LIFETIME_S) -> str:
        """What bp.http.getAxiosConfigForBot hands an action: a valid short-lived token."""
        token = "jwt." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + lifetime_s
        return token

    def fault(self, route: str, kind, **options) -> None:
        """Make `route` (login, sessions, session_action, user_action, handoffs, agents,
        webhook, email_api) answer 401/404/500, 'hang' past the sandbox limit, or 'reset'."""
        self.faults[route] = (kind, options)

    def remove_module(self, bot: str, module: str) -> None:
        self.bots[bot].discard(module)

    def incoming(self, bot: str, channel: str, user: str, thread: str | None, *, type: str = "text", text: str = "") -> dict:
        """The incoming middleware: create the session at the first message, record it,
        and say whether the bot would answer."""
        with self.lock:
            session = None
            if "hitl" in self.bots[bot]:
                session = self._find_session(bot, channel, user, thread) or self._create_session(bot, channel, user, thread)
                session.messages.append({"direction": "in", "type": type, "text": text, "source": "user"})
                session.last_event_on = time.time()
            paused = bool(session and session.paused)
            handoff_active = any(h for h in self.handoffs if h["botId"] == bot and h["userThreadId"] == thread
                                 and h["userChannel"] == channel and h["status"] in ("pending", "assigned"))
            swallowed = type in SWALLOWED_TYPES and (paused or handoff_active)
            return {"swallowed": swallowed, "sessionId": session.id if session else None}

    def set_attributes(self, bot: str, channel: str, user: str, attributes: dict) -> None:
        with self.lock:
            self.users[(channel, user)] = dict(attributes)

    def session_for(self, bot: str, channel: str, user: str, thread: str | None) -> Session | None:
        with self.lock:
            return self._find_session(bot, channel, user, thread)

    def listing(self, bot: str) -> list[dict]:
        with self.lock:
            return [self._overview(s) for s in sorted(self.sessions, key=lambda s: -s.last_event_on) if s.bot == bot]

    # ---- internals -------------------------------------------------------
    def _find_session(self, bot, channel, user, thread):
        for session in self.sessions:
            if (session.bot, session.channel, session.user) == (bot, channel, user) and (thread is None or session.thread == thread):
                return session
        return None

    def _create_session(self, bot, channel, user, thread) -> Session:
        attributes = self.users.get((channel, user), {})
        first, last = attributes.get("first_name"), attributes.get("last_name")
        name = attributes.get("full_name") or (first and last and f"{first} {last}") or f"# {secrets.randbelow(10**16)}"
        session = Session(self.next_session_id, bot, channel, user, thread, name)
        self.next_session_id += 7  # ids never line up with thread ids
        self.sessions.append(session)
        return session

    def _overview(self, s: Session) -> dict:
        return {
            "id": s.id, "botId": s.bot, "channel": s.channel, "threadId": s.thread, "isPaused": int(s.paused),
            "pausedBy": s.paused_trigger, "lastMessage": s.messages[-1] if s.messages else None,
            "user": {"id": s.user, "fullName": s.full_name, "avatarUrl": None, "attributes": self.users.get((s.channel, s.user), {})},
        }


class _Handler(BaseHTTPRequestHandler):
    emulator: HitlEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    # ---- plumbing --------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = Request(method, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                          {k.lower(): v for k, v in self.headers.items()}, body)
        emulator = self.emulator
        with emulator.lock:
            emulator.requests.append(request)
        route, handler, params = _route(method, parts.path)
        if route and route in emulator.faults and self._apply_fault(request, *emulator.faults[route]):
            return
        if handler is None:
            return self._send(request, 404, f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot {method} {parts.path}</pre>\n</body>\n</html>\n", "text/html; charset=utf-8")
        handler(self, request, **params)

    def _apply_fault(self, request: Request, kind, options) -> bool:
        if kind == "hang":
            time.sleep(options.get("seconds", 6))
            return False
        if kind == "reset":
            request.status = -1
            self.close_connection = True
            self.connection.close()
            return True
        self._send(request, int(kind), {"statusCode": int(kind), "message": f"emulated fault {kind}"})
        return True

    def _send(self, request: Request, status: int, payload=None, content_type="application/json; charset=utf-8") -> None:
        request.status = status
        if payload is None:
            data = {200: b"OK", 201: b"Created"}.get(status, b"")
            content_type = "text/plain; charset=utf-8"
        elif isinstance(payload, str):
            data = payload.encode("utf-8")
        else:
            data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization")
        if not header:
            self._send(request, 401, {"statusCode": 401, "type": "UnauthorizedError", "message": "Unauthorized: Authorization header is missing"})
            return False
        token = header.removeprefix("Bearer ").strip()
        expiry = self.emulator.tokens.get(token)
        if expiry is None or expiry < time.time():
            self._send(request, 401, {"statusCode": 401, "type": "UnauthorizedError", "message": "Unauthorized: Invalid authentication token"})
            return False
        return True

    def _bot_module(self, request: Request, bot: str, module: str) -> bool:
        """Auth first (Botpress checks the token before routing), then the module router."""
        if not self._authorized(request):
            return False
        if module not in self.emulator.bots.get(bot, set()):
            self._send(request, 404, f"<pre>Cannot {request.method} {request.path}</pre>", "text/html; charset=utf-8")
            return False
        return True

    # ---- Botpress core ---------------------------------------------------
    def login(self, request: Request):
        body = request.body if isinstance(request.body, dict) else {}
        if self.emulator.accounts.get(body.get("email")) != body.get("password") or not body.get("password"):
            return self._send(request, 401, {"statusCode": 401, "type": "InvalidCredentialsError", "message": "Invalid credentials"})
        token = self.emulator.issue_token()
        self._send(request, 200, {"status": "success", "message": "Login successful",
                                  "payload": {"jwt": token, "exp": int(time.time()) + TOKEN_LIFETIME_S}})

    def bot_info(self, request: Request, bot: str):
        if not self._authorized(request):
            return
        if bot not in self.emulator.bots:
            return self._send(request, 404, "Not Found", "text/plain; charset=utf-8")
        self._send(request, 200, {"id": bot, "name": bot, "defaultLanguage": "en", "languages": ["en"]})

    def version_info(self, request: Request):  # Botpress sends the bare version string
        self._send(request, 200, self.emulator.version, "text/html; charset=utf-8")

    def status(self, request: Request):
        self._send(request, 200, {"status": "ok"})

    # ---- hitl --------------------------------------------------------------
    def sessions(self, request: Request, bot: str):
        if not self._bot_module(request, bot, "hitl"):
            return
        items = self.emulator.listing(bot)
        if request.query.get("pausedOnly") == "true":
            items = [s for s in items if s["isPaused"]]
        search = request.query.get("searchText")
        if search:
            items = [s for s in items if search.lower() in (s["user"]["fullName"] or "").lower()
                     or any(search.lower() in (m.get("text") or "").lower() for m in [s["lastMessage"] or {}])]
        self._send(request, 200, items)

    def session_messages(self, request: Request, bot: str, session: str):
        if not self._bot_module(request, bot, "hitl"):
            return
        found = next((s for s in self.emulator.sessions if str(s.id) == session), None)
        self._send(request, 200, found.messages if found else [])

    def session_action(self, request: Request, bot: str, session: str, action: str):
        if not self._bot_module(request, bot, "hitl"):
            return
        with self.emulator.lock:
            found = next((s for s in self.emulator.sessions if str(s.id) == session), None)
            if action == "isPaused":
                return self._send(request, 200, bool(found and found.paused) if found else "")
            if action == "message":
                if not found:
                    return self._send(request, 404, None)
                found.messages.append({"direction": "out", "type": "text", "text": request.body.get("message"), "source": "agent"})
                return self._send(request, 200, None)
            if found:  # an unknown id updates nothing and still answers 200, like the real UPDATE
                found.set_paused(action == "pause")
        self._send(request, 200, None)

    def user_action(self, request: Request, bot: str, channel: str, user: str, action: str):
        if not self._bot_module(request, bot, "hitl"):
            return
        if action == "isPaused":  # queries a column that does not exist: the worker dies
            self.emulator.crashes += 1
            request.status = -1
            self.close_connection = True
            self.connection.close()
            return
        thread = request.query.get("threadId")
        with self.emulator.lock:
            matches = [s for s in self.emulator.sessions if (s.bot, s.channel, s.user) == (bot, channel, user)
                       and (not thread or s.thread == thread)]
            if not matches:
                return self._send(request, 500, {"statusCode": 500, "message": "Cannot read property 'id' of undefined"})
            for session in matches:
                session.set_paused(action == "pause")
        self._send(request, 200, None)

    # ---- hitlnext ----------------------------------------------------------
    def handoffs(self, request: Request, bot: str):
        if not self._bot_module(request, bot, "hitlnext"):
            return
        if request.method == "GET":
            return self._send(request, 200, [h for h in self.emulator.handoffs if h["botId"] == bot])
        body = request.body if isinstance(request.body, dict) else {}
        missing = [k for k in ("userId", "userThreadId", "userChannel") if not isinstance(body.get(k), str) or not body.get(k)]
        if missing:
            return self._send(request, 400, {"statusCode": 400, "message": f"\"{missing[0]}\" is required"})
        with self.emulator.lock:
            key = (bot, body["userId"], body["userThreadId"], body["userChannel"])
            if any((h["botId"], h["userId"], h["userThreadId"], h["userChannel"]) == key and h["status"] in ("pending", "assigned")
                   for h in self.emulator.handoffs):
                return self._send(request, 200, None)
            handoff = {"id": len(self.emulator.handoffs) + 1, "botId": bot, "userId": body["userId"],
                       "userThreadId": body["userThreadId"], "userChannel": body["userChannel"], "status": "pending"}
            self.emulator.handoffs.append(handoff)
            if self.emulator.transfer_message:
                text = self.emulator.transfer_message[self.emulator.default_language]
                self.emulator.outbox.append({"target": body["userId"], "threadId": body["userThreadId"], "text": text})
        self._send(request, 201, handoff)

    def agents(self, request: Request, bot: str):
        if not self._bot_module(request, bot, "hitlnext"):
            return
        self._send(request, 200, list(self.emulator.agents))

    # ---- sinks and control ---------------------------------------------------
    def webhook_sink(self, request: Request, name: str):
        self.emulator.webhooks.append(request)
        self._send(request, 200, "ok", "text/plain")

    def email_api_sink(self, request: Request):
        self.emulator.email_api.append(request)
        self._send(request, 202, {"id": f"msg-{len(self.emulator.email_api)}"})

    def control_incoming(self, request: Request):
        b = request.body
        self._send(request, 200, self.emulator.incoming(b["botId"], b["channel"], b["target"], b.get("threadId"),
                                                        type=b.get("type", "text"), text=b.get("text", "")))

    def control_agent(self, request: Request):
        """What an agent does in the HITL screen: release (unpause) the conversation,
        or resolve the HITL Next handoff."""
        b = request.body
        with self.emulator.lock:
            session = self.emulator.session_for(b["botId"], b["channel"], b["target"], b.get("threadId"))
            if session and b["action"] in ("pause", "unpause"):
                session.set_paused(b["action"] == "pause")
            for handoff in self.emulator.handoffs:
                if b["action"] == "resolve" and handoff["userThreadId"] == b.get("threadId") and handoff["userId"] == b["target"]:
                    handoff["status"] = "resolved"
        self._send(request, 200, None)

    def control_users(self, request: Request):
        b = request.body
        self.emulator.set_attributes(b["botId"], b["channel"], b["target"], b["attributes"])
        self._send(request, 200, None)


_SEG = r"([^/]+)"
_ROUTES = [
    ("POST", r"/api/v1/auth/login/basic/default", "login", _Handler.login),
    ("GET", r"/version", "version", _Handler.version_info),
    ("GET", r"/status", "status", _Handler.status),
    ("GET", rf"/api/v1/bots/{_SEG}/?", "bot", _Handler.bot_info),
    ("GET", rf"/api/v1/bots/{_SEG}/mod/hitl/sessions", "sessions", _Handler.sessions),
    ("GET", rf"/api/v1/bots/{_SEG}/mod/hitl/sessions/{_SEG}", "session_messages", _Handler.session_messages),
    ("POST", rf"/api/v1/bots/{_SEG}/mod/hitl/sessions/{_SEG}/{_SEG}", "session_action", _Handler.session_action),
    ("POST", rf"/api/v1/bots/{_SEG}/mod/hitl/channel/{_SEG}/user/{_SEG}/{_SEG}", "user_action", _Handler.user_action),
    ("GET", rf"/api/v1/bots/{_SEG}/mod/hitlnext/handoffs", "handoffs", _Handler.handoffs),
    ("POST", rf"/api/v1/bots/{_SEG}/mod/hitlnext/handoffs", "handoffs", _Handler.handoffs),
    ("GET", rf"/api/v1/bots/{_SEG}/mod/hitlnext/agents", "agents", _Handler.agents),
    ("POST", rf"/__sinks/webhook/{_SEG}", "webhook", _Handler.webhook_sink),
    ("POST", r"/__sinks/email-api", "email_api", _Handler.email_api_sink),
    ("POST", r"/__emulator/incoming", "control", _Handler.control_incoming),
    ("POST", r"/__emulator/users", "control", _Handler.control_users),
    ("POST", r"/__emulator/agent", "control", _Handler.control_agent),
]
_PARAMS = {
    "bot": ["bot"], "sessions": ["bot"], "session_messages": ["bot", "session"], "session_action": ["bot", "session", "action"],
    "user_action": ["bot", "channel", "user", "action"], "handoffs": ["bot"], "agents": ["bot"], "webhook": ["name"],
}


def _route(method: str, path: str):
    for route_method, pattern, name, handler in _ROUTES:
        match = re.fullmatch(pattern, path)
        if match and route_method == method:
            return name, handler, dict(zip(_PARAMS.get(name, []), map(unquote, match.groups())))
    return None, None, {}


def _serve_by_hand() -> None:
    """`python tests/support/emulator.py [PORT]`: serve until Ctrl-C, print a server token."""
    import sys

    emulator = HitlEmulator(bots=("support-bot", "helpdesk"))
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0

    class Handler(_Handler):
        pass

    Handler.emulator = emulator
    emulator._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"HITL emulator on {emulator.url}\nserver token: {emulator.issue_token(lifetime_s=86400)}\n"
          f"login: admin@example.com / {emulator.accounts['admin@example.com']}", flush=True)
    try:
        emulator._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    _serve_by_hand()
