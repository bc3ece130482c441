"""Everything `hitl-gen build` produces for a spec, rendered in memory.

Paths are relative to a Botpress root (the folder holding `data/`). When the files
go into an existing bot, `ExistingBot` says what is already there: content-element
files are merged into (the bot's own elements kept byte for byte) and new ids avoid
the bot's own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, NamedTuple

from hitl_gen.botpress import layout
from hitl_gen.botpress.knowledge import lookup
from hitl_gen.errors import DestinationError
from hitl_gen.json_text import pretty
from hitl_gen.render.actions import action_files, action_path
from hitl_gen.render.runtime import runtime_path, runtime_source
from hitl_gen.render.content import element_hash, merge_elements
from hitl_gen.render.flow import handoff_flow
from hitl_gen.render.ids import IdAllocator
from hitl_gen.render.hook import hook_path, trigger_hook
from hitl_gen.render.install_doc import install_doc
from hitl_gen.render.module_config import module_config
from hitl_gen.render.skills import skill_ui
from hitl_gen.spec.model import Spec

ELEMENT_TYPES = tuple(lookup("formats.content_types"))  # the content types hitl-gen writes elements of


class PlannedFile(NamedTuple):
    path: PurePosixPath
    content: bytes
    merged: bool = False                  # merged into a file the bot already has
    edited_elements: tuple[str, ...] = ()  # our elements in it that the user changed


@dataclass
class ExistingBot:
    """Content-element files of the bot, and what hitl-gen wrote there before."""

    element_files: dict[str, str] = field(default_factory=dict)
    owned_elements: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> hashes hitl-gen wrote it with
    foreign_ids: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, bot_dir: Path, owned_elements: dict[str, tuple[str, ...]], owned_files: set[str],
             shown: Callable[[Path], str] = str) -> "ExistingBot":
        """`owned_elements` and `owned_files`: what hitl-gen wrote (or an interrupted build
        was writing); `shown` names a file as the user knows it, in an error."""
        files, foreign = {}, set()
        for kind in ELEMENT_TYPES:
            path = bot_dir / "content-elements" / f"{kind}.json"
            if path.is_file():
                files[kind], elements = _element_file(path, shown)
                foreign |= {e.get("id") for e in elements if isinstance(e, dict)} - set(owned_elements)
        owned_skills = {PurePosixPath(f).name for f in owned_files if "/flows/skills/" in f}
        for skill_flow in (bot_dir / "flows" / "skills").glob("*.flow.json"):
            match = re.search(r"-([0-9a-f]{6})\.flow\.json$", skill_flow.name)
            if match and skill_flow.name not in owned_skills:
                foreign.add(match.group(1))
        return cls(files, dict(owned_elements), foreign)


def _element_file(path: Path, shown: Callable[[Path], str]) -> tuple[str, list]:
    """A content-element file's text and its elements; one line saying what is wrong with
    it otherwise (merging into it would lose or break the bot's own elements)."""
    data, fix = path.read_bytes(), "fix it, or restore it from a backup or an export of the bot"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DestinationError(f"not UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}); Botpress writes "
                               f"content elements as UTF-8: {fix}", subject=shown(path), where="content elements") from None
    if not text.strip():  # merged into as an empty list (merge_elements)
        return text, []
    try:
        elements = json.loads(text)
    except ValueError as err:
        raise DestinationError(f"not valid JSON ({err.msg}); {fix}", subject=f"{shown(path)}:{err.lineno}:{err.colno}",
                               where="content elements") from None
    if not isinstance(elements, list):
        raise DestinationError(f"a JSON {_JSON_KINDS.get(type(elements), 'value')}, not the list of content elements "
                               f"Botpress writes; {fix}", subject=shown(path), where="content elements")
    return text, elements


_JSON_KINDS = {dict: "object", str: "string", int: "number", float: "number", bool: "true or false", type(None): "null"}


class Plan(NamedTuple):
    files: list[PlannedFile]
    elements: dict[str, str]  # id -> hash of every content element generated


def _json_bytes(value) -> bytes:
    return (pretty(value) + "\n").encode("utf-8")


def build_plan(spec: Spec, existing: ExistingBot | None = None, *, install_doc_file: bool = True) -> Plan:
    existing = existing or ExistingBot()
    bot = layout.bot_dir(spec.target.bot)
    actions = action_files(spec)
    files = [PlannedFile(action_path(spec, a), a.render().encode("utf-8")) for a in actions]
    files.append(PlannedFile(runtime_path(spec), runtime_source().encode("utf-8")))

    ids = IdAllocator(spec.target.bot, existing.foreign_ids)
    elements: dict[str, list[dict]] = {kind: [] for kind in ELEMENT_TYPES}
    own_flows: list[str] = []  # the handoffs' flows and skill sub-flows, where typed triggers must not fire
    graphs = []  # drawn again in INSTALL.md
    for handoff in spec.handoffs:
        flow = handoff_flow(spec, handoff, ids)
        graphs.append(flow.graph)
        own_flows += [flow.name, *(call.flow_path for call in flow.skills)]
        files.append(PlannedFile(bot / "flows" / flow.name, _json_bytes(flow.flow)))
        files.append(PlannedFile(bot / "flows" / flow.name.replace(".flow.json", ".ui.json"), _json_bytes(flow.ui)))
        for call in flow.skills:
            files.append(PlannedFile(bot / "flows" / call.flow_path, _json_bytes(call.flow)))
            files.append(PlannedFile(bot / "flows" / call.flow_path.replace(".flow.json", ".ui.json"), _json_bytes(skill_ui(call.flow))))
        for kind, items in flow.elements.items():
            elements[kind] += items

    for kind, items in elements.items():
        if items or kind in existing.element_files:
            merged = merge_elements(existing.element_files.get(kind), items, existing.owned_elements)
            files.append(PlannedFile(bot / "content-elements" / f"{kind}.json", merged.text.encode("utf-8"),
                                     merged=True, edited_elements=merged.edited))
    hook = trigger_hook(spec, own_flows)
    if hook is not None:
        files.append(PlannedFile(hook_path(spec), hook.encode("utf-8")))
    config_name, config = module_config(spec)
    files.append(PlannedFile(bot / "config" / config_name, _json_bytes(config)))
    if install_doc_file:
        files.append(PlannedFile(PurePosixPath("INSTALL.md"), install_doc(spec, actions, graphs).encode("utf-8")))
    hashes = {e["id"]: element_hash(e) for items in elements.values() for e in items}
    return Plan(sorted(files, key=lambda f: f.path.parts), hashes)  # PurePosixPath's order, without 200 000 calls of its __lt__
