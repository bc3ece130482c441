"""What a trigger is: one way a handoff starts, with everything hitl-gen does for it.

A trigger module defines one `TriggerKind` and registers it in
`triggers/__init__.py`: its schema (the value under `trigger.<name>`), its model
value, the user-facing texts in it, and what it adds to the should_start action's
CONFIG. The handoff's model keeps the declared triggers by name (`Trigger`).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any


class TriggerKind:
    name: str = ""
    schema: dict = {}
    user_texts: tuple[str, ...] = ()   # keys of its texts users read (each needs every language)
    config_defaults: dict = {}         # should_start CONFIG entries when the trigger is absent

    def build(self, value: Any, languages: tuple[str, ...]) -> Any:
        return value

    def problems(self, doc, path: tuple, value: Any, target: dict):
        """What the schema cannot say about the value (Problems located in doc)."""
        return iter(())

    def configure(self, config: dict, value: Any) -> None:
        """Put what should_start needs into its CONFIG (which has every default)."""


class Trigger:
    """The declared triggers of a handoff by name; an absent one reads as None, so
    `handoff.trigger.button` works for every registered trigger."""

    __slots__ = ("_values",)

    def __init__(self, values: dict):
        object.__setattr__(self, "_values", MappingProxyType(dict(values)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._values.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Trigger is immutable")

    def __iter__(self):
        return iter(self._values.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trigger) and dict(self._values) == dict(other._values)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values)))

    def __repr__(self) -> str:
        return f"Trigger({dict(self._values)!r})"
