"""Business hours (`hours:`), run the way Botpress 12.22.1 runs actions and flows, with
a fixed clock inside the action sandboxes: the hours action, the start action (code),
and the generated flow (no code)."""

import copy

import pytest
from support.events import api_context, incoming
from support.handoff_bot import BOT, handoff_bot, texts

from hitl_gen.hours import utc_offsets

HOURS = {
    "time_zone": "Europe/Paris",
    "open": {"mon": ["09:00-12:30", "14:00-18:00"], "thu": ["09:00-18:00"],
             "fri": ["22:00-24:00"], "sat": ["00:00-02:00"],  # a night across midnight, written as two ranges
             "sun": ["09:00-12:00"]},
    "closed": ["12-25", "2026-05-14"],
    "off_hours": {"say": "We are closed; the team knows you asked."},
}
SPEC = {
    "version": 1,
    "target": {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en"]},
    "handoffs": [{
        "id": "desk", "trigger": {"keywords": ["agent"]}, "hours": HOURS,
        "alert": [{"webhook": {"url_env": "EXPOSED_SLACK_WEBHOOK", "text": "{{full_name}} asked; the desk is {{hours}}"}}],
        "say": "An agent will answer.", "on_failure": {"say": "Sorry, no agent."}, "resume": {"say": "Back with the bot."},
    }],
}
OPEN_MONDAY = "2026-11-23T08:30:00Z"   # Monday 09:30 in Paris (winter time, UTC+1)
CLOSED_MONDAY = "2026-11-23T11:45:00Z"  # Monday 12:45: the lunch break


def spec(**changes) -> dict:
    raw = copy.deepcopy(SPEC)
    raw["handoffs"][0]["hours"].update(changes)
    return raw


@pytest.fixture
def desk(tmp_path):
    return handoff_bot(tmp_path, spec())


def _decide(runtime, bot_dir, now, **context):
    action = bot_dir / "actions" / "hitl-gen" / "desk" / "hours.js"
    result = runtime.run_action(action, incoming(BOT, "alice"), now=now, **context)
    assert result["record"]["error"] is None and result["logs"] == []
    return result["state"]["temp"]["hitl_hours_desk"]


@pytest.mark.parametrize("now, state", [
    (OPEN_MONDAY, "open"),
    (CLOSED_MONDAY, "closed"),
    ("2026-11-23T13:00:00Z", "open"),     # Monday 14:00: a range includes its start
    ("2026-11-23T17:00:00Z", "closed"),   # Monday 18:00: and excludes its end
    ("2026-11-24T10:00:00Z", "closed"),   # Tuesday: no hours that day
    ("2026-05-21T08:00:00Z", "open"),     # Thursday 10:00 (summer time, UTC+2)
    ("2026-05-14T08:00:00Z", "closed"),   # the same hour on a Thursday closed by date
    ("2026-12-25T21:30:00Z", "closed"),   # Friday 22:30, closed every 12-25
    ("2026-11-27T22:59:00Z", "open"),     # Friday 23:59
    ("2026-11-27T23:30:00Z", "open"),     # Saturday 00:30, the same night
    ("2026-11-28T01:00:00Z", "closed"),   # Saturday 02:00
    ("2026-03-22T07:30:00Z", "closed"),   # Sunday 08:30, winter time
    ("2026-03-29T07:30:00Z", "open"),     # the same UTC time on the spring-forward Sunday: 09:30
    ("2026-10-18T07:30:00Z", "open"),     # Sunday 09:30, summer time
    ("2026-10-25T07:30:00Z", "closed"),   # the same UTC time on the fall-back Sunday: 08:30
], ids=lambda value: value if value in ("open", "closed") else None)
def test_the_hours_action_reads_the_clock_of_the_time_zone(runtime, desk, now, state):
    _, bot_dir, _ = desk
    assert _decide(runtime, bot_dir, now) == state


def test_a_zone_far_from_utc_has_its_own_date(runtime, tmp_path):
    """Monday 20:00 UTC is Tuesday 10:00 on Kiritimati (UTC+14)."""
    _, bot_dir, _ = handoff_bot(tmp_path, spec(time_zone="Pacific/Kiritimati", open={"tue": ["09:00-11:00"]}, closed=[]))
    assert _decide(runtime, bot_dir, "2026-11-23T20:00:00Z") == "open"
    assert _decide(runtime, bot_dir, "2026-11-23T22:00:00Z") == "closed"


def test_the_offsets_table_follows_the_time_zone_database():
    paris = utc_offsets("Europe/Paris")
    assert paris[0] == "2025-01-01T00:00Z +01:00"
    assert {"2026-03-29T01:00Z +02:00", "2026-10-25T01:00Z +01:00"} <= set(paris)
    # Mexico City has had no summer time since 2022 (Node 12's own tz data still moves it).
    assert utc_offsets("America/Mexico_City") == ("2025-01-01T00:00Z -06:00",)
    assert utc_offsets("Asia/Kolkata") == ("2025-01-01T00:00Z +05:30",)


# ---- the start action (code) -----------------------------------------------------

def _start(runtime, emulator, bot_dir, now):
    emulator.incoming(BOT, "web", "alice", "2")
    action = bot_dir / "actions" / "hitl-gen" / "desk" / "start.js"
    env = {"EXPOSED_SLACK_WEBHOOK": f"{emulator.url}/__sinks/webhook/slack"}
    event = incoming(BOT, "alice", "2", text="agent please")
    result = runtime.run_action(action, event, now=now, **api_context(emulator, env=env))
    assert result["record"]["error"] is None
    return result


def test_start_in_hours_hands_over_and_the_alert_says_open(runtime, emulator, desk):
    _, bot_dir, _ = desk
    result = _start(runtime, emulator, bot_dir, OPEN_MONDAY)
    assert [m["text"] for m in result["messages"]] == ["An agent will answer."]
    assert emulator.session_for(BOT, "web", "alice", "2").paused is True
    [hook] = emulator.webhooks
    assert hook.body == {"text": "alice asked; the desk is open"}


def test_start_out_of_hours_alerts_says_so_and_does_not_pause(runtime, emulator, desk):
    _, bot_dir, _ = desk
    result = _start(runtime, emulator, bot_dir, CLOSED_MONDAY)
    assert [m["text"] for m in result["messages"]] == ["We are closed; the team knows you asked."]
    assert emulator.session_for(BOT, "web", "alice", "2").paused is False
    assert not [r for r in emulator.requests if r.path.endswith("/pause")]
    [hook] = emulator.webhooks
    assert hook.body == {"text": "alice asked; the desk is closed"}
    temp = result["state"]["temp"]
    assert (temp["hitl_hours_desk"], temp["hitl_failed"]) == ("closed", False)


def test_start_out_of_hours_with_hand_over_still_pauses(runtime, emulator, tmp_path):
    _, bot_dir, _ = handoff_bot(tmp_path, spec(off_hours={**HOURS["off_hours"], "hand_over": True}))
    result = _start(runtime, emulator, bot_dir, CLOSED_MONDAY)
    # Told the off-hours message instead of "An agent will answer."
    assert [m["text"] for m in result["messages"]] == ["We are closed; the team knows you asked."]
    assert emulator.session_for(BOT, "web", "alice", "2").paused is True
    assert [h.body["text"] for h in emulator.webhooks] == ["alice asked; the desk is closed"]


# ---- the generated flow (no code) -------------------------------------------------

def _talk(runtime, emulator, data, bot_dir, steps, now):
    env = {"EXPOSED_SLACK_WEBHOOK": f"{emulator.url}/__sinks/webhook/slack"}
    return runtime.conversation(botDir=str(bot_dir), dataDir=str(data), botId=BOT, emulatorUrl=emulator.url, now=now,
                                user={"channel": "web", "target": "alice", "threadId": "2"}, steps=steps,
                                **api_context(emulator, env=env))["turns"]


def test_the_flow_in_hours_hands_over(runtime, emulator, desk):
    data, bot_dir, _ = desk
    [turn] = _talk(runtime, emulator, data, bot_dir, [{"text": "agent"}], OPEN_MONDAY)
    assert texts(turn) == ["An agent will answer."] and turn["waiting"] == "desk.flow.json#handed_over"
    assert emulator.session_for(BOT, "web", "alice", "2").paused is True
    assert [h.body["text"] for h in emulator.webhooks] == ["alice asked; the desk is open"]


def test_the_flow_out_of_hours_says_so_alerts_and_goes_back(runtime, emulator, desk):
    data, bot_dir, _ = desk
    closed, after = _talk(runtime, emulator, data, bot_dir, [{"text": "agent"}, {"text": "hello"}], CLOSED_MONDAY)
    # Back where the user was, whose own transitions then answer the same message.
    assert texts(closed) == ["We are closed; the team knows you asked.", "bot heard: agent"]
    assert closed["crash"] is None and closed["ended"] is True
    assert "main.flow.json#entry<-" in closed["visited"]
    assert [h.body["text"] for h in emulator.webhooks] == ["alice asked; the desk is closed"]
    assert emulator.session_for(BOT, "web", "alice", "2").paused is False
    assert texts(after) == ["bot heard: hello"]


def test_the_flow_out_of_hours_with_hand_over_pauses_and_comes_back(runtime, emulator, tmp_path):
    data, bot_dir, _ = handoff_bot(tmp_path, spec(off_hours={**HOURS["off_hours"], "hand_over": True}))
    steps = [{"text": "agent"}, {"text": "anyone?"}, {"agent": "unpause"}, {"text": "thanks"}]
    closed, held, _, back = _talk(runtime, emulator, data, bot_dir, steps, CLOSED_MONDAY)
    assert texts(closed) == ["We are closed; the team knows you asked."]  # not "An agent will answer."
    assert closed["waiting"] == "desk.flow.json#off_hours"
    assert held["swallowed"] is True
    assert texts(back) == ["Back with the bot.", "bot heard: thanks"] and back["crash"] is None
    assert [h.body["text"] for h in emulator.webhooks] == ["alice asked; the desk is closed"]



@pytest.mark.parametrize("hand_over", [False, True])
def test_hitlnext_out_of_hours_creates_a_handoff_only_when_told(runtime, emulator, tmp_path, hand_over):
    raw = spec(off_hours={**HOURS["off_hours"], "hand_over": hand_over})
    raw["target"].update(module="hitlnext", bot="helpdesk")
    data, bot_dir, _ = handoff_bot(tmp_path, raw)
    turns = runtime.conversation(botDir=str(bot_dir), dataDir=str(data), botId="helpdesk", emulatorUrl=emulator.url,
                                 now=CLOSED_MONDAY, user={"channel": "web", "target": "alice", "threadId": "2"},
                                 steps=[{"text": "agent"}], **api_context(emulator))["turns"]
    [turn] = turns
    assert turn["crash"] is None
    if hand_over:
        assert texts(turn) == ["We are closed; the team knows you asked."] and turn["waiting"] == "desk.flow.json#off_hours"
        assert [(h["userId"], h["status"]) for h in emulator.handoffs] == [("alice", "pending")]
    else:
        assert texts(turn) == ["We are closed; the team knows you asked.", "bot heard: agent"]
        assert emulator.handoffs == []


CLOCK_PROBE = """/**
 * Probe the clock.
 * @title Clock probe
 */
temp.now = new Date().toISOString()
temp.nowMs = Date.now()
temp.called = Date()
temp.epoch = new Date(0).toISOString()
temp.parsed = Date.parse('2025-03-30T01:00Z')
temp.isDate = new Date() instanceof Date
return Promise.resolve()
"""


def test_the_runtime_fixes_the_clock_inside_the_sandbox_only(runtime, tmp_path):
    probe = tmp_path / "clock.js"
    probe.write_text(CLOCK_PROBE, encoding="utf-8")
    fixed = runtime.run_action(probe, incoming(BOT, "alice"), now="2026-03-29T07:30:00Z")
    temp = fixed["state"]["temp"]
    assert (temp["now"], temp["nowMs"]) == ("2026-03-29T07:30:00.000Z", 1774769400000)
    assert "2026" in temp["called"] and temp["isDate"] is True
    # Dates made from a value, and parsing, are the real ones.
    assert (temp["epoch"], temp["parsed"]) == ("1970-01-01T00:00:00.000Z", 1743296400000)
    unfixed = runtime.run_action(probe, incoming(BOT, "alice"))["state"]["temp"]
    assert unfixed["now"] != temp["now"]
