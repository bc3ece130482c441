"""Each emulator route and fault answers like the real HITL module (FACTS §6-§8);
tests/real/test_contract.py holds the same scenarios against a real 12.22.1."""

import base64
import json
import time

import httpx
import pytest

from support.emulator import agent_id

BOT = "/api/v1/bots/support-bot"


@pytest.fixture
def client(emulator):
    with httpx.Client(base_url=emulator.url, timeout=10) as http:
        yield http


@pytest.fixture
def auth(emulator):
    return {"Authorization": f"Bearer {emulator.issue_token()}"}


def claims(jwt: str) -> dict:
    segment = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_login_issues_a_token_and_refuses_a_wrong_password(client, emulator):
    ok = client.post("/api/v1/auth/login/basic/default", json={"email": "admin@example.com", "password": emulator.accounts["admin@example.com"]})
    assert ok.status_code == 200 and ok.json()["status"] == "success"
    token = ok.json()["payload"]["jwt"]
    assert client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # A real 12.22.1 refuses a wrong password (or an unknown e-mail) with a 400, not a 401.
    for body in ({"email": "admin@example.com", "password": "nope"}, {"email": "nobody@example.com", "password": "nope"}):
        bad = client.post("/api/v1/auth/login/basic/default", json=body)
        assert bad.status_code == 400 and (bad.json()["type"], bad.json()["message"]) == ("InvalidCredentialsError", "Invalid credentials")
    missing = client.post("/api/v1/auth/login/basic/default", json={"password": "x"})
    assert missing.status_code == 400 and missing.json()["message"] == "Email and Strategy are mandatory"


