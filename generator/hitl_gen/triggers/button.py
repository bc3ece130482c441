"""Trigger `button`: a talk-to-agent question with one choice, asked by the handoff
flow itself (a choice skill at its start); typing one of its keywords counts as a click."""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.texts import Text, text_of, unfilled_problems
from hitl_gen.triggers.base import TriggerKind
from hitl_gen.triggers.keywords import KEYWORDS_SCHEMA, Keywords, keywords_of, language_problems, merged, word_problems


class Button(NamedTuple):
    question: Text
    label: Text
    keywords: Keywords = keywords_of([])


class ButtonTrigger(TriggerKind):
    name = "button"
    user_texts = ("question", "label")
    schema = {
        "description": "A talk-to-agent button: a question with one choice.", "type": "object", "additionalProperties": False,
        "required": ["question", "label"],
        "properties": {
            "question": {"$ref": "#/$defs/text", "description": "Text above the button.", "examples": [{"en": "Would you like to talk to a person?"}]},
            "label": {"$ref": "#/$defs/text", "description": "The button's label.", "examples": [{"en": "Talk to an agent"}]},
            "keywords": {"description": "Typed words that count as a click on the button (a list, or one list per language).",
                         **KEYWORDS_SCHEMA, "minItems": 0, "examples": [["agent", "human"]]},
        },
        "examples": [{"question": {"en": "Talk to a person?"}, "label": {"en": "Talk to an agent"}}],
    }
    config_defaults = {"keywords": {}}

    def build(self, value, languages):
        return Button(text_of(value["question"], languages), text_of(value["label"], languages), keywords_of(value.get("keywords", [])))

    def problems(self, doc, path, value, target):
        # The choice skill shows both texts at the flow's start, before anything fills placeholders.
        for key, shown in (("question", "a button's question"), ("label", "a button's label")):
            yield from unfilled_problems(doc, path + (key,), value[key], shown)
        keywords = value.get("keywords", [])
        yield from language_problems(doc, path + ("keywords",), keywords, target)
        yield from word_problems(doc, path + ("keywords",), keywords)

    def configure(self, config, value):
        # Typed, the button's words start the handoff too (the flow then asks its question).
        config["keywords"] = merged(config["keywords"], value.keywords)
