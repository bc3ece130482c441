"""Alert channel `admin_notification`: a notification in the Botpress Admin through
bp.notifications.create, which Botpress removed in 12.22.0 (the table's
`sdk.admin_notifications.until`); validation refuses it for newer targets."""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.botpress import versions
from hitl_gen.botpress.knowledge import lookup
from hitl_gen.channels.base import AlertChannel
from hitl_gen.texts import Text, text_of

DEFAULT_MESSAGE = "{{full_name}} wants to talk to a human"


class AdminNotification(NamedTuple):
    message: Text
    level: str = "info"
    kind = "admin_notification"


class AdminNotificationChannel(AlertChannel):
    kind = "admin_notification"
    sender = "notifyAdmins"
    agent_texts = ("message",)
    schema = {
        "description": "A notification in the Botpress admin panel (bp.notifications). Only Botpress older than "
                       "${sdk.admin_notifications.until} has it.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "message": {"$ref": "#/$defs/text", "description": "Notification text.",
                        "examples": [{"en": "{{full_name}} wants to talk to a human"}]},
            "level": {"description": "Notification level.", "enum": ["info", "warning", "error"], "default": "info",
                      "examples": ["info"]},
        },
        "examples": [{"message": {"en": "{{full_name}} wants to talk to a human"}}],
    }

    def build(self, body, languages):
        return AdminNotification(text_of(body.get("message", DEFAULT_MESSAGE), languages), body.get("level", "info"))

    def problems(self, doc, path, body, target):
        if not versions.has_admin_notifications(versions.parse(target["botpress"])):
            removed = lookup("sdk.admin_notifications.until")
            yield doc.problem(path, f"admin notifications were removed in Botpress {removed} "
                              f"(bp.notifications is undefined in {target['botpress']}); alert agents with 'email' or 'webhook' instead",
                              at_key=True)

    def config(self, alert):
        return {"kind": "admin_notification", "message": dict(alert.message), "level": alert.level,
                "removedIn": lookup("sdk.admin_notifications.until")}
