"""The generated action pack, run the way Botpress runs it, against the emulator."""

import subprocess

import pytest
import yaml
from conftest import EXAMPLES, REPO
from support.build import action, build
from support.events import api_context, incoming
from support.node_runtime import install_beside

from hitl_gen.render.actions import action_files
from hitl_gen.render.runtime import runtime_name
from hitl_gen.spec.load import load_spec

BOT = "support-bot"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_generated_action_parses_and_declares_its_metadata(example, tmp_path, runtime):
    out = build(example, tmp_path / "out")
    spec = load_spec(example)
    declared = {a.name: a.meta for a in action_files(spec)}
    files = sorted(out.rglob("actions/**/*.js"))
    [shared] = [file for file in files if file.name == runtime_name()]
    assert len(files) == len(declared) + 1
    for file in files:
        subprocess.run(["node", "--check", str(file)], check=True)
    [runtime_meta] = runtime.metadata([shared])
    assert runtime_meta["hidden"] is True and runtime_meta["category"] == "Human handoff (hitl-gen)"
    for meta in runtime.metadata([file for file in files if file != shared]):
        name = meta["file"].split("/actions/", 1)[1].removesuffix(".js")
        assert meta["hidden"] is declared[name].hidden
        assert meta["title"] and meta["category"] == "Human handoff (hitl-gen)"
        assert meta["description"] == declared[name].description
        assert [(p["name"], p["required"]) for p in meta["params"]] == [(p.name, not p.optional) for p in declared[name].params]


def _bilingual(tmp_path, smtp_sink, emulator):
    out = build(REPO / "examples" / "bilingual-alerts.yaml", tmp_path / "out")
    actions_dir = out / "data" / "bots" / BOT / "actions"
    install_beside(actions_dir, "nodemailer")  # as INSTALL.md tells the builder
    env = {"EXPOSED_SMTP_URL": smtp_sink.url, "EXPOSED_SLACK_WEBHOOK": f"{emulator.url}/__sinks/webhook/slack",
           "SMTP_PASSWORD": "must-not-leak"}
    return out, env


def _three_conversations(emulator):
    """Session ids are far from thread ids; alice has two threads."""
    emulator.next_session_id = 2
    for user, thread in (("bob", "1"), ("alice", "1"), ("alice", "2")):
        emulator.incoming(BOT, "web", user, thread)


def _paused(emulator):
    return {(s.user, s.thread): s.paused for s in emulator.sessions}


def test_talk_to_agent_pauses_only_this_conversation_alerts_and_names_the_user(runtime, emulator, smtp_sink, tmp_path):
    out, env = _bilingual(tmp_path, smtp_sink, emulator)
    _three_conversations(emulator)
    event = incoming(BOT, "alice", "2", text="je veux un humain", language="fr",
                     user={"first_name": "Alice", "last_name": "Martin", "plan": "pro"})
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start"), event, dataDir=str(out / "data"),
                                **api_context(emulator, env=env))
    state = result["state"]
    assert result["record"]["error"] is None and result["record"]["durationMs"] < 5000
    assert state["temp"]["hitl_failed"] is False and state["temp"]["hitl_alert_failed"] is False
    assert _paused(emulator) == {("bob", "1"): False, ("alice", "1"): False, ("alice", "2"): True}
    assert [m["text"] for m in result["messages"]] == ["Un agent va vous répondre."]
    assert state["user"] == {"first_name": "Alice", "last_name": "Martin", "plan": "pro", "language": "fr",
                             "full_name": "Alice Martin", "fullName": "Alice Martin"}

    [mail] = smtp_sink.mails
    assert mail.recipients == ["support@example.com"] and mail.sender == "bot@example.com"
    assert mail.subject == "Alice Martin wants to talk to an agent"
    assert "Last message: je veux un humain" in mail.text
    assert "https://bot.example.com/studio/support-bot/modules/hitl" in mail.text
    [hook] = emulator.webhooks
    assert hook.body == {"text": "Alice Martin wants to talk to an agent: https://bot.example.com/studio/support-bot/modules/hitl"}

    # Botpress persists `user` after the action; the HITL screen then shows the name.
    emulator.set_attributes(BOT, "web", "alice", state["user"])
    listing = {s["threadId"]: s for s in emulator.listing(BOT) if s["user"]["id"] == "alice"}
    assert listing["2"]["user"]["attributes"]["full_name"] == "Alice Martin"
    assert emulator.incoming(BOT, "web", "alice", "2", text="hello?")["swallowed"] is True
    assert emulator.incoming(BOT, "web", "alice", "1", text="hello?")["swallowed"] is False

    resumed = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/resume"), incoming(BOT, "alice", "2", language="fr"),
                                 **api_context(emulator, env=env))
    assert resumed["state"]["temp"]["hitl_failed"] is False
    assert [m["text"] for m in resumed["messages"]] == ["Vous êtes de retour avec le bot."]
    assert not any(_paused(emulator).values())


