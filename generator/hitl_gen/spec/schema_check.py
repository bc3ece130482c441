"""Check a located document against the JSON Schema; turn each error into a Problem.

Errors are collected with `iter_errors` (all at once, not the first one) and
phrased for bot builders: unknown keys get a "did you mean", inline secrets get
told where the secret belongs (the schema's `x-secret-keys`), and patterns get
the schema's own `x-hint`.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from typing import Any

import jsonschema

from hitl_gen.errors import Problem
from hitl_gen.spec.located_yaml import LocatedDocument
from hitl_gen.spec.schema import inlined, resolved

_PLAIN = re.compile(r"[\w .@-]+")  # written without quotes inside a YAML [list]
_TYPE_NAMES = {
    "object": "a mapping (key: value)", "array": "a list", "string": "a text",
    "integer": "a whole number", "number": "a number", "boolean": "true or false", "null": "nothing",
}


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(inlined())


def schema_problems(doc: LocatedDocument) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(doc.data):
        problems.extend(_to_problems(error, doc))
    return sorted(set(problems))


def _to_problems(error: jsonschema.ValidationError, doc: LocatedDocument) -> list[Problem]:
    path = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties":
        return [_unknown_key(doc, path, key, error.schema) for key in _extra_keys(error)]
    if "propertyNames" in error.schema_path:  # a key that is not allowed: shown at the key
        what = error.schema.get("x-hint", "is not a language code; use two-letter codes such as en or fr")
        return [doc.problem(path + (error.instance,), f"{_short(error.instance)} {what}", at_key=True)]
    if kind == "required":
        missing = error.message.split("'")[1]
        return [doc.problem(path, f"missing required key {missing!r}; {_describe(error.schema, missing)}")]
    return [doc.problem(path, _message(error))]


def _extra_keys(error: jsonschema.ValidationError) -> list[str]:
    allowed = set(error.schema.get("properties", {}))
    return [k for k in error.instance if k not in allowed]


def _unknown_key(doc: LocatedDocument, path: tuple, key: str, schema: dict) -> Problem:
    secret_home = schema.get("x-secret-keys", {}).get(key)
    if secret_home:
        message = (f"{key!r} would put a secret in the spec and the generated files; "
                   f"store it in an EXPOSED_* environment variable and name that variable with {secret_home}")
    else:
        allowed = sorted(schema.get("properties", {}))
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        message = f"unknown key {key!r}; {hint}"
    return doc.problem(path + (key,), message, at_key=True)


def _describe(schema: dict, key: str) -> str:
    prop = resolved(schema.get("properties", {}).get(key, {}))
    description = prop.get("description", "")
    first_sentence = description.split(". ")[0].rstrip(".")
    return f"add it ({first_sentence})" if first_sentence else "add it"


def _message(error: jsonschema.ValidationError) -> str:
    hint = error.schema.get("x-hint")
    kind, expected, got = error.validator, error.validator_value, error.instance
    if kind == "type":
        return _type_message(error.schema, expected if isinstance(expected, list) else [expected], got)
    if kind == "enum":
        return f"{_short(got)} is not allowed; use one of: {', '.join(map(str, expected))}"
    if kind == "const":
        return f"{_short(got)} is not allowed; {hint}" if hint else f"must be {expected!r}"
    if kind == "maxProperties" and isinstance(got, dict):  # e.g. two alert kinds in one list item
        return f"has {len(got)} keys ({', '.join(map(str, got))}); {hint}" if hint else f"has more than {expected} keys"
    if kind in ("minItems", "minProperties", "minLength") and not got:
        return f"must not be empty; {hint}" if hint else "must not be empty"
    if kind == "uniqueItems":
        return "has repeated entries; list each only once"
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return f"{got} is too {'small' if kind == 'minimum' else 'large'}: must be {bound} {expected}" + (f"; {hint}" if hint else "")
    if kind == "pattern" and isinstance(got, str) and got.endswith(("\n", "\r")):
        # `$` in a pattern would have let it through; a `|` block ends its text with one.
        return f"{_short(got)} ends with a line break; write it on one line, without the line break"
    if kind == "pattern" and isinstance(got, str) and "," in got and "array" in error.schema.get("type", ()):
        return f"{_short(got)} is several values in one text; write a list: {_as_list(got)}"  # `to: "a@x.com, b@x.com"`
    if hint:
        return f"{_short(got)} is not valid: {hint}"
    return error.message


def _type_message(schema: dict, types: list[str], got: Any) -> str:
    text = f"expected {' or '.join(_TYPE_NAMES[t] for t in types)}, got {_type_of(got)} {_short(got)}"
    if "array" in types and isinstance(got, str):  # `keywords: "agent, human"`: one text, not two words
        return f"{text}; write a list: {_as_list(got)}"
    hint = schema.get("x-type-hint") or schema.get("x-hint")  # the type's own hint when quoting is the fix
    return f"{text}; {hint}" if hint else text


def _as_list(text: str) -> str:
    items = [item.strip() for item in text.split(",") if item.strip()] or [text]
    return "[" + ", ".join(item if _PLAIN.fullmatch(item) else json.dumps(item, ensure_ascii=False) for item in items) + "]"


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    names = {dict: "a mapping", list: "a list", str: "a text", int: "a number", float: "a number", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
