"""Keep the double honest: each scenario runs, word for word, against a real Botpress
12.22.1 (the session's `botpress`) and against tests/support/emulator.py, and what
the two say must be the same: status codes, content types, error bodies, key sets and
the values that mean something (never ids, dates or random names).

Scenarios that crash the real server's worker run on a private server (`crashing`):
a 12.22.1 gives up after its second automatic restart, and the session's server is
shared with every other real test. The channel/user `isPaused` route is never called
on a real server here (it crashes the worker, FACTS §6; the emulator models it anyway).

Each test keeps the real server's log clean (no error line, no restart) except where a
comment names the line the real server logs by design.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hitl_gen.client import BotpressClient, token_expiry
from support.emulator import HitlEmulator, agent_id
from support.real_server import RealBotpress

BOT = "contract-bot"
QUIET = "contract-quiet"  # config/hitlnext.json {"transferMessage": ""}
FRENCH = "contract-fr"    # a single-language bot whose default language is fr
LOGIN = "/api/v1/auth/login/basic/default"
PROFILE = "/api/v1/admin/user/profile"
DEV_ONLY = {"showStackInDev", "stack", "full"}  # what a server in development mode adds to its error JSON
TRANSFER = {"en": "You are being transferred to an agent.", "fr": "Vous êtes transféré à un agent."}


# ---- the two sides -------------------------------------------------------------
class Side:
    """One server answering a scenario through plain HTTP."""

    name = "side"

    def __init__(self, url: str, email: str, password: str):
        self.url, self.email, self.password = url, email, password
        self.http = httpx.Client(base_url=url, timeout=30)
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def token(self) -> str:
        if not self._token:
            answer = self.http.post(LOGIN, json={"email": self.email, "password": self.password})
            answer.raise_for_status()
            self._token = answer.json()["payload"]["jwt"]
        return self._token

    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token()}"}

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.http.post(path, **kwargs)

    def listing(self, bot: str, **params) -> list[dict]:
        answer = self.get(f"/api/v1/bots/{bot}/mod/hitl/sessions", params=params, headers=self.auth())
        answer.raise_for_status()
        return answer.json()

    def session(self, bot: str, user: str) -> dict | None:
        found = [s for s in self.listing(bot) if s["channel"] == "api" and s["user"]["id"] == user]
        return found[0] if found else None

    def messages(self, bot: str, session_id) -> list[dict]:
        return self.get(f"/api/v1/bots/{bot}/mod/hitl/sessions/{session_id}", headers=self.auth()).json()

    def converse(self, bot: str, user: str) -> str:
        """The user says "hi" on the Converse API (channel api) and the bot answers;
        returns the conversation's threadId."""
        raise NotImplementedError

    def events_stored(self) -> None:
        """Wait until the event collector has stored the events so far (collectionInterval 1s)."""
        raise NotImplementedError


class Real(Side):
    name = "real"

    def __init__(self, server: RealBotpress):
        super().__init__(server.url, server.email, server.password)
        self.server = server

    def converse(self, bot: str, user: str) -> str:
        assert self.server.converse(bot, user, "hi"), f"{bot} did not answer"
        return self.session(bot, user)["threadId"]

    def events_stored(self) -> None:
        time.sleep(2.5)  # a flush every second, whenever the last one was


class Double(Side):
    name = "emulator"

    def __init__(self, emulator: HitlEmulator, email: str, password: str):
        emulator.accounts = {email: password}
        super().__init__(emulator.url, email, password)
        self.emulator = emulator

    def converse(self, bot: str, user: str) -> str:
        thread = str(uuid.uuid4())  # the Converse API's threadId is a UUID
        self.emulator.incoming(bot, "api", user, thread, text="hi")
        self.emulator.outgoing(bot, "api", user, thread, "What would you like to know?")  # the bot's answer
        return thread

    def events_stored(self) -> None:
        time.sleep(self.emulator.event_collection_s + 0.1)


def new_user(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def answer(response: httpx.Response):
    """What a response says: status, media type and body (error JSON without the
    development-mode keys)."""
    media = (response.headers.get("content-type") or "").split(";")[0] or None
    body = response.text
    if media == "application/json" and body:
        body = response.json()
        if isinstance(body, dict) and "statusCode" in body:
            body = {k: v for k, v in body.items() if k not in DEV_ONLY}
    return {"status": response.status_code, "media": media, "body": body}


def claims(jwt: str) -> tuple[dict, dict]:
    head, body = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in jwt.split(".")[:2])
    return head, body