def test_the_name_is_stored_at_once_and_hitl_shows_it_in_place_of_its_frozen_id(runtime, smtp_sink, emulator, tmp_path):
    """hitl froze '# <random id>' into the user's session row at the first message; the
    name set later goes into that row and to the open screens, and into the user's
    attributes at once (Botpress would save `user` only when the turn ends)."""
    out, env = _bilingual(tmp_path, smtp_sink, emulator)
    tables = {"hitl_sessions": [
        {"id": 7, "botId": BOT, "channel": "web", "userId": "alice", "full_name": "# 3672811", "user_image_url": None},
        {"id": 8, "botId": BOT, "channel": "web", "userId": "bob", "full_name": "# 1111", "user_image_url": None}]}
    event = incoming(BOT, "alice", "2", language="fr", user={"first_name": "Alice", "last_name": "Martin"})
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/set_full_name"), event, dataDir=str(out / "data"),
                                tables=tables, **api_context(emulator, env=env))
    assert result["record"]["error"] is None and result["logs"] == []
    assert [row["full_name"] for row in result["tables"]["hitl_sessions"]] == ["Alice Martin", "# 1111"]
    [payload] = result["realtime"]
    assert payload["eventName"] == "hitl.session.changed" and payload["payload"]["id"] == 7
    assert payload["payload"]["user"]["fullName"] == "Alice Martin"
    assert result["userStore"]["web::alice"] == {"full_name": "Alice Martin", "fullName": "Alice Martin"}


def test_generated_actions_take_credentials_only_from_botpress_or_exposed_variables(tmp_path):
    import re

    for example in EXAMPLES:
        out = build(example, tmp_path / example.stem)
        for file in out.rglob("*.js"):
            text = file.read_text(encoding="utf-8")
            assert "/auth/login" not in text and "password" not in text.lower()
            assert re.findall(r"process\.env\S*", text) in ([], ["process.env[name]"])
            for name in re.findall(r'"(?:urlEnv|smtpUrlEnv|env)": "([^"]+)"', text):
                assert name.startswith("EXPOSED_"), f"{file} reads {name}"


