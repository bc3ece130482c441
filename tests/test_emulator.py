"""Each emulator route and fault answers like the real HITL module (FACTS §6-§8)."""

import httpx
import pytest

BOT = "/api/v1/bots/support-bot"


@pytest.fixture
def client(emulator):
    with httpx.Client(base_url=emulator.url, timeout=10) as http:
        yield http


@pytest.fixture
def auth(emulator):
    return {"Authorization": f"Bearer {emulator.issue_token()}"}


def test_login_issues_a_token_and_refuses_a_wrong_password(client, emulator):
    ok = client.post("/api/v1/auth/login/basic/default", json={"email": "admin@example.com", "password": emulator.accounts["admin@example.com"]})
    assert ok.status_code == 200 and ok.json()["status"] == "success"
    token = ok.json()["payload"]["jwt"]
    assert client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    bad = client.post("/api/v1/auth/login/basic/default", json={"email": "admin@example.com", "password": "nope"})
    assert bad.status_code == 401


def test_module_routes_need_a_bearer_token(client):
    missing = client.get(f"{BOT}/mod/hitl/sessions")
    assert missing.status_code == 401 and "Authorization header is missing" in missing.json()["message"]
    wrong = client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": "Bearer forged"})
    assert wrong.status_code == 401 and "Invalid" in wrong.json()["message"]


def test_an_expired_token_is_refused(client, emulator):
    token = emulator.issue_token(lifetime_s=-1)
    assert client.get(f"{BOT}/mod/hitl/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_unknown_paths_get_express_cannot_post(client):
    answer = client.post("/mod/hitl/sessions/156085638552453280/pause")
    assert answer.status_code == 404
    assert "Cannot POST /mod/hitl/sessions/156085638552453280/pause" in answer.text


def test_sessions_are_created_at_the_first_message_with_ids_unlike_thread_ids(client, emulator, auth):
    assert client.get(f"{BOT}/mod/hitl/sessions", headers=auth).json() == []
    first = emulator.incoming("support-bot", "web", "u1", "1")
    again = emulator.incoming("support-bot", "web", "u1", "1")
    other = emulator.incoming("support-bot", "web", "u1", "2")
    assert first["sessionId"] == again["sessionId"] != other["sessionId"]
    assert first["sessionId"] not in (1, 2)
    listing = client.get(f"{BOT}/mod/hitl/sessions", headers=auth).json()
    assert {s["threadId"] for s in listing} == {"1", "2"}


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


def test_pausing_a_user_without_session_fails_with_500(client, auth):
    assert client.post(f"{BOT}/mod/hitl/channel/web/user/ghost/pause", headers=auth).status_code == 500


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
    assert [(m["source"], m["text"]) for m in messages] == [("user", "help"), ("agent", "Hi, I'm Sam")]


def test_hitlnext_handoffs_are_idempotent_while_active_and_send_the_transfer_message(client, emulator, auth):
    body = {"userId": "u1", "userThreadId": "1", "userChannel": "web"}
    created = client.post(f"{BOT}/mod/hitlnext/handoffs", json=body, headers=auth)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert client.post(f"{BOT}/mod/hitlnext/handoffs", json=body, headers=auth).status_code == 200
    assert len(emulator.handoffs) == 1 and len(emulator.outbox) == 1
    assert emulator.incoming("support-bot", "web", "u1", "1")["swallowed"] is True
    bad = client.post(f"{BOT}/mod/hitlnext/handoffs", json={"userId": "u1"}, headers=auth)
    assert bad.status_code == 400
    listed = client.get(f"{BOT}/mod/hitlnext/handoffs", headers=auth).json()
    assert [(h["userId"], h["userThreadId"], h["status"]) for h in listed] == [("u1", "1", "pending")]


def test_status_version_and_bot_routes(client, auth):
    assert client.get("/status").status_code == 200
    assert client.get("/version").text == "12.22.1"
    assert client.get(f"{BOT}/", headers=auth).json()["id"] == "support-bot"
    assert client.get("/api/v1/bots/nope/", headers=auth).status_code == 404
    assert client.get(f"{BOT}/").status_code == 401


def test_hitlnext_agents_report_online(client, emulator, auth):
    emulator.agents = [{"agentId": "a1", "online": False}, {"agentId": "a2", "online": True}]
    assert [a["online"] for a in client.get(f"{BOT}/mod/hitlnext/agents", headers=auth).json()] == [False, True]


def test_a_removed_module_answers_cannot_post(client, emulator, auth):
    emulator.remove_module("support-bot", "hitl")
    answer = client.post(f"{BOT}/mod/hitl/channel/web/user/u1/pause", headers=auth)
    assert answer.status_code == 404 and "Cannot POST" in answer.text


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