def test_login_answers_a_lifetime_and_a_jwt_whose_exp_claim_is_the_date(client, emulator):
    before = int(time.time())
    payload = client.post("/api/v1/auth/login/basic/default",
                          json={"email": "admin@example.com", "password": emulator.accounts["admin@example.com"]}).json()["payload"]
    assert payload["exp"] == 3_600_000  # ms('1h'): a lifetime, not a date
    header = json.loads(base64.urlsafe_b64decode(payload["jwt"].split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    found = claims(payload["jwt"])
    assert set(found) == {"email", "strategy", "tokenVersion", "isSuperAdmin", "iat", "exp", "aud"}
    assert found["email"] == "admin@example.com" and found["exp"] - found["iat"] == 3600 and before <= found["iat"] <= time.time()


def test_only_tokens_it_issued_are_accepted(client, emulator):
    token = emulator.issue_token()
    head, body, signature = token.split(".")
    forged_claims = base64.urlsafe_b64encode(json.dumps({**claims(token), "email": "eve@example.com"}).encode()).rstrip(b"=").decode()
    for forged in (f"{head}.{forged_claims}.{signature}", f"{head}.{body}.{signature[::-1]}", "opaque"):
        answer = client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": f"Bearer {forged}"})
        assert answer.status_code == 401 and answer.json()["message"] == "Unauthorized: Invalid authentication token"


def test_profile_needs_a_token_then_the_workspace_header(client, emulator, auth):
    ok = client.get("/api/v1/admin/user/profile", headers={**auth, "X-BP-Workspace": "default"})
    assert ok.status_code == 200 and ok.json()["message"] == "Retrieved profile successfully"
    assert ok.json()["payload"]["email"] == "admin@example.com"
    no_workspace = client.get("/api/v1/admin/user/profile", headers=auth)
    assert no_workspace.status_code == 400 and "Workspace is missing" in no_workspace.json()["message"]
    assert client.get("/api/v1/admin/user/profile").status_code == 401
    assert client.get("/api/v1/auth/me/profile", headers=auth).status_code == 404  # the route of Botpress before 12.20


def test_module_routes_need_a_bearer_token(client):
    missing = client.get(f"{BOT}/mod/hitl/sessions")
    assert missing.status_code == 401 and missing.json()["message"] == "Unauthorized: Authorization header is missing"
    assert missing.json()["type"] == "UnauthorizedError" and missing.json()["errorCode"] == "BP_0041"
    wrong = client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": "Bearer forged"})
    assert wrong.status_code == 401 and wrong.json()["message"] == "Unauthorized: Invalid authentication token"
    scheme = client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": "Basic abc"})
    assert scheme.json()["message"] == 'Unauthorized: Unknown scheme "Basic"'
    empty = client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": "Bearer"})
    assert empty.json()["message"] == "Unauthorized: Authentication token is missing"


def test_an_expired_token_is_refused(client, emulator):
    token = emulator.issue_token(lifetime_s=-1)
    assert client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_unknown_paths_get_express_cannot_post(client, auth):
    answer = client.post("/mod/hitl/sessions/156085638552453280/pause")
    assert answer.status_code == 404
    assert "Cannot POST /mod/hitl/sessions/156085638552453280/pause" in answer.text
    # Under a loaded module the token comes first, then the 404; an unknown module is a 404 at once.
    assert client.post(f"{BOT}/mod/hitl/nonsense").status_code == 401
    assert "Cannot POST" in client.post(f"{BOT}/mod/hitl/nonsense", headers=auth).text
    assert "Cannot POST" in client.post(f"{BOT}/mod/assets/hitl/sessions/12/pause").text


def test_an_unknown_bot_is_invalid_whatever_the_token(client, auth):
    for headers in ({}, auth, {"Authorization": "Bearer forged"}):
        answer = client.get("/api/v1/bots/nope/mod/hitl/sessions", headers=headers)
        assert answer.status_code == 404
        assert (answer.json()["type"], answer.json()["message"]) == ("NotFoundError", "Not Found: Invalid Bot ID")


def test_sessions_are_created_at_the_first_message_with_ids_unlike_thread_ids(client, emulator, auth):
    assert client.get(f"{BOT}/mod/hitl/sessions", headers=auth).json() == []
    first = emulator.incoming("support-bot", "web", "u1", "1")
    again = emulator.incoming("support-bot", "web", "u1", "1")
    other = emulator.incoming("support-bot", "web", "u1", "2")
    assert first["sessionId"] == again["sessionId"] != other["sessionId"]
    assert first["sessionId"] not in (1, 2)
    listing = client.get(f"{BOT}/mod/hitl/sessions", headers=auth).json()
    assert {s["threadId"] for s in listing} == {"1", "2"}
    assert set(listing[0]) == {"id", "botId", "channel", "threadId", "lastEventOn", "lastHeardOn", "isPaused", "pausedBy",
                               "lastMessage", "user"}
    assert set(listing[0]["lastMessage"]) == {"id", "type", "source", "text", "raw_message", "direction", "ts"}
    assert (listing[0]["isPaused"], listing[0]["pausedBy"]) == (0, None)


def test_search_matches_the_name_or_the_user_id(client, emulator, auth):
    emulator.set_attributes("support-bot", "web", "u1", {"full_name": "Ada Lovelace"})
    emulator.incoming("support-bot", "web", "u1", "1", text="about my invoice")
    emulator.incoming("support-bot", "web", "u2", "2")
    search = lambda text: [s["user"]["id"] for s in client.get(f"{BOT}/mod/hitl/sessions", params={"searchText": text}, headers=auth).json()]
    assert search("lovelace") == ["u1"] and search("u2") == ["u2"] and search("invoice") == []


def test_listing_shows_full_name_and_attributes(client, emulator, auth):
    emulator.set_attributes("support-bot", "web", "u1", {"first_name": "Ada", "last_name": "Lovelace"})
    emulator.incoming("support-bot", "web", "u1", "1")
    emulator.set_attributes("support-bot", "web", "u1", {"full_name": "Ada L.", "first_name": "Ada"})
    [session] = client.get(f"{BOT}/mod/hitl/sessions", headers=auth).json()
    assert session["user"]["fullName"] == "Ada Lovelace"  # frozen when the session was created
    assert session["user"]["attributes"]["full_name"] == "Ada L."


def test_pause_by_session_id_and_paused_only_filter(client, emulator, auth):
    sid = emulator.incoming("support-bot", "web", "u1", "1")["sessionId"]
    emulator.incoming("support-bot", "web", "u2", "2")
    assert client.post(f"{BOT}/mod/hitl/sessions/{sid}/pause", headers=auth).status_code == 200
    assert client.post(f"{BOT}/mod/hitl/sessions/{sid}/isPaused", headers=auth).json() is True
    paused = client.get(f"{BOT}/mod/hitl/sessions", params={"pausedOnly": "true"}, headers=auth).json()
    assert [s["id"] for s in paused] == [sid]
    client.post(f"{BOT}/mod/hitl/sessions/{sid}/unpause", headers=auth)
    assert client.post(f"{BOT}/mod/hitl/sessions/{sid}/isPaused", headers=auth).json() is False


def test_pause_by_channel_and_user_with_and_without_thread(client, emulator, auth):
    emulator.incoming("support-bot", "web", "u1", "1")
    emulator.incoming("support-bot", "web", "u1", "2")
    client.post(f"{BOT}/mod/hitl/channel/web/user/u1/pause", params={"threadId": "2"}, headers=auth)
    assert [emulator.session_for("support-bot", "web", "u1", t).paused for t in ("1", "2")] == [False, True]
    client.post(f"{BOT}/mod/hitl/channel/web/user/u1/pause", headers=auth)
    assert [emulator.session_for("support-bot", "web", "u1", t).paused for t in ("1", "2")] == [True, True]


def test_any_action_word_but_pause_unpauses(client, emulator, auth):
    emulator.incoming("support-bot", "web", "u1", "1")
    client.post(f"{BOT}/mod/hitl/channel/web/user/u1/pause", headers=auth)
    client.post(f"{BOT}/mod/hitl/channel/web/user/u1/stop", headers=auth)
    session = emulator.session_for("support-bot", "web", "u1", "1")
    assert session.paused is False and session.paused_trigger == "operator"


def test_pausing_a_user_without_session_crashes_the_worker(client, emulator, auth):
    """Not the 500 the module's code suggests: the route is async and unguarded, so a real
    12.22.1 logs an unhandled rejection and its worker dies without answering."""
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{BOT}/mod/hitl/channel/web/user/ghost/pause", headers=auth)
    emulator.incoming("support-bot", "web", "u1", "1")
    with pytest.raises(httpx.RemoteProtocolError):  # a thread the user does not have
        client.post(f"{BOT}/mod/hitl/channel/web/user/u1/unpause", params={"threadId": "9"}, headers=auth)
    assert emulator.crashes == 2 and all("Cannot read property 'id' of undefined" in e for e in emulator.errors)


def test_the_channel_user_is_paused_route_crashes_the_worker(client, emulator, auth):
    emulator.incoming("support-bot", "web", "u1", "1")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{BOT}/mod/hitl/channel/web/user/u1/isPaused", headers=auth)
    assert emulator.crashes == 1


def test_paused_users_text_is_swallowed_but_postbacks_pass(emulator):
    emulator.incoming("support-bot", "web", "u1", "1")
    emulator.session_for("support-bot", "web", "u1", "1").paused = True
    assert emulator.incoming("support-bot", "web", "u1", "1", type="text")["swallowed"] is True
    assert emulator.incoming("support-bot", "web", "u1", "1", type="quick_reply")["swallowed"] is True
    assert emulator.incoming("support-bot", "web", "u1", "1", type="postback")["swallowed"] is False
    assert emulator.incoming("support-bot", "web", "u1", "2", type="text")["swallowed"] is False  # a new thread starts unpaused


def test_session_messages_and_agent_message(client, emulator, auth):
    sid = emulator.incoming("support-bot", "web", "u1", "1", text="help")["sessionId"]
    assert client.post(f"{BOT}/mod/hitl/sessions/{sid}/message", json={"message": "Hi, I'm Sam"}, headers=auth).status_code == 200
    messages = client.get(f"{BOT}/mod/hitl/sessions/{sid}", headers=auth).json()
    assert [(m["source"], m["direction"], m["text"]) for m in messages] == [("user", "in", "help"), ("agent", "out", "Hi, I'm Sam")]
    assert messages[0]["raw_message"] == {"type": "text", "text": "help"} and messages[0]["session_id"] == sid
    assert emulator.outbox[-1]["text"] == "Hi, I'm Sam"


def test_session_id_routes_for_an_unknown_id(client, auth):
    assert client.get(f"{BOT}/mod/hitl/sessions/999", headers=auth).json() == []
    assert client.post(f"{BOT}/mod/hitl/sessions/999/pause", headers=auth).text == "OK"
    is_paused = client.post(f"{BOT}/mod/hitl/sessions/999/isPaused", headers=auth)
    assert (is_paused.status_code, is_paused.text) == (200, "")
    missing = client.post(f"{BOT}/mod/hitl/sessions/999/message", json={"message": "x"}, headers=auth)
    assert (missing.status_code, missing.text) == (404, "Not Found")


HANDOFF_KEYS = {"id", "botId", "agentId", "userId", "userThreadId", "userChannel", "agentThreadId", "status", "tags",
                "assignedAt", "resolvedAt", "createdAt", "updatedAt", "comments", "userConversation"}


def test_hitlnext_handoffs_are_idempotent_while_active_and_send_the_transfer_message(client, emulator, auth):
    emulator.incoming("support-bot", "web", "u1", "1", text="help")
    body = {"userId": "u1", "userThreadId": "1", "userChannel": "web"}
    created = client.post(f"{BOT}/mod/hitlnext/handoffs", json=body, headers=auth)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert set(created.json()) == HANDOFF_KEYS | {"user"} and created.json()["user"]["id"] == "u1"
    again = client.post(f"{BOT}/mod/hitlnext/handoffs", json=body, headers=auth)
    assert (again.status_code, again.text) == (200, "OK")
    assert len(emulator.handoffs) == 1 and len(emulator.outbox) == 1
    # the transfer message goes through hitl's outgoing middleware into the session
    assert emulator.session_for("support-bot", "web", "u1", "1").messages[-1]["text"] == "You are being transferred to an agent."
    assert emulator.incoming("support-bot", "web", "u1", "1")["swallowed"] is True
    assert emulator.incoming("support-bot", "web", "u1", "1", type="quick_reply")["swallowed"] is False  # hitlnext holds text only
    listed = client.get(f"{BOT}/mod/hitlnext/handoffs", headers=auth).json()
    assert [(h["userId"], h["userThreadId"], h["status"]) for h in listed] == [("u1", "1", "pending")]


def test_a_handoff_shows_the_users_last_text_once_the_event_collector_stored_it(client, emulator, auth):
    emulator.event_collection_s = 0.2
    emulator.incoming("support-bot", "web", "u1", "1", text="help")
    created = client.post(f"{BOT}/mod/hitlnext/handoffs", json={"userId": "u1", "userThreadId": "1", "userChannel": "web"}, headers=auth)
    assert created.json()["userConversation"] == {}  # not stored yet
    time.sleep(0.25)
    [listed] = client.get(f"{BOT}/mod/hitlnext/handoffs", headers=auth).json()
    conversation = listed["userConversation"]
    assert set(conversation) == {"id", "direction", "botId", "channel", "success", "createdOn", "threadId", "type", "event"}
    assert (conversation["threadId"], conversation["event"]["preview"], conversation["event"]["target"]) == ("1", "help", "u1")


def test_the_transfer_message_is_in_the_default_language_or_off(client, emulator, auth):
    emulator.default_language = "fr"
    emulator.incoming("support-bot", "web", "u1", "1")
    client.post(f"{BOT}/mod/hitlnext/handoffs", json={"userId": "u1", "userThreadId": "1", "userChannel": "web"}, headers=auth)
    emulator.transfer_message = ""
    emulator.incoming("support-bot", "web", "u2", "2")
    created = client.post(f"{BOT}/mod/hitlnext/handoffs", json={"userId": "u2", "userThreadId": "2", "userChannel": "web"}, headers=auth)
    assert created.status_code == 201
    assert [m["text"] for m in emulator.outbox] == ["Vous êtes transféré à un agent."]


def test_a_handoff_the_module_refuses_crashes_the_worker(client, emulator, auth):
    """Its errorMiddleware rethrows Joi's error: an unhandled rejection, not a 400."""
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{BOT}/mod/hitlnext/handoffs", json={"userId": "u1"}, headers=auth)
    assert emulator.crashes == 1 and emulator.errors == ['Launcher Unhandled Rejection [undefined, "userThreadId" is required]']
    # A transfer message to a thread the server never saw: the 201 comes, then the worker dies.
    created = client.post(f"{BOT}/mod/hitlnext/handoffs", json={"userId": "u9", "userThreadId": "t-9", "userChannel": "api"}, headers=auth)
    assert created.status_code == 201 and "user" not in created.json()  # no such user either
    assert emulator.crashes == 2 and emulator.outbox == []


def test_status_version_and_bot_routes(client, auth):
    assert client.get("/status").json() == {"botpress": "up"}
    assert client.get("/version").text == "12.22.1"
    assert client.get(f"{BOT}/", headers=auth).json()["id"] == "support-bot"
    assert client.get("/api/v1/bots/nope/", headers=auth).json()["message"] == "Not Found: Invalid Bot ID"
    assert client.get(f"{BOT}/").status_code == 401


def test_hitlnext_agents_report_online(client, emulator, auth):
    [admin] = client.get(f"{BOT}/mod/hitlnext/agents", headers=auth).json()  # a fresh server: its admin, offline
    assert admin == emulator.agent("admin@example.com") and admin["agentId"] == agent_id("admin@example.com")
    assert admin["online"] is False and admin["role"] == "admin"
    went = client.post(f"{BOT}/mod/hitlnext/agents/me/online", json={"online": True}, headers=auth)
    assert went.json() == {"online": True}
    assert [a["online"] for a in client.get(f"{BOT}/mod/hitlnext/agents", headers=auth).json()] == [True]
    assert [a["online"] for a in client.get("/api/v1/bots/helpdesk/mod/hitlnext/agents", headers=auth).json()] == [False]  # per bot
    emulator.agents = [{"agentId": "a1", "online": False}, {"agentId": "a2", "online": True}]
    assert [a["online"] for a in client.get(f"{BOT}/mod/hitlnext/agents", headers=auth).json()] == [False, True]


def test_a_removed_module_answers_cannot_post(client, emulator, auth):
    emulator.remove_module("support-bot", "hitl")
    answer = client.post(f"{BOT}/mod/hitl/channel/web/user/u1/pause", headers=auth)
    assert answer.status_code == 404 and "Cannot POST" in answer.text
    assert client.post(f"{BOT}/mod/hitl/channel/web/user/u1/pause").status_code == 404  # no router, so no token check


def test_sinks_record_webhooks_and_email_api_calls(client, emulator):
    client.post("/__sinks/webhook/slack", json={"text": "hello"})
    client.post("/__sinks/email-api", json={"to": "a@example.com"}, headers={"Authorization": "Bearer k"})
    assert emulator.webhooks[0].body == {"text": "hello"}
    assert emulator.email_api[0].headers["authorization"] == "Bearer k"


@pytest.mark.parametrize("kind, status", [(401, 401), (404, 404), (500, 500)])
def test_status_faults(client, emulator, auth, kind, status):
    emulator.fault("sessions", kind)
    assert client.get(f"{BOT}/mod/hitl/sessions", headers=auth).status_code == status


def test_hang_fault_delays_past_the_client_timeout(emulator, auth):
    emulator.fault("user_action", "hang", seconds=1.0)
    with httpx.Client(base_url=emulator.url, timeout=0.3) as slow:
        with pytest.raises(httpx.ReadTimeout):
            slow.post(f"{BOT}/mod/hitl/channel/web/user/u1/pause", headers=auth)


def test_reset_fault_drops_the_connection(client, emulator, auth):
    emulator.fault("webhook", "reset")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/__sinks/webhook/slack", json={})