def test_pause_scope_user_pauses_every_conversation_of_the_user(runtime, emulator, tmp_path):
    spec = {"version": 1, "target": {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en"]},
            "handoffs": [{"id": "all", "trigger": {"keywords": ["agent"]}, "pause": {"scope": "user"},
                          "say": "ok", "on_failure": {"say": "no"}}]}
    out = build(spec, tmp_path / "out")
    _three_conversations(emulator)
    result = runtime.run_action(action(out, BOT, "hitl-gen/all/start"), incoming(BOT, "alice", "2"), **api_context(emulator))
    assert result["state"]["temp"]["hitl_failed"] is False
    assert _paused(emulator) == {("bob", "1"): False, ("alice", "1"): True, ("alice", "2"): True}


def test_the_standalone_pause_and_unpause_actions(runtime, emulator, tmp_path):
    out = build(REPO / "examples" / "minimal-hitl.yaml", tmp_path / "out")
    _three_conversations(emulator)
    run = lambda name, **args: runtime.run_action(action(out, BOT, name), incoming(BOT, "alice", "1"), args=args, **api_context(emulator))
    assert run("hitl-gen/pause")["state"]["temp"]["hitl_failed"] is False
    assert _paused(emulator) == {("bob", "1"): False, ("alice", "1"): True, ("alice", "2"): False}
    run("hitl-gen/unpause")
    assert not any(_paused(emulator).values())
    bad = run("hitl-gen/pause", scope="everyone")["state"]["temp"]
    assert bad["hitl_failed"] is True and "scope must be" in bad["hitl_error"]


FAULTS = {
    "401": (lambda em: em.fault("user_action", 401), "refused (401)", "check the bot id"),
    "404": (lambda em: em.remove_module(BOT, "hitl"), "got 404", "enable the hitl module"),
    # A real 12.22.1 crashes its worker (no answer) when the user has no session; a 500 is made on purpose.
    "500": (lambda em: em.fault("user_action", 500), "failed (500)", "no HITL session yet"),
    "timeout": (lambda em: em.fault("user_action", "hang", seconds=6), "no answer within 1500 ms", "raise target.http_timeout_ms"),
    "reset": (lambda em: em.fault("user_action", "reset"), "could not connect", "check the address"),
    # Only a 2xx with the module's own answer counts as paused.
    "redirect": (lambda em: em.fault("user_action", "redirect"), "was redirected (302)", "must be Botpress itself"),
    "html": (lambda em: em.fault("user_action", "html"), "got 200 with <!doctype html>", "check that the bot's API is Botpress itself"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_pause_fault_is_handled_logged_and_flagged(fault, runtime, emulator, tmp_path):
    out = build(REPO / "examples" / "minimal-hitl.yaml", tmp_path / "out")
    _three_conversations(emulator)
    arrange, cause, fix = FAULTS[fault]
    arrange(emulator)
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start"), incoming(BOT, "alice", "1"), **api_context(emulator))
    temp = result["state"]["temp"]
    assert result["record"]["error"] is None and result["record"]["durationMs"] < 5000
    assert temp["hitl_failed"] is True and cause in temp["hitl_error"] and fix in temp["hitl_error"]
    assert any(log["level"] == "warn" and cause in log["message"] for log in result["logs"])
    assert [m["text"] for m in result["messages"]] == ["Sorry, I could not reach an agent. Please try again later."]


def test_a_pause_that_lands_after_the_timeout_is_undone_and_the_user_told_it_failed(runtime, emulator, tmp_path):
    out = build(REPO / "examples" / "minimal-hitl.yaml", tmp_path / "out")
    _three_conversations(emulator)
    emulator.fault("user_action", "hang", seconds=2)  # answered, and applied, after the 1 500 ms timeout
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start"), incoming(BOT, "alice", "1"), **api_context(emulator))
    temp = result["state"]["temp"]
    assert temp["hitl_failed"] is True
    assert "no answer within 1500 ms" in temp["hitl_error"] and "(undone, so the conversation is not held)" in temp["hitl_error"]
    # the late pause was applied at 2 s, then the undo, whose answer the action waited for
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.requests if "/user/" in r.path] == ["pause", "unpause"]
    assert not any(s.paused for s in emulator.sessions)  # what the user was told is what HITL holds
    assert [m["text"] for m in result["messages"]] == ["Sorry, I could not reach an agent. Please try again later."]


def test_connection_refused_is_handled(runtime, tmp_path, emulator):
    out = build(REPO / "examples" / "minimal-hitl.yaml", tmp_path / "out")
    context = api_context(emulator)
    context["api"]["localUrl"] = "http://127.0.0.1:9"  # discard port: nothing listens
    temp = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start"), incoming(BOT, "alice", "1"), **context)["state"]["temp"]
    assert temp["hitl_failed"] is True and "ECONNREFUSED" in temp["hitl_error"]


def test_a_missing_exposed_variable_fails_the_alert_but_not_the_pause(runtime, emulator, smtp_sink, tmp_path):
    out, env = _bilingual(tmp_path, smtp_sink, emulator)
    del env["EXPOSED_SLACK_WEBHOOK"]
    _three_conversations(emulator)
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start"), incoming(BOT, "alice", "1"),
                                dataDir=str(out / "data"), **api_context(emulator, env=env))
    temp = result["state"]["temp"]
    assert result["record"]["error"] is None
    assert temp["hitl_failed"] is False and temp["hitl_alert_failed"] is True
    [why] = temp["hitl_alert_errors"]
    assert "EXPOSED_SLACK_WEBHOOK is not set" in why and "restart Botpress" in why
    assert any(log["level"] == "warn" and "EXPOSED_SLACK_WEBHOOK" in log["message"] for log in result["logs"])
    assert len(smtp_sink.mails) == 1 and _paused(emulator)[("alice", "1")] is True


def test_smtp_without_nodemailer_installed_names_the_fix(runtime, emulator, smtp_sink, tmp_path):
    out = build(REPO / "examples" / "bilingual-alerts.yaml", tmp_path / "out")
    _three_conversations(emulator)
    env = {"EXPOSED_SMTP_URL": smtp_sink.url, "EXPOSED_SLACK_WEBHOOK": f"{emulator.url}/__sinks/webhook/slack"}
    temp = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start"), incoming(BOT, "alice", "1"),
                              dataDir=str(out / "data"), **api_context(emulator, env=env))["state"]["temp"]
    assert any("nodemailer cannot be loaded" in e and "INSTALL.md" in e for e in temp["hitl_alert_errors"])
    assert len(emulator.webhooks) == 1 and smtp_sink.mails == []


