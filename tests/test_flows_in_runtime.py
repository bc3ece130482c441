"""Generated handoff flows walked like the dialog engine, with their skills
calling the emulator: button, alerts, pause, swallowed messages, agent release, resume."""

import io
import json

import pytest
from conftest import REPO
from support.bots import sample_bot, spec_languages
from support.events import api_context
from support.node_runtime import install_beside

from hitl_gen.cli import main

BOT = "support-bot"


def install(spec, tmp_path, bot=BOT):
    """A copy of the welcome-bot sample named after the spec's bot, with the spec installed."""
    data = tmp_path / "data"
    bot_dir = sample_bot(tmp_path, bot, spec_languages(spec))
    err = io.StringIO()
    assert main(["build", str(spec), "--into", str(bot_dir)], stdout=io.StringIO(), stderr=err) == 0, err.getvalue()
    return data, bot_dir


def converse(runtime, emulator, data, bot_dir, steps, *, env=None, user=None, flow="talk_to_agent.flow.json", **extra):
    who = {"channel": "web", "target": "alice", "threadId": "2", **(user or {})}
    return runtime.conversation(botDir=str(bot_dir), dataDir=str(data), botId=bot_dir.name, emulatorUrl=emulator.url,
                                startFlow=flow, user=who, steps=steps, **api_context(emulator, env=env or {}), **extra)["turns"]


def texts(turn):
    return [m.get("text") or m.get("wrapped", {}).get("text") for m in turn["messages"] if m.get("type") != "typing"]


@pytest.fixture
def bilingual(tmp_path, emulator, smtp_sink):
    data, bot_dir = install(REPO / "examples" / "bilingual-alerts.yaml", tmp_path)
    install_beside(bot_dir / "actions", "nodemailer")
    env = {"EXPOSED_SMTP_URL": smtp_sink.url, "EXPOSED_SLACK_WEBHOOK": f"{emulator.url}/__sinks/webhook/slack"}
    emulator.next_session_id = 2
    for user, thread in (("bob", "1"), ("alice", "1")):  # other conversations that must stay untouched
        emulator.incoming(BOT, "web", user, thread)
    return data, bot_dir, env


def test_the_button_flow_hands_over_and_back(runtime, emulator, smtp_sink, bilingual):
    data, bot_dir, env = bilingual
    turns = converse(runtime, emulator, data, bot_dir, env=env,
                     user={"attributes": {"first_name": "Alice", "last_name": "Martin"}, "language": "fr"},
                     steps=[{"text": "bonjour"}, {"type": "quick_reply", "text": "Parler à un agent", "payload": "agent"},
                            {"text": "vous êtes là ?"}, {"agent": "unpause"}, {"text": "merci"}])
    hello, click, waiting, released, after = turns
    assert texts(hello) == ["Voulez-vous parler à une personne ?"]
    assert hello["messages"][-1]["quick_replies"] == [{"title": "Parler à un agent", "payload": "agent"}]
    assert click["crash"] is None and [a["error"] for a in click["actions"]] == [None] * len(click["actions"])
    assert [a["name"] for a in click["actions"]] == [
        "basic-skills/choice_parse_answer", "hitl-gen/talk_to_agent/set_full_name", "hitl-gen/talk_to_agent/prepare_call_api",
        "hitl-gen/talk_to_agent/prepare_call_api", "basic-skills/call_api", "builtin/setVariable", "builtin/setVariable",
        "hitl-gen/talk_to_agent/alert_agents", "basic-skills/call_api", "builtin/setVariable"]
    # the pause first, then the alerts; the server token lived for the pause call only (FACTS §12)
    args = [a["args"] for a in click["actions"]]
    assert args[3] == {"token": True} and args[5] == {"type": "temp", "name": "hitl_api", "value": ""}
    assert texts(click) == ["Un agent va vous répondre."]
    assert click["waiting"] == "talk_to_agent.flow.json#handed_over"
    assert waiting["swallowed"] is True and waiting["messages"] == []  # paused: HITL swallowed it
    assert after["swallowed"] is False and texts(after) == ["Vous êtes de retour avec le bot."]
    assert after["ended"] is True
    assert {(s.user, s.thread): s.paused for s in emulator.sessions} == {("bob", "1"): False, ("alice", "1"): False, ("alice", "2"): False}
    [hook] = emulator.webhooks
    assert hook.body == {"text": "Alice Martin wants to talk to an agent: https://bot.example.com/studio/support-bot/modules/hitl"}
    assert [m.subject for m in smtp_sink.mails] == ["Alice Martin wants to talk to an agent"]
    pauses = [r for r in emulator.requests if r.path.endswith("/pause")]
    assert [(r.path, r.query) for r in pauses] == [("/api/v1/bots/support-bot/mod/hitl/channel/web/user/alice/pause", {"threadId": "2"})]


