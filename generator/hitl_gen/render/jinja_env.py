"""The single Jinja environment used for generated code.

No autoescape (the output is JavaScript and Markdown, not HTML), StrictUndefined
(a typo in a template fails the build instead of emitting "undefined"), and two
filters that are the only ways spec values reach generated code:
`js` for JavaScript literals and `jsdoc` for text inside a /** */ block.
`source(name)` inserts a fixed JavaScript fragment verbatim.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2

from hitl_gen.resources import PACKAGE_DIR, TEMPLATES


def js_literal(value: Any) -> str:
    """A JavaScript literal for any JSON value. ASCII-only JSON is valid JS and
    cannot contain a raw line separator (U+2028/U+2029), quote or backslash that
    would end the literal early. An object gets one line per key, each value compact:
    readable, and a third of the bytes of indented JSON."""
    if not isinstance(value, dict) or not value:
        return _compact(value)
    lines = [f"  {_compact(key)}: {_compact(item)}" for key, item in value.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


_COMPACT = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "))  # one, not one per call of json.dumps


def _compact(value: Any) -> str:
    return _COMPACT.encode(value)


def jsdoc_text(value: str) -> str:
    """One line of JSDoc text: whitespace folded so no line can start a new tag,
    and `*/` broken so the comment cannot be closed from the spec."""
    return " ".join(str(value).split()).replace("*/", "* /")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATES), str(PACKAGE_DIR)]),  # channels/<kind>.js from the package
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change during a run; skip a stat per render
    )
    env.filters["js"] = js_literal
    env.filters["jsdoc"] = jsdoc_text
    env.globals["source"] = _verbatim
    return env


@cache
def _verbatim(name: str) -> str:
    """A plain JavaScript fragment from actions/lib, inserted as is: those files are
    real JS (they contain `{{` in regexes), not templates."""
    env = environment()
    text, _, _ = env.loader.get_source(env, name)
    return text.rstrip("\n")


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
