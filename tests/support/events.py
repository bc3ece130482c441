"""Incoming events shaped like Botpress's (FACTS §10)."""

from __future__ import annotations


def incoming(bot: str, target: str, thread: str | None = "1", *, channel: str = "web", text: str = "hi",
             user: dict | None = None, temp: dict | None = None, language: str | None = None) -> dict:
    state = {"user": dict(user or {}), "session": {}, "temp": dict(temp or {}), "bot": {}, "workflow": {}}
    if language:
        state["user"]["language"] = language
    return {
        "id": "evt-1", "botId": bot, "channel": channel, "target": target, "threadId": thread, "direction": "incoming",
        "type": "text", "preview": text, "payload": {"type": "text", "text": text},
        "nlu": {"intent": {"name": "none"}, "language": language or "en"}, "state": state,
    }


def api_context(emulator, **extra) -> dict:
    """What every action run needs to reach the emulator as Botpress would."""
    context = {"api": {"localUrl": emulator.url, "token": emulator.issue_token(lifetime_s=300)},
               "processInfo": {"EXTERNAL_URL": "https://bot.example.com"}, "env": {}}
    context.update(extra)
    return context
