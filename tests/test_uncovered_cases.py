"""Cases no other fast test reached, each run the way Botpress runs it (tests/runtime)
against the HITL emulator: two handoffs in one bot, a namespace of the builder's own,
`pause.scope: user` in the generated flow, ids Mustache would escape, hitlnext without
its agents check, the fields of a `json` webhook, an e-mail copy (`cc`), a non-default
`target.http_timeout_ms`, and `hitl-gen status` without `--thread`."""

import json
import re
import subprocess

import pytest
from support.build import action, build
from support.build import run_cli as run
from support.events import api_context, incoming
from support.handoff_bot import BOT, handoff_bot, texts
from support.node_runtime import RUNTIME_DIR, install_beside

from hitl_gen.spec.schema import spec_schema

HITL = {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en"]}
LINK = f"https://bot.example.com/studio/{BOT}/modules/hitl"


def _spec(*handoffs, **target) -> dict:
    return {"version": 1, "target": {**HITL, **target}, "handoffs": list(handoffs)}


def _handoff(id_: str, keyword: str, **extra) -> dict:
    return {"id": id_, "trigger": {"keywords": [keyword]}, "say": f"{id_}: an agent will answer.",
            "on_failure": {"say": f"{id_}: sorry."}, "resume": {"say": f"{id_}: back with the bot."}, **extra}


def _conversation(runtime, emulator, bot, steps, *, env=None, user=None, **extra):
    data, bot_dir, _ = bot
    who = {"channel": "web", "target": "alice", "threadId": "2", **(user or {})}
    answer = runtime.conversation(botDir=str(bot_dir), dataDir=str(data), botId=bot_dir.name, emulatorUrl=emulator.url,
                                  user=who, steps=steps, **api_context(emulator, env=env or {}), **extra)
    for turn in answer["turns"]:
        assert turn["crash"] is None, turn["crash"]
    return answer["turns"]


def _others_first(emulator, bot=BOT):
    """Conversations that must stay as they are: bob's, and alice's first thread."""
    emulator.next_session_id = 2
    for user, thread in (("bob", "1"), ("alice", "1")):
        emulator.incoming(bot, "web", user, thread)


def _paused(emulator):
    return {(s.user, s.thread): s.paused for s in emulator.sessions}


def _user_calls(emulator):
    return [(r.path.rsplit("/", 1)[-1], r.query) for r in emulator.requests if "/mod/hitl/channel/" in r.path]


def _flow_actions(bot_dir) -> list[str]:
    return [instruction.split(" ", 1)[0] for flow in bot_dir.joinpath("flows").rglob("*.flow.json")
            for node in json.loads(flow.read_text(encoding="utf-8"))["nodes"]
            for instruction in (node.get("onEnter") or []) + (node.get("onReceive") or []) if not instruction.startswith("say ")]


# ---- two handoffs in one bot -----------------------------------------------------------
def test_two_handoffs_in_one_bot_each_run_their_own_flow_keys_and_alerts(runtime, emulator, tmp_path):
    sales = _handoff("sales", "buy", alert=[{"webhook": {"url_env": "EXPOSED_SALES_HOOK", "format": "json",
                                                         "text": "sales: {{last_message}}"}}])
    billing = _handoff("billing", "refund", alert=[{"webhook": {"url_env": "EXPOSED_BILLING_HOOK", "format": "json",
                                                                "text": "billing: {{last_message}}"}}])
    bot = handoff_bot(tmp_path, _spec(sales, billing))
    _others_first(emulator)
    env = {"EXPOSED_SALES_HOOK": f"{emulator.url}/__sinks/webhook/sales",
           "EXPOSED_BILLING_HOOK": f"{emulator.url}/__sinks/webhook/billing"}
    turns = _conversation(runtime, emulator, bot, env=env, steps=[
        {"text": "I want to buy"}, {"text": "hello?"}, {"agent": "unpause"}, {"text": "thanks"},
        {"text": "now a refund"}, {"text": "anyone?"}, {"agent": "unpause"}, {"text": "ok"}])
    buy, held, _, back, refund, held_again, _, back_again = turns
    assert texts(buy) == ["sales: an agent will answer."] and held["swallowed"] is True
    assert texts(back)[0] == "sales: back with the bot."
    assert texts(refund) == ["billing: an agent will answer."] and held_again["swallowed"] is True
    assert texts(back_again)[0] == "billing: back with the bot."
    # Each handoff walked its own flow and ran its own actions only.
    for turn, own, other in ((buy, "sales", "billing"), (refund, "billing", "sales")):
        flows = {step.split("#")[0] for step in turn["visited"]} - {"main.flow.json"}
        assert f"{own}.flow.json" in flows and not any(other in f for f in flows), flows
        # main runs every handoff's should_start; inside the handoff only its own actions run
        ran = [a["name"] for a in turn["actions"] if a["name"].startswith("hitl-gen/") and not a["name"].endswith("/should_start")]
        assert ran and all(name.startswith(f"hitl-gen/{own}/") for name in ran), ran
    # Each alerted through its own variable, once, with its own text.
    assert [(w.path, w.body["text"]) for w in emulator.webhooks] == [
        ("/__sinks/webhook/sales", "sales: I want to buy"), ("/__sinks/webhook/billing", "billing: now a refund")]
    assert _user_calls(emulator) == [("pause", {"threadId": "2"}), ("unpause", {"threadId": "2"})] * 2
    assert _paused(emulator) == {("bob", "1"): False, ("alice", "1"): False, ("alice", "2"): False}


def test_two_handoffs_keep_their_own_temp_keys_in_the_flows(tmp_path):
    bot = handoff_bot(tmp_path, _spec(_handoff("sales", "buy"), _handoff("billing", "refund")))
    flows = bot[1] / "flows"
    for own, other in (("sales", "billing"), ("billing", "sales")):
        text = (flows / f"{own}.flow.json").read_text(encoding="utf-8")
        assert f"hitl_start_{own}" in text and f"hitl_start_{other}" not in text
        assert f"hitl-gen/{own}/" in text and f"hitl-gen/{other}/" not in text


# ---- a namespace of the builder's own ---------------------------------------------------
def test_a_namespace_of_its_own_names_every_action_file_and_call(runtime, emulator, tmp_path):
    bot = handoff_bot(tmp_path, _spec(_handoff("desk", "agent"), namespace="acme_hitl-2"))
    bot_dir = bot[1]
    ours = sorted(p.relative_to(bot_dir / "actions").as_posix() for p in (bot_dir / "actions").rglob("*.js")
                  if not p.is_relative_to(bot_dir / "actions" / "test_bot"))
    assert ours and all(name.startswith("acme_hitl-2/") for name in ours), ours
    assert not (bot_dir / "actions" / "hitl-gen").exists()
    called = [name for name in _flow_actions(bot_dir) if not name.startswith(("builtin/", "basic-skills/", "test_bot/"))]
    assert called and all(name.startswith("acme_hitl-2/desk/") for name in called), called
    flows = "".join(p.read_text(encoding="utf-8") for p in (bot_dir / "flows").rglob("*.json"))
    assert "hitl-gen/" not in flows  # no call left to the default namespace
    _others_first(emulator)
    asked, held, _, back = _conversation(runtime, emulator, bot, steps=[{"text": "agent"}, {"text": "hi?"}, {"agent": "unpause"},
                                                                         {"text": "thanks"}])
    assert texts(asked) == ["desk: an agent will answer."] and held["swallowed"] is True
    assert texts(back)[0] == "desk: back with the bot."
    assert all(a["error"] is None for turn in (asked, back) for a in turn["actions"])


# ---- pause.scope: user in the generated flow ----------------------------------------------
def test_pause_scope_user_in_the_flow_pauses_and_releases_every_conversation_of_the_user(runtime, emulator, tmp_path):
    bot = handoff_bot(tmp_path, _spec(_handoff("desk", "agent", pause={"scope": "user"})))
    skills = {}
    for node in json.loads((bot[1] / "flows" / "desk.flow.json").read_text(encoding="utf-8"))["nodes"]:
        if node.get("skill") == "CallAPI":
            skills[node["name"]] = json.loads((bot[1] / "flows" / node["flow"]).read_text(encoding="utf-8"))["skillData"]["url"]
    assert skills["pause"].endswith("/user/{{{event.target}}}/pause") and "threadId" not in skills["pause"]
    assert skills["unpause"].endswith("/user/{{{event.target}}}/unpause") and "threadId" not in skills["unpause"]
    _others_first(emulator)
    asked, other_thread = _conversation(runtime, emulator, bot, steps=[{"text": "agent"}, {"text": "still there"}])
    assert texts(asked) == ["desk: an agent will answer."]
    assert _user_calls(emulator) == [("pause", {})]
    assert _paused(emulator) == {("bob", "1"): False, ("alice", "1"): True, ("alice", "2"): True}
    assert emulator.incoming(BOT, "web", "alice", "1", text="and here?")["swallowed"] is True
    assert other_thread["swallowed"] is True


# ---- ids Mustache would escape ------------------------------------------------------------
MUSTACHE_ESCAPED = "&<>\"'/`="  # what mustache.js's escapeHtml replaces in `{{x}}`


def _mustache_escaped(runtime) -> str:
    """The printable ASCII characters `{{x}}` changes, asked of the Mustache the runtime
    loads (3.0.1, Botpress 12.22.1's)."""
    script = ("const m = require('mustache'); let s = ''; for (let c = 32; c < 127; c++) "
              "{ const ch = String.fromCharCode(c); if (m.escape(ch) !== ch) s += ch } process.stdout.write(s)")
    return subprocess.run([runtime.node, "-e", script], cwd=RUNTIME_DIR, capture_output=True, text=True,
                          check=True, timeout=60).stdout


def _id_patterns():
    defs = spec_schema()["$defs"]
    return {"handoffs[0].id": defs["handoff"]["properties"]["id"]["pattern"],
            "target.bot": defs["target"]["properties"]["bot"]["pattern"],
            "target.namespace": defs["target"]["properties"]["namespace"]["pattern"]}


def test_no_id_can_hold_a_character_mustache_escapes(runtime):
    """Ids reach Mustache-rendered places (action names, flow names, URLs): no character
    `{{x}}` would turn into an entity can be in one, so an id cannot be escaped at all."""
    escaped = _mustache_escaped(runtime)
    assert sorted(escaped) == sorted(MUSTACHE_ESCAPED)
    for where, pattern in _id_patterns().items():
        accepted = [chr(c) for c in range(32, 127) if re.fullmatch(pattern, f"a{chr(c)}b")]
        assert accepted and not set(accepted) & set(escaped), (where, accepted)


@pytest.mark.parametrize("char", list(MUSTACHE_ESCAPED))
@pytest.mark.parametrize("where", ["handoff", "bot", "namespace"])
def test_the_schema_refuses_an_id_with_a_character_mustache_escapes(where, char, tmp_path):
    raw = _spec(_handoff("desk", "agent"))
    if where == "handoff":
        raw["handoffs"][0]["id"] = f"desk{char}x"
    elif where == "bot":
        raw["target"]["bot"] = f"support{char}bot"
    else:
        raw["target"]["namespace"] = f"acme{char}x"
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps(raw), encoding="utf-8")  # JSON is YAML: every character written as it is
    code, out, err = run("validate", spec)
    field = {"handoff": "handoffs[0].id", "bot": "target.bot", "namespace": "target.namespace"}[where]
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert re.match(rf"{re.escape(str(spec))}:\d+:\d+: {re.escape(field)}: .* is not valid: ", line), line
    assert not (tmp_path / "out").exists()


