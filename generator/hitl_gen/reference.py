"""The README's spec reference, generated from the JSON Schema so they never disagree."""

from __future__ import annotations

import json
from typing import Iterator

START = "<!-- spec-reference:start (generated from schemas/hitl-gen.schema.json; run tests/regenerate.py) -->"
END = "<!-- spec-reference:end -->"


def spec_reference(schema: dict) -> str:
    lines = ["| key | type | description | example |", "| --- | --- | --- | --- |"]
    lines += [_row(path, node, schema) for path, node in _walk(schema, schema, "")]
    return "\n".join(lines) + "\n"


def _resolve(node: dict, schema: dict) -> dict:
    if "$ref" not in node:
        return node
    target = schema
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _walk(node: dict, schema: dict, prefix: str) -> Iterator[tuple[str, dict]]:
    """Every property, depth first, with list items shown as `key[]`; the spec's
    schema has no recursive references, so no cycle guard is needed."""
    node = _resolve(node, schema)
    for key, child in node.get("properties", {}).items():
        child = _resolve(child, schema)
        path = f"{prefix}.{key}" if prefix else key
        yield path, child
        yield from _walk(child, schema, path)
        if isinstance(child.get("items"), dict):
            yield from _walk(child["items"], schema, f"{path}[]")


def _row(path: str, node: dict, schema: dict) -> str:
    kind = node.get("type") or ("one of: " + ", ".join(map(str, node["enum"])) if "enum" in node else "")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    example = json.dumps(node["examples"][0], ensure_ascii=False) if node.get("examples") else ""
    default = f" Default: `{json.dumps(node['default'])}`." if "default" in node else ""
    cells = [f"`{path}`", kind, node.get("description", "") + default, f"`{example}`" if example else ""]
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def replace_section(readme: str, reference: str) -> str:
    head, found, rest = readme.partition(START)
    if not found:
        raise ValueError("README.md has no spec-reference markers")
    _, found, tail = rest.partition(END)
    if not found:
        raise ValueError("README.md has no spec-reference end marker")
    return f"{head}{START}\n{reference}{END}{tail}"