# ---- fixtures --------------------------------------------------------------------
def add_french(bot_dir: Path) -> None:
    """The welcome bot's texts exist in English only; give each a $fr twin so the
    French bot answers without a rendering error."""
    for path in (bot_dir / "content-elements").glob("*.json"):
        elements = json.loads(path.read_text(encoding="utf-8"))
        for element in elements:
            form = element["formData"]
            form.update({key[:-3] + "$fr": value for key, value in list(form.items()) if key.endswith("$en")})
        path.write_text(json.dumps(elements, indent=2, ensure_ascii=False), encoding="utf-8")


def mounted(server: RealBotpress, bot: str) -> None:
    """Wait until the bot's module routes answer (a reload right after a creation is not
    what the Admin does, so give the server the time a person would)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if server.http.get(f"/api/v1/bots/{bot}/mod/hitl/sessions", headers=server.bot_api(bot)).status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"bot {bot} never answered:\n{server.log_tail(60)}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def bots(botpress):
    botpress.create_bot(BOT)
    quiet = botpress.create_bot(QUIET)
    mounted(botpress, QUIET)
    (quiet / "config").mkdir(exist_ok=True)
    (quiet / "config" / "hitlnext.json").write_text(json.dumps({"transferMessage": ""}), encoding="utf-8")
    botpress.reload(QUIET)
    french = botpress.create_bot(FRENCH)
    mounted(botpress, FRENCH)
    config = json.loads((french / "bot.config.json").read_text(encoding="utf-8"))
    config.update(languages=["fr"], defaultLanguage="fr")  # one language only: Community refuses more
    (french / "bot.config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    add_french(french)
    botpress.reload(FRENCH)
    for bot in (BOT, QUIET, FRENCH):
        mounted(botpress, bot)
    return BOT, QUIET, FRENCH


@pytest.fixture
def real(botpress, bots):
    side = Real(botpress)
    mark = botpress.log_mark()
    yield side
    side.close()
    assert botpress.restarts(mark) == 0, botpress.log_since(mark)


@pytest.fixture
def double(botpress, bots):
    emulator = HitlEmulator(bots=bots).start()
    side = Double(emulator, botpress.email, botpress.password)
    yield side
    side.close()
    emulator.stop()


def clean(botpress: RealBotpress, mark: int) -> None:
    assert botpress.log_errors(mark) == [], botpress.log_since(mark)


# ---- 1. login ------------------------------------------------------------------------
def login_scenario(side: Side) -> dict:
    seen = {}
    before = time.time()
    ok = side.post(LOGIN, json={"email": side.email, "password": side.password})
    body = ok.json()
    jwt, exp = body["payload"]["jwt"], body["payload"]["exp"]
    head, claim = claims(jwt)
    seen["ok"] = (ok.status_code, sorted(body), body["status"], body["message"], sorted(body["payload"]), exp)
    seen["jwt"] = (head, sorted(claim), claim["email"] == side.email, claim["exp"] - claim["iat"], claim["aud"],
                   before - 5 <= claim["iat"] <= time.time() + 5)
    seen["client expiry (min)"] = round((token_expiry(jwt, exp, before) - before) / 60)
    seen["token works"] = side.get(f"/api/v1/bots/{BOT}/mod/hitl/sessions", headers={"Authorization": f"Bearer {jwt}"}).status_code
    forged = jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB")
    seen["forged"] = answer(side.get(f"/api/v1/bots/{BOT}/mod/hitl/sessions", headers={"Authorization": f"Bearer {forged}"}))
    seen["wrong password"] = answer(side.post(LOGIN, json={"email": side.email, "password": "not-the-password"}))
    seen["unknown email"] = answer(side.post(LOGIN, json={"email": "nobody@example.com", "password": "x"}))
    seen["no email"] = answer(side.post(LOGIN, json={"password": "x"}))
    seen["GET login"] = answer(side.get(LOGIN))
    with BotpressClient(side.url) as client:
        token = client.login(side.email, side.password)
        seen["BotpressClient.login (min)"] = round((token.expires_at - before) / 60)
    return seen


def test_login_answers_a_lifetime_in_ms_and_a_jwt_with_an_exp_claim(botpress, real, double):
    mark = botpress.log_mark()
    found = login_scenario(real)
    assert found == login_scenario(double)
    assert found["ok"][-1] == 3_600_000 and found["jwt"][3] == 3600 and found["client expiry (min)"] == 60
    assert found["wrong password"]["status"] == 400  # not 401
    # By design the real server logs a login without an e-mail as an error (core's BasicStrategy
    # rethrows "Email and Strategy are mandatory"): that line and its stack's first line only.
    errors = botpress.log_errors(mark)
    assert errors and all("Email and Strategy are mandatory" in line for line in errors), botpress.log_since(mark)
    assert double.emulator.errors == ["HTTP [BasicStrategy] Async request error Email and Strategy are mandatory"]


# ---- 2. profile ---------------------------------------------------------------------
def profile_scenario(side: Side) -> dict:
    workspace = {"X-BP-Workspace": "default"}
    with BotpressClient(side.url, token=side.token()) as client:
        from_client = client.profile()
    return {
        "ok": answer(side.get(PROFILE, headers={**side.auth(), **workspace})),
        "no workspace": answer(side.get(PROFILE, headers=side.auth())),
        "no token": answer(side.get(PROFILE, headers=workspace)),
        "forged token": answer(side.get(PROFILE, headers={"Authorization": "Bearer abc.def.ghi", **workspace})),
        "before 12.20": answer(side.get("/api/v1/auth/me/profile", headers={**side.auth(), **workspace})),
        "BotpressClient.profile": from_client,
    }


def test_the_profile_route_proves_a_token(botpress, real, double):
    mark = botpress.log_mark()
    found = profile_scenario(real)
    assert found == profile_scenario(double)
    assert found["ok"]["body"]["message"] == "Retrieved profile successfully"
    assert found["ok"]["body"]["payload"]["email"] == botpress.email and found["no token"]["status"] == 401
    clean(botpress, mark)


# ---- 3. no token, wrong paths, the core routes ------------------------------------------------
def paths_scenario(side: Side) -> dict:
    base = f"/api/v1/bots/{BOT}"
    auth = side.auth()
    bot = side.get(f"{base}/", headers=auth).json()
    return {
        "sessions, no header": answer(side.get(f"{base}/mod/hitl/sessions")),
        "pause, no header": answer(side.post(f"{base}/mod/hitl/channel/api/user/someone/pause")),
        "hitlnext, no header": answer(side.get(f"{base}/mod/hitlnext/agents")),
        "Bearer alone": answer(side.get(f"{base}/mod/hitl/sessions", headers={"Authorization": "Bearer"})),
        "Basic scheme": answer(side.get(f"{base}/mod/hitl/sessions", headers={"Authorization": "Basic abc"})),
        "forum path": answer(side.post("/mod/hitl/sessions/156085638552453280/pause", headers=auth)),
        "seed doc path": answer(side.post(f"{base}/mod/assets/hitl/sessions/12/pause", headers=auth)),
        "seed doc path, no header": answer(side.post(f"{base}/mod/assets/hitl/sessions/12/pause")),
        "hitl unknown, no header": answer(side.post(f"{base}/mod/hitl/nonsense")),
        "hitl unknown": answer(side.post(f"{base}/mod/hitl/nonsense", headers=auth)),
        "GET a POST route": answer(side.get(f"{base}/mod/hitl/channel/api/user/someone/pause", headers=auth)),
        "bot route unknown": answer(side.get(f"{base}/nosuchroute", headers=auth)),
        "status": answer(side.get("/status")),
        "version": answer(side.get("/version")),
        "bot": {k: bot[k] for k in ("id", "name", "defaultLanguage", "languages", "disabled", "private", "version")},
        "bot, no header": answer(side.get(f"{base}/")),
    }


def test_no_token_and_wrong_paths(botpress, real, double):
    mark = botpress.log_mark()
    found = paths_scenario(real)
    assert found == paths_scenario(double)
    assert found["sessions, no header"]["body"]["message"] == "Unauthorized: Authorization header is missing"
    assert found["forum path"]["body"].count("Cannot POST /mod/hitl/sessions/156085638552453280/pause") == 1
    clean(botpress, mark)


def unknown_session_scenario(side: Side) -> dict:
    base = f"/api/v1/bots/{BOT}/mod/hitl/sessions/987654"
    return {
        "messages": answer(side.get(base, headers=side.auth())),
        "pause": answer(side.post(f"{base}/pause", headers=side.auth())),
        "isPaused": answer(side.post(f"{base}/isPaused", headers=side.auth())),
        "message": answer(side.post(f"{base}/message", json={"message": "hello"}, headers=side.auth())),
    }


def test_session_id_routes_for_an_id_that_does_not_exist(botpress, real, double):
    mark = botpress.log_mark()
    found = unknown_session_scenario(real)
    assert found == unknown_session_scenario(double)
    assert found["pause"]["body"] == "OK"  # the forum's "it paused something": an UPDATE of nothing is still a 200
    clean(botpress, mark)


# ---- 4. pause, the listing, unpause ---------------------------------------------------------
def pause_scenario(side: Side) -> dict:
    user = new_user("pause")
    thread = side.converse(BOT, user)
    auth, seen = side.auth(), {}
    route = f"/api/v1/bots/{BOT}/mod/hitl/channel/api/user/{user}"
    seen["pause"] = answer(side.post(f"{route}/pause", params={"threadId": thread}, headers=auth))
    session = side.session(BOT, user)
    seen["keys"] = (sorted(session), sorted(session["user"]), sorted(session["lastMessage"]))
    seen["values"] = {
        "isPaused": session["isPaused"], "pausedBy": session["pausedBy"], "botId": session["botId"], "channel": session["channel"],
        "threadId is the conversation's": session["threadId"] == thread, "threadId type": type(session["threadId"]).__name__,
        "id type": type(session["id"]).__name__, "fullName is random": session["user"]["fullName"].startswith("# "),
        "attributes type": type(session["user"]["attributes"]).__name__, "avatarUrl": session["user"]["avatarUrl"],
        "lastMessage": (session["lastMessage"]["direction"], session["lastMessage"]["source"],
                        type(session["lastMessage"]["raw_message"]).__name__),
        "dates": all(session[k].endswith("Z") for k in ("lastEventOn", "lastHeardOn")),
    }
    seen["pausedOnly"] = [s["user"]["id"] == user for s in side.listing(BOT, pausedOnly="true") if s["user"]["id"] == user]
    seen["search by user id"] = [s["user"]["id"] == user for s in side.listing(BOT, searchText=user)]
    seen["search, no match"] = side.listing(BOT, searchText="zz-no-such-user-zz")
    sid = session["id"]
    first = side.messages(BOT, sid)[0]
    seen["message"] = (sorted(first), first["session_id"] == sid, first["direction"], first["source"], first["type"], first["text"],
                       first["raw_message"])
    seen["isPaused by id"] = answer(side.post(f"/api/v1/bots/{BOT}/mod/hitl/sessions/{sid}/isPaused", headers=auth))
    seen["unpause"] = answer(side.post(f"{route}/unpause", params={"threadId": thread}, headers=auth))
    after = side.session(BOT, user)
    seen["after unpause"] = (after["isPaused"], after["pausedBy"])
    seen["pause by id"] = answer(side.post(f"/api/v1/bots/{BOT}/mod/hitl/sessions/{sid}/pause", headers=auth))
    seen["after pause by id"] = side.session(BOT, user)["isPaused"]
    seen["unpause by id"] = answer(side.post(f"/api/v1/bots/{BOT}/mod/hitl/sessions/{sid}/unpause", headers=auth))
    seen["isPaused by id, after"] = answer(side.post(f"/api/v1/bots/{BOT}/mod/hitl/sessions/{sid}/isPaused", headers=auth))
    seen["every thread"] = answer(side.post(f"{route}/pause", headers=auth))  # no threadId: all of the user's sessions
    seen["after every thread"] = side.session(BOT, user)["isPaused"]
    side.post(f"{route}/unpause", headers=auth)
    return seen


def test_pause_the_listing_and_unpause(botpress, real, double):
    mark = botpress.log_mark()
    found = pause_scenario(real)
    assert found == pause_scenario(double)
    assert found["pause"] == {"status": 200, "media": "text/plain", "body": "OK"}
    assert found["values"]["isPaused"] == 1 and found["values"]["pausedBy"] == "operator"
    assert found["values"]["threadId type"] == "str" and found["after unpause"] == (0, "operator")
    clean(botpress, mark)


# ---- 6. any other word unpauses ---------------------------------------------------------
def words_scenario(side: Side) -> dict:
    user = new_user("words")
    thread = side.converse(BOT, user)
    route = f"/api/v1/bots/{BOT}/mod/hitl/channel/api/user/{user}"
    seen = {}
    for word in ("stop", "PAUSE", "hold", "pause", "unpause"):
        side.post(f"{route}/pause", params={"threadId": thread}, headers=side.auth())
        said = answer(side.post(f"{route}/{word}", params={"threadId": thread}, headers=side.auth()))
        session = side.session(BOT, user)
        seen[word] = (said, session["isPaused"], session["pausedBy"])
    side.post(f"{route}/unpause", params={"threadId": thread}, headers=side.auth())
    return seen


def test_any_word_but_pause_unpauses(botpress, real, double):
    mark = botpress.log_mark()
    found = words_scenario(real)
    assert found == words_scenario(double)
    assert [found[w][1] for w in ("stop", "PAUSE", "hold", "pause", "unpause")] == [0, 0, 0, 1, 0]
    clean(botpress, mark)


# ---- 7. hitlnext ---------------------------------------------------------------------------
def last_messages(side: Side, bot: str, user: str, *, expect: str | None, seconds: float = 5) -> list[tuple]:
    """The user's session messages once the transfer message is in (it is sent after the
    201), or after `seconds` when none is expected."""
    deadline = time.monotonic() + seconds
    while True:
        session = side.session(bot, user)
        messages = side.messages(bot, session["id"]) if session else []
        texts = [m["text"] for m in messages]
        if (expect and expect in texts) or time.monotonic() > deadline:
            return [(m["direction"], m["source"], m["text"]) for m in messages if m["direction"] == "out" and m["text"]][-1:]
        time.sleep(0.1)


def hitlnext_scenario(side: Side) -> dict:
    user = new_user("next")
    thread = side.converse(BOT, user)
    side.events_stored()
    base = f"/api/v1/bots/{BOT}/mod/hitlnext"
    body = {"userId": user, "userThreadId": thread, "userChannel": "api"}
    created = side.post(f"{base}/handoffs", json=body, headers=side.auth())
    handoff = created.json()
    seen = {
        "created": (created.status_code, sorted(handoff)),
        "values": {k: handoff[k] for k in ("botId", "agentId", "userChannel", "agentThreadId", "status", "tags", "assignedAt",
                                          "resolvedAt", "comments")},
        # the user's last text, once the event collector stored it
        "userConversation": (sorted(handoff["userConversation"]), handoff["userConversation"]["threadId"] == thread,
                             {k: handoff["userConversation"][k] for k in ("direction", "botId", "channel", "success", "type")},
                             {k: handoff["userConversation"]["event"][k] for k in ("direction", "type", "payload", "preview", "channel")},
                             handoff["userConversation"]["event"]["target"] == user),
        "who": (handoff["userId"] == user, handoff["userThreadId"] == thread, sorted(handoff["user"]), handoff["user"]["id"] == user),
        "dates": all(isinstance(handoff[k], str) and handoff[k].endswith("Z") for k in ("createdAt", "updatedAt")),
        "again": answer(side.post(f"{base}/handoffs", json=body, headers=side.auth())),
        "transfer message": last_messages(side, BOT, user, expect=TRANSFER["en"]),
    }
    listed = [h for h in side.get(f"{base}/handoffs", headers=side.auth()).json() if h["userId"] == user]
    seen["listed"] = [(sorted(h), h["status"], h["id"] == handoff["id"]) for h in listed]
    agents = side.get(f"{base}/agents", headers=side.auth()).json()
    seen["agents"] = [(sorted(a), a["email"] == side.email, a["agentId"] == agent_id(side.email), a["role"], a["online"],
                       a["strategy"], a["workspace"], sorted(a["attributes"])) for a in agents]
    for online in (True, False):  # the agent screen's toggle, for this bot only
        said = answer(side.post(f"{base}/agents/me/online", json={"online": online}, headers=side.auth()))
        seen[f"online {online}"] = (said, [a["online"] for a in side.get(f"{base}/agents", headers=side.auth()).json()])
    return seen


def test_hitlnext_handoff_and_agents(botpress, real, double):
    mark = botpress.log_mark()
    found = hitlnext_scenario(real)
    assert found == hitlnext_scenario(double)
    assert found["created"][0] == 201 and found["values"]["status"] == "pending"
    assert found["again"] == {"status": 200, "media": "text/plain", "body": "OK"}
    assert found["transfer message"] == [("out", "bot", TRANSFER["en"])]
    assert found["online True"][1] == [True] and found["online False"][1] == [False]
    clean(botpress, mark)


def transfer_scenario(side: Side, bot: str, expect: str | None) -> dict:
    user = new_user("transfer")
    thread = side.converse(bot, user)
    created = side.post(f"/api/v1/bots/{bot}/mod/hitlnext/handoffs", json={"userId": user, "userThreadId": thread, "userChannel": "api"},
                        headers=side.auth())
    return {"status": created.status_code,
            "last bot message": last_messages(side, bot, user, expect=expect, seconds=1.5 if expect is None else 5)}


@pytest.mark.parametrize("bot, language, message", [(QUIET, "en", ""), (FRENCH, "fr", TRANSFER)],
                         ids=["transferMessage-off", "default-language-fr"])
def test_the_transfer_message_is_the_bots_config_in_its_default_language(botpress, real, double, bot, language, message):
    mark = botpress.log_mark()
    double.emulator.transfer_message, double.emulator.default_language = message, language
    expect = message[language] if message else None
    found = transfer_scenario(real, bot, expect)
    assert found == transfer_scenario(double, bot, expect)
    if message:
        assert found["last bot message"] == [("out", "bot", TRANSFER["fr"])]
    else:  # nothing after the bot's own answer to "hi"
        assert found["last bot message"][0][2] != TRANSFER["en"]
    clean(botpress, mark)


# ---- 8. an unknown bot ------------------------------------------------------------------------
def unknown_bot_scenario(side: Side) -> dict:
    base = "/api/v1/bots/no-such-bot"
    seen = {}
    for who, headers in (("no header", {}), ("token", side.auth()), ("forged", {"Authorization": "Bearer forged"})):
        seen[who] = [answer(side.get(f"{base}/mod/hitl/sessions", headers=headers)),
                     answer(side.post(f"{base}/mod/hitl/channel/api/user/u1/pause", headers=headers)),
                     answer(side.post(f"{base}/mod/hitlnext/handoffs", json={}, headers=headers)),
                     answer(side.get(f"{base}/mod/no-such-module/x", headers=headers)),
                     answer(side.get(f"{base}/", headers=headers))]
    return seen


def test_an_unknown_bot_is_404_invalid_bot_id_whatever_the_token(botpress, real, double):
    mark = botpress.log_mark()
    found = unknown_bot_scenario(real)
    assert found == unknown_bot_scenario(double)
    assert found["no header"][0]["body"]["message"] == "Not Found: Invalid Bot ID"
    clean(botpress, mark)


# ---- 5. and the other calls that crash the worker (on a private server) ----------------------------
@pytest.fixture(scope="module")
def crashing(tmp_path_factory):
    """A server of our own: these scenarios kill its worker on purpose. The restart limit is
    raised (12.22.1 exits after its 2nd automatic restart, BP_MAX_SERVER_REBOOT)."""
    for attempt in (1, 2):
        server = RealBotpress(tmp_path_factory.mktemp("botpress-crash"), env={"BP_MAX_SERVER_REBOOT": "20"})
        try:
            server.start()
            break
        except httpx.TransportError:
            # 12.22.1 may die while registering its first user (its config watcher reads
            # botpress.config.json while it is being rewritten): start again, afresh.
            server.stop()
            if attempt == 2:
                raise
    server.create_bot(BOT)
    mounted(server, BOT)
    yield server
    server.stop()


def crash_kinds(lines: list[str]) -> list[str]:
    kinds = {"Cannot read property 'id' of undefined": "no session matched",
             '"userThreadId" is required': "handoff body refused",
             "FOREIGN KEY constraint failed": "message to an unknown conversation",
             "no such column": "isPaused column"}
    return [next((kind for text, kind in kinds.items() if text in line), line) for line in lines if "Unhandled Rejection" in line]


def back_up(server: RealBotpress, mark: int, restarts: int) -> None:
    """Wait for the master to restart the worker and the bot to be mounted again."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.restarts(mark) >= restarts:
            try:
                if server.http.get(f"/api/v1/bots/{BOT}/", headers=server.bot_api(BOT)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"the worker did not come back after {restarts} crash(es):\n{server.log_tail(80)}")


