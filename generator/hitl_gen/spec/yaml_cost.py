"""The cheap check that enforces limits.MAX_DEPTH and MAX_NODES before anything
expensive (composing, converting, validating) runs.

It walks libyaml's event stream, which is produced without recursion and at about a
tenth of the cost of composing: it counts nesting and sizes, expanding an alias by
arithmetic (the anchor's size and height), never by copying.
"""

from __future__ import annotations

import yaml

from hitl_gen.spec.limits import MAX_DEPTH, MAX_NODES

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class TooCostly(Exception):
    """The document passes a limit; `mark` is where (a PyYAML Mark)."""

    def __init__(self, mark, message: str):
        super().__init__(message)
        self.mark, self.message = mark, message


class _Collection:
    """An open mapping or list: its size and height so far (aliases expanded)."""

    __slots__ = ("anchor", "size", "height")

    def __init__(self, anchor: str | None):
        self.anchor, self.size, self.height = anchor, 1, 1


def check_limits(text: str) -> None:
    """Raise TooCostly when `text` nests deeper than MAX_DEPTH or expands to more
    than MAX_NODES values. YAML errors are left to the loader, which reports them."""
    loader = _Loader(text)
    try:
        _walk(loader)
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()


def _walk(loader) -> None:
    stack: list[_Collection] = []
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (size, height) of what it names
    total = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, _OPEN):
            stack.append(_Collection(event.anchor))
            if len(stack) > MAX_DEPTH:
                raise TooCostly(event.start_mark, f"nested more than {MAX_DEPTH} levels deep (a spec needs about 10); "
                                "check the brackets and the indentation")
            total += 1
        elif isinstance(event, _CLOSE):
            _close(stack, anchors)
        elif isinstance(event, yaml.AliasEvent):
            total += _add(stack, *_alias(event, anchors, stack))
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
            total += _add(stack, 1, 0)
        if total > MAX_NODES:
            raise TooCostly(event.start_mark, _too_many(isinstance(event, yaml.AliasEvent)))


def _close(stack: list[_Collection], anchors: dict) -> None:
    done = stack.pop()
    if done.anchor is not None:
        anchors[done.anchor] = (done.size, done.height)
    _add(stack, done.size, done.height)


def _add(stack: list[_Collection], size: int, height: int) -> int:
    """Count a finished value in the collection holding it; returns its size."""
    if stack:
        parent = stack[-1]
        parent.size += size
        parent.height = max(parent.height, height + 1)
    return size


def _alias(event, anchors: dict, stack: list[_Collection]) -> tuple[int, int]:
    name = event.anchor
    if any(open_.anchor == name for open_ in stack):
        # The composer builds a list that contains itself; converting it would never end.
        raise TooCostly(event.start_mark, f"the alias *{name} is inside the value its anchor &{name} names, "
                        "so that value would contain itself forever; remove the alias")
    size, height = anchors.get(name, (1, 0))  # an undefined alias: the loader reports it
    if len(stack) + height > MAX_DEPTH:
        raise TooCostly(event.start_mark, f"put here, the value of the alias *{name} nests more than {MAX_DEPTH} levels "
                        "deep (a spec needs about 10); put the alias less deep, or alias a smaller value")
    return size, height


def _too_many(at_alias: bool) -> str:
    limit = f"{MAX_NODES:,}".replace(",", " ")
    if at_alias:
        return (f"this alias takes the spec past {limit} values once aliases are expanded (a spec of 1 000 handoffs "
                "holds about 140 000): anchors used this way multiply the spec; use fewer aliases")
    return f"the spec holds more than {limit} values (a spec of 1 000 handoffs holds about 140 000); check that this is the spec file"
