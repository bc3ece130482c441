"""Every client path against mocked HTTP (pytest-httpx): routes, error mappings,
retries, token cache, and no secret in any message."""

import os
import stat

import httpx
import pytest

from hitl_gen.client import BotpressClient, Token
from hitl_gen.credentials import TokenCache
from hitl_gen.errors import ConnectionProblem, ServerError

URL = "http://bp.test:3000"
BOT = f"{URL}/api/v1/bots/support-bot"
SECRET = "hunter2-very-secret"
JWT = "eyJ.secret.token"


@pytest.fixture
def client():
    return BotpressClient(URL, token=JWT, sleep=lambda s: None)


def test_login_posts_to_the_basic_route_and_returns_the_token(httpx_mock):
    httpx_mock.add_response(method="POST", url=f"{URL}/api/v1/auth/login/basic/default",
                            json={"status": "success", "payload": {"jwt": JWT, "exp": 1_900_000_000}}, match_json={"email": "a@b.c", "password": SECRET})
    client = BotpressClient(URL)
    assert client.login("a@b.c", SECRET) == Token(JWT, 1_900_000_000)
    assert client.token == JWT


def test_a_wrong_password_is_explained_without_echoing_it(httpx_mock):
    httpx_mock.add_response(method="POST", url=f"{URL}/api/v1/auth/login/basic/default", status_code=401, json={"message": "Invalid credentials"})
    with pytest.raises(ServerError) as caught:
        BotpressClient(URL).login("a@b.c", SECRET)
    assert "e-mail or password is wrong" in str(caught.value) and SECRET not in str(caught.value)
    assert caught.value.exit_code == 1
    assert len(httpx_mock.get_requests()) == 1  # login is never retried


def test_pause_by_channel_user_and_thread_uses_the_user_route(client, httpx_mock):
    httpx_mock.add_response(method="POST", url=f"{BOT}/mod/hitl/channel/web/user/u%201/pause?threadId=7", text="OK")
    client.set_paused("support-bot", True, channel="web", user="u 1", thread="7")
    [request] = httpx_mock.get_requests()
    assert request.headers["Authorization"] == f"Bearer {JWT}"


def test_unpause_by_session_id_uses_the_session_route(client, httpx_mock):
    httpx_mock.add_response(method="POST", url=f"{BOT}/mod/hitl/sessions/42/unpause", text="OK")
    client.set_paused("support-bot", False, session=42)


def test_sessions_listing_with_filters(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{BOT}/mod/hitl/sessions?pausedOnly=true&searchText=ada", json=[{"id": 1}])
    assert client.sessions("support-bot", paused_only=True, search="ada") == [{"id": 1}]


def test_conversation_state_reads_the_listing_never_the_crashing_route(client, httpx_mock):
    listing = [{"id": 9, "channel": "web", "threadId": "2", "isPaused": 1, "user": {"id": "u1"}},
               {"id": 10, "channel": "web", "threadId": "3", "isPaused": 0, "user": {"id": "u1"}},
               {"id": 11, "channel": "web", "threadId": "2", "isPaused": 0, "user": {"id": "u2"}}]
    httpx_mock.add_response(method="GET", url=f"{BOT}/mod/hitl/sessions", json=listing)
    assert [s["id"] for s in client.conversation_state("support-bot", "web", "u1", "2")] == [9]
    assert not any("isPaused" in str(r.url) for r in httpx_mock.get_requests())


def test_hitlnext_handoffs_and_agents(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{BOT}/mod/hitlnext/handoffs", json=[{"id": 1}])
    httpx_mock.add_response(method="GET", url=f"{BOT}/mod/hitlnext/agents", json=[{"online": True}])
    assert client.handoffs("support-bot") == [{"id": 1}] and client.agents("support-bot") == [{"online": True}]


def test_version_status_and_bot(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{URL}/version", text="12.22.1")
    httpx_mock.add_response(method="GET", url=f"{URL}/status", json={"status": "ok"})
    httpx_mock.add_response(method="GET", url=f"{BOT}/", json={"id": "support-bot"}, match_headers={"X-BP-Workspace": "default"})
    assert client.version() == "12.22.1" and client.status() == {"status": "ok"} and client.bot("support-bot")["id"] == "support-bot"


def test_401_says_to_log_in_again_without_the_token(client, httpx_mock):
    httpx_mock.add_response(status_code=401, json={"message": "Unauthorized: Invalid authentication token"})
    with pytest.raises(ServerError) as caught:
        client.sessions("support-bot")
    assert "run `hitl-gen login --url http://bp.test:3000 --email EMAIL` again" in str(caught.value)
    assert JWT not in str(caught.value)


def test_404_cannot_post_shows_the_path_tried_and_the_right_one(client, httpx_mock):
    httpx_mock.add_response(status_code=404, html="<pre>Cannot POST /api/v1/bots/support-bot/mod/hitl/channel/web/user/u/pause</pre>")
    with pytest.raises(ServerError) as caught:
        client.set_paused("support-bot", True, channel="web", user="u")
    message = str(caught.value)
    assert "POST /api/v1/bots/support-bot/mod/hitl/channel/web/user/u/pause answered 404" in message
    assert "the HITL routes are /api/v1/bots/{bot}/mod/hitl/..." in message and "module is enabled" in message


def test_500_on_pause_means_no_session_yet(client, httpx_mock):
    httpx_mock.add_response(status_code=500, json={"message": "Cannot read property 'id' of undefined"})
    with pytest.raises(ServerError) as caught:
        client.set_paused("support-bot", True, channel="web", user="u")
    assert "no HITL session yet" in str(caught.value)
    assert len(httpx_mock.get_requests()) == 1  # a 500 is not retried


def test_idempotent_calls_retry_on_503_then_succeed(client, httpx_mock):
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json=[])
    assert client.sessions("support-bot") == []
    assert len(httpx_mock.get_requests()) == 3


def test_retries_back_off_and_give_up(httpx_mock):
    waits = []
    client = BotpressClient(URL, token=JWT, retries=2, backoff=0.5, sleep=waits.append)
    for _ in range(3):
        httpx_mock.add_exception(httpx.ConnectError("refused"))
    with pytest.raises(ConnectionProblem) as caught:
        client.sessions("support-bot")
    assert waits == [0.5, 1.0] and caught.value.exit_code == 3
    assert "cannot reach http://bp.test:3000 (ConnectError)" in str(caught.value)


def test_a_timeout_is_a_connection_problem(client, httpx_mock):
    for _ in range(3):
        httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    with pytest.raises(ConnectionProblem):
        client.set_paused("support-bot", True, session=1)


def test_every_call_has_a_timeout():
    client = BotpressClient(URL)
    assert client.http.timeout.connect == 5.0 and client.http.timeout.read == 10.0


def test_token_cache_is_private_reused_and_expires(tmp_path):
    now = [1000.0]
    cache = TokenCache(tmp_path / "cfg" / "tokens.json", now=lambda: now[0])
    cache.put(URL + "/", Token(JWT, 1000.0 + 3600), "a@b.c")
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    assert cache.get(URL) == JWT
    now[0] += 3600 - 30  # within the safety margin before expiry
    assert cache.get(URL) is None
    assert SECRET not in cache.path.read_text()
