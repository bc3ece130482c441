"""The triggers hitl-gen knows, one module each; adding a trigger is adding a module
(a TriggerKind) and listing it here. The order is the schema's."""

from __future__ import annotations

from hitl_gen.triggers.after_failures import AfterFailuresTrigger
from hitl_gen.triggers.base import Trigger, TriggerKind
from hitl_gen.triggers.button import Button, ButtonTrigger
from hitl_gen.triggers.intent import IntentTrigger
from hitl_gen.triggers.keywords import KeywordsTrigger

TRIGGERS: tuple[TriggerKind, ...] = (ButtonTrigger(), KeywordsTrigger(), IntentTrigger(), AfterFailuresTrigger())
_BY_NAME = {kind.name: kind for kind in TRIGGERS}


def kind(name: str) -> TriggerKind:
    return _BY_NAME[name]


def build_trigger(raw: dict, languages: tuple[str, ...]) -> Trigger:
    return Trigger({name: kind(name).build(value, languages) for name, value in raw.items()})


def should_start_config(trigger: Trigger) -> dict:
    """What the should_start action needs to know about the handoff's triggers."""
    config: dict = {}
    for each in TRIGGERS:
        config.update({key: type(value)(value) if isinstance(value, (list, dict)) else value for key, value in each.config_defaults.items()})
    for each in TRIGGERS:
        value = getattr(trigger, each.name)
        if value is not None:
            each.configure(config, value)
    return config


__all__ = ["Button", "TRIGGERS", "Trigger", "TriggerKind", "build_trigger", "kind", "should_start_config"]
