"""Trigger `keywords`: words that start the handoff when the user types them, either
one list for every language or one list per language. Matched on whole words (a
keyword of several words as a phrase), ignoring case and accents."""

from __future__ import annotations

import re
import unicodedata
from types import MappingProxyType
from typing import Mapping

from hitl_gen.triggers.base import TriggerKind

_ACCENTS = re.compile("[\u0300-\u036f]")  # what plainWords() in lib/trigger_match.js drops after NFD
_IGNORED = re.compile(r"[^\w\s-]")  # what it splits words on, spaces (phrase separators) aside
ANY_LANGUAGE = "*"  # the key of keywords given as a plain list
Keywords = Mapping[str, tuple[str, ...]]  # language (or "*") -> keywords

WORD_LIST = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
KEYWORDS_SCHEMA = {
    "type": ["array", "object"], "minItems": 1, "items": {"type": "string", "minLength": 1},
    "propertyNames": {"pattern": "^[a-z]{2}$(?!\\n)"}, "additionalProperties": WORD_LIST, "minProperties": 1,
    "x-hint": "give a list of words, or one list per language, e.g. {en: [agent], fr: [conseiller]}",
}


def keywords_of(value: list | dict) -> Keywords:
    if isinstance(value, list):
        return MappingProxyType({ANY_LANGUAGE: tuple(value)})
    return MappingProxyType({lang: tuple(words) for lang, words in value.items()})


def merged(first: Keywords, second: Keywords) -> dict[str, list[str]]:
    """Both sets, per language, `first` first and each word once."""
    out: dict[str, list[str]] = {}
    for source in (first, second):
        for lang, words in source.items():
            out.setdefault(lang, [])
            out[lang] += [w for w in words if w not in out[lang]]
    return out


def language_problems(doc, path: tuple, value, target: dict):
    languages = target["languages"]
    for lang in keyword_languages(value):
        if lang not in languages:
            yield doc.problem(path + (lang,), f"language {lang!r} is not in target.languages ({', '.join(languages)}); "
                              "add it there or remove these keywords", at_key=True)


def word_problems(doc, path: tuple, value: list | dict):
    """Keywords that do not say what they match. lib/trigger_match.js compares words of
    letters, digits, '-' and '_' (accents dropped) and splits on anything else, in the
    message and in the keyword alike: inside a keyword (l'agent) that is harmless, but
    at a word's edge the character is silently lost: `agent?` matches as `agent`, `c++`
    as `c` (every message with the word c). An error rather than a silent rewrite: the
    builder picks the word that is meant."""
    lists = [((), value)] if isinstance(value, list) else [((lang,), words) for lang, words in value.items()]
    for sub, words in lists:
        for index, word in enumerate(words):
            tokens = _unaccented(word).split()
            lost = sorted({char for token in tokens for char in (token[0], token[-1]) if _IGNORED.fullmatch(char)})
            if lost:
                plain = " ".join(" ".join(_IGNORED.split(_unaccented(word).lower())).split())
                meant = f"it matches as {plain!r}; write the keyword without it" if plain else "it matches no message; write a word"
                yield doc.problem(path + sub + (index,), f"{word!r}: typed messages are matched on letters, digits, "
                                  f"'-' and '_' only, so {' '.join(map(repr, lost))} is ignored and {meant}")


def _unaccented(word: str) -> str:
    return _ACCENTS.sub("", unicodedata.normalize("NFD", word))


def every_word(keywords: Keywords) -> list[str]:
    """Every keyword whatever its language, each once (the choice skill matches them all)."""
    return list(dict.fromkeys(word for words in keywords.values() for word in words))


def keyword_languages(value) -> list[str]:
    """The languages a keywords value names (none for a plain list)."""
    return list(value) if isinstance(value, dict) else []


class KeywordsTrigger(TriggerKind):
    name = "keywords"
    schema = {
        "description": "Words that start the handoff when the user types them: a list for every language, or one list per "
                       "language (the user's language picks). Whole words, case and accents ignored; several words match as a phrase.",
        **KEYWORDS_SCHEMA, "examples": [["agent", "human"], {"en": ["agent"], "fr": ["conseiller"]}],
    }
    config_defaults = {"keywords": {}}

    def build(self, value, languages):
        return keywords_of(value)

    def problems(self, doc, path, value, target):
        yield from language_problems(doc, path, value, target)
        yield from word_problems(doc, path, value)

    def configure(self, config, value):
        # Declared keywords first, then any a button added that are not among them.
        config["keywords"] = merged(value, config["keywords"])