# ---- hitlnext without its agents check ----------------------------------------------------
def test_hitlnext_with_check_agents_false_hands_over_without_asking_for_agents(runtime, emulator, tmp_path):
    handoff = {"id": "live", "trigger": {"keywords": ["agent"]}, "check_agents": False, "say": "Transferring you.",
               "on_failure": {"say": "The transfer failed."}}
    raw = {"version": 1, "target": {"botpress": "12.22.1", "bot": "helpdesk", "module": "hitlnext", "languages": ["en"]},
           "handoffs": [handoff]}
    bot = handoff_bot(tmp_path, raw)
    flow = json.loads((bot[1] / "flows" / "live.flow.json").read_text(encoding="utf-8"))
    assert "check_agents" not in [n["name"] for n in flow["nodes"]]
    assert "/agents" not in (bot[1] / "flows" / "live.flow.json").read_text(encoding="utf-8")
    emulator.agents = [{"agentId": "a1", "online": False}]  # nobody online: not asked, so not known
    [handed] = _conversation(runtime, emulator, bot, steps=[{"text": "agent please"}])
    assert texts(handed) == ["Transferring you."]
    assert [(h["userId"], h["userThreadId"]) for h in emulator.handoffs] == [("alice", "2")]
    assert not any(r.path.endswith("/mod/hitlnext/agents") for r in emulator.requests)
    # The start action takes the same path: no agents call, the handoff created.
    out = build(raw, tmp_path / "out")
    emulator.handoffs.clear()
    result = runtime.run_action(action(out, "helpdesk", "hitl-gen/live/start"), incoming("helpdesk", "u7", "42"),
                                **api_context(emulator))
    assert (result["state"]["temp"]["hitl_failed"], result["state"]["temp"]["hitl_no_agent"]) == (False, False)
    assert [(h["userId"], h["userThreadId"]) for h in emulator.handoffs] == [("u7", "42")]
    assert not any(r.path.endswith("/mod/hitlnext/agents") for r in emulator.requests)


