"""Business hours and the way back after a hand-back, on a real Botpress 12.22.1
through channel-web, with the `business-hours` example started by its trigger hook.

Hours are chosen from the real clock so that now is open, or closed: in a time zone
whose date is not UTC's date right now, so hours read in the wrong zone would pick the
wrong day. After the hand-back: the satisfaction question once, its answer stored on
the user (read from the server's database), `then` back where the user was or into a
node of another flow, once; never an infinite loop or a worker restart.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from real.test_conformance import Watch, install, texts, wait_paused
from support.handoff_bot import ECHO_ACTION, echo, node, write_flow
from support.webchat import Webchat

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED_SAYS = ("Our team is away right now (weekdays 9:00 to 18:00, Paris time). "
               "They have your message and will get back to you.")
ASKED = "An agent will be with you shortly."
BACK = "You are back with the bot."


def _zone_now() -> tuple[str, datetime]:
    """A zone whose date differs from UTC's, at least an hour from its midnight; or, in
    the hour when none does, one at least an hour from its midnight."""
    now = datetime.now(timezone.utc)
    zones = ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Tokyo", "America/Los_Angeles")
    local = {zone: now.astimezone(ZoneInfo(zone)) for zone in zones}
    away = [z for z in zones if 60 <= local[z].hour * 60 + local[z].minute < 23 * 60]
    zone = next((z for z in away if local[z].date() != now.date()), away[0])
    return zone, local[zone]


def _hours(*, open_now: bool, closed_today: bool = False, hand_over: bool = False):
    """An edit of the example's hours: open all day today only (open_now), or every day
    but today; with closed_today, open every day and today listed as closed."""
    zone, local = _zone_now()
    today = DAYS[local.weekday()]
    days = [today] if open_now else [d for d in DAYS if d != today]
    if closed_today:
        days = list(DAYS)

    def edit(raw):
        hours = raw["handoffs"][0]["hours"]
        hours.update(time_zone=zone, open={day: ["00:00-24:00"] for day in days},
                     closed=[local.strftime("%Y-%m-%d")] if closed_today else [])
        hours["off_hours"]["hand_over"] = hand_over
    return edit


def _stored_attribute(botpress, user_id: str, name: str, timeout: float = 5):
    """user.<name> as the server stored it (srv_channel_users), once it is there."""
    deadline = time.monotonic() + timeout
    while True:
        rows = botpress.sql("SELECT attributes FROM srv_channel_users WHERE user_id = ?", user_id)
        value = json.loads(rows[0][0]).get(name) if rows else None
        if value is not None or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def _alert_texts(watch, count: int = 1) -> list[str]:
    hooks = watch.webhooks(settle=0.5)
    assert len(hooks) == count
    return [hook.body["text"] for hook in hooks]


def test_the_servers_node_knows_iana_zones_with_2021_rules(botpress):
    """Why hitl-gen writes a table of UTC offsets instead of using Intl: Node 12.22.12
    (ICU 67, English only) knows the zones, but not the names given since 2021 and not
    the rules changed since (Mexico left summer time in 2022)."""
    bot_dir = botpress.create_bot("intl-probe")
    (bot_dir / "actions").mkdir(exist_ok=True)
    (bot_dir / "actions" / "intl.js").write_text(r"""/**
 * Probe Intl.
 * @title Probe
 */
const at = (zone, when) => {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).format(new Date(when))
  } catch (err) { return err.name }
}
const seen = { paris: at('Europe/Paris', '2026-07-01T12:00:00Z'), kyiv: at('Europe/Kyiv', '2026-07-01T12:00:00Z'),
  mexico: at('America/Mexico_City', '2026-07-01T12:00:00Z'), locales: Intl.DateTimeFormat.supportedLocalesOf(['en-US', 'fr']) }
