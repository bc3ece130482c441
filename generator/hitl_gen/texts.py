"""Texts in the model: one string per bot language, and the placeholders in them.

A module of its own because the spec checks, the model, the alert channels and the
renderers all read texts, and none of them should import another for that.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Mapping

Text = Mapping[str, str]  # language -> message

# What a message may say about the conversation; generated JavaScript computes each
# (lib/context.js messageVars), and a runtime test checks it computes exactly these.
PLACEHOLDERS = ("full_name", "channel", "user_id", "thread_id", "bot_id", "hitl_url", "last_message", "reason", "hours")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
USER_ATTRIBUTE = re.compile(r"user\.[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")  # fullmatch: `$` allows a final "\n"


def text_of(value: str | dict, languages: tuple[str, ...]) -> Text:
    """A plain string stands for every language (allowed where validation said so)."""
    if isinstance(value, str):
        return MappingProxyType({lang: value for lang in languages})
    return MappingProxyType({lang: value[lang] for lang in languages})


def placeholder_problems(doc, path: tuple, value: str, names: tuple[str, ...], allow_user: bool) -> list:
    """A Problem (located in doc) for each `{{...}}` in value that is not a known name."""
    problems = []
    for match in PLACEHOLDER.finditer(value):
        name = match.group(1)
        if name in names or (allow_user and USER_ATTRIBUTE.fullmatch(name)):
            continue
        known = ", ".join("{{" + n + "}}" for n in names) + (", {{user.<attribute>}}" if allow_user else "")
        problems.append(doc.problem(path, f"unknown placeholder {match.group(0)!r}; use one of {known}"))
    return problems


def unfilled_problems(doc, path: tuple, text: str | dict, shown: str) -> list:
    """A Problem for each language of a text shown as written (`shown`, e.g. "a button's
    label"), where a `{{...}}` would be left empty, not filled."""
    strings = [((), text)] if isinstance(text, str) else [((lang,), value) for lang, value in text.items()]
    return [doc.problem(path + sub, f"placeholders are not filled in {shown} ({match.group(0)} would show as nothing); "
                        "write the text without {{...}}")
            for sub, value in strings for match in [PLACEHOLDER.search(value)] if match]


def walk_strings(value, path: tuple):
    """(path, string) for every string in a JSON-like value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, path + (index,))
