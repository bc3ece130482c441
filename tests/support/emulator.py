"""A loopback HTTP server that answers like Botpress 12.22.1 with the hitl and
hitlnext modules (FACTS §6-§8), plus sinks that record webhook and e-mail API calls.

What it answers was read from the modules' code and then checked against a real
12.22.1 server by tests/real/test_contract.py (run both; they must agree):
- login answers `payload.exp` = 3600000 (the token's LIFETIME in ms) and a real JWT
  (HS256, claims email/strategy/tokenVersion/isSuperAdmin/iat/exp/aud) that lasts 1 h;
  a wrong e-mail or password is a 400 InvalidCredentialsError, not a 401;
- `GET /api/v1/admin/user/profile` needs a token, then the X-BP-Workspace header;
- errors are Botpress's JSON `{statusCode, errorCode, type, message, details, docs}`
  (a server in development mode adds showStackInDev/stack/full);
- anything under /api/v1/bots/<unknown bot>/ is 404 "Not Found: Invalid Bot ID",
  whatever the token; a module that is not loaded is Express's `404 Cannot POST /path`
  before any token check; a loaded module checks the token first, then routes;
- HITL session ids are the table's own integers (deliberately far from thread ids);
  a session is created at a user's first message (in OR out); the listing shows
  `isPaused` 0/1, `pausedBy` null then always "operator", the last message in or out;
- `POST .../user/<id>/<action>` pauses only when action is exactly `pause`;
- the worker CRASHES (the connection drops without an answer, the master restarts it)
  on: `.../channel/<c>/user/<u>/<action>` matching no session (a user who never wrote,
  or an unknown threadId: the module reads `sessions[0].id` of an empty result),
  `.../channel/<c>/user/<u>/isPaused` (a missing column), a hitlnext handoff whose body
  fails validation, and a transferMessage sent to a thread the server never saw. A real
  server gives up after its 3rd crash (BP_MAX_SERVER_REBOOT=2); this one keeps going
  and counts them in `crashes`, with the log line in `errors`;
- while paused, hitl swallows `text`, `message` and `quick_reply`; during an active
  hitlnext handoff, hitlnext swallows `text` of that thread.

Test control lives under /__emulator/ (no auth) and on the Python object.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

SWALLOWED_TYPES = {"text", "message", "quick_reply"}
HITLNEXT_SWALLOWED_TYPES = {"text"}
IGNORED_TYPES = {"delivery", "read"}  # hitl records neither
TOKEN_LIFETIME_S = 3600  # a login token, as `ms('1h')` on the real server
DOCS = "https://botpress.com/docs"


def iso(at: float) -> str:
    """A date as Botpress's JSON shows it: 2026-11-23T18:41:39.241Z."""
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(at * 1000) % 1000:03d}Z"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict, secret: bytes) -> str:
    """An HS256 JWT as jsonwebtoken writes it."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def jwt_claims(token: str) -> dict:
    try:
        segment = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError):
        return {}


def agent_id(email: str, strategy: str = "default") -> str:
    """hitlnext's makeAgentId: md5 of "<strategy>-<email>"."""
    return hashlib.md5(f"{strategy}-{email}".encode()).hexdigest()


def error_body(status: int, type_: str, message: str, error_code: str | None = None) -> dict:
    """Botpress's error JSON (production shape; development adds showStackInDev, stack, full)."""
    body = {"statusCode": status, "errorCode": error_code, "type": type_, "message": message, "details": "", "docs": DOCS}
    if error_code is None:  # JSON.stringify drops undefined
        del body["errorCode"]
    return body


