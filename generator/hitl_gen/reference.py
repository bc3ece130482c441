"""The README's spec reference, generated from the JSON Schema so they never disagree."""

from __future__ import annotations

import json
from typing import Iterator

from hitl_gen.spec.schema import resolved, spec_schema

START = "<!-- spec-reference:start (generated from schemas/hitl-gen.schema.json; run tests/regenerate.py) -->"
END = "<!-- spec-reference:end -->"


def spec_reference() -> str:
    lines = ["| key | type | description | example |", "| --- | --- | --- | --- |"]
    lines += [_row(path, node) for path, node in _walk(spec_schema(), "")]
    return "\n".join(lines) + "\n"


def _walk(node: dict, prefix: str) -> Iterator[tuple[str, dict]]:
    """Every property, depth first, with list items shown as `key[]`; the spec's
    schema has no recursive references, so no cycle guard is needed."""
    node = resolved(node)
    for key, child in node.get("properties", {}).items():
        child = resolved(child)
        path = f"{prefix}.{key}" if prefix else key
        yield path, child
        yield from _walk(child, path)
        if isinstance(child.get("items"), dict):
            yield from _walk(child["items"], f"{path}[]")


def _row(path: str, node: dict) -> str:
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
