"""hitl-gen's Studio skill "Talk to an agent" on the real server, through channel-web,
without a browser (support/studio_skill.py inserts it as the Studio does): a builder's
texts (`studio.texts`) are said instead of the spec's, their {{placeholders}} filled,
what the user typed kept inert (no Mustache pass reads it), and the next handoff
without the skill says the spec's text again. On every release; every example through
the skill is test_skill_every_example.py.
"""

from __future__ import annotations

from support.studio_skill import ASK, EXAMPLES, form_data, insert_skill, listed_handoffs, prepare_bot
from support.webchat import Webchat

from hitl_gen.botpress import routes

from .test_conformance import Watch, _handoffs, _resolve, texts, wait_paused

THANKS = "thank you"
BACK = "back in the builder flow: handed"


def _with_skill(server, sinks, tmp_path, example: str, bot: str, texts: dict | None = None, edit=None):
    bot, bot_dir, spec = prepare_bot(server, EXAMPLES / f"{example}.yaml", tmp_path, bot, sinks[1].url,
                                     one_language=True, edit=edit)
    [listed] = [h for h in listed_handoffs(server, bot) if h["id"] == spec.handoffs[0].id]
    insert_skill(server, bot, bot_dir, form_data(listed, texts), into="main.flow.json", after="entry")
    server.reload(bot)
    return bot, spec, listed


def _hand_back(server, bot: str, spec, chat) -> None:
    """What the agent does once the user is handed over: unpause (hitl) or resolve (hitlnext)."""
    if spec.target.module == "hitl":
        session = wait_paused(server, bot, "web", chat.user_id)
        assert session["threadId"] == str(chat.conversation_id)
        assert chat.say("are you there?", min_replies=0) == []  # held for the agent
        path = routes.bot_base(bot) + routes.user_action("web", chat.user_id, "unpause")
        answer = server.http.post(path, params={"threadId": chat.conversation_id}, headers=server.bot_api(bot))
        assert answer.status_code < 300, answer.text
    else:
        [handoff] = [h for h in _handoffs(server, bot) if h["status"] == "pending"]
        assert (handoff["userId"], handoff["userThreadId"]) == (chat.user_id, str(chat.conversation_id))
        _resolve(server, bot, handoff["id"])


def _back_with_the_bot(chat, handoff) -> list[str]:
    """The user writes again (answers the satisfaction question, if any) until the
    builder's node after the skill speaks; what the bot said on the way."""
    before = len(chat.received)
    chat.say(THANKS, min_replies=0)
    if handoff.way_back.satisfaction:
        question = chat.wait_for(lambda m: m["from"] == "bot" and m.get("choices"), after=before)
        title, value = question["choices"][0]
        chat.click(title, value, min_replies=0)
    chat.wait_for(lambda m: m["from"] == "bot" and m["text"] == BACK, after=before)
    return [m["text"] for m in chat.received[before:] if m["from"] == "bot"]


def test_the_builders_texts_are_said_filled_and_inert(studio_botpress, sinks, tmp_path):
    """bilingual-alerts lets the Studio change `say`: the builder's text is said, with the
    user's name, which holds Mustache, shown as typed; a handoff started by the trigger
    hook afterwards says the spec's text again."""
    server = studio_botpress
    typed = "Hello {{full_name}}, {{user.first_name}} gets a person from the Studio form."
    bot, spec, listed = _with_skill(server, sinks, tmp_path, "bilingual-alerts", "skill-texts", {"say": {"en": typed}})
    assert [t["key"] for t in listed["texts"]] == ["say", "on_failure", "resume"]
    watch = Watch(server, sinks)
    with Webchat(server.url, bot) as chat:
        assert texts(chat.say("/me Alice {{event.botId}}")) == ["profile saved"]
        replies = chat.say(ASK)
        [(title, value)] = replies[-1]["choices"]
        [said] = texts(chat.click(title, value))
        # inert() fences each opening brace of a value with zero-width spaces: shown, never rendered
        assert said.replace("\u200b", "") == "Hello Alice {{event.botId}}, Alice gets a person from the Studio form."
        _hand_back(server, bot, spec, chat)
        assert _back_with_the_bot(chat, spec.handoffs[0])[-1] == BACK
        # The trigger's own way in (keywords: "agent") runs the handoff flow without the skill.
        replies = chat.say("agent please")
        [(title, value)] = replies[-1]["choices"]
        assert texts(chat.click(title, value)) == ["An agent will be with you shortly."]
    watch.assert_clean()
