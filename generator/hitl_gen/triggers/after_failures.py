"""Trigger `after_failures`: N consecutive messages the bot did not understand
(intent `none`), counted per handoff in the session by should_start."""

from __future__ import annotations

from hitl_gen.triggers.base import TriggerKind


class AfterFailuresTrigger(TriggerKind):
    name = "after_failures"
    schema = {
        "description": "Start the handoff after this many consecutive messages the bot did not understand (intent `none`).",
        "type": "integer", "minimum": 1, "maximum": 10, "examples": [3],
    }
    config_defaults = {"afterFailures": None}

    def configure(self, config, value):
        config["afterFailures"] = value
