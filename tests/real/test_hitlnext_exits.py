"""What HITL Next tells the bot from 12.28 on (hitl_gen.botpress.hitlnext), on the real
12.31.10, through channel-web, with the `hitlnext-timeout` example: the agent resolves
and the flow goes on at once; nobody takes the handoff and it expires after `timeout`,
the user is told so at once; no agent online and the no-agent path runs once. In each
case hitlnext's own event (no user message) never reaches the builder's flow, and HITL
Next's eventsWebHook (`hitlnext_events`, set from the server's BP_MODULE_* variables by
real/conftest.py) posts the handoff's events.

Collected only for a server whose release has these exits (real/conftest.py).
"""

from __future__ import annotations

import time

from support.webchat import Webchat

from .test_conformance import Watch, _agent_online, _handoffs, _resolve, install, texts

EXAMPLE = "hitlnext-timeout"
SAY = "Hold on, an agent will take over here."
RESUMED = "The agent has handed you back to the bot."
TIMED_OUT = "No agent could take your request in time, so you are back with the bot."
NO_AGENT = "No agent is online right now. Please try again later."


def _bot_said_after(chat, before: int) -> list[str]:
    return [m["text"] for m in chat.received[before:] if m["from"] == "bot"]


def _events(sinks, first: int, handoff_id) -> list[tuple[str, str]]:
    """(type, status) of what HITL Next posted about one handoff, in order."""
    posted = [r.body for r in sinks[0].hitlnext_events[first:]]
    return [(e["type"], e["payload"].get("status")) for e in posted
            if e.get("resource") == "handoff" and str(e.get("id")) == str(handoff_id)]


def test_a_resolved_handoff_goes_on_at_once_and_hitlnext_posts_its_events(botpress, sinks, tmp_path):
    bot = install(botpress, sinks, tmp_path, EXAMPLE, "next-resolved")
    watch, first_event = Watch(botpress, sinks), len(sinks[0].hitlnext_events)
    _agent_online(botpress, bot.bot)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        assert texts(chat.say("I want a person")) == [SAY]
        [handoff] = _handoffs(botpress, bot.bot)
        assert (handoff["userId"], handoff["userThreadId"], handoff["status"]) == (chat.user_id, str(chat.conversation_id), "pending")
        assert chat.say("hello?", min_replies=0) == []  # held for the agent
        before = len(chat.received)
        _resolve(botpress, bot.bot, handoff["id"])
        chat.wait_for(lambda m: m["from"] == "bot" and m["text"] == RESUMED, after=before)
        said = _bot_said_after(chat, before)
        assert len(said) == 2 and said[0].startswith("You have been assigned"), said  # HITL Next's assignMessage, then ours
        assert texts(chat.say("thanks")) == ["bot heard: thanks"]
    [hook] = watch.webhooks(settle=0.5)
    assert hook.body["user"] == {"id": chat.user_id, "name": "Alice Martin"}
    deadline = time.monotonic() + 5
    while ("update", "resolved") not in _events(sinks, first_event, handoff["id"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    events = _events(sinks, first_event, handoff["id"])
    assert events[0] == ("create", "pending") and ("update", "resolved") in events, events
    assert {r.headers.get("x-sent-by") for r in sinks[0].hitlnext_events[first_event:]} == {"hitlnext"}
    watch.assert_clean()


def test_a_handoff_nobody_takes_expires_and_the_user_is_told_at_once(botpress, sinks, tmp_path):
    bot = install(botpress, sinks, tmp_path, EXAMPLE, "next-expired", edit=lambda raw: raw["handoffs"][0]["timeout"].update(after_s=5))
    watch = Watch(botpress, sinks)
    _agent_online(botpress, bot.bot)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        before = len(chat.received)
        assert texts(chat.say("agent")) == [SAY]
        started = time.monotonic()
        chat.wait_for(lambda m: m["from"] == "bot" and m["text"] == TIMED_OUT, after=before, timeout=15)
        assert time.monotonic() - started > 4  # after the 5 s the spec gives, not before
        assert _bot_said_after(chat, before) == [SAY, TIMED_OUT]
        [handoff] = _handoffs(botpress, bot.bot)
        assert handoff["status"] == "expired"
        assert texts(chat.say("hello")) == ["bot heard: hello"]  # the bot has the conversation again
        # A second request starts afresh: the first one's exit is not taken for this one's
        assert texts(chat.say("a person please")) == [SAY]
        assert sorted(h["status"] for h in _handoffs(botpress, bot.bot)) == ["expired", "pending"]
    watch.assert_clean()


def test_with_no_agent_online_the_no_agent_path_runs_once(botpress, sinks, tmp_path):
    bot = install(botpress, sinks, tmp_path, EXAMPLE, "next-nobody")
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        assert texts(chat.say("I need a human")) == [NO_AGENT, "bot heard: I need a human"]
        assert texts(chat.say("ok")) == ["bot heard: ok"]
    assert _handoffs(botpress, bot.bot) == []
    assert len(watch.webhooks(settle=0.5)) == 1
    watch.assert_clean()


def test_the_builders_timeout_text_is_said_when_a_skill_started_handoff_expires(studio_botpress, sinks, tmp_path):
    """hitlnext-timeout lets the Studio change `timeout`: said at once when HITL Next's
    own event (no user message) says the handoff expired, filled as typed in the form."""
    from support.studio_skill import ASK

    from .test_skill_module import _with_skill

    typed = {"timeout": {"en": "Sorry {{full_name}}, nobody was free in time."}}
    bot, spec, listed = _with_skill(studio_botpress, sinks, tmp_path, EXAMPLE, "skill-expired", typed,
                                    edit=lambda raw: raw["handoffs"][0]["timeout"].update(after_s=5))
    assert [t["key"] for t in listed["texts"]] == ["no_agent", "timeout"]
    watch = Watch(studio_botpress, sinks)
    _agent_online(studio_botpress, bot)
    with Webchat(studio_botpress.url, bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        before = len(chat.received)
        assert texts(chat.say(ASK)) == [SAY]
        chat.wait_for(lambda m: m["from"] == "bot" and m["text"] == "Sorry Alice Martin, nobody was free in time.",
                      after=before, timeout=15)
        # The skill's "No agent in time" exit: the builder's node after it (here the same one) runs.
        assert texts(chat.say("hello")) == ["back in the builder flow: timed_out"]
    watch.assert_clean()