def express_404(method: str, path: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n"
            f"<body>\n<pre>Cannot {method} {path}</pre>\n</body>\n</html>\n")


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
    last_heard_on: float = field(default_factory=time.time)

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
        self.secret = secrets.token_bytes(32)
        self.tokens: dict[str, float] = {}  # the tokens it issued, with their expiry
        self.users: dict[tuple, dict] = {}
        self.sessions: list[Session] = []
        self.next_session_id = first_session_id
        self.next_message_id = 1
        self.conversations: set[tuple] = set()  # (bot, thread) the server has seen a message in
        # The event collector stores incoming events in batches (collectionInterval 1s); hitlnext
        # shows a handoff's `userConversation` from that table, so it is {} until then.
        self.event_collection_s = 1.0
        self.events: list[tuple[float, dict]] = []
        self.handoffs: list[dict] = []
        # hitlnext's agents; None = every account is an admin agent, offline until it says
        # otherwise (POST /agents/me/online, per bot), as on a fresh server.
        self.agents: list[dict] | None = None
        self.online: dict[tuple, bool] = {}  # (bot, agentId) -> online
        # hitlnext's config value: texts by language, sent in the bot's DEFAULT language
        # whatever the user's (seen on a real 12.22.1); "" turns it off.
        self.transfer_message: dict | str = {"en": "You are being transferred to an agent.", "fr": "Vous êtes transféré à un agent."}
        self.default_language = "en"
        self.outbox: list[dict] = []  # messages the server itself sent to users
        self.webhooks: list[Request] = []
        self.email_api: list[Request] = []
        self.hitlnext_events: list[Request] = []  # what HITL Next's eventsWebHook posted (12.29+)
        self.requests: list[Request] = []
        self.faults: dict[str, tuple] = {}
        self.crashes = 0
        self.errors: list[str] = []  # what a real server would log as errors
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
    def issue_token(self, lifetime_s: float = TOKEN_LIFETIME_S, email: str = "admin@example.com") -> str:
        """A JWT like the ones Botpress signs; the server token bp.http.getAxiosConfigForBot
        hands an action is one too (lasting 5 min there)."""
        now = time.time()
        claims = {"email": email, "strategy": "default", "tokenVersion": 1, "isSuperAdmin": True,
                  "iat": int(now), "exp": int(now + lifetime_s), "aud": "collaborators"}
        token = make_jwt(claims, self.secret)
        with self.lock:
            self.tokens[token] = now + lifetime_s
        return token

    def fault(self, route: str, kind, **options) -> None:
        """Make `route` (login, profile, sessions, session_action, user_action, handoffs, agents,
        webhook, email_api) answer 401/404/500, 'hang' past the sandbox limit, 'reset', 'redirect'
        (302 elsewhere) or 'html' (200 with a page). `only={"action": "unpause"}` limits it to
        requests whose route parameters have those values."""
        self.faults[route] = (kind, options)

    def remove_module(self, bot: str, module: str) -> None:
        self.bots[bot].discard(module)

    @staticmethod
    def agent(email: str, *, online: bool = False, role: str = "admin") -> dict:
        """An entry of GET /mod/hitlnext/agents as a real 12.22.1 lists it."""
        return {"email": email, "strategy": "default", "role": role, "workspace": "default",
                "attributes": {"created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00"},
                "agentId": agent_id(email), "online": online}

    def incoming(self, bot: str, channel: str, user: str, thread: str | None, *, type: str = "text", text: str = "",
                 payload: dict | None = None) -> dict:
        """The incoming middleware: create the session at the first message, record it,
        and say whether the bot would answer."""
        with self.lock:
            if thread is not None:
                self.conversations.add((bot, thread))
            now = time.time()
            raw = payload if payload is not None else {"type": type, "text": text}
            if type not in IGNORED_TYPES | {"visit", "typing"}:
                self.events.append((now, {"botId": bot, "channel": channel, "createdOn": iso(now), "direction": "incoming", "flags": {},
                                          "id": str(10**15 + secrets.randbelow(9 * 10**15)), "payload": raw, "preview": text,
                                          "suggestions": [], "target": user, "threadId": thread, "type": type}))
            session = None
            if "hitl" in self.bots[bot] and type not in IGNORED_TYPES and user:
                session = self._session(bot, channel, user, thread)
                self._record(session, "in", type, text, payload)
            paused = bool(session and session.paused)
            handoff_active = "hitlnext" in self.bots[bot] and any(
                h for h in self.handoffs if h["botId"] == bot and h["userThreadId"] == thread and h["status"] in ("pending", "assigned"))
            swallowed = (type in SWALLOWED_TYPES and paused) or (type in HITLNEXT_SWALLOWED_TYPES and handoff_active)
            return {"swallowed": swallowed, "sessionId": session.id if session else None}

    def outgoing(self, bot: str, channel: str, user: str, thread: str | None, text: str, *, source: str = "bot") -> None:
        """A message the server sends to a user: hitl's outgoing middleware records it in the
        user's session (creating one if needed)."""
        with self.lock:
            self.outbox.append({"channel": channel, "target": user, "threadId": thread, "text": text, "source": source})
            if "hitl" in self.bots[bot] and user:
                self._record(self._session(bot, channel, user, thread), "out", "text", text, None, source=source)

    def set_attributes(self, bot: str, channel: str, user: str, attributes: dict) -> None:
        with self.lock:
            self.users[(channel, user)] = dict(attributes)

    def session_for(self, bot: str, channel: str, user: str, thread: str | None) -> Session | None:
        with self.lock:
            return self._find_session(bot, channel, user, thread)

    def listing(self, bot: str) -> list[dict]:
        with self.lock:
            found = [s for s in sorted(self.sessions, key=lambda s: -s.last_event_on) if s.bot == bot and s.messages]
            return [self._overview(s) for s in found[:100]]

    # ---- internals -------------------------------------------------------
    def _find_session(self, bot, channel, user, thread):
        for session in self.sessions:
            if (session.bot, session.channel, session.user) == (bot, channel, user) and (thread is None or session.thread == thread):
                return session
        return None

    def _session(self, bot, channel, user, thread) -> Session:
        return self._find_session(bot, channel, user, thread) or self._create_session(bot, channel, user, thread)

    def _create_session(self, bot, channel, user, thread) -> Session:
        attributes = self.users.get((channel, user), {})
        first, last = attributes.get("first_name"), attributes.get("last_name")
        name = attributes.get("full_name") or (first and last and f"{first} {last}") or f"# {secrets.randbelow(10**16)}"
        session = Session(self.next_session_id, bot, channel, user, thread, name)
        self.next_session_id += 7  # ids never line up with thread ids
        self.sessions.append(session)
        return session

    def _record(self, session: Session, direction: str, type_: str, text: str, payload: dict | None, source: str | None = None) -> dict:
        raw = payload if payload is not None else {"type": type_, "text": text}
        now = time.time()
        message = {"id": self.next_message_id, "session_id": session.id, "type": type_,
                   "source": source or ("user" if direction == "in" else "bot"), "text": text if text != "" else None,
                   "raw_message": raw, "direction": direction, "ts": iso(now)}
        self.next_message_id += 1
        session.messages.append(message)
        session.last_event_on = now
        if direction == "out":
            session.last_heard_on = now
        return message

    def _overview(self, s: Session) -> dict:
        last = dict(s.messages[-1])
        last.pop("session_id")
        last["raw_message"] = json.dumps(last["raw_message"], separators=(",", ":"))  # the listing does not parse it
        return {
            "id": s.id, "botId": s.bot, "channel": s.channel, "threadId": s.thread, "lastEventOn": iso(s.last_event_on),
            "lastHeardOn": iso(s.last_heard_on), "isPaused": int(s.paused), "pausedBy": s.paused_trigger, "lastMessage": last,
            "user": {"id": s.user, "fullName": s.full_name, "avatarUrl": None, "attributes": self.users.get((s.channel, s.user), {})},
        }

    def _known_user(self, channel: str, user: str) -> dict | None:
        """hitlnext joins srv_channel_users on the user id alone."""
        if (channel, user) in self.users:
            return {"id": user, "attributes": self.users[(channel, user)]}
        for (other_channel, other_user), attributes in self.users.items():
            if other_user == user:
                return {"id": user, "attributes": attributes}
        if any(s.user == user for s in self.sessions):
            return {"id": user, "attributes": {}}
        return None

    def _user_conversation(self, thread: str) -> dict:
        """The thread's last incoming text event once the collector stored it (the real query
        takes the highest event id, a random number: the same when there is one)."""
        stored = [(at, e) for at, e in self.events if e["threadId"] == thread and e["type"] == "text"
                  and at + self.event_collection_s <= time.time()]
        if not stored:
            return {}
        at, event = stored[-1]
        return {"id": event["id"], "direction": "incoming", "botId": event["botId"], "channel": event["channel"], "success": None,
                "createdOn": iso(at + self.event_collection_s), "threadId": thread, "type": "text", "event": dict(event)}

    def _handoff_view(self, handoff: dict) -> dict:
        view = dict(handoff)
        view["comments"] = []
        user = self._known_user(handoff["userChannel"], handoff["userId"])
        if user:
            view["user"] = user
        view["userConversation"] = self._user_conversation(handoff["userThreadId"])
        return view

    def _transfer_text(self) -> str | None:
        message = self.transfer_message
        if isinstance(message, dict):
            return message.get(self.default_language)
        return message or None


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
        fault = emulator.faults.get(route) if route else None
        if fault and _fault_applies(fault[1], params) and self._apply_fault(request, *fault):
            return
        bot_path = re.fullmatch(r"/api/v1/bots/([^/]+)(/.*)?", parts.path)
        if bot_path:
            # Botpress checks the bot before anything else (checkBotVisibility), token or not.
            if unquote(bot_path.group(1)) not in emulator.bots:
                return self._send(request, 404, error_body(404, "NotFoundError", "Not Found: Invalid Bot ID", "BP_0044"))
            module = re.match(r"/mod/([^/]+)", bot_path.group(2) or "")
            if module:
                # A module's router exists only if it is loaded, and checks the token itself.
                if module.group(1) not in emulator.bots[unquote(bot_path.group(1))]:
                    return self._not_found(request)
                if not self._authorized(request):
                    return
        if handler is None:
            return self._not_found(request)
        handler(self, request, **params)

    def _not_found(self, request: Request) -> None:
        self._send(request, 404, express_404(request.method, request.path), "text/html; charset=utf-8")

    def _apply_fault(self, request: Request, kind, options) -> bool:
        if kind == "hang":
            time.sleep(options.get("seconds", 6))
            return False
        if kind == "reset":
            self._drop(request)
            return True
        if kind == "redirect":  # a proxy or single sign-on in front of the bot's API
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/login")
            self.send_header("Content-Length", "0")
            self.end_headers()
            request.status = 302
            return True
        if kind == "html":  # something else answering 200 with a page
            self._send(request, 200, "<!doctype html><title>Sign in</title>", "text/html; charset=utf-8")
            return True
        self._send(request, int(kind), {"statusCode": int(kind), "message": f"emulated fault {kind}"})
        return True

    def _drop(self, request: Request) -> None:
        request.status = -1
        self.close_connection = True
        self.connection.close()

    def _crash(self, request: Request | None, reason: str) -> None:
        """An unhandled rejection: the worker dies (its connections drop) and is restarted."""
        with self.emulator.lock:
            self.emulator.crashes += 1
            self.emulator.errors.append(f"Launcher Unhandled Rejection {reason}")
        if request is not None:
            self._drop(request)

    def _send(self, request: Request, status: int, payload=None, content_type="application/json; charset=utf-8") -> None:
        request.status = status
        if payload is None:  # Express's res.sendStatus
            data = HTTPStatus(status).phrase.encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        elif isinstance(payload, str):
            data = payload.encode("utf-8")
        elif isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self, request: Request) -> bool:
        """checkTokenHeader: the header, its scheme, the token, then the token itself."""
        header = request.headers.get("authorization")
        if not header:
            return self._unauthorized(request, "Authorization header is missing")
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "bearer":
            return self._unauthorized(request, f"Unknown scheme \"{scheme}\"")
        token = rest.split(" ")[0]
        if not token:
            return self._unauthorized(request, "Authentication token is missing")
        expiry = self.emulator.tokens.get(token)
        if expiry is None or expiry < time.time():
            return self._unauthorized(request, "Invalid authentication token")
        return True

    def _unauthorized(self, request: Request, why: str) -> bool:
        self._send(request, 401, error_body(401, "UnauthorizedError", f"Unauthorized: {why}", "BP_0041"))
        return False

    # ---- Botpress core ---------------------------------------------------
    def login(self, request: Request):
        body = request.body
        if not isinstance(body, dict):
            return self._send(request, 400, error_body(400, "entity.parse.failed", "Unexpected token in JSON"))
        if not body.get("email"):
            self.emulator.errors.append("HTTP [BasicStrategy] Async request error Email and Strategy are mandatory")
            return self._send(request, 400, error_body(400, "Error", "Email and Strategy are mandatory"))
        if not body.get("password") or self.emulator.accounts.get(body.get("email")) != body.get("password"):
            return self._send(request, 400, error_body(400, "InvalidCredentialsError", "Invalid credentials", "BP_0009"))
        token = self.emulator.issue_token(email=body["email"])
        self._send(request, 200, {"status": "success", "message": "Login successful",
                                  "payload": {"jwt": token, "exp": TOKEN_LIFETIME_S * 1000}})

    def profile(self, request: Request):
        if not self._authorized(request):
            return
        if not request.headers.get("x-bp-workspace"):
            return self._send(request, 400, error_body(400, "InvalidOperationError",
                                                       "Invalid operation: Workspace is missing. Set header X-BP-Workspace", "BP_0006"))
        email = jwt_claims(request.headers["authorization"].split(" ")[1]).get("email")
        self._send(request, 200, {"status": "success", "message": "Retrieved profile successfully",
                                  "payload": {"email": email, "strategyType": "basic", "strategy": "default", "isSuperAdmin": True,
                                              "fullName": "", "permissions": [{"res": "*", "op": "+r+w"}]}})

    def bot_info(self, request: Request, bot: str):
        if not self._authorized(request):
            return
        self._send(request, 200, {"locked": False, "disabled": False, "private": False, "details": {}, "active": True,
                                  "version": self.emulator.version, "id": bot, "name": bot,
                                  "defaultLanguage": self.emulator.default_language, "languages": [self.emulator.default_language]})

    def version_info(self, request: Request):  # Botpress sends the bare version string
        self._send(request, 200, self.emulator.version, "text/html; charset=utf-8")

    def status(self, request: Request):
        self._send(request, 200, {"botpress": "up"})

    # ---- hitl (the token was checked in _dispatch) ---------------------------
    def sessions(self, request: Request, bot: str):
        items = self.emulator.listing(bot)
        if request.query.get("pausedOnly") == "true":
            items = [s for s in items if s["isPaused"]]
        search = (request.query.get("searchText") or "").lower()
        if search:  # full_name, the user id or the full_name attribute, SQL LIKE (ASCII case-insensitive)
            items = [s for s in items if search in (s["user"]["fullName"] or "").lower() or search in s["user"]["id"].lower()
                     or search in str(s["user"]["attributes"].get("full_name") or "").lower()]
        self._send(request, 200, items)

    def session_messages(self, request: Request, bot: str, session: str):
        found = next((s for s in self.emulator.sessions if str(s.id) == session), None)
        self._send(request, 200, found.messages[-100:] if found else [])

    def session_action(self, request: Request, bot: str, session: str, action: str):
        with self.emulator.lock:
            found = next((s for s in self.emulator.sessions if str(s.id) == session), None)
            if action == "isPaused":  # res.send(undefined) for an unknown id: an empty 200
                return self._send(request, 200, found.paused if found else b"", "application/json; charset=utf-8" if found else None)
            if action == "message":
                if not found:
                    return self._send(request, 404, None)
                text = request.body.get("message") if isinstance(request.body, dict) else None
                self.emulator.outgoing(found.bot, found.channel, found.user, found.thread, text, source="agent")
                return self._send(request, 200, None)
            if found:  # an unknown id updates nothing and still answers 200, like the real UPDATE
                found.set_paused(action == "pause")
        self._send(request, 200, None)

    def user_action(self, request: Request, bot: str, channel: str, user: str, action: str):
        if action == "isPaused":  # queries a column that does not exist: the worker dies
            return self._crash(request, "[Error, select `paused` from `hitl_sessions` ... SQLITE_ERROR: no such column: threadId]")
        thread = request.query.get("threadId")
        with self.emulator.lock:
            matches = [s for s in self.emulator.sessions if (s.bot, s.channel, s.user) == (bot, channel, user)
                       and (not thread or s.thread == thread)]
            if not matches:  # parseInt(sessions[0].id) of an empty result, in an unguarded async route
                return self._crash(request, "[TypeError, Cannot read property 'id' of undefined]")
            for session in matches:
                session.set_paused(action == "pause")
        self._send(request, 200, None)

    # ---- hitlnext ----------------------------------------------------------
    def handoffs(self, request: Request, bot: str):
        emulator = self.emulator
        if request.method == "GET":
            with emulator.lock:
                return self._send(request, 200, [emulator._handoff_view(h) for h in emulator.handoffs if h["botId"] == bot])
        body = request.body if isinstance(request.body, dict) else {}
        for key in ("userId", "userThreadId", "userChannel"):  # Joi, in schema order
            value = body.get(key)
            problem = ("is required" if value is None else "must be a string" if not isinstance(value, str)
                       else "is not allowed to be empty" if value == "" else None)
            if problem:  # the route's errorMiddleware rethrows Joi errors: an unhandled rejection
                return self._crash(request, f"[undefined, \"{key}\" {problem}]")
        with emulator.lock:
            key = (bot, body["userId"], body["userThreadId"], body["userChannel"])
            if any((h["botId"], h["userId"], h["userThreadId"], h["userChannel"]) == key and h["status"] in ("pending", "assigned")
                   for h in emulator.handoffs):
                return self._send(request, 200, None)
            now = iso(time.time())
            handoff = {"id": len(emulator.handoffs) + 1, "botId": bot, "agentId": None, "userId": body["userId"],
                       "userThreadId": body["userThreadId"], "userChannel": body["userChannel"], "agentThreadId": None,
                       "status": "pending", "tags": None, "assignedAt": None, "resolvedAt": None, "createdAt": now, "updatedAt": now}
            emulator.handoffs.append(handoff)
            view = emulator._handoff_view(handoff)
            text = emulator._transfer_text()
            # The message is sent after the answer; storing it needs a conversation the server
            # knows, else the worker dies just after the 201 (counted now, so tests see it at once).
            if text and (bot, body["userThreadId"]) not in emulator.conversations:
                self._crash(None, "[Error, insert into `messages` ... SQLITE_CONSTRAINT: FOREIGN KEY constraint failed]")
            elif text:
                emulator.outgoing(bot, body["userChannel"], body["userId"], body["userThreadId"], text)
        self._send(request, 201, view)

    def agents(self, request: Request, bot: str):
        agents = self.emulator.agents
        if agents is None:
            agents = [HitlEmulator.agent(email, online=self.emulator.online.get((bot, agent_id(email)), False))
                      for email in self.emulator.accounts]
        self._send(request, 200, list(agents))

    def agent_online(self, request: Request, bot: str):
        """What the agent screen's toggle posts: the token's user goes on- or offline for this bot."""
        online = request.body.get("online") if isinstance(request.body, dict) else None
        email = jwt_claims(request.headers["authorization"].split(" ")[1]).get("email")
        with self.emulator.lock:
            self.emulator.online[(bot, agent_id(email))] = bool(online)
        self._send(request, 200, {"online": online})

    # ---- sinks and control ---------------------------------------------------
    def webhook_sink(self, request: Request, name: str):
        self.emulator.webhooks.append(request)
        self._send(request, 200, "ok", "text/plain")

    def hitlnext_events_sink(self, request: Request):
        self.emulator.hitlnext_events.append(request)
        self._send(request, 200, "ok", "text/plain")

    def email_api_sink(self, request: Request):
        self.emulator.email_api.append(request)
        self._send(request, 202, {"id": f"msg-{len(self.emulator.email_api)}"})

    def control_incoming(self, request: Request):
        b = request.body
        self._send(request, 200, self.emulator.incoming(b["botId"], b["channel"], b["target"], b.get("threadId"),
                                                        type=b.get("type", "text"), text=b.get("text", ""),
                                                        payload=b.get("payload")))

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
                    handoff["resolvedAt"] = handoff["updatedAt"] = iso(time.time())
        self._send(request, 200, None)

    def control_users(self, request: Request):
        b = request.body
        self.emulator.set_attributes(b["botId"], b["channel"], b["target"], b["attributes"])
        self._send(request, 200, None)