def test_only_the_conversation_in_the_flow_is_paused(runtime, emulator, bilingual):
    data, bot_dir, env = bilingual
    converse(runtime, emulator, data, bot_dir, env=env, steps=[{"text": "hi"}, {"type": "quick_reply", "text": "Talk to an agent", "payload": "agent"}])
    assert {(s.user, s.thread): s.paused for s in emulator.sessions} == {("bob", "1"): False, ("alice", "1"): False, ("alice", "2"): True}


def test_a_failed_pause_takes_the_fallback_branch(runtime, emulator, bilingual):
    data, bot_dir, env = bilingual
    emulator.fault("user_action", 500)
    _, click = converse(runtime, emulator, data, bot_dir, env=env,
                        steps=[{"text": "hi"}, {"type": "quick_reply", "text": "Talk to an agent", "payload": "agent"}])
    assert texts(click) == ["Our agents are unavailable; we emailed them and will reply soon."]
    assert click["ended"] is True and click["crash"] is None


def test_a_message_that_is_not_the_button_is_retried_then_given_up(runtime, emulator, bilingual):
    data, bot_dir, env = bilingual
    turns = converse(runtime, emulator, data, bot_dir, env=env, steps=[{"text": "hi"}] + [{"text": "banana"}] * 4)
    assert [t["ended"] for t in turns] == [False, False, False, False, True]
    assert not any(s.paused for s in emulator.sessions)


def test_typed_keywords_count_as_the_button(runtime, emulator, bilingual):
    data, bot_dir, env = bilingual
    _, typed = converse(runtime, emulator, data, bot_dir, env=env, steps=[{"text": "hi"}, {"text": "I want a HUMAN now"}])
    assert texts(typed) == ["An agent will be with you shortly."]


def test_a_webhook_failure_does_not_stop_the_handover(runtime, emulator, bilingual):
    data, bot_dir, env = bilingual
    emulator.fault("webhook", 500)
    _, click = converse(runtime, emulator, data, bot_dir, env=env,
                        steps=[{"text": "hi"}, {"type": "quick_reply", "text": "Talk to an agent", "payload": "agent"}])
    assert texts(click) == ["An agent will be with you shortly."]
    assert emulator.session_for(BOT, "web", "alice", "2").paused is True


def test_hitlnext_flow_with_and_without_an_agent(runtime, emulator, tmp_path):
    data, bot_dir = install(REPO / "examples" / "hitlnext-agents.yaml", tmp_path, bot="helpdesk")
    # the module reads the bot's config/hitlnext.json, as the real server does
    emulator.transfer_message = json.loads((bot_dir / "config" / "hitlnext.json").read_text(encoding="utf-8"))["transferMessage"]
    env = {"EXPOSED_TEAMS_WEBHOOK": f"{emulator.url}/__sinks/webhook/teams"}
    emulator.agents = [{"agentId": "a1", "online": False}]
    [nobody] = converse(runtime, emulator, data, bot_dir, env=env, flow="live_agent.flow.json", steps=[{"text": "agent please"}])
    assert texts(nobody) == ["No agent is online right now. We have been notified and will get back to you."]
    assert emulator.handoffs == [] and len(emulator.webhooks) == 1

    emulator.agents = [{"agentId": "a1", "online": True}]
    handed, waiting, resolved, after = converse(runtime, emulator, data, bot_dir, env=env, flow="live_agent.flow.json",
                                                steps=[{"text": "agent please"}, {"text": "hello?"}, {"agent": "resolve"}, {"text": "thanks"}])
    assert [(h["userId"], h["userThreadId"], h["status"]) for h in emulator.handoffs] == [("alice", "2", "resolved")]
    assert texts(handed) == ["I'm transferring you to an agent."] and handed["waiting"] == "live_agent.flow.json#handed_over"
    assert emulator.outbox == []  # HITL Next's own transferMessage is off (it ignores the user's language)
    assert waiting["swallowed"] is True
    assert after["swallowed"] is False and after["ended"] is True