def test_email_through_an_http_api_uses_the_key_from_the_environment(runtime, emulator, tmp_path):
    spec = {"version": 1, "target": {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en"]},
            "handoffs": [{"id": "mail", "trigger": {"keywords": ["agent"]},
                          "alert": [{"email": {"from": "bot@example.com", "to": ["a@example.com", "b@example.com"],
                                               "subject": "{{full_name}} waits", "body": "See {{hitl_url}}", "via": "http_api",
                                               "http_api": {"url_env": "EXPOSED_MAIL_URL",
                                                            "headers": {"Authorization": {"env": "EXPOSED_MAIL_KEY", "prefix": "Bearer "}},
                                                            "body": {"sender": "{{from}}", "recipients": "{{to}}", "title": "{{subject}}",
                                                                     "content": {"text": "{{text}}", "user": "{{user.email}}"}}}}}],
                          "say": "ok", "on_failure": {"say": "no"}}]}
    out = build(spec, tmp_path / "out")
    _three_conversations(emulator)
    env = {"EXPOSED_MAIL_URL": f"{emulator.url}/__sinks/email-api", "EXPOSED_MAIL_KEY": "key-123"}
    runtime.run_action(action(out, BOT, "hitl-gen/mail/start"), incoming(BOT, "alice", "1", user={"full_name": "Al", "email": "al@x.org"}),
                       **api_context(emulator, env=env))
    [call] = emulator.email_api
    assert call.headers["authorization"] == "Bearer key-123"
    assert call.body == {"sender": "bot@example.com", "recipients": "a@example.com, b@example.com", "title": "Al waits",
                         "content": {"text": "See https://bot.example.com/studio/support-bot/modules/hitl", "user": "al@x.org"}}
    assert "key-123" not in "".join(p.read_text() for p in out.rglob("*.js"))


@pytest.mark.parametrize("version, delivered", [("12.21.1", True), ("12.22.1", False)])
def test_admin_notification_only_where_the_sdk_has_it(version, delivered, runtime, emulator, tmp_path):
    spec = {"version": 1, "target": {"botpress": "12.21.1", "bot": BOT, "module": "hitl", "languages": ["en"]},
            "handoffs": [{"id": "n", "trigger": {"keywords": ["agent"]}, "alert": [{"admin_notification": {}}],
                          "say": "ok", "on_failure": {"say": "no"}}]}
    out = build(spec, tmp_path / "out")
    _three_conversations(emulator)
    result = runtime.run_action(action(out, BOT, "hitl-gen/n/start"), incoming(BOT, "alice", "1", user={"full_name": "Al"}),
                                botpress=version, **api_context(emulator))
    if delivered:
        assert result["notifications"] == [{"botId": BOT, "message": "Al wants to talk to a human", "level": "info",
                                            "url": "/studio/support-bot/modules/hitl"}]
    else:  # a spec for 12.21 installed on 12.22: the alert fails cleanly, the pause still happens
        assert result["state"]["temp"]["hitl_alert_failed"] is True
        assert "removed in 12.22.0" in result["state"]["temp"]["hitl_alert_errors"][0]
    assert result["state"]["temp"]["hitl_failed"] is False


def _hitlnext(tmp_path):
    return build(REPO / "examples" / "hitlnext-agents.yaml", tmp_path / "out")


def test_hitlnext_with_an_agent_online_creates_the_handoff_for_this_thread(runtime, emulator, tmp_path):
    import json

    out = _hitlnext(tmp_path)
    config = json.loads((out / "data/bots/helpdesk/config/hitlnext.json").read_text(encoding="utf-8"))
    emulator.transfer_message = config["transferMessage"]
    assert emulator.transfer_message == ""  # HITL Next would say it in the bot's default language
    emulator.agents = [{"agentId": "a1", "online": True}]
    env = {"EXPOSED_TEAMS_WEBHOOK": f"{emulator.url}/__sinks/webhook/teams"}
    result = runtime.run_action(action(out, "helpdesk", "hitl-gen/live_agent/start"),
                                incoming("helpdesk", "u7", "42", user={"first_name": "Sam", "last_name": "Lee"},
                                         text="see [my order](http://evil.example)"),
                                **api_context(emulator, env=env))
    temp = result["state"]["temp"]
    assert (temp["hitl_failed"], temp["hitl_no_agent"]) == (False, False)
    assert [(h["userId"], h["userThreadId"], h["userChannel"]) for h in emulator.handoffs] == [("u7", "42", "web")]
    assert result["state"]["user"]["fullName"] == "Sam Lee"
    # The action says `say` in the user's language; HITL Next itself says nothing.
    assert [m["text"] for m in result["messages"]] == ["I'm transferring you to an agent."]
    assert emulator.outbox == []
    # The Teams channel: an Adaptive Card for a Workflows webhook; a link the user typed stays text.
    [message] = emulator.webhooks
    assert message.path == "/__sinks/webhook/teams"
    assert message.body == {"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": [{"type": "TextBlock", "text": "Sam Lee is waiting on web", "weight": "Bolder", "size": "Medium", "wrap": True},
                     {"type": "TextBlock", "text": "Last message: see [my order]\u200b(http://evil.example)", "wrap": True},
                     {"type": "FactSet", "facts": [{"title": "User", "value": "Sam Lee"}, {"title": "Channel", "value": "web"}]}],
            "actions": [{"type": "Action.OpenUrl", "title": "Open the conversation",
                         "url": "https://bot.example.com/studio/helpdesk/modules/hitlnext"}]}}]}