def dropped(call) -> object:
    try:
        return answer(call())
    except httpx.RemoteProtocolError:
        return "connection dropped without an answer"


@contextmanager
def crash_sides(server: RealBotpress):
    """The private crashing server and a fresh emulator, with the log mark before both."""
    real, mark = Real(server), server.log_mark()
    emulator = HitlEmulator(bots=(BOT,)).start()
    double = Double(emulator, server.email, server.password)
    try:
        yield real, double, emulator, mark
    finally:
        real.close(), double.close(), emulator.stop()


def no_session_scenario(side: Side, wait) -> dict:
    seen = {}
    ghost = new_user("ghost")
    route = f"/api/v1/bots/{BOT}/mod/hitl/channel/api/user"
    seen["pause, never wrote"] = dropped(lambda: side.post(f"{route}/{ghost}/pause", headers=side.auth()))
    wait(1)
    user = new_user("crash")
    side.converse(BOT, user)
    seen["unpause, unknown thread"] = dropped(lambda: side.post(f"{route}/{user}/unpause", params={"threadId": "no-such-thread"},
                                                                headers=side.auth()))
    wait(2)
    seen["the user's session is untouched"] = side.session(BOT, user)["isPaused"]
    seen["ghost has no session"] = side.session(BOT, ghost)
    return seen