_SEG = r"([^/]+)"
_ROUTES = [
    ("POST", r"/api/v1/auth/login/basic/default", "login", _Handler.login),
    ("GET", r"/api/v1/admin/user/profile", "profile", _Handler.profile),
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
    ("POST", rf"/api/v1/bots/{_SEG}/mod/hitlnext/agents/me/online", "agents", _Handler.agent_online),
    ("POST", rf"/__sinks/webhook/{_SEG}", "webhook", _Handler.webhook_sink),
    ("POST", r"/__sinks/email-api", "email_api", _Handler.email_api_sink),
    ("POST", r"/__sinks/hitlnext-events", "hitlnext_events", _Handler.hitlnext_events_sink),
    ("POST", r"/__emulator/incoming", "control", _Handler.control_incoming),
    ("POST", r"/__emulator/users", "control", _Handler.control_users),
    ("POST", r"/__emulator/agent", "control", _Handler.control_agent),
]
_PARAMS = {
    "bot": ["bot"], "sessions": ["bot"], "session_messages": ["bot", "session"], "session_action": ["bot", "session", "action"],
    "user_action": ["bot", "channel", "user", "action"], "handoffs": ["bot"], "agents": ["bot"], "webhook": ["name"],
}


def _fault_applies(options: dict, params: dict) -> bool:
    return all(params.get(name) == value for name, value in options.get("only", {}).items())


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


def alert_sink_env(http, smtp) -> dict[str, str]:
    """The EXPOSED_* variables of a server whose alerts go to the sinks: the webhook and
    e-mail API sinks of `http` (an emulator) and the SMTP sink `smtp`."""
    return {
        "EXPOSED_SLACK_WEBHOOK": f"{http.url}/__sinks/webhook/slack",
        "EXPOSED_TEAMS_WEBHOOK": f"{http.url}/__sinks/webhook/teams",
        "EXPOSED_JSON_WEBHOOK": f"{http.url}/__sinks/webhook/json",
        "EXPOSED_MAIL_API_URL": f"{http.url}/__sinks/email-api",
        "EXPOSED_MAIL_API_KEY": "test-mail-key",
        "EXPOSED_SMTP_URL": smtp.url,
    }