def test_hitlnext_without_agents_tells_the_user_and_still_alerts(runtime, emulator, tmp_path):
    out = _hitlnext(tmp_path)
    emulator.agents = [{"agentId": "a1", "online": False}]
    env = {"EXPOSED_TEAMS_WEBHOOK": f"{emulator.url}/__sinks/webhook/teams"}
    result = runtime.run_action(action(out, "helpdesk", "hitl-gen/live_agent/start"), incoming("helpdesk", "u7", "42"),
                                **api_context(emulator, env=env))
    assert result["state"]["temp"]["hitl_no_agent"] is True and emulator.handoffs == []
    assert [m["text"] for m in result["messages"]] == ["No agent is online right now. We have been notified and will get back to you."]
    assert len(emulator.webhooks) == 1


@pytest.mark.parametrize("route, cause", [
    ("agents", "listing the agents got 200 with <!doctype html>"),
    ("handoffs", "creating the handoff got 200 with <!doctype html>"),
])
def test_hitlnext_counts_only_the_modules_own_answers(route, cause, runtime, emulator, tmp_path):
    out = _hitlnext(tmp_path)
    emulator.agents = [{"agentId": "a1", "online": True}]
    emulator.fault(route, "html")
    env = {"EXPOSED_TEAMS_WEBHOOK": f"{emulator.url}/__sinks/webhook/teams"}
    result = runtime.run_action(action(out, "helpdesk", "hitl-gen/live_agent/start"), incoming("helpdesk", "u7", "42"),
                                **api_context(emulator, env=env))
    temp = result["state"]["temp"]
    # A page instead of the agents is a failure, not "no agent online"; nor is it a handoff.
    assert (temp["hitl_failed"], temp["hitl_no_agent"]) == (True, False)
    assert temp["hitl_error"].startswith(cause) and "where the hitlnext module answers" in temp["hitl_error"]
    assert [m["text"] for m in result["messages"]] == ["Sorry, the transfer failed. Please try again in a moment."]