# ---- the fields of a json webhook ---------------------------------------------------------
def _json_webhook_spec():
    return _spec(_handoff("desk", "agent", full_name={"from": ["first_name", "last_name"]},
                          alert=[{"webhook": {"url_env": "EXPOSED_HOOK", "format": "json", "text": "{{full_name}}: {{last_message}}"}}]))


def _expected_json_body(thread):
    return {"text": "Ada Byron: I need an agent", "user": {"id": "alice", "name": "Ada Byron"}, "channel": "web",
            "threadId": thread, "botId": BOT, "link": LINK}


def test_a_json_webhook_sends_every_field_from_the_action(runtime, emulator, tmp_path):
    out = build(_json_webhook_spec(), tmp_path / "out")
    _others_first(emulator)
    emulator.incoming(BOT, "web", "alice", "2")
    result = runtime.run_action(action(out, BOT, "hitl-gen/desk/start"),
                                incoming(BOT, "alice", "2", text="I need an agent", user={"first_name": "Ada", "last_name": "Byron"}),
                                **api_context(emulator, env={"EXPOSED_HOOK": f"{emulator.url}/__sinks/webhook/json"}))
    assert result["state"]["temp"]["hitl_alert_failed"] is False
    [hook] = emulator.webhooks
    assert hook.body == _expected_json_body("2")


