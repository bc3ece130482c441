"""The live commands end to end on a real Botpress (12.22.1, or $HITL_GEN_BOTPRESS):
login, doctor, sessions, status, pause and unpause; handoffs, resolve and reject for
HITL Next; doctor's warning when the spec targets another release. Through the CLI's
own `main`, with the token cache in a private config folder. The server's log stays
clean and its worker never restarts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from support.build import run_cli as run
from support.webchat import Webchat

from .test_conformance import _take


REPO = Path(__file__).resolve().parents[2]
BOT = "live-cli-bot"
USER = "live-cli-user"


@pytest.fixture
def cli_env(monkeypatch, tmp_path):
    """A fresh token cache (XDG_CONFIG_HOME) and no BP_* leaking in from the caller."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("BP_URL", "BP_BOT", "BP_EMAIL", "BP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "config" / "hitl-gen" / "tokens.json"


def wait_for_log(botpress, mark: int, text: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while text not in botpress.log_since(mark) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_live_commands_on_a_real_server(botpress, cli_env, monkeypatch):
    botpress.create_bot(BOT)
    assert botpress.converse(BOT, USER, "hi")  # the first message creates the user's HITL session
    mark = botpress.log_mark()
    url = botpress.url
    secrets_seen = []

    def cli(*argv) -> tuple[int, str, str]:
        code, out, err = run(*argv)
        secrets_seen.append(out + err)
        return code, out, err

    # login: the password from BP_PASSWORD only; the token cached until the JWT's own exp
    monkeypatch.setenv("BP_PASSWORD", botpress.password)
    before = time.time()
    code, out, err = cli("login", "--url", url, "--email", botpress.email)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"logged in to {url} as {botpress.email}")
    entry = json.loads(cli_env.read_text())[url]
    token = entry["jwt"]
    # Login answers exp: 3600000 (a lifetime in ms); the cache holds a date about 1 h ahead.
    assert before + 3000 < entry["expires_at"] < time.time() + 3700
    monkeypatch.delenv("BP_PASSWORD")  # from here on, only the cached token can work

    where = ["--url", url, "--bot", BOT]
    code, out, _ = cli("doctor", *where)
    assert code == 0, out
    assert out.splitlines() == [
        f"OK   server answers: {url} is up",
        "OK   login works: cached token accepted",
        f"OK   bot exists: bot '{BOT}' found",
        "OK   hitl routes answer: hitl answers (1 session(s))",
        f"OK   version: Botpress {botpress.version}",
        'WARN skill module: the hitl-gen module (the Studio skill "Talk to an agent") is not installed; only no-code '
        "builders need it: write it with `hitl-gen module -o <the server's modules folder>`, add "
        '{"location": "MODULES_ROOT/hitl-gen", "enabled": true} to "modules" in data/global/botpress.config.json, '
        "then restart Botpress",
    ]
    code, out, _ = cli("doctor", *where, "--module", "hitlnext")
    assert code == 0 and out.splitlines()[3].startswith("OK   hitlnext routes answer: hitlnext answers ("), out

    code, out, err = cli("sessions", *where)
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == ["SESSION", "PAUSED", "CHANNEL", "USER", "THREAD", "NAME", "LAST", "MESSAGE"]
    assert [row.split()[1:4] for row in rows] == [["no", "api", USER]]
    code, out, _ = cli("sessions", *where, "--json")
    [session] = json.loads(out)
    assert (session["channel"], session["user"]["id"], session["isPaused"]) == ("api", USER, 0)

    who = [*where, "--channel", "api", "--user", USER]
    thread = session["threadId"]
    assert cli("status", *who) == (0, f"session {session['id']} thread {thread}: not paused\n", "")

    assert cli("pause", *who) == (0, f"paused: channel=api user={USER}\n", "")
    assert cli("status", *who) == (0, f"session {session['id']} thread {thread}: paused\n", "")
    code, out, _ = cli("sessions", *where, "--paused", "--json")
    assert code == 0 and [s["user"]["id"] for s in json.loads(out)] == [USER]

    assert botpress.log_errors(mark) == [] and botpress.restarts(mark) == 0

    # While paused the bot does not answer: Converse waits 5 s, then 400 "Request timed out.",
    # which Botpress itself logs as an error; nothing else may be logged in that window.
    held = botpress.log_mark()
    assert botpress.converse(BOT, USER, "is anyone there?") is None
    wait_for_log(botpress, held, "Request timed out.")
    errors = botpress.log_errors(held)
    assert errors and all("Request timed out." in line for line in errors), botpress.log_since(held)
    after_held = botpress.log_mark()

    assert cli("unpause", *who) == (0, f"unpaused: channel=api user={USER}\n", "")
    assert cli("status", *who) == (0, f"session {session['id']} thread {thread}: not paused\n", "")
    assert botpress.converse(BOT, USER, "hello again")  # the bot answers again

    code, out, _ = cli("doctor", "--url", url, "--bot", "nosuchbot")
    assert code == 1
    lines = out.splitlines()
    assert lines[:2] == [f"OK   server answers: {url} is up", "OK   login works: cached token accepted"], out
    assert len(lines) == 3 and lines[2].startswith("FAIL bot exists:") and "there is no bot 'nosuchbot'" in lines[2]

    for text in secrets_seen:
        assert token not in text and botpress.password not in text
    assert botpress.log_errors(after_held) == []
    assert botpress.restarts(mark) == 0



