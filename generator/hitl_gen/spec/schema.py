"""The spec's JSON Schema, composed once per process from three sources:

- spec/schema.json: the spec's own shape (target, handoff, texts...);
- each alert channel's body schema (hitl_gen.channels), under $defs/<kind>;
- the Botpress table (botpress/v12.json): `${dotted.name}` inside any string of the
  base schema is replaced by that entry, so versions are never retyped here.

`hitl-gen schema` prints it; schemas/hitl-gen.schema.json is that output, published
for editors (a test keeps it current). References are resolved with `referencing`,
the library jsonschema itself uses.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import referencing
import referencing.jsonschema

from hitl_gen import channels, studio_texts, triggers
from hitl_gen.botpress.knowledge import lookup
from hitl_gen.resources import BASE_SCHEMA

_REFERENCE = re.compile(r"\$\{([a-z_.]+)\}")


@cache
def spec_schema() -> dict:
    schema = json.loads(BASE_SCHEMA.read_text(encoding="utf-8"))
    defs = schema["$defs"]
    kinds = sorted(channels.kinds())
    defs["alert"]["properties"] = {kind: {"$ref": f"#/$defs/{kind}"} for kind in kinds}
    for channel in channels.CHANNELS:
        defs[channel.kind] = copy.deepcopy(channel.schema)
        defs.update(copy.deepcopy(channel.schema_defs))
    defs["trigger"]["properties"] = {kind.name: copy.deepcopy(kind.schema) for kind in triggers.TRIGGERS}
    defs["target"]["properties"]["module"]["enum"] = sorted(lookup("modules"))
    defs["handoff"]["properties"]["studio"]["properties"]["texts"]["items"]["enum"] = list(studio_texts.KEYS)
    trigger_names = [kind.name for kind in triggers.TRIGGERS]
    names = {"alert_kinds": ", ".join(kinds), "alert_kinds_or": _or(kinds), "trigger_names_or": _or(trigger_names)}
    return _substitute(schema, names)


def _or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1]


def _substitute(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _REFERENCE.sub(lambda m: names[m.group(1)] if m.group(1) in names else str(lookup(m.group(1))), node)
    if isinstance(node, dict):
        return {key: _substitute(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(item, names) for item in node]
    return node


def schema_text() -> str:
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"


@cache
def _resolver() -> referencing.Resolver:
    schema = spec_schema()
    resource = referencing.jsonschema.DRAFT202012.create_resource(schema)
    return referencing.Registry().with_resource(schema["$id"], resource).resolver(schema["$id"])


def resolved(node: dict) -> dict:
    """A schema node with its `$ref` followed; keys beside the `$ref` win."""
    if "$ref" not in node:
        return node
    target = _resolver().lookup(node["$ref"]).contents
    return {**resolved(target), **{key: value for key, value in node.items() if key != "$ref"}}


def inlined(node: Any = None) -> Any:
    """The schema with every reference replaced by what it points at (it has no
    recursive ones): looking them up per instance dominated validating large specs."""
    node = spec_schema() if node is None else node
    if isinstance(node, dict):
        node = resolved(node)
        return {key: value if key in ("examples", "default", "const") else inlined(value)
                for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [inlined(item) for item in node]
    return node
