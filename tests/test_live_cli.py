"""The server commands end to end against the emulator, and against pytest-httpx
answering exactly what a real 12.22.1 answered where the emulator differs."""

import base64
import io
import json
import os
import subprocess
import sys
import time

import pytest
from support.build import run_cli as run


BOT = "support-bot"
REAL = "http://bp.test:3000"
EMAIL = "admin@example.com"
PASSWORD = "real-server-password"


def make_jwt(**claims) -> str:
    def segment(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def env(monkeypatch, tmp_path, emulator):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_PASSWORD", emulator.accounts["admin@example.com"])
    monkeypatch.delenv("BP_URL", raising=False)
    monkeypatch.delenv("BP_BOT", raising=False)
    return tmp_path


def test_login_pause_status_swallow_unpause(env, emulator):
    password = emulator.accounts["admin@example.com"]
    emulator.next_session_id = 50
    emulator.incoming(BOT, "web", "u1", "1")
    emulator.incoming(BOT, "web", "u1", "2")
    code, out, err = run("login", "--url", emulator.url, "--email", "admin@example.com")
    assert code == 0 and "logged in" in out
    token_file = env / "config" / "hitl-gen" / "tokens.json"
    token = json.loads(token_file.read_text())[emulator.url]["jwt"]

    where = ["--url", emulator.url, "--bot", BOT, "--channel", "web", "--user", "u1", "--thread", "2"]
    assert run("pause", *where)[0] == 0
    code, out, _ = run("status", *where)
    assert code == 0 and out == "session 57 thread 2: paused\n"
    assert emulator.incoming(BOT, "web", "u1", "2", text="hello?")["swallowed"] is True
    assert emulator.incoming(BOT, "web", "u1", "1", text="hello?")["swallowed"] is False
    assert run("unpause", *where)[0] == 0
    assert run("status", *where)[1] == "session 57 thread 2: not paused\n"
    assert emulator.crashes == 0  # the crashing isPaused route was never called

    outputs = []
    for argv in (["sessions", "--url", emulator.url, "--bot", BOT], ["sessions", "--url", emulator.url, "--bot", BOT, "--json"]):
        code, out, err = run(*argv)
        assert code == 0
        outputs.append(out + err)
    assert outputs[0].splitlines()[0].split() == ["SESSION", "PAUSED", "CHANNEL", "USER", "THREAD", "NAME", "LAST", "MESSAGE"]
    assert sorted(s["id"] for s in json.loads(outputs[1])) == [50, 57]
    for text in outputs:
        assert token not in text and password not in text


def test_pause_by_session_id(env, emulator):
    session = emulator.incoming(BOT, "web", "u1", "1")["sessionId"]
    run("login", "--url", emulator.url, "--email", "admin@example.com")
    assert run("pause", "--url", emulator.url, "--bot", BOT, "--session", session)[0] == 0
    assert emulator.sessions[0].paused is True


def test_not_logged_in_is_a_401_with_the_fix(env, emulator):
    code, _, err = run("sessions", "--url", emulator.url, "--bot", BOT)
    assert code == 1 and "answered 401" in err and "hitl-gen login" in err


def test_pausing_a_user_without_session_explains_why(env, emulator):
    run("login", "--url", emulator.url, "--email", "admin@example.com")
    code, _, err = run("pause", "--url", emulator.url, "--bot", BOT, "--channel", "web", "--user", "ghost")
    assert emulator.crashes == 1  # a dropped pause is not retried: each try could crash the worker again
    assert code == 1 and "no HITL session yet" in err


def test_an_unreachable_server_exits_3(env):
    code, _, err = run("sessions", "--url", "http://127.0.0.1:9", "--bot", BOT)
    assert code == 3 and "cannot reach http://127.0.0.1:9" in err


def test_usage_errors_exit_2(env, emulator):
    assert run("pause", "--url", emulator.url, "--bot", BOT)[0] == 2
    assert run("pause", "--url", emulator.url, "--bot", BOT, "--session", "1", "--user", "u")[0] == 2
    assert run("sessions", "--bot", BOT)[0] == 2  # no URL anywhere


def test_url_and_bot_come_from_the_environment_or_the_spec(env, emulator, monkeypatch, tmp_path):
    run("login", "--url", emulator.url, "--email", "admin@example.com")
    monkeypatch.setenv("BP_URL", emulator.url)
    monkeypatch.setenv("BP_BOT", BOT)
    assert run("sessions")[0] == 0
    monkeypatch.delenv("BP_URL")
    monkeypatch.delenv("BP_BOT")
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""version: 1
target: {{botpress: "12.22.1", bot: {BOT}, module: hitl, languages: [en], server: "{emulator.url}"}}
handoffs:
  - {{id: a, trigger: {{keywords: [agent]}}, say: Hi, on_failure: {{say: Sorry}}}}
""")
    assert run("sessions", "--spec", spec)[0] == 0


def test_doctor_passes_against_the_emulator(env, emulator):
    code, out, _ = run("doctor", "--url", emulator.url, "--bot", BOT, "--email", "admin@example.com")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "OK   server answers", "OK   login works", "OK   bot exists", "OK   hitl routes answer", "OK   version",
        "WARN skill module"]
    # The emulator has no module routes: doctor says it cannot tell, and passes.
    assert out.splitlines()[-1].startswith('WARN skill module: cannot tell whether the hitl-gen module (the Studio skill '
                                           '"Talk to an agent") is installed: ')
    assert "Botpress 12.22.1" in out and emulator.accounts["admin@example.com"] not in out


def test_doctor_names_the_missing_module(env, emulator):
    emulator.remove_module(BOT, "hitl")
    code, out, _ = run("doctor", "--url", emulator.url, "--bot", BOT, "--email", "admin@example.com")
    assert code == 1
    assert out.splitlines()[-1].startswith("FAIL hitl routes answer:") and "module is enabled" in out


def test_doctor_names_an_unknown_bot_and_a_dead_server(env, emulator):
    code, out, _ = run("doctor", "--url", emulator.url, "--bot", "nope", "--email", "admin@example.com")
    assert code == 1 and out.splitlines()[-1].startswith("FAIL bot exists:")
    code, out, _ = run("doctor", "--url", "http://127.0.0.1:9", "--bot", BOT)
    assert code == 3 and out.startswith("FAIL server answers:")


def test_doctor_without_credentials_says_how_to_log_in(env, emulator, monkeypatch):
    monkeypatch.delenv("BP_PASSWORD")
    code, out, _ = run("doctor", "--url", emulator.url, "--bot", BOT)
    assert code == 1 and "FAIL login works" in out and "hitl-gen login" in out


@pytest.fixture
def real_env(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_PASSWORD", PASSWORD)
    for name in ("BP_URL", "BP_BOT", "BP_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def real_login(httpx_mock) -> str:
    """A real 12.22.1's login answer: `exp` is the LIFETIME in ms; the date is in the JWT."""
    now = int(time.time())
    jwt = make_jwt(email=EMAIL, strategy="default", tokenVersion=1, isSuperAdmin=True, iat=now, exp=now + 3600, aud="collaborators")
    httpx_mock.add_response(method="POST", url=f"{REAL}/api/v1/auth/login/basic/default", match_json={"email": EMAIL, "password": PASSWORD},
                            json={"status": "success", "message": "Login successful", "payload": {"jwt": jwt, "exp": 3_600_000}})
    return jwt


def test_a_real_servers_login_is_reused_by_the_next_command(real_env, httpx_mock):
    jwt = real_login(httpx_mock)
    httpx_mock.add_response(method="GET", url=f"{REAL}/api/v1/bots/{BOT}/mod/hitl/sessions", json=[])
    assert run("login", "--url", REAL, "--email", EMAIL)[0] == 0
    code, out, err = run("sessions", "--url", REAL, "--bot", BOT)
    assert (code, err) == (0, "")
    sessions = httpx_mock.get_requests()[-1]
    assert sessions.headers.get("Authorization") == f"Bearer {jwt}"  # the cached token, not "no token then 401"
    assert jwt not in out + err and PASSWORD not in out + err


def test_doctor_with_a_cached_token_reports_an_unknown_bot_under_bot_exists(real_env, httpx_mock):
    jwt = real_login(httpx_mock)
    assert run("login", "--url", REAL, "--email", EMAIL)[0] == 0
    httpx_mock.add_response(method="GET", url=f"{REAL}/status", json={"botpress": "up"})
    httpx_mock.add_response(method="GET", url=f"{REAL}/api/v1/admin/user/profile", match_headers={"Authorization": f"Bearer {jwt}"},
                            json={"status": "success", "message": "Retrieved profile successfully", "payload": {"email": EMAIL}})
    # A real 12.22.1 answers this 404 for an unknown bot whatever the token.
    httpx_mock.add_response(method="GET", url=f"{REAL}/api/v1/bots/nosuchbot/", status_code=404,
                            json={"statusCode": 404, "errorCode": "BP_0044", "type": "NotFoundError", "message": "Not Found: Invalid Bot ID"})
    code, out, _ = run("doctor", "--url", REAL, "--bot", "nosuchbot")
    assert code == 1
    lines = out.splitlines()
    assert lines[:2] == [f"OK   server answers: {REAL} is up", "OK   login works: cached token accepted"]
    assert lines[2].startswith("FAIL bot exists:") and "there is no bot 'nosuchbot'" in lines[2] and len(lines) == 3
    assert jwt not in out


def test_doctor_checks_hitlnext_routes_with_the_flag(env, emulator):
    code, out, _ = run("doctor", "--url", emulator.url, "--bot", BOT, "--email", "admin@example.com", "--module", "hitlnext")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()][3] == "OK   hitlnext routes answer"
    paths = [r.path for r in emulator.requests]
    assert f"/api/v1/bots/{BOT}/mod/hitlnext/agents" in paths and f"/api/v1/bots/{BOT}/mod/hitl/sessions" not in paths


