"""The webchat test client against a real Botpress 12.22.1 and its welcome bot."""

from __future__ import annotations

import json

import pytest

from support.webchat import Webchat, _decode_payload

BOT = "webchat-client"


@pytest.fixture(scope="module")
def bot(botpress):
    botpress.create_bot(BOT)
    return BOT


def test_greeting_arrives_and_is_stored(botpress, bot):
    mark = botpress.log_mark()
    with Webchat(botpress.url, bot) as chat:
        replies = chat.say("hello")
        assert replies[0]["text"].startswith("Hi, I'm Welcome Bot!")
        assert replies[-1]["text"] == "What would you like to know?"
        assert ("What is a Context?", "CONTEXT") in replies[-1]["choices"]
        assert chat.conversation_id.isdigit()  # event.threadId: a stringified integer
        stored = chat.messages()
        assert [(m["from"], m["text"]) for m in stored] == [("user", "hello")] + [("bot", m["text"]) for m in replies]
        # The visit sent on connecting set the user's language, as the webchat does.
        (attributes,), = botpress.sql("select attributes from srv_channel_users where channel='web' and user_id=?",
                                      chat.user_id)
        assert json.loads(attributes)["language"] == "en"
    assert botpress.log_errors(mark) == []


def test_quick_reply_moves_the_bot_on(botpress, bot):
    mark = botpress.log_mark()
    with Webchat(botpress.url, bot) as chat:
        choices = dict(chat.say("hello")[-1]["choices"])
        replies = chat.click("What is a Context?", choices["What is a Context?"])
        assert "we use Contexts" in replies[0]["text"]
        assert [title for title, _ in replies[-1]["choices"]] == ["Monkey", "Giraffe"]
        assert chat.messages()[-len(replies) - 1]["type"] == "quick_reply"
    assert botpress.log_errors(mark) == []


def test_two_visitors_are_two_users_with_their_own_conversations(botpress, bot):
    with Webchat(botpress.url, bot) as first, Webchat(botpress.url, bot, language="fr") as second:
        first.say("hello")
        second.say("hello")
        assert first.user_id != second.user_id
        assert first.conversation_id != second.conversation_id
        for chat in (first, second):
            assert {m["conversation_id"] for m in chat.received} == {chat.conversation_id}
            assert [m["text"] for m in chat.received if m["from"] == "user"] == ["User visit", "hello"]


def test_payload_lengths_count_utf16_units_like_javascript():
    # Engine.IO 3 frames packets by JavaScript string length: an emoji counts two.
    assert _decode_payload("2:\U0001F44B3:4\u00e9x1:3") == ["\U0001F44B", "4\u00e9x", "3"]