def test_a_json_webhook_sends_every_field_from_the_flow(runtime, emulator, tmp_path):
    bot = handoff_bot(tmp_path, _json_webhook_spec())
    _others_first(emulator)
    _conversation(runtime, emulator, bot, env={"EXPOSED_HOOK": f"{emulator.url}/__sinks/webhook/json"},
                  user={"attributes": {"first_name": "Ada", "last_name": "Byron"}}, steps=[{"text": "I need an agent"}])
    [hook] = emulator.webhooks
    assert hook.body == _expected_json_body("2")


# ---- an e-mail copy -------------------------------------------------------------------------
def _mail_spec(via: str) -> dict:
    mail = {"from": "bot@example.com", "to": ["desk@example.com"], "cc": ["lead@example.com", "boss@example.com"],
            "subject": "{{full_name}} waits", "body": "See {{hitl_url}}", "via": via}
    if via == "smtp":
        mail["smtp"] = {"url_env": "EXPOSED_SMTP_URL"}
    return _spec(_handoff("desk", "agent", alert=[{"email": mail}]))


def test_cc_reaches_its_recipients_through_smtp(runtime, emulator, smtp_sink, tmp_path):
    out = build(_mail_spec("smtp"), tmp_path / "out")
    install_beside(out / "data" / "bots" / BOT / "actions", "nodemailer")
    _others_first(emulator)
    result = runtime.run_action(action(out, BOT, "hitl-gen/desk/start"), incoming(BOT, "alice", "1", user={"full_name": "Ada"}),
                                dataDir=str(out / "data"), **api_context(emulator, env={"EXPOSED_SMTP_URL": smtp_sink.url}))
    assert result["state"]["temp"]["hitl_alert_failed"] is False
    [mail] = smtp_sink.mails
    assert sorted(mail.recipients) == ["boss@example.com", "desk@example.com", "lead@example.com"]
    assert (mail.message["To"], mail.message["Cc"]) == ("desk@example.com", "lead@example.com, boss@example.com")
    assert mail.subject == "Ada waits"