def test_hitlnext_handoffs_listed_resolved_and_rejected(botpress, cli, tmp_path):
    """Two handoffs: `resolve` takes the pending one as the logged-in
    agent and resolves it; `reject` rejects the other on 12.31.10, and on 12.22.1, which
    has no reject route, says so and changes nothing."""
    bot = "live-cli-next"
    botpress.create_bot(bot)
    mark = botpress.log_mark()
    where = ["--bot", bot]
    created = []
    for _ in range(2):  # two webchat users, each with a handoff as the generated flow creates it
        with Webchat(botpress.url, bot) as chat:
            chat.say("hello")
            answer = botpress.http.post(f"/api/v1/bots/{bot}/mod/hitlnext/handoffs", headers=botpress.bot_api(bot),
                                        json={"userId": chat.user_id, "userThreadId": str(chat.conversation_id), "userChannel": "web"})
            assert answer.status_code == 201, answer.text
            created.append(str(answer.json()["id"]))
    code, out, err = cli("handoffs", *where)
    assert (code, err) == (0, ""), err
    header, *rows = out.splitlines()
    assert header.split() == ["HANDOFF", "STATUS", "CHANNEL", "USER", "THREAD", "AGENT", "CREATED"]
    assert sorted((row.split()[0], row.split()[1]) for row in rows) == [(h, "pending") for h in sorted(created)]

    first, second = created
    if botpress.version == "12.22.1":  # only the screen's web session can take a handoff there
        code, out, err = cli("resolve", *where, first)
        assert code == 1 and "lets an agent take one only from the HITL Next screen" in err, err
        _take(botpress, bot, first)  # as the screen does; the failed resolve left the agent online
    code, out, err = cli("resolve", *where, first)
    assert (code, out, err) == (0, f"handoff {first}: resolved; the bot has the conversation again\n", ""), err
    code, out, _ = cli("handoffs", *where, "--status", "resolved", "--json")
    assert code == 0 and [str(h["id"]) for h in json.loads(out)] == [first]

    code, out, err = cli("reject", *where, second)
    if botpress.version == "12.22.1":
        assert code == 1 and "has no route to reject a HITL Next handoff" in err, err
        expected = "pending"
    else:
        assert (code, out, err) == (0, f"handoff {second}: rejected; the bot has the conversation again\n", ""), err
        expected = "rejected"
    code, out, _ = cli("handoffs", *where, "--json")
    assert {str(h["id"]): h["status"] for h in json.loads(out)}[second] == expected
    assert botpress.log_errors(mark) == [] and botpress.restarts(mark) == 0


def test_doctor_warns_when_the_spec_targets_another_release(botpress, cli, tmp_path):
    other = "12.31.10" if botpress.version == "12.22.1" else "12.22.1"
    raw = yaml.safe_load((REPO / "examples" / "hitlnext-web.yaml").read_text(encoding="utf-8"))
    raw["target"].update(botpress=other, bot="doctor-bot", server=botpress.url)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    botpress.create_bot("doctor-bot")
    code, out, err = cli("doctor", "--spec", str(spec))
    assert (code, err) == (0, ""), err
    assert out.splitlines()[-2] == (
        f"WARN version: the server runs Botpress {botpress.version} but the spec targets {other}: what hitl-gen generates "
        f"depends on the release (routes, HITL Next's exits), so set target.botpress: \"{botpress.version}\" in the spec "
        "and build or deploy again")
