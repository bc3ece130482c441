"""Texts a no-code builder may override in the Studio's "Talk to an agent" form
(`studio: {texts: [...]}` on a handoff), one per bot language.

The spec names which of a handoff's messages may be overridden; the build then makes
each of those content elements say the override when there is one, and the spec's text
otherwise:

    {{#temp.hitl_vars.studio.<text>.<lang>}}{{{temp.hitl_vars.studio.<text>.<lang>}}}{{/…}}{{^…}}<spec text>{{/…}}

The override itself never reaches Mustache: the skill hands it to the handoff's
`studio_texts` action as a nested argument (Botpress renders only top-level string
arguments, FACTS §2), which checks it and keeps it in temp; the prepare action fills its
`{{placeholders}}` in JavaScript (lib/context.js `fill`) and makes the result inert, as
it does for every value a template shows. The Studio module reads the same table
(`hitl-gen module` writes it as texts.json beside its backend).

The model, the checks the schema cannot make, and the table; rendering is in
render/content.py, the runtime in templates/lib/studio_texts.js.
"""

from __future__ import annotations

from typing import Iterator

from hitl_gen.texts import PLACEHOLDER, PLACEHOLDERS, USER_ATTRIBUTE

# A name in `studio.texts` -> where that text is in the spec, under the handoff.
SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "say": ("say",),
    "on_failure": ("on_failure", "say"),
    "no_agent": ("no_agent", "say"),
    "off_hours": ("hours", "off_hours", "say"),
    "resume": ("resume", "say"),
    "timeout": ("timeout", "say"),
}
KEYS = tuple(SPEC_PATHS)
# Characters per override: a chat message, not a document (the webchat shows it whole).
MAX_LENGTH = 1000
# Where the content elements read a filled override: temp.hitl_vars.<VARS>.<text>.<lang>.
VARS = "studio"


def state_key(handoff_id: str) -> str:
    """temp.<key>: the overrides the skill gave this handoff, checked, as typed."""
    return f"hitl_studio_{handoff_id}"


def content_var(key: str, lang: str) -> str:
    return f"temp.hitl_vars.{VARS}.{key}.{lang}"


def with_override(key: str, lang: str, default: str) -> str:
    """A content element's text (already Mustache, `default`) that says the filled
    override when there is one."""
    var = content_var(key, lang)
    return "{{#" + var + "}}{{{" + var + "}}}{{/" + var + "}}{{^" + var + "}}" + default + "{{/" + var + "}}"


def overridable(handoff, key: str) -> str | None:
    """`key` when the spec lets the Studio override that text of `handoff` (a model Handoff)."""
    assert key in SPEC_PATHS, key
    return key if key in handoff.studio_texts else None


def runtime_config(handoff_id: str, keys: tuple[str, ...]) -> dict:
    """What the runtime reads (CONFIG.studio) to check and fill overrides."""
    return {"keys": list(keys), "stateKey": state_key(handoff_id), "vars": VARS, "maxLength": MAX_LENGTH,
            "placeholders": list(PLACEHOLDERS), "userAttribute": USER_ATTRIBUTE.pattern}


def module_table() -> dict:
    """What the Studio module reads (texts.json): the same rules, for the form's checks."""
    return {"keys": list(KEYS), "maxLength": MAX_LENGTH, "placeholder": PLACEHOLDER.pattern,
            "placeholders": list(PLACEHOLDERS), "userAttribute": USER_ATTRIBUTE.pattern,
            "contentVar": f"temp.hitl_vars.{VARS}.", "stateKeyPrefix": state_key("")}


def problems(doc, path: tuple, handoff: dict) -> Iterator:
    """Each named text must be one this handoff has."""
    names = handoff.get("studio", {}).get("texts", [])
    for index, name in enumerate(names):
        where = SPEC_PATHS[name]
        node = handoff
        for step in where:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            yield doc.problem(path + ("studio", "texts", index),
                              f"{name!r} names the text at {'.'.join(where)}, which this handoff does not have; "
                              f"add {'.'.join(where)} or remove {name!r}")
