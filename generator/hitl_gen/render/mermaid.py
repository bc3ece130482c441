"""A flow graph (render/flow/graph.py) as a Mermaid flowchart, for INSTALL.md: GitHub and
most editors draw a ```mermaid block.

Only this module knows Mermaid's syntax. Ids are node names where those are plain
lowercase words (every other name gets a numbered id), so nothing in an id can start
an arrow, a shape or a keyword. Every label goes through `label`, which quotes it and
writes anything but a few plain characters as an entity code (`#35;`): no text, a
spec's included, can end a label, start a shape or close the Markdown fence.
"""

from __future__ import annotations

import re
from typing import Mapping

from hitl_gen.render.flow.graph import END, Graph, Node, leaves_flow

_PLAIN = re.compile(r"[A-Za-z0-9 _.,:/()'-]")
_SAFE_ID = re.compile(r"[a-z][a-z0-9_]*")
# Words Mermaid reads as syntax wherever an id may stand (`end` closes a subgraph).
_KEYWORDS = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click", "linkstyle", "direction",
             "default", "call", "href"}
END_ID = "END"  # upper case: never a node name (_SAFE_ID), nor the `end` keyword


def label(text: str) -> str:
    """`text` as a quoted Mermaid label: plain characters as they are, any other as `#<code>;`."""
    return '"' + "".join(c if _PLAIN.fullmatch(c) else f"#{ord(c)};" for c in text) + '"'


def node_ids(graph: Graph) -> dict[str, str]:
    """Node name -> Mermaid id, the name itself where it is a safe word."""
    ids = {}
    for index, node in enumerate(graph.nodes):
        safe = _SAFE_ID.fullmatch(node.name) and node.name not in _KEYWORDS
        ids[node.name] = node.name if safe else f"N{index}"  # upper case: never a safe name
    return ids


def flowchart(graph: Graph, words: Mapping[str, str]) -> str:
    """The graph top-down: a node per graph node (a skill call drawn as a subroutine, the
    start as a stadium), `#` as one circle, each flow it leads out to as a box; an edge
    per target, labelled with `words` for its conditions (a skill's exits as they are)."""
    ids = node_ids(graph)
    outside = {t: f"OUT{n}" for n, t in enumerate(dict.fromkeys(t for node in graph.nodes for _, t in node.edges if leaves_flow(t)))}
    lines = ["flowchart TD"]
    lines += [f"    {ids[node.name]}{_shape(node, graph.start)}" for node in graph.nodes]
    if any(t == END for node in graph.nodes for _, t in node.edges):
        lines.append(f"    {END_ID}(({label(END)}))")
    lines += [f"    {ident}[/{label(target)}/]" for target, ident in outside.items()]
    every = {**ids, END: END_ID, **outside}
    for node in graph.nodes:
        for target, text in _edges(node, words):
            arrow = f" -->|{label(text)}| " if text else " --> "
            lines.append(f"    {ids[node.name]}{arrow}{every[target]}")
    return "\n".join(lines)


def _shape(node: Node, start: str) -> str:
    text = label(node.name)
    if node.skill:
        return f"[[{text}]]"
    return f"([{text}])" if node.name == start else f"[{text}]"


def _edges(node: Node, words: Mapping[str, str]) -> list[tuple[str, str]]:
    """(target, label) once per target. One target: unlabelled. Else a target the node's
    unconditional edge reaches is "otherwise"; the others join their conditions with "or"."""
    by_target: dict[str, list[str]] = {}
    for condition, target in node.edges:
        by_target.setdefault(target, []).append(condition)
    if len(by_target) == 1:
        return [(target, "") for target in by_target]
    return [(target, "otherwise" if "true" in conditions else " or ".join(words.get(c, c) for c in conditions))
            for target, conditions in by_target.items()]
