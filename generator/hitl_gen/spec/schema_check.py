"""Check a located document against the JSON Schema; turn each error into a Problem.

Errors are collected with `iter_errors` (all at once, not the first one) and
phrased for bot builders: unknown keys get a "did you mean", inline secrets get
told where the secret belongs (the schema's `x-secret-keys`), and patterns get
the schema's own `x-hint`.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import Any

import jsonschema

from hitl_gen.errors import Problem
from hitl_gen.spec.located_yaml import LocatedDocument
from hitl_gen.spec.schema import inlined, resolved

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
    if kind == "propertyNames":
        return [doc.problem(path + (error.instance,), f"{error.instance!r} is not a language code; "
                            "use two-letter codes such as en or fr", at_key=True)]
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
        types = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES[t] for t in types)
        text = f"expected {wanted}, got {_type_of(got)} {_short(got)}"
        return f"{text}; {hint}" if hint else text
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
    if hint:
        return f"{_short(got)} is not valid: {hint}"
    return error.message


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    names = {dict: "a mapping", list: "a list", str: "a text", int: "a number", float: "a number", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