def test_cc_reaches_its_recipients_through_the_send_email_skill(runtime, emulator, smtp_sink, tmp_path):
    bot = handoff_bot(tmp_path, _mail_spec("skill"))
    _others_first(emulator)
    [asked] = _conversation(runtime, emulator, bot, user={"attributes": {"full_name": "Ada"}}, steps=[{"text": "agent"}],
                            moduleConfig={"basic-skills": {"transportConnectionString": smtp_sink.url}})
    assert "basic-skills/send_email" in [a["name"] for a in asked["actions"]]
    [mail] = smtp_sink.mails
    assert sorted(mail.recipients) == ["boss@example.com", "desk@example.com", "lead@example.com"]
    assert mail.message["Cc"] == "lead@example.com, boss@example.com"


# ---- a non-default timeout ------------------------------------------------------------------
def test_http_timeout_ms_is_the_actions_timeout(runtime, emulator, tmp_path):
    out = build(_spec(_handoff("desk", "agent"), http_timeout_ms=400), tmp_path / "out")
    _others_first(emulator)
    emulator.fault("user_action", "hang", seconds=1.2)  # within the default 1 500 ms, past 400 ms
    result = runtime.run_action(action(out, BOT, "hitl-gen/desk/start"), incoming(BOT, "alice", "1"), **api_context(emulator))
    temp = result["state"]["temp"]
    assert temp["hitl_failed"] is True
    assert "no answer within 400 ms" in temp["hitl_error"] and "1500" not in temp["hitl_error"]
    assert [m["text"] for m in result["messages"]] == ["desk: sorry."]
    # The default, for comparison: the same pause, answered within 1 500 ms, counts.
    default = build(_spec(_handoff("desk", "agent")), tmp_path / "default")
    emulator.requests.clear()
    result = runtime.run_action(action(default, BOT, "hitl-gen/desk/start"), incoming(BOT, "alice", "1"), **api_context(emulator))
    assert result["state"]["temp"]["hitl_failed"] is False


# ---- status without --thread ----------------------------------------------------------------
def test_status_without_thread_lists_every_conversation_of_the_user(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_PASSWORD", emulator.accounts["admin@example.com"])
    for name in ("BP_URL", "BP_BOT"):
        monkeypatch.delenv(name, raising=False)
    emulator.next_session_id = 50
    emulator.incoming(BOT, "web", "alice", "1")
    emulator.incoming(BOT, "web", "bob", "1")
    emulator.incoming(BOT, "web", "alice", "2")
    emulator.incoming(BOT, "telegram", "alice", "1")
    assert run("login", "--url", emulator.url, "--email", "admin@example.com")[0] == 0
    where = ["--url", emulator.url, "--bot", BOT, "--channel", "web", "--user", "alice"]
    assert run("pause", *where, "--thread", "2")[0] == 0
    code, out, err = run("status", *where)
    assert (code, err) == (0, "")
    alice = {s.thread: s for s in emulator.sessions if s.user == "alice" and s.channel == "web"}
    assert sorted(out.splitlines()) == sorted([f"session {alice['1'].id} thread 1: not paused",
                                               f"session {alice['2'].id} thread 2: paused"])
    code, out, err = run("status", "--url", emulator.url, "--bot", BOT, "--channel", "web", "--user", "ghost")
    assert (code, out) == (1, "")
    assert err == f"{emulator.url}: no HITL session for web/ghost: HITL creates one at the user's first message\n"
