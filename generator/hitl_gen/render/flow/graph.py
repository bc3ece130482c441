"""A flow as a graph: named nodes joined by named edges, with no ids and no positions.

Nodes keep the order they were added in, which is the order of the flow file's
nodes. Whatever needs an id (a content element, a skill's files) is written as a
reference here and given its id when the graph is serialised (serialise.py).
"""

from __future__ import annotations

from typing import NamedTuple, Union

from hitl_gen.texts import Text

END = "#"  # back to the calling flow, in the same turn (FACTS §3, §12)


def leaves_flow(target: str) -> bool:
    """A transition into another flow (`<flow>.flow.json[#<node>]`): not a node of this one."""
    return ".flow.json" in target
JSON_HEADERS = {"Content-Type": "application/json"}


class TextElement(NamedTuple):
    """A `builtin_text` content element of this flow's, named by what it is for."""

    purpose: str
    text: Text
    studio: str | None = None  # its name in `studio.texts` when the Studio skill may override it


class ChoiceElement(NamedTuple):
    """A `builtin_single-choice` element offering one choice, or more with `others`."""

    purpose: str
    question: Text
    label: Text
    value: str
    others: tuple[tuple[str, Text], ...] = ()  # further choices, (value, label)


class Say(NamedTuple):
    """An onEnter instruction sending `element` (`say #!<id>`)."""

    element: TextElement


Instruction = Union[str, Say]


class Skill(NamedTuple):
    """What a skill-call node runs: the skill (skills/<kind>.json), the purpose its ids
    are derived from, and its skill data, in which element references become ids."""

    kind: str
    purpose: str
    data: dict


class Node(NamedTuple):
    name: str
    edges: tuple[tuple[str, str], ...]  # (condition, or a skill's exit; target node name or END)
    on_enter: tuple[Instruction, ...] = ()
    wait: bool = False                  # wait for the user's next message before leaving
    skill: Skill | None = None

    @property
    def kind(self) -> str:
        return "skill-call" if self.skill else "standard"

    def targets(self) -> list[str]:
        """Where the edges lead in this flow: node names, or END."""
        return [target for _, target in self.edges if not leaves_flow(target)]


class Graph(NamedTuple):
    start: str
    nodes: tuple[Node, ...]

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def reachable(self) -> list[str]:
        """Node names breadth-first from the start, following edges in their order."""
        order = [self.start]
        for name in order:
            order += [t for t in self.node(name).targets() if t != END and t not in order]
        return order


def call_api(purpose: str, method: str, url: str, variable: str, *, headers: dict, body: str = "") -> Skill:
    """A CallAPI skill (FACTS §4) keeping the answer in `temp.<variable>`."""
    data = {"method": method, "memory": "temp", "body": body, "headers": headers, "url": url, "variable": variable,
            "invalidJson": False}
    return Skill("CallAPI", purpose, data)


class GraphBuilder:
    """Collects nodes in flow order; `build` checks the wiring before anything is laid out."""

    def __init__(self, start: str):
        self.start = start
        self.nodes: list[Node] = []

    def standard(self, name: str, on_enter: list[Instruction], edges: dict[str, str], *, wait: bool = False) -> None:
        self.nodes.append(Node(name, tuple(edges.items()), tuple(on_enter), wait))

    def skill(self, name: str, skill: Skill, exits: dict[str, str]) -> None:
        self.nodes.append(Node(name, tuple(exits.items()), skill=skill))

    def build(self) -> Graph:
        graph = Graph(self.start, tuple(self.nodes))
        check(graph)
        return graph


def check(graph: Graph) -> None:
    """A wiring mistake fails the build here rather than in the Studio."""
    names = [node.name for node in graph.nodes]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"flow graph: nodes named twice: {duplicates}")
    if graph.start not in names:
        raise ValueError(f"flow graph: no start node {graph.start!r}")
    for node in graph.nodes:
        unknown = [t for t in node.targets() if t != END and t not in names]
        if unknown:
            raise ValueError(f"flow graph: {node.name!r} leads to unknown nodes {unknown}")
    reachable = set(graph.reachable())
    unreachable = [name for name in names if name not in reachable]
    if unreachable:
        raise ValueError(f"flow graph: nodes not reachable from {graph.start!r}: {unreachable}")