def test_the_send_email_skill_sends_through_basic_skills_smtp(runtime, emulator, smtp_sink, tmp_path):
    spec = tmp_path / "skill-mail.yaml"
    spec.write_text((REPO / "examples" / "minimal-hitl.yaml").read_text().replace(
        "    say: \"An agent", "    alert:\n      - email: {from: bot@example.com, to: [help@example.com], via: skill,\n"
        "                 subject: \"{{full_name}} needs help\", body: \"Answer at {{hitl_url}}\"}\n    say: \"An agent"))
    data, bot_dir = install(spec, tmp_path)
    emulator.incoming(BOT, "web", "alice", "2")
    _, click = converse(runtime, emulator, data, bot_dir, user={"attributes": {"full_name": "Al O'Neil"}},
                        moduleConfig={"basic-skills": {"transportConnectionString": smtp_sink.url}},
                        steps=[{"text": "hi"}, {"type": "quick_reply", "text": "Talk to an agent", "payload": "agent"}])
    assert "basic-skills/send_email" in [a["name"] for a in click["actions"]]
    [mail] = smtp_sink.mails
    assert mail.subject == "Al O'Neil needs help" and mail.recipients == ["help@example.com"]
    assert mail.text.strip() == "Answer at https://bot.example.com/studio/support-bot/modules/hitl"


def test_a_stalled_alert_endpoint_does_not_hold_the_pause_back(runtime, emulator, smtp_sink, bilingual):
    """Botpress's Call-API skill has no timeout: a webhook that answers late (3 s here;
    over a minute under load, benchmarks/load.py) must come after the pause."""
    data, bot_dir, env = bilingual
    emulator.fault("webhook", "hang", seconds=3)
    [hello, click] = converse(runtime, emulator, data, bot_dir, env=env, user={"language": "en"},
                              steps=[{"text": "hello"}, {"type": "quick_reply", "text": "Talk to an agent", "payload": "agent"}])
    assert click["crash"] is None
    order = [r.path.rsplit("/", 1)[-1] for r in emulator.requests if r.path.endswith(("/pause", "/slack"))]
    assert order == ["pause", "slack"]
    assert texts(click) == ["An agent will be with you shortly."]


def test_a_failed_hand_back_is_not_told_as_one(runtime, emulator, smtp_sink, bilingual):
    """The flow's unpause fails (500): the resume action tries once more in code, fails
    too, logs why, and the user is not told they are back with the bot."""
    data, bot_dir, env = bilingual
    emulator.fault("user_action", 500, only={"action": "unpause"})
    turns = converse(runtime, emulator, data, bot_dir, env=env, user={"language": "en"},
                     steps=[{"text": "hello"}, {"type": "quick_reply", "text": "Talk to an agent", "payload": "agent"},
                            {"agent": "unpause"}, {"text": "thanks"}])
    after = turns[-1]
    assert after["crash"] is None and after["ended"] is True
    assert texts(after) == []  # not "You are back with the bot."
    assert [a["name"] for a in after["actions"]][-1] == "hitl-gen/talk_to_agent/resume"
    assert any(log["level"] == "warn" and "unpausing the conversation failed (500)" in log["message"] for log in after["logs"])
    assert len([r for r in emulator.requests if r.path.endswith("/unpause")]) == 2  # the skill, then the action