def test_doctor_takes_the_module_from_the_spec_and_the_flag_wins(env, emulator, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""version: 1
target: {{botpress: "12.22.1", bot: {BOT}, module: hitlnext, languages: [en], server: "{emulator.url}"}}
handoffs:
  - {{id: a, trigger: {{keywords: [agent]}}, say: Hi, on_failure: {{say: Sorry}}}}
""")
    code, out, _ = run("doctor", "--spec", spec, "--email", "admin@example.com")
    assert code == 0 and "OK   hitlnext routes answer" in out
    emulator.remove_module(BOT, "hitl")
    code, out, _ = run("doctor", "--spec", spec, "--email", "admin@example.com", "--module", "hitl")
    assert code == 1 and out.splitlines()[-1].startswith("FAIL hitl routes answer:")
    assert "OK   login works: cached token accepted" in out  # the profile route, as on a real server
    assert run("doctor", "--spec", spec, "--module", "hitlnxt")[0] == 2


def test_login_without_a_terminal_or_bp_password_says_what_to_do(env, emulator, monkeypatch):
    monkeypatch.delenv("BP_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a pipe, CI: no terminal to type into
    code, out, err = run("login", "--url", emulator.url, "--email", "admin@example.com")
    assert code == 2 and out == ""
    assert err == "hitl-gen: login: no password: set BP_PASSWORD, or run `hitl-gen login` in a terminal to type it\n"
    assert not any(r.path.endswith("/login/basic/default") for r in emulator.requests)


def test_login_at_a_terminal_asks_for_the_password(env, emulator, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("BP_PASSWORD")
    monkeypatch.setattr(sys, "stdin", Terminal())
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or emulator.accounts["admin@example.com"])
    code, out, _ = run("login", "--url", emulator.url, "--email", "admin@example.com")
    assert code == 0 and "logged in" in out
    assert prompts == [f"Password for admin@example.com at {emulator.url}: "]


def test_the_installed_command_without_a_terminal_prints_one_line(env, emulator):
    """The console script as a script runs it: stdin not a terminal, no controlling terminal."""
    environ = {k: v for k, v in os.environ.items() if k != "BP_PASSWORD"}
    done = subprocess.run([sys.executable, "-m", "hitl_gen", "login", "--url", emulator.url, "--email", "admin@example.com"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=environ, timeout=60, start_new_session=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["hitl-gen: login: no password: set BP_PASSWORD, or run `hitl-gen login` in a terminal to type it"]


# ---- HITL Next handoffs: what a real 12.22.1 answered, pinned (real/test_live_cli_real.py
# runs the same commands on 12.22.1 and 12.31.10) -------------------------------------

EXPRESS_404 = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot POST {path}</pre>\n</body>\n</html>\n'


def test_reject_on_a_release_without_the_route_says_to_resolve_instead(real_env, httpx_mock):
    real_login(httpx_mock)
    assert run("login", "--url", REAL, "--email", EMAIL)[0] == 0
    path = f"/api/v1/bots/{BOT}/mod/hitlnext/handoffs/7/reject"
    httpx_mock.add_response(method="POST", url=REAL + path, status_code=404, text=EXPRESS_404.format(path=path),
                            headers={"Content-Type": "text/html; charset=utf-8"})
    code, out, err = run("reject", "--url", REAL, "--bot", BOT, "7")
    assert (code, out) == (1, "")
    assert err.strip() == (f"{REAL}: rejecting handoff 7: POST {path} answered 404: this Botpress has no route to reject "
                           "a HITL Next handoff (12.22.1 has none, 12.31.10 has): resolve it instead (`hitl-gen resolve 7`)")


def test_resolving_a_pending_handoff_that_only_the_screen_can_take_says_where(real_env, httpx_mock):
    real_login(httpx_mock)
    assert run("login", "--url", REAL, "--email", EMAIL)[0] == 0
    base = f"{REAL}/api/v1/bots/{BOT}/mod/hitlnext"
    httpx_mock.add_response(method="POST", url=f"{base}/agents/me/online", json={"online": True})
    httpx_mock.add_response(method="GET", url=f"{base}/handoffs", json=[{"id": 7, "status": "pending", "userId": "u1"}])
    # 12.22.1 opens the agent's side in the agent's own channel-web session, which only the screen has
    httpx_mock.add_response(method="POST", url=f"{base}/handoffs/7/assign", status_code=400,
                            json={"statusCode": 400, "type": "Error", "message": "Request failed with status code 400"})
    code, out, err = run("resolve", "--url", REAL, "--bot", BOT, "7")
    assert (code, out) == (1, "")
    assert err.strip() == (f"{REAL}: taking handoff 7: POST /api/v1/bots/{BOT}/mod/hitlnext/handoffs/7/assign answered "
                           "400: the handoff is pending, and this Botpress lets an agent take one only from the HITL Next screen, "
                           "whose web session it needs (12.22.1 does; 12.31.10 takes it from here): take it at "
                           f"{REAL}/studio/{BOT}/modules/hitlnext, then run `hitl-gen resolve 7` again")
    assert not [r for r in httpx_mock.get_requests() if r.url.path.endswith("/resolve")]  # nothing resolved half-way


def test_handoffs_are_listed_as_a_table(real_env, httpx_mock):
    real_login(httpx_mock)
    assert run("login", "--url", REAL, "--email", EMAIL)[0] == 0
    httpx_mock.add_response(method="GET", url=f"{REAL}/api/v1/bots/{BOT}/mod/hitlnext/handoffs", json=[
        {"id": 7, "status": "pending", "userChannel": "web", "userId": "u1", "userThreadId": "3", "agentId": None,
         "createdAt": "2026-11-24T01:00:00.000Z"},
        {"id": 8, "status": "resolved", "userChannel": "web", "userId": "u2\x1b[31m", "userThreadId": "4", "agentId": "a1",
         "createdAt": "2026-11-24T01:01:00.000Z"}])
    code, out, err = run("handoffs", "--url", REAL, "--bot", BOT, "--status", "resolved")
    assert (code, err) == (0, "")
    header, row = out.splitlines()
    assert header.split() == ["HANDOFF", "STATUS", "CHANNEL", "USER", "THREAD", "AGENT", "CREATED"]
    assert row.split() == ["8", "resolved", "web", "u2\\x1b[31m", "4", "a1", "2026-11-24T01:01:00.000Z"]  # no escape reaches the terminal
