"""Graph + layout -> the `.flow.json` and `.ui.json` dicts (FACTS §3), the skills'
sub-flows (§4) and the content elements the flow says (§5).

Every id comes from the IdAllocator here, keyed `<prefix>/<purpose>`, in node order,
so a rebuild gives the same ids and changing one step leaves the others' alone.
"""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.botpress.knowledge import lookup
from hitl_gen.render import content
from hitl_gen.render.flow.graph import ChoiceElement, Graph, Instruction, Node, Say, Skill, TextElement
from hitl_gen.render.flow.layout import Cell
from hitl_gen.render.ids import IdAllocator
from hitl_gen.render.skills import SkillCall, choice_skill, single_node_skill

FLOW_VERSION = lookup("formats.flow_version")  # what the Studio writes in 12.x flow files

TEXT, CHOICE = "builtin_text", "builtin_single-choice"  # the content types a flow's elements have
CHOICE_NODES = 4  # entry, parse, invalid, sorry: the nodes choice_skill writes


class Serialised(NamedTuple):
    flow: dict
    ui: dict
    skills: list[SkillCall]
    elements: dict[str, list[dict]]  # content type -> elements, in the order they are said


class _Ids:
    """The ids of one flow, and the elements made as their ids are allocated."""

    def __init__(self, ids: IdAllocator, prefix: str):
        self.ids = ids
        self.prefix = prefix
        self.elements: dict[str, list[dict]] = {TEXT: [], CHOICE: []}

    def key(self, purpose: str) -> str:
        return f"{self.prefix}/{purpose}"

    def node(self, purpose: str) -> str:
        return self.ids.node(self.key(purpose))

    def value(self, value):
        """An element reference becomes the new element's id; anything else stays."""
        if isinstance(value, TextElement):
            element_id = self.ids.element(TEXT, self.key(value.purpose))
            self.elements[TEXT].append(content.text_element(element_id, value.text, value.studio))
            return element_id
        if isinstance(value, ChoiceElement):
            element_id = self.ids.element(CHOICE, self.key(value.purpose))
            self.elements[CHOICE].append(
                content.choice_element(element_id, value.question, value.label, value.value, value.others))
            return element_id
        return value

    def instruction(self, item: Instruction) -> str:
        return f"say #!{self.value(item.element)}" if isinstance(item, Say) else item

    def skill_call(self, name: str, skill: Skill) -> SkillCall:
        data = {key: self.value(value) for key, value in skill.data.items()}
        key = self.key(skill.purpose)
        if skill.kind == "choice":
            return choice_skill(self.ids.skill_suffix(key), self.ids.random_id(key), data["contentId"], data["keywords"],
                                [self.ids.skill_node(f"{key}/{n}") for n in range(CHOICE_NODES)], self.node(skill.purpose),
                                data.get("maxRetries"))
        return single_node_skill(skill.kind, self.ids.skill_suffix(key), self.ids.skill_node(f"{key}/entry"), data,
                                 self.node(skill.purpose), name)


class _Standard(NamedTuple):
    node_id: str
    on_enter: list[str]


def serialise(graph: Graph, cells: dict[str, Cell], ids: IdAllocator, prefix: str, description: str) -> Serialised:
    allocated = _Ids(ids, prefix)
    made = [allocated.skill_call(node.name, node.skill) if node.skill else
            _Standard(allocated.node(node.name), [allocated.instruction(i) for i in node.on_enter]) for node in graph.nodes]
    calls = [call for call in made if isinstance(call, SkillCall)]
    # A skill may name its node itself (the Studio names a choice node after its sub-flow).
    renamed = {node.name: call.name for node, call in zip(graph.nodes, made) if isinstance(call, SkillCall)}
    nodes = [_flow_node(node, parts, renamed) for node, parts in zip(graph.nodes, made)]
    flow = {"version": FLOW_VERSION, "catchAll": {"next": []}, "startNode": renamed.get(graph.start, graph.start),
            "description": description, "nodes": nodes}
    ui = {"nodes": [{"id": flow_node["id"], "position": cells[node.name].position()}
                    for node, flow_node in zip(graph.nodes, nodes)], "links": []}
    return Serialised(flow, ui, calls, allocated.elements)


def _flow_node(node: Node, made: SkillCall | _Standard, renamed: dict[str, str]) -> dict:
    targets = [(label, renamed.get(target, target)) for label, target in node.edges]
    if isinstance(made, SkillCall):
        return made.node(dict(targets))
    return {"id": made.node_id, "name": node.name, "type": "standard", "onEnter": made.on_enter,
            "onReceive": [] if node.wait else None,
            "next": [{"condition": condition, "node": target} for condition, target in targets]}
