"""Every client path against mocked HTTP (pytest-httpx): routes, error mappings,
retries, token cache, and no secret in any message."""

import base64
import json
import os
import stat

import httpx
import pytest

from hitl_gen.client import BotpressClient, Token
from hitl_gen.credentials import TokenCache
from hitl_gen.errors import ConnectionProblem, ServerError

URL = "http://bp.test:3000"
BOT = f"{URL}/api/v1/bots/support-bot"
LOGIN = f"{URL}/api/v1/auth/login/basic/default"
SECRET = "hunter2-very-secret"
NOW = 1_795_458_728  # the `iat` of a token issued by a real 12.22.1


def make_jwt(**claims) -> str:
    """A token shaped like Botpress's (HS256; the signature is never checked here)."""
    def segment(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(claims)}.c2lnbmF0dXJl"


JWT = make_jwt(email="a@b.c", strategy="default", tokenVersion=1, isSuperAdmin=True, iat=NOW, exp=NOW + 3600, aud="collaborators")


def login_answer(jwt: str = JWT) -> dict:
    """What a real 12.22.1 answers: `exp` is the token's LIFETIME in ms (`ms('1h')`), not a date."""
    return {"status": "success", "message": "Login successful", "payload": {"jwt": jwt, "exp": 3_600_000}}


@pytest.fixture
def client():
    return BotpressClient(URL, token=JWT, sleep=lambda s: None)


def test_login_posts_to_the_basic_route_and_takes_the_expiry_from_the_jwt(httpx_mock):
    httpx_mock.add_response(method="POST", url=LOGIN, json=login_answer(), match_json={"email": "a@b.c", "password": SECRET})
    client = BotpressClient(URL, clock=lambda: NOW + 5)
    assert client.login("a@b.c", SECRET) == Token(JWT, NOW + 3600)  # the claim, not 3 600 000
    assert client.token == JWT


def test_login_without_an_exp_claim_counts_the_lifetime_from_now(httpx_mock):
    jwt = make_jwt(email="a@b.c", iat=NOW)
    httpx_mock.add_response(method="POST", url=LOGIN, json=login_answer(jwt))
    assert BotpressClient(URL, clock=lambda: NOW).login("a@b.c", SECRET) == Token(jwt, NOW + 3600)


@pytest.mark.parametrize("jwt", ["opaque-token", "a.!!!.c", "a.bm90IGpzb24.c", make_jwt(exp="soon")])
def test_an_unreadable_token_still_gets_the_lifetime_from_now(httpx_mock, jwt):
    httpx_mock.add_response(method="POST", url=LOGIN, json={"payload": {"jwt": jwt, "exp": 21_600_000}})
    assert BotpressClient(URL, clock=lambda: NOW).login("a@b.c", SECRET) == Token(jwt, NOW + 6 * 3600)


def test_a_login_answer_without_a_token_is_a_bad_answer(httpx_mock):
    # A BadAnswer (exit 4) since the answers are checked (issue 16); still a ServerError.
    httpx_mock.add_response(method="POST", url=LOGIN, html="<html>a proxy's login page</html>")
    with pytest.raises(ServerError) as caught:
        BotpressClient(URL).login("a@b.c", SECRET)
    assert "answered 200 with an HTML page, not JSON" in str(caught.value) and SECRET not in str(caught.value)
    assert caught.value.exit_code == 4


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
    # A whole item: the listing's items are checked for the fields hitl-gen reads (issue 16).
    item = {"id": 1, "channel": "web", "threadId": "2", "isPaused": 1, "user": {"id": "ada"}, "lastMessage": None}
    httpx_mock.add_response(method="GET", url=f"{BOT}/mod/hitl/sessions?pausedOnly=true&searchText=ada", json=[item])
    assert client.sessions("support-bot", paused_only=True, search="ada") == [item]


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


