"""Typed triggers through the generated bot hook alone, on the real server: the test
bot's main flow (tests/support/builder_wiring.py) names no handoff."""

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