def test_hitlnext_refuses_the_converse_api_with_a_warning(runtime, emulator, tmp_path):
    out = _hitlnext(tmp_path)
    emulator.agents = [{"agentId": "a1", "online": True}]
    result = runtime.run_action(action(out, "helpdesk", "hitl-gen/live_agent/start"),
                                incoming("helpdesk", "u7", None, channel="api"), **api_context(emulator))
    temp = result["state"]["temp"]
    assert temp["hitl_failed"] is True and "Converse API" in temp["hitl_error"]
    assert any(log["level"] == "warn" and "Converse API" in log["message"] for log in result["logs"])
    assert emulator.handoffs == []


@pytest.mark.parametrize("text, intent, misunderstood, start, reason", [
    ("I want an AGENT please", "none", 0, True, "keyword"),
    ("hello", "talk_to_human", 0, True, "intent"),
    ("blah", "none", 2, True, "misunderstood"),
    ("blah", "none", 0, False, ""),
])
def test_should_start_recognises_each_trigger(text, intent, misunderstood, start, reason, runtime, tmp_path):
    out = _hitlnext(tmp_path)
    event = incoming("helpdesk", "u7", "42", text=text)
    event["nlu"]["intent"]["name"] = intent
    event["state"]["session"] = {"hitl_misunderstood_live_agent": misunderstood}
    temp = runtime.run_action(action(out, "helpdesk", "hitl-gen/live_agent/should_start"), event)["state"]["temp"]
    assert (temp["hitl_start_live_agent"], temp["hitl_start_reason_live_agent"]) == (start, reason)