def test_a_read_without_an_answer_is_retried_with_backoff_then_given_up(httpx_mock):
    waits = []
    client = BotpressClient(URL, token=JWT, retries=2, backoff=0.5, sleep=waits.append)
    for _ in range(3):
        httpx_mock.add_exception(httpx.ReadError("connection reset by peer"))
    with pytest.raises(ConnectionProblem) as caught:
        client.sessions("support-bot")
    assert waits == [0.5, 1.0] and caught.value.exit_code == 3 and len(httpx_mock.get_requests()) == 3
    assert "cannot reach http://bp.test:3000 (ReadError)" in str(caught.value)


def test_a_pause_that_times_out_is_not_retried_and_may_have_happened(client, httpx_mock):
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    with pytest.raises(ConnectionProblem, match="may still have happened"):
        client.set_paused("support-bot", True, session=1)
    assert len(httpx_mock.get_requests()) == 1


def test_a_connect_error_is_final_here_as_the_transport_has_retried_it(httpx_mock):
    # pytest-httpx stands in for the whole transport, its connect retries included:
    # tests/test_client_transport.py shows a refused connect retried on a real socket.
    waits = []
    client = BotpressClient(URL, token=JWT, sleep=waits.append)
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    with pytest.raises(ConnectionProblem, match=r"cannot reach http://bp.test:3000 \(ConnectError\)"):
        client.sessions("support-bot")
    assert len(httpx_mock.get_requests()) == 1 and waits == []


def test_a_pause_that_loses_its_connection_is_not_retried_and_names_the_crash(client, httpx_mock):
    httpx_mock.add_exception(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(ServerError, match="dropped the connection") as caught:
        client.set_paused("support-bot", True, channel="web", user="ghost")
    assert "no HITL session yet" in str(caught.value) and len(httpx_mock.get_requests()) == 1


def test_a_pause_answered_503_is_retried(client, httpx_mock):
    httpx_mock.add_response(method="POST", url=f"{BOT}/mod/hitl/sessions/3/pause", status_code=503)
    httpx_mock.add_response(method="POST", url=f"{BOT}/mod/hitl/sessions/3/pause", text="OK")
    client.set_paused("support-bot", True, session=3)
    assert len(httpx_mock.get_requests()) == 2


def test_an_injected_client_gets_the_server_and_the_token_of_the_moment():
    seen = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.headers.get("Authorization")))
        if request.url.path.endswith("/login/basic/default"):
            return httpx.Response(200, json=login_answer())
        return httpx.Response(200, json=[])

    http = httpx.Client(transport=httpx.MockTransport(server))
    with BotpressClient(URL + "/", token="stale", http=http) as client:
        client.login("a@b.c", SECRET)
        client.sessions("support-bot")
    assert seen == [("POST", LOGIN, None),  # login carries no token, not even the stale one
                    ("GET", f"{BOT}/mod/hitl/sessions", f"Bearer {JWT}")]  # the new token, at once
    assert not http.is_closed  # the caller's to close


def test_public_routes_carry_no_token(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{URL}/version", text="12.22.1")
    httpx_mock.add_response(method="GET", url=f"{URL}/status", json={})
    client.version()
    client.status()
    assert [r.headers.get("Authorization") for r in httpx_mock.get_requests()] == [None, None]


def test_every_call_has_a_timeout():
    client = BotpressClient(URL)
    assert client.http.timeout.connect == 5.0 and client.http.timeout.read == 10.0


def test_a_token_from_a_real_login_is_cached_private_reused_and_expires(tmp_path, httpx_mock):
    now = [NOW + 1.0]
    httpx_mock.add_response(method="POST", url=LOGIN, json=login_answer())
    token = BotpressClient(URL, clock=lambda: now[0]).login("a@b.c", SECRET)
    cache = TokenCache(tmp_path / "cfg" / "tokens.json", now=lambda: now[0])
    cache.put(URL + "/", token, "a@b.c")

    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache.path.parent).st_mode) == 0o700
    assert json.loads(cache.path.read_text()) == {URL: {"jwt": JWT, "expires_at": NOW + 3600, "email": "a@b.c"}}
    # The password went to the server only (the file's whole content is the line above; the
    # CLI's own login path, where the password is at hand, is checked in test_token_cache_file.py).
    assert json.loads(httpx_mock.get_request(method="POST", url=LOGIN).content) == {"email": "a@b.c", "password": SECRET}
    assert cache.get(URL) == JWT  # right after login: reused by the next command
    now[0] = NOW + 3600 - 61  # a minute and a second before the JWT's exp
    assert cache.get(URL + "/") == JWT
    now[0] = NOW + 3600 - 59  # within the minute's safety margin: log in again
    assert cache.get(URL) is None