return bp.events.replyToEvent(event, [{ type: 'text', text: JSON.stringify(seen) }])
""", encoding="utf-8")
    write_flow(bot_dir, "main", [node("entry", ["intl {}"], [("true", "")])])
    botpress.reload("intl-probe")
    [reply] = botpress.converse("intl-probe", "probe", "now")
    assert json.loads(reply["text"]) == {"paris": "14:00", "kyiv": "RangeError", "mexico": "07:00", "locales": ["en-US"]}


def test_open_now_hands_over_then_asks_how_it_went_once_and_stores_the_answer(botpress, sinks, cli, tmp_path):
    bot = install(botpress, sinks, tmp_path, "business-hours", "hours-open", edit=_hours(open_now=True))
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        assert texts(chat.say("I want an agent")) == [ASKED]
        wait_paused(botpress, bot.bot, "web", chat.user_id)
        assert _alert_texts(watch) == ["Alice Martin asked for an agent while the desk was open: I want an agent"]
        assert chat.say("hello?", min_replies=0) == []  # held for the agent
        assert cli("unpause", "--bot", bot.bot, "--channel", "web", "--user", chat.user_id, "--thread", chat.conversation_id)[0] == 0
        back = chat.say("thanks", min_replies=2)
        assert texts(back) == [BACK, "How did we do?"]
        [(good, good_value), (bad, _)] = back[-1]["choices"]
        assert (good, good_value.lower(), bad) == ("Good", "good", "Not good")
        # The click goes back where the user was: the main flow's entry, which answers it.
        assert texts(chat.click(good, good_value)) == ["bot heard: Good"]
        assert texts(chat.say("more")) == ["bot heard: more"]  # asked once; no handoff question again
        assert _stored_attribute(botpress, chat.user_id, "satisfaction") == "good"
    watch.assert_clean()


def test_a_message_that_answers_nothing_ends_the_question_and_gets_the_bots_answer(botpress, sinks, cli, tmp_path):
    bot = install(botpress, sinks, tmp_path, "business-hours", "hours-ignored", edit=_hours(open_now=True))
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("agent")) == [ASKED]
        wait_paused(botpress, bot.bot, "web", chat.user_id)
        assert cli("unpause", "--bot", bot.bot, "--channel", "web", "--user", chat.user_id, "--thread", chat.conversation_id)[0] == 0
        assert texts(chat.say("thanks", min_replies=2)) == [BACK, "How did we do?"]
        assert texts(chat.say("what are your prices?")) == ["bot heard: what are your prices?"]
        assert texts(chat.say("more")) == ["bot heard: more"]
        assert _stored_attribute(botpress, chat.user_id, "satisfaction", timeout=1) is None
    watch.assert_clean()


def test_closed_now_says_so_alerts_that_it_is_closed_and_keeps_the_conversation(botpress, sinks, tmp_path):
    bot = install(botpress, sinks, tmp_path, "business-hours", "hours-closed", edit=_hours(open_now=False))
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        # Said, then back where the user was, whose own transitions answer the same message.
        assert texts(chat.say("I want an agent", min_replies=2)) == [CLOSED_SAYS, "bot heard: I want an agent"]
        assert _alert_texts(watch) == ["Alice Martin asked for an agent while the desk was closed: I want an agent"]
        assert not botpress.hitl_session(bot.bot, "web", chat.user_id)["isPaused"]
        assert texts(chat.say("hello")) == ["bot heard: hello"]
    watch.assert_clean()


def test_a_closed_date_with_hand_over_still_pauses_after_saying_so(botpress, sinks, cli, tmp_path):
    def edit(raw):
        _hours(open_now=True, closed_today=True, hand_over=True)(raw)
        raw["handoffs"][0]["resume"].pop("satisfaction")

    bot = install(botpress, sinks, tmp_path, "business-hours", "hours-date", edit=edit)
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        assert texts(chat.say("I want an agent")) == [CLOSED_SAYS]  # instead of "An agent will be with you shortly."
        wait_paused(botpress, bot.bot, "web", chat.user_id)
        assert _alert_texts(watch) == ["Alice Martin asked for an agent while the desk was closed: I want an agent"]
        assert chat.say("anyone?", min_replies=0) == []
        assert cli("unpause", "--bot", bot.bot, "--channel", "web", "--user", chat.user_id, "--thread", chat.conversation_id)[0] == 0
        assert texts(chat.say("thanks", min_replies=2)) == [BACK, "bot heard: thanks"]
        assert texts(chat.say("more")) == ["bot heard: more"]
    watch.assert_clean()


def test_then_runs_a_node_of_another_flow_once_and_comes_back_without_a_loop(botpress, sinks, cli, tmp_path):
    def edit(raw):
        handoff = raw["handoffs"][0]
        handoff.pop("hours")
        handoff["resume"]["then"] = {"flow": "faq.flow.json", "node": "start"}
        handoff["resume"].pop("satisfaction")

    bot = install(botpress, sinks, tmp_path, "business-hours", "then-faq", edit=edit)
    # The builder's own flow that `then` names: `start` answers and returns (`#`).
    (bot.bot_dir / "actions" / "test_bot" / "echo.js").write_text(ECHO_ACTION, encoding="utf-8")
    write_flow(bot.bot_dir, "faq", [node("first", [echo("faq first: ")], [("true", "")]),
                                    node("start", [echo("faq: ")], [("true", "#")])])
    botpress.reload(bot.bot)
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("I want an agent")) == [ASKED]
        wait_paused(botpress, bot.bot, "web", chat.user_id)
        assert cli("unpause", "--bot", bot.bot, "--channel", "web", "--user", chat.user_id, "--thread", chat.conversation_id)[0] == 0
        # faq's `start` (not its start node) once; its `#` then leads back where the user was.
        assert texts(chat.say("thanks", min_replies=3)) == [BACK, "faq: thanks", "bot heard: thanks"]
        assert texts(chat.say("more")) == ["bot heard: more"]
    watch.assert_clean()


def test_a_keyword_typed_in_the_flow_then_leads_to_starts_the_handoff_again(botpress, sinks, cli, tmp_path):
    """After `then` moved the user into a node of the builder's flow that waits, the
    handoff is over: the jump point it left must not make the trigger hook think the
    user is still inside it."""
    def edit(raw):
        handoff = raw["handoffs"][0]
        handoff.pop("hours")
        handoff["resume"]["then"] = {"flow": "faq.flow.json", "node": "ask"}
        handoff["resume"].pop("satisfaction")

    bot = install(botpress, sinks, tmp_path, "business-hours", "then-wait", edit=edit)
    (bot.bot_dir / "actions" / "test_bot" / "echo.js").write_text(ECHO_ACTION, encoding="utf-8")
    write_flow(bot.bot_dir, "faq", [node("first", [echo("faq first: ")], [("true", "")]),
                                    node("ask", [echo("faq asks after: ")], [("true", "answered")], wait=True),
                                    node("answered", [echo("faq got: ")], [("true", "")])])
    botpress.reload(bot.bot)
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("I want an agent")) == [ASKED]
        wait_paused(botpress, bot.bot, "web", chat.user_id)
        assert cli("unpause", "--bot", bot.bot, "--channel", "web", "--user", chat.user_id, "--thread", chat.conversation_id)[0] == 0
        assert texts(chat.say("thanks", min_replies=2)) == [BACK, "faq asks after: thanks"]  # waiting in faq's `ask`
        assert texts(chat.say("agent again please")) == [ASKED]  # the keyword starts the handoff from there
        wait_paused(botpress, bot.bot, "web", chat.user_id)
    watch.assert_clean()
