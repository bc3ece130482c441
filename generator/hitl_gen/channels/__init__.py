"""The alert channels hitl-gen knows, one module each; adding a channel is adding a
module (an AlertChannel and its JavaScript sender beside it) and listing it here.

The order is the order of the spec's alert kinds in the schema and of the senders in
generated actions.
"""

from __future__ import annotations

from hitl_gen.channels.admin_notification import AdminNotificationChannel
from hitl_gen.channels.base import AlertChannel, EnvVar
from hitl_gen.channels.email import EmailChannel
from hitl_gen.channels.hitlnext_events import HitlnextEventsChannel
from hitl_gen.channels.teams import TeamsChannel
from hitl_gen.channels.webhook import WebhookChannel

CHANNELS: tuple[AlertChannel, ...] = (WebhookChannel(), EmailChannel(), AdminNotificationChannel(), TeamsChannel(),
                                      HitlnextEventsChannel())


def senders() -> tuple[AlertChannel, ...]:
    """The channels whose alerts generated code sends (the runtime includes their senders)."""
    return tuple(c for c in CHANNELS if c.sender)
_BY_KIND = {channel.kind: channel for channel in CHANNELS}


def channel(kind: str) -> AlertChannel:
    """The channel of a kind, or of an alert model value (its `kind`)."""
    return _BY_KIND[kind]


def of(alert) -> AlertChannel:
    return _BY_KIND[alert.kind]


def build_alert(raw: dict, languages: tuple[str, ...]):
    """`{kind: body}` (one key, as the schema guarantees) -> the channel's model value."""
    kind, body = next(iter(raw.items()))
    return channel(kind).build(body, languages)


def kinds() -> list[str]:
    return [c.kind for c in CHANNELS]


__all__ = ["AlertChannel", "CHANNELS", "EnvVar", "build_alert", "channel", "kinds", "of"]