@pytest.mark.parametrize("content", ["not json", "[]", json.dumps({URL: {"jwt": JWT}}),
                                     json.dumps({URL: {"jwt": JWT, "expires_at": "soon"}}), json.dumps({URL: None})])
def test_an_unreadable_cache_means_not_logged_in(tmp_path, content):
    path = tmp_path / "tokens.json"
    path.write_text(content)
    assert TokenCache(path, now=lambda: NOW).get(URL) is None


def test_profile_proves_the_token_without_a_bot(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{URL}/api/v1/admin/user/profile", match_headers={"X-BP-Workspace": "default",
                            "Authorization": f"Bearer {JWT}"}, json={"status": "success", "payload": {"email": "a@b.c"}})
    assert client.profile() == {"email": "a@b.c"}


def test_profile_falls_back_to_the_route_of_botpress_before_12_20(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{URL}/api/v1/admin/user/profile", status_code=404,
                            html="<pre>Cannot GET /api/v1/admin/user/profile</pre>")
    httpx_mock.add_response(method="GET", url=f"{URL}/api/v1/auth/me/profile", json={"payload": {"email": "a@b.c"}})
    assert client.profile() == {"email": "a@b.c"}


def test_profile_with_a_refused_token_says_to_log_in_again(client, httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{URL}/api/v1/admin/user/profile", status_code=401,
                            json={"statusCode": 401, "message": "Unauthorized: Invalid authentication token"})
    with pytest.raises(ServerError) as caught:
        client.profile()
    assert "hitl-gen login" in str(caught.value) and JWT not in str(caught.value)
    assert len(httpx_mock.get_requests()) == 1


def test_an_unknown_bot_names_the_bot_and_where_its_id_comes_from(client, httpx_mock):
    # What a real 12.22.1 answers for a bot it does not have (before even looking at the token).
    httpx_mock.add_response(method="GET", url=f"{URL}/api/v1/bots/nosuchbot/", status_code=404,
                            json={"statusCode": 404, "errorCode": "BP_0044", "type": "NotFoundError", "message": "Not Found: Invalid Bot ID"})
    with pytest.raises(ServerError) as caught:
        client.bot("nosuchbot")
    assert "there is no bot 'nosuchbot' on this server" in str(caught.value) and "--bot, BP_BOT" in str(caught.value)


def test_a_missing_hitlnext_route_names_the_hitlnext_routes(client, httpx_mock):
    httpx_mock.add_response(status_code=404, html="<pre>Cannot GET /api/v1/bots/support-bot/mod/hitlnext/agents</pre>")
    with pytest.raises(ServerError) as caught:
        client.agents("support-bot")
    assert "the HITL Next routes are /api/v1/bots/{bot}/mod/hitlnext/..." in str(caught.value)


def test_a_server_under_a_path_keeps_the_path_and_the_encoded_bot_id(httpx_mock):
    httpx_mock.add_response(method="GET", url=f"{URL}/bp/api/v1/bots/a%20b%2Fc/mod/hitl/sessions", json=[])
    assert BotpressClient(URL + "/bp/", token=JWT).sessions("a b/c") == []
