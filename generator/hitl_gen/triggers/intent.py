"""Trigger `intent`: an NLU intent that starts the handoff."""

from __future__ import annotations

from hitl_gen.triggers.base import TriggerKind


class IntentTrigger(TriggerKind):
    name = "intent"
    schema = {
        "description": "NLU intent name that starts the handoff.", "type": "string", "pattern": "^[A-Za-z0-9_-]+$(?!\\n)",
        "x-hint": "give the intent's name as shown in the NLU screen", "examples": ["talk_to_human"],
    }
    config_defaults = {"intent": None}

    def configure(self, config, value):
        config["intent"] = value
