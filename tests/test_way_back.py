"""After the hand-back (`resume.then`, `resume.satisfaction`), walked like the dialog
engine with the HITL emulator: back where the user was, a declared node of another
flow, and the satisfaction question stored on the user; each once, with no loop."""

import copy

import pytest
from support.events import api_context
from support.handoff_bot import BOT, choices, echo, handoff_bot, node, texts

SPEC = {
    "version": 1,
    "target": {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en", "fr"]},
    "handoffs": [{
        "id": "desk", "trigger": {"keywords": ["agent"]},
        "say": {"en": "An agent will answer.", "fr": "Un agent va répondre."},
        "on_failure": {"say": {"en": "Sorry.", "fr": "Désolé."}},
        "resume": {"say": {"en": "Back with the bot.", "fr": "Retour au bot."}},
    }],
}
SATISFACTION = {
    "question": {"en": "How did we do?", "fr": "Comment était-ce ?"},
    "answers": [{"value": "good", "label": {"en": "Good", "fr": "Bien"}},
                {"value": "bad", "label": {"en": "Not good", "fr": "Pas bien"}}],
    "store_as": "satisfaction",
}
# The builder's own flow that `then` names: `start` answers and returns (`#`).
FAQ = [node("first", [echo("faq first: ")], [("true", "")]), node("start", [echo("faq: ")], [("true", "#")])]
HANDED_BACK = [{"text": "agent"}, {"text": "anyone?"}, {"agent": "unpause"}, {"text": "thanks"}]


def _bot(tmp_path, **resume):
    raw = copy.deepcopy(SPEC)
    raw["handoffs"][0]["resume"].update(resume)
    return handoff_bot(tmp_path, raw, {"faq": FAQ})


def _talk(runtime, emulator, bot, steps, language="en"):
    data, bot_dir, _ = bot
    answer = runtime.conversation(botDir=str(bot_dir), dataDir=str(data), botId=BOT, emulatorUrl=emulator.url,
                                  user={"channel": "web", "target": "alice", "threadId": "2", "language": language},
                                  steps=steps, **api_context(emulator))
    for turn in answer["turns"]:
        assert turn["crash"] is None, turn["crash"]
    return answer["turns"], answer["state"]


def test_then_back_returns_once_to_where_the_user_was(runtime, emulator, tmp_path):
    turns, _ = _talk(runtime, emulator, _bot(tmp_path), HANDED_BACK + [{"text": "more"}])
    asked, held, _, back, more = turns
    assert texts(asked) == ["An agent will answer."] and held["swallowed"] is True
    assert texts(back) == ["Back with the bot.", "bot heard: thanks"]
    assert back["visited"][-2:] == ["main.flow.json#entry<-", "main.flow.json#answer"]
    assert texts(more) == ["bot heard: more"]  # no handoff again


def test_then_a_node_of_another_flow_runs_it_once_then_goes_back(runtime, emulator, tmp_path):
    bot = _bot(tmp_path, then={"flow": "faq.flow.json", "node": "start"})
    turns, _ = _talk(runtime, emulator, bot, HANDED_BACK + [{"text": "more"}])
    back, more = turns[-2:]
    # faq's `start` (not its start node) runs once; its `#` comes back through `then`
    # to where the user was, instead of into faq again.
    assert texts(back) == ["Back with the bot.", "faq: thanks", "bot heard: thanks"]
    assert [v for v in back["visited"] if v.startswith("faq")] == ["faq.flow.json#start"]
    assert texts(more) == ["bot heard: more"]


def test_then_a_flow_alone_starts_at_its_start_node(runtime, emulator, tmp_path):
    turns, _ = _talk(runtime, emulator, _bot(tmp_path, then={"flow": "faq"}), HANDED_BACK)
    assert texts(turns[-1]) == ["Back with the bot.", "faq first: thanks"]
    assert turns[-1]["ended"] is True


@pytest.mark.parametrize("language, click, stored", [("en", ("Good", "GOOD"), "good"), ("fr", ("Pas bien", "BAD"), "bad")])
def test_satisfaction_is_asked_once_and_the_answer_stored_on_the_user(runtime, emulator, tmp_path, language, click, stored):
    steps = HANDED_BACK + [{"type": "quick_reply", "text": click[0], "payload": click[1]}, {"text": "more"}]
    turns, state = _talk(runtime, emulator, _bot(tmp_path, satisfaction=SATISFACTION), steps, language)
    back, clicked, more = turns[-3:]
    question = SATISFACTION["question"][language]
    assert texts(back) == [{"en": "Back with the bot.", "fr": "Retour au bot."}[language], question]
    assert choices(back) == [(a["label"][language], a["value"]) for a in SATISFACTION["answers"]]
    assert texts(clicked) == [f"bot heard: {click[0]}"]  # back where the user was, once
    assert texts(more) == ["bot heard: more"]
    assert state["user"]["satisfaction"] == stored


def test_typed_text_is_matched_to_an_answer_and_never_stored_as_typed(runtime, emulator, tmp_path):
    typed = "{{{temp.hitl_api.authorization}}} bad"
    turns, state = _talk(runtime, emulator, _bot(tmp_path, satisfaction=SATISFACTION), HANDED_BACK + [{"text": typed}])
    assert state["user"]["satisfaction"] == "bad"  # the declared value, not the text
    assert texts(turns[-1]) == [f"bot heard: {typed}"]


def test_a_message_that_answers_nothing_ends_the_question_and_is_answered_as_usual(runtime, emulator, tmp_path):
    steps = HANDED_BACK + [{"text": "what are your prices?"}, {"text": "more"}]
    turns, state = _talk(runtime, emulator, _bot(tmp_path, satisfaction=SATISFACTION), steps)
    ignored, more = turns[-2:]
    assert texts(ignored) == ["bot heard: what are your prices?"]  # not swallowed by the question
    assert "satisfaction" not in state["user"]
    assert texts(more) == ["bot heard: more"]


def test_satisfaction_then_another_flow(runtime, emulator, tmp_path):
    bot = _bot(tmp_path, satisfaction=SATISFACTION, then={"flow": "faq.flow.json", "node": "start"})
    steps = HANDED_BACK + [{"type": "quick_reply", "text": "Good", "payload": "GOOD"}]
    turns, state = _talk(runtime, emulator, bot, steps)
    assert texts(turns[-1]) == ["faq: Good", "bot heard: Good"]
    assert state["user"]["satisfaction"] == "good"
