"""Trigger `keywords`: words that start the handoff when the user types them."""

from __future__ import annotations

from hitl_gen.triggers.base import TriggerKind


class KeywordsTrigger(TriggerKind):
    name = "keywords"
    schema = {
        "description": "Words that start the handoff when the user types them.", "type": "array", "minItems": 1,
        "items": {"type": "string", "minLength": 1}, "examples": [["agent", "human"]],
    }
    config_defaults = {"keywords": []}

    def build(self, value, languages):
        return tuple(value)

    def configure(self, config, value):
        # Declared keywords first, then any a button added that are not among them.
        config["keywords"] = list(value) + [k for k in config["keywords"] if k not in value]