def test_pausing_a_user_without_a_session_crashes_the_worker(crashing):
    """FACTS §6 says 500; a real 12.22.1 answers nothing: the route is async and does not
    catch `sessions[0].id` of an empty result, the unhandled rejection kills the worker."""
    with crash_sides(crashing) as (real, double, emulator, mark):
        found = no_session_scenario(real, lambda n: back_up(crashing, mark, n))
        assert found == no_session_scenario(double, lambda n: None)
        assert found["pause, never wrote"] == "connection dropped without an answer"
        # By design the real server logs each crash ("Launcher Unhandled Rejection [TypeError, Cannot
        # read property 'id' of undefined]") and restarts its worker.
        assert crash_kinds(crashing.log_errors(mark)) == crash_kinds(emulator.errors) == ["no session matched"] * 2
        assert crashing.restarts(mark) == emulator.crashes == 2


def bad_handoff_scenario(side: Side, wait) -> dict:
    seen = {}
    base = f"/api/v1/bots/{BOT}/mod/hitlnext/handoffs"
    seen["missing userThreadId"] = dropped(lambda: side.post(base, json={"userId": new_user("bad"), "userChannel": "api"},
                                                             headers=side.auth()))
    wait(1)
    # A thread the server never saw: the 201 comes, then storing the transfer message fails.
    created = side.post(base, json={"userId": new_user("nobody"), "userThreadId": "never-seen", "userChannel": "api"},
                        headers=side.auth())
    seen["never-seen thread"] = (created.status_code, "user" in created.json(), created.json()["status"])
    wait(2)
    return seen


def test_a_handoff_the_module_refuses_crashes_the_worker(crashing):
    """Not the 400 the emulator used to answer: hitlnext's errorMiddleware rethrows Joi's error."""
    with crash_sides(crashing) as (real, double, emulator, mark):
        found = bad_handoff_scenario(real, lambda n: back_up(crashing, mark, n))
        assert found == bad_handoff_scenario(double, lambda n: None)
        assert found["never-seen thread"] == (201, False, "pending")
        # By design: one "Launcher Unhandled Rejection" line per crash, and a worker restart each.
        assert crash_kinds(crashing.log_errors(mark)) == crash_kinds(emulator.errors) == [
            "handoff body refused", "message to an unknown conversation"]
        assert crashing.restarts(mark) == emulator.crashes == 2
