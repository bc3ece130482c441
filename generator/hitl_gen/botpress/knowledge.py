"""The Botpress v12 table (v12.json) as read by Python.

versions.py, routes.py and layout.py expose parts of it under stable names; the
schema reads it through `lookup` (its `${dotted.name}` references) and the
generated JavaScript through the values the renderers put into CONFIG.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).resolve().parent / "v12.json"


@cache
def table() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def lookup(dotted: str) -> Any:
    """`versions.newest` -> "12.31.10"; a KeyError names the missing entry."""
    node: Any = table()
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"{TABLE.name} has no {dotted!r}")
        node = node[part]
    return node
