"""Typed triggers through the generated bot hook alone, on the real server: the test
bot's main flow (tests/support/builder_wiring.py) names no handoff."""

import json

from real.test_conformance import Watch, install, texts, wait_paused
from support.webchat import Webchat


def test_keywords_per_language_ignore_case_and_accents(botpress, sinks, tmp_path):
    bot = install(botpress, sinks, tmp_path, "bilingual-alerts", "keywords-lang")
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot, language="fr") as french, Webchat(botpress.url, bot.bot, language="en") as english:
        assert texts(french.say("/me Alice Martin")) == ["profile saved"]
        question = french.say("Je veux une CONSEILLERE")  # the French keyword is "conseillère"
        assert [title for title, _ in question[-1]["choices"]] == ["Parler à un agent"]
        assert texts(english.say("conseillère")) == ["bot heard: conseillère"]  # not an English keyword
        assert texts(english.say("a Human please")) and english.messages()[-1]["choices"]  # English keyword: the button
    watch.assert_clean()


def test_priority_decides_between_two_handoffs_and_nothing_starts_while_or_as_it_hands_back(botpress, sinks, cli, tmp_path):
    bot = install(botpress, sinks, tmp_path, "two-handoffs", "triggers-priority")
    watch = Watch(botpress, sinks)
    # "buy" is sales' keyword and "refund" billing's: billing has the higher priority.
    assert texts(botpress.converse(bot.bot, "ann", "buy or refund?")) == ["A billing agent will answer you, ann."]
    watch.mails_(1)
    # Sales alone: held while paused, even when a keyword of the other handoff is typed.
    assert texts(botpress.converse(bot.bot, "bo", "I want to buy")) == ["Thanks bo, a sales agent will answer: I want to buy"]
    wait_paused(botpress, bot.bot, "api", "bo")
    assert botpress.converse(bot.bot, "bo", "refund?") is None  # held for the agent: starts nothing
    assert cli("unpause", "--bot", bot.bot, "--channel", "api", "--user", "bo")[0] == 0
    # The message that hands back runs the way back once, not billing's trigger...
    assert texts(botpress.converse(bot.bot, "bo", "refund now")) == ["Back with the bot after sales.", "bot heard: refund now"]
    # ...and the next one is the bot's own again; the keyword then works as usual.
    assert texts(botpress.converse(bot.bot, "bo", "hello")) == ["bot heard: hello"]
    assert texts(botpress.converse(bot.bot, "bo", "refund")) == ["A billing agent will answer you, bo."]
    assert len(watch.webhooks(settle=0.5)) == 1  # sales alerted once
    watch.assert_clean(allowed=["Request timed out"])


def test_a_handoff_flow_linked_from_the_builders_own_node_still_works_and_returns_there(botpress, sinks, cli, tmp_path):
    """Without typed triggers (button only), the builder links the flow from a node of
    their own; the hook installs nothing and the flow returns to that node."""
    def button_only(raw):
        button = raw["handoffs"][0]["trigger"]["button"]
        button.pop("keywords", None)
        raw["handoffs"][0]["trigger"] = {"button": button}

    bot = install(botpress, sinks, tmp_path, "minimal-hitl", "linked-flow", edit=button_only)
    assert not list(bot.bot_dir.glob("hooks/*/*hitl-gen*"))
    main = json.loads((bot.bot_dir / "flows" / "main.flow.json").read_text(encoding="utf-8"))
    entry = main["nodes"][0]
    entry["next"].insert(1, {"condition": "event.preview === 'help me'", "node": "talk_to_agent.flow.json"})
    (bot.bot_dir / "flows" / "main.flow.json").write_text(json.dumps(main, indent=2), encoding="utf-8")
    botpress.reload(bot.bot)
    watch = Watch(botpress, sinks)
    with Webchat(botpress.url, bot.bot) as chat:
        assert texts(chat.say("agent")) == ["bot heard: agent"]  # no typed trigger in this spec
        [(title, value)] = chat.say("help me")[-1]["choices"]
        assert texts(chat.click(title, value)) == ["An agent will be with you shortly."]
        wait_paused(botpress, bot.bot, "web", chat.user_id)
        assert cli("unpause", "--bot", bot.bot, "--channel", "web", "--user", chat.user_id, "--thread", chat.conversation_id)[0] == 0
        assert texts(chat.say("thanks"))[-1] == "bot heard: thanks"  # back in the builder's flow, once
        assert texts(chat.say("more")) == ["bot heard: more"]
    watch.assert_clean()