def test_two_handoffs_keep_their_own_trigger_state(runtime, tmp_path):
    """B3: each should_start writes its own flag and counter; the keyword of the second
    handoff starts the second only, and one misunderstood message counts once for each."""
    handoff = {"say": "ok", "on_failure": {"say": "no"}}
    spec = {"version": 1, "target": {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en"]},
            "handoffs": [{"id": "sales", "trigger": {"keywords": ["sales"], "after_failures": 3}, **handoff},
                         {"id": "billing", "trigger": {"keywords": ["invoice"], "after_failures": 3}, **handoff}]}
    out = build(spec, tmp_path / "out")
    state = {"session": {}, "temp": {}}
    for name in ("sales", "billing"):
        event = incoming(BOT, "u1", "1", text="where is my invoice")
        event["state"] = state
        state = runtime.run_action(action(out, BOT, f"hitl-gen/{name}/should_start"), event)["state"]
    temp, session = state["temp"], state["session"]
    assert (temp["hitl_start_sales"], temp["hitl_start_billing"]) == (False, True)
    # one message, counted once by sales; billing starts, which begins its count anew
    assert session == {"hitl_misunderstood_sales": 1, "hitl_misunderstood_billing": 0}


def test_a_description_cannot_close_or_forge_the_jsdoc_block(runtime, tmp_path):
    spec = {"version": 1, "target": {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en"]},
            "handoffs": [{"id": "evil", "description": "*/ temp.injected = true /**\n * @hidden true\n * @title Forged",
                          "trigger": {"keywords": ["agent"]}, "say": "ok", "on_failure": {"say": "no"}}]}
    out = build(spec, tmp_path / "out")
    file = action(out, BOT, "hitl-gen/evil/start")
    [meta] = runtime.metadata([file])
    assert (meta["title"], meta["hidden"]) == ("Hand over to an agent (evil)", False)
    temp = runtime.run_action(file, incoming(BOT, "u1", "1"))["state"]["temp"]
    assert "injected" not in temp and temp["hitl_failed"] is True


def test_the_javascript_computes_exactly_the_placeholders_the_spec_checks_allow(runtime, tmp_path):
    """texts.PLACEHOLDERS is the one list: the spec checks read it, and messageVars in
    lib/context.js must compute each of those values and no other."""
    from hitl_gen.texts import PLACEHOLDERS

    out = build(REPO / "examples" / "minimal-hitl.yaml", tmp_path / "out")
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/prepare_call_api"), incoming(BOT, "u1", "1"))
    assert result["record"]["error"] is None
    assert set(result["state"]["temp"]["hitl_vars"]) == set(PLACEHOLDERS) | {"user"}


@pytest.mark.parametrize("language, text, start", [
    ("fr", "Je veux une CONSEILLERE", True),   # the French keyword is "conseillère": case and accents ignored
    ("fr", "conseillères", False),              # whole words only
    ("en", "conseillère", False),               # not an English keyword
    ("en", "a HUMAN, please", True),
    (None, "humain", True),                      # the button's keywords are a plain list: every language
])
def test_keywords_are_per_language_whole_words_without_case_or_accents(language, text, start, runtime, tmp_path):
    out = build(REPO / "examples" / "bilingual-alerts.yaml", tmp_path / "out")
    event = incoming(BOT, "u1", text=text, language=language)
    temp = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/should_start"), event)["state"]["temp"]
    assert temp["hitl_start_talk_to_agent"] is start


def test_an_action_whose_shared_runtime_is_missing_reports_a_failure_and_does_not_throw(runtime, emulator, tmp_path):
    out = build(REPO / "examples" / "minimal-hitl.yaml", tmp_path / "out")
    shared = out / "data" / "bots" / BOT / "actions" / "hitl-gen" / runtime_name()
    shared.unlink()
    emulator.incoming(BOT, "web", "alice", "1")
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start"), incoming(BOT, "alice", "1"),
                                **api_context(emulator))
    temp = result["state"]["temp"]
    assert result["record"]["error"] is None  # the dialog engine sees no exception
    assert temp["hitl_failed"] is True
    assert temp["hitl_error"].startswith(f"actions/hitl-gen/{runtime_name()} could not run: ENOENT")
    assert [log["level"] for log in result["logs"]] == ["warn"]
    assert not any(s.paused for s in emulator.sessions)


def test_the_runtime_file_is_named_by_its_content_so_two_versions_never_share_a_name(monkeypatch):
    from hitl_gen.render import runtime as shared

    first = shared.runtime_name()
    assert first.startswith("runtime-") and first.endswith(".js")
    assert f"hitl-gen {shared.__version__}:" in shared.runtime_source()
    monkeypatch.setattr(shared, "__version__", "99.0.0")
    shared.runtime_source.cache_clear()
    shared.runtime_name.cache_clear()
    try:
        assert shared.runtime_name() != first and "hitl-gen 99.0.0:" in shared.runtime_source()
    finally:
        shared.runtime_source.cache_clear()
        shared.runtime_name.cache_clear()


def test_global_actions_find_their_runtime_in_the_global_actions(runtime, emulator, tmp_path):
    spec = yaml.safe_load((REPO / "examples" / "minimal-hitl.yaml").read_text(encoding="utf-8"))
    spec["target"]["actions"] = "global"
    out = build(spec, tmp_path / "out")
    assert (out / "data" / "global" / "actions" / "hitl-gen" / runtime_name()).is_file()
    emulator.incoming(BOT, "web", "alice", "1")
    result = runtime.run_action(action(out, BOT, "hitl-gen/talk_to_agent/start", scope="global"), incoming(BOT, "alice", "1"),
                                **api_context(emulator))
    assert result["state"]["temp"]["hitl_failed"] is False
    assert [s.paused for s in emulator.sessions] == [True]
