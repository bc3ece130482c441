"""Read YAML through PyYAML's SafeLoader, keeping where every key and value is.

The schema and semantic checks need a line and column for each problem, so the
document is composed into nodes and converted by hand: values get positions,
duplicate keys are caught (PyYAML silently keeps the last one) and tags outside
the safe set are refused by the SafeConstructor itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from hitl_gen.errors import Problem, SpecError
from hitl_gen.spec.yaml_cost import TooCostly, check_limits

Path = tuple  # a path into the document: keys (str) and indexes (int)

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_INT_TAG = "tag:yaml.org,2002:int"
_MAX_INT_CHARS = 100
_KIND_NAMES = {_INT_TAG: "whole number", "tag:yaml.org,2002:float": "number", "tag:yaml.org,2002:timestamp": "date"}
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class LocatedDocument:
    """The plain data plus a 1-based (line, col) for every value and every key."""

    file: str
    data: Any
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def value_at(self, path: Path) -> tuple[int, int]:
        """Position of the value at `path`, or of its nearest existing parent."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def key_at(self, path: Path) -> tuple[int, int]:
        return self.keys.get(path) or self.value_at(path)

    def problem(self, path: Path, message: str, *, at_key: bool = False) -> Problem:
        line, col = self.key_at(path) if at_key else self.value_at(path)
        return Problem(self.file, line, col, format_path(path), message)


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


# libyaml's parser when PyYAML has it (the wheels do): the same safe constructors,
# about ten times faster on large specs.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_located(text: str, file: str) -> LocatedDocument:
    """Parse `text`; raise SpecError with every located problem found."""
    root = _compose(text, file)
    if root is None:
        raise SpecError([Problem(file, 1, 1, "", "the spec is empty; run `hitl-gen init` for a starter spec")])
    doc = LocatedDocument(file, None)
    problems: list[Problem] = []
    doc.data = _convert(root, (), doc, problems, yaml.SafeLoader(""))
    if problems:
        raise SpecError(problems)
    return doc


def _compose(text: str, file: str) -> yaml.Node | None:
    """The node tree, once the cheap walk of yaml_cost.py says composing it is safe."""
    try:
        check_limits(text)
        loader = _Loader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except TooCostly as err:
        raise SpecError([_problem_at(err.mark, file, "YAML structure", err.message)]) from None
    except yaml.reader.ReaderError as err:
        raise SpecError([_reader_problem(err, file, text)]) from None
    except yaml.MarkedYAMLError as err:
        raise SpecError([_syntax_problem(err, file, text)]) from None


def _problem_at(mark, file: str, where: str, message: str) -> Problem:
    return Problem(file, mark.line + 1, mark.column + 1, where, message)


def _reader_problem(err: yaml.reader.ReaderError, file: str, text: str) -> Problem:
    """A character YAML refuses (a control character): PyYAML gives only its offset."""
    before = text[:err.position]
    line, col = before.count("\n") + 1, err.position - before.rfind("\n")
    code = err.character if isinstance(err.character, int) else ord(err.character)
    escaped = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    kind = "control character" if code < 0xA0 else "character"
    return Problem(file, line, col, "YAML syntax", f"the {kind} U+{code:04X}, which YAML does not allow "
                   f"in a file; delete it, or write it as {escaped} inside double quotes")


def _syntax_problem(err: yaml.MarkedYAMLError, file: str, text: str) -> Problem:
    what = err.problem or "invalid YAML"
    mark = err.problem_mark
    lines = text.splitlines()
    if mark and mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t":
        return Problem(file, mark.line + 1, mark.column + 1, "YAML syntax",
                       "a tab character: YAML indents with spaces only; replace the tab with spaces")
    # At the end of the file the useful place is where the unfinished thing began
    # (an unclosed quote or bracket), which PyYAML keeps as the context mark.
    if "end of stream" in what and err.context_mark:
        mark, detail = err.context_mark, f"{what}: {err.context.removeprefix('while scanning ').removeprefix('while parsing ')} starts here and is never closed"
    else:
        mark, detail = err.problem_mark or err.context_mark, f"{what}{f' ({err.context})' if err.context else ''}"
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(file, line, col, "YAML syntax", f"{detail}; check indentation, quotes and ':' on this line")


def _convert(node: yaml.Node, path: Path, doc: LocatedDocument, problems: list[Problem], constructor) -> Any:
    doc.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
        return _convert_mapping(node, path, doc, problems, constructor)
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
        return [_convert(item, path + (i,), doc, problems, constructor) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG:
        return node.value  # what the SafeConstructor makes of a string, without its bookkeeping (most values are strings)
    if node.tag == _INT_TAG and len(node.value) > _MAX_INT_CHARS:
        # Python refuses to convert more than 4 300 digits (ValueError), and no setting needs more than a few.
        problems.append(doc.problem(path, f"a number of {len(node.value)} characters; no setting takes a number "
                                    "that large: write a small whole number, or quote it if it is a text"))
        return None
    try:
        # The SafeConstructor resolves int/bool/null/... and refuses !!python/ and other unsafe tags.
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as err:
        problems.append(doc.problem(path, f"{err.problem}; only plain YAML values are allowed (no tags such as !!python/...)"))
    except (ValueError, OverflowError) as err:  # a date such as 2026-02-30, an !!int that is not one
        kind = _KIND_NAMES.get(node.tag, node.tag.rsplit(":", 1)[-1])
        problems.append(doc.problem(path, f"{_short(node.value)} is not a valid {kind} ({err}); "
                                    "correct it, or quote it if it is a text"))
    return None


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _convert_mapping(node, path, doc, problems, constructor) -> dict:
    try:
        constructor.flatten_mapping(node)  # resolve `<<` merge keys the way SafeLoader does
    except yaml.constructor.ConstructorError as err:
        line, col = _mark(node)
        problems.append(Problem(doc.file, line, col, format_path(path), str(err.problem)))
        return {}
    result: dict = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            line, col = _mark(key_node)
            problems.append(Problem(doc.file, line, col, format_path(path), "keys must be plain words, not lists or mappings"))
            continue
        key = key_node.value
        if key in result:
            line, col = _mark(key_node)
            first_line, _ = doc.keys[path + (key,)]
            problems.append(Problem(doc.file, line, col, format_path(path + (key,)),
                                    f"duplicate key {key!r} (first given on line {first_line}); keep only one"))
            continue
        doc.keys[path + (key,)] = _mark(key_node)
        result[key] = _convert(value_node, path + (key,), doc, problems, constructor)
    return result
