"""Content elements (FACTS §5) and their byte-preserving merge into a bot's files."""

from __future__ import annotations

import hashlib
import json
import re
from typing import NamedTuple

from hitl_gen import studio_texts
from hitl_gen.json_text import pretty
from hitl_gen.texts import PLACEHOLDER, Text

# Content elements carry dates; a fixed one keeps builds free of timestamps.
FIXED_DATE = "2020-01-01T00:00:00.000Z"
CREATED_BY = "hitl-gen"


def mustache_text(text: str) -> str:
    """Spec placeholders become Botpress Mustache over the values the prepare action
    puts in temp.hitl_vars, `{{user.x}}` included: user attributes are read from there,
    made inert, never from `user` itself, which a chat user may have filled with `{{`.
    Triple braces so names like O'Brien are not HTML-escaped. Validation guarantees the
    spec text holds no other `{{...}}`."""
    return PLACEHOLDER.sub(lambda match: "{{{temp.hitl_vars." + match.group(1) + "}}}", text)


def user_attributes(*texts: Text) -> list[str]:
    """The user attributes the texts' `{{user.<attribute>}}` placeholders read."""
    names = {m.group(1)[len("user."):] for text in texts for value in text.values()
             for m in PLACEHOLDER.finditer(value) if m.group(1).startswith("user.")}
    return sorted(names)


def keep_labels(text: Text) -> Text:
    """Botpress's send_email deletes every "words: " from what it sends (FACTS §12):
    a no-break space after the colon looks the same and is not matched."""
    return {lang: value.replace(": ", ":\u00a0") for lang, value in text.items()}


def text_element(element_id: str, text: Text, studio: str | None = None) -> dict:
    """`studio`: the text's name in `studio.texts`, when the Studio skill may override it."""
    form: dict = {}
    for lang, value in text.items():
        said = mustache_text(value)
        form[f"text${lang}"] = studio_texts.with_override(studio, lang, said) if studio else said
        form[f"markdown${lang}"] = False
        form[f"typing${lang}"] = True
    return _element(element_id, form)


def choice_element(element_id: str, question: Text, label: Text, value: str,
                   others: tuple[tuple[str, Text], ...] = ()) -> dict:
    form: dict = {}
    choices = ((value, label),) + tuple(others)
    for lang in question:
        form[f"text${lang}"] = mustache_text(question[lang])
        form[f"choices${lang}"] = [{"title": title[lang], "value": choice} for choice, title in choices]
        form[f"typing${lang}"] = True
        form[f"disableFreeText${lang}"] = False
    return _element(element_id, form)


def _element(element_id: str, form: dict) -> dict:
    return {"id": element_id, "formData": form, "createdBy": CREATED_BY, "createdOn": FIXED_DATE, "modifiedOn": FIXED_DATE}


def element_hash(element: dict) -> str:
    return hashlib.sha256(json.dumps(element, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class MergeResult(NamedTuple):
    text: str
    edited: tuple[str, ...]  # our elements the user changed since the last build


def merge_elements(existing: str | None, ours: list[dict], owned: dict[str, tuple[str, ...]]) -> MergeResult:
    """Put `ours` into a content-element array file, keeping every other element,
    and the text between them, byte for byte.

    `owned` maps ids hitl-gen wrote before to the hashes it wrote them with (the last
    build's, and an interrupted one's): those are replaced (or dropped, if the spec no
    longer has them); one with another hash was edited in the Studio and is reported
    instead of being overwritten silently."""
    rendered = [_indent(pretty(e)) for e in ours]
    if existing is None or not existing.strip():
        return MergeResult("[\n" + ",\n".join(rendered) + "\n]\n", ())
    opening, spans, closing = _split_array(existing)
    kept: list[str] = []
    edited = []
    for separator, text, element in spans:
        element_id = element.get("id") if isinstance(element, dict) else None
        if element_id in owned:
            if element_hash(element) not in owned[element_id]:
                edited.append(element_id)
            continue
        kept.append((separator if kept else "") + text)
    first_separator = spans[0][0] if spans else "\n  "
    body = first_separator + "".join(kept) if kept else ""
    joiner = ",\n  " if kept else first_separator
    body += joiner + ",\n  ".join(r.lstrip() for r in rendered) if rendered else ""
    return MergeResult(opening + body + closing, tuple(edited))


_SPACE = re.compile(r"\s*")  # what str.lstrip() strips, matched in place


def _split_array(text: str) -> tuple[str, list[tuple[str, str, object]], str]:
    """The text before the first element, each (separator before it, its text, value),
    and the text after the last: located with the standard JSON decoder. Gaps are
    skipped by matching in place: slicing the rest of the text at every element made
    a bot's 20 000-element file take seconds."""
    decoder = json.JSONDecoder()
    start = text.index("[") + 1
    position = start
    spans = []
    while True:
        gap_end = _SPACE.match(text, position).end()
        if text[gap_end] == "]":
            return text[:start], spans, text[position:]
        if spans:
            comma = text.index(",", position)
            gap_end = _SPACE.match(text, comma + 1).end()
        value, end = decoder.raw_decode(text, gap_end)
        spans.append((text[position:gap_end], text[gap_end:end], value))
        position = end


def _indent(block: str) -> str:
    # split("\n"), not splitlines(): json.dumps keeps U+2028, U+0085... raw inside
    # strings, and splitting there would break the bot's JSON file.
    return "\n".join("  " + line for line in block.split("\n"))
