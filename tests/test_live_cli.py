"""The server commands end to end against the emulator."""

import io
import json

import pytest

from hitl_gen.cli import main

BOT = "support-bot"


@pytest.fixture
def env(monkeypatch, tmp_path, emulator):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_PASSWORD", emulator.accounts["admin@example.com"])
    monkeypatch.delenv("BP_URL", raising=False)
    monkeypatch.delenv("BP_BOT", raising=False)
    return tmp_path


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(map(str, argv)), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


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
        "OK   server answers", "OK   login works", "OK   bot exists", "OK   hitl routes answer", "OK   version"]
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
