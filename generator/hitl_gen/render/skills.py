"""Skill sub-flows and their parent skill-call nodes, from the definitions in skills/.

The definitions (skills/*.json) say what Botpress's skill generators write; this
module turns a skill's data into the same flow JSON, as dicts.
"""

from __future__ import annotations

import json
from functools import cache
from typing import NamedTuple

from hitl_gen.botpress.knowledge import lookup
from hitl_gen.resources import SKILL_FORMATS

FLOW_VERSION = lookup("formats.flow_version")  # what the Studio writes in 12.x flow files


@cache
def definition(skill: str) -> dict:
    return json.loads((SKILL_FORMATS / f"{skill}.json").read_text(encoding="utf-8"))


class SkillCall(NamedTuple):
    """A skill placed in a flow: its sub-flow file and the exits of its parent node."""

    name: str           # node name in the parent flow, e.g. CallAPI-1a2b3c
    skill: str
    flow_path: str      # skills/<Skill>-<6 hex>.flow.json
    node_id: str
    flow: dict
    exits: tuple[tuple[str, str, str], ...]  # (exit name, caption, condition)

    def node(self, targets: dict[str, str]) -> dict:
        """The parent's skill-call node; `targets` maps exit names to node names."""
        return {"id": self.node_id, "type": "skill-call", "skill": self.skill, "name": self.name, "flow": self.flow_path,
                "next": [{"caption": caption, "condition": condition, "node": targets[exit_]} for exit_, caption, condition in self.exits],
                "onEnter": None, "onReceive": None}


def instruction(action: str, args: dict) -> str:
    """A flow instruction: the action's name and its arguments as compact JSON."""
    return f"{action} {json.dumps(args, ensure_ascii=False, separators=(',', ':'))}"


def _sub_flow(skill_data: dict, nodes: list[dict]) -> dict:
    return {"version": FLOW_VERSION, "catchAll": {"next": []}, "startNode": "entry", "skillData": skill_data, "nodes": nodes}


def single_node_skill(skill: str, suffix: str, entry_id: str, skill_data: dict, node_id: str, node_name: str) -> SkillCall:
    """CallAPI and SendEmail: one `entry` node running the skill's action. The parent
    node gets a readable `node_name` ("pause" rather than CallAPI-1a2b3c)."""
    spec = definition(skill)
    args = {key: skill_data[key] for key in spec["args"]}
    entry = {"name": "entry", "onEnter": [instruction(spec["action"], args)], "next": [{"condition": "true", "node": "#"}], "id": entry_id}
    exits = tuple((t["exit"], t["caption"], t["condition"]) for t in spec["transitions"])
    return SkillCall(node_name, skill, f"skills/{skill}-{suffix}.flow.json", node_id, _sub_flow(skill_data, [entry]), exits)


def choice_skill(suffix: str, random_id: str, content_id: str, choices: dict[str, list[str]],
                 node_ids: list[str], parent_id: str, max_retries: int | None = None) -> SkillCall:
    """`max_retries`: messages matching no choice before the failure exit (the Studio's
    default when None)."""
    spec = definition("choice")
    config = dict(spec["config"])
    if max_retries is not None:
        config["nbMaxRetries"] = max_retries
    data = {"randomId": random_id, "contentId": content_id, "invalidContentId": "", "keywords": choices, "config": config}
    fmt = {"random_id": random_id, "max_retries": config["nbMaxRetries"]}
    say = f"say #!{content_id} " + json.dumps({"skill": "choice"}, separators=(",", ":"))
    nodes = [
        {"name": "entry", "onEnter": [say], "next": [{"condition": "true", "node": "parse"}], "id": node_ids[0]},
        {"name": "parse", "onReceive": [instruction(spec["parse_action"], data)],
         "next": [{"condition": spec["valid_condition"].format(**fmt), "node": "#"}, {"condition": "true", "node": "invalid"}],
         "triggers": [{"conditions": [{"id": "always"}]}], "onEnter": [], "id": node_ids[1]},
        {"name": "invalid", "onEnter": [instruction(spec["invalid_action"], {"randomId": random_id})],
         "next": [{"condition": spec["retries_condition"].format(**fmt), "node": "#"}, {"condition": "true", "node": "sorry"}],
         "id": node_ids[2]},
        {"name": "sorry", "onEnter": [], "next": [{"condition": "true", "node": "parse"}], "id": node_ids[3]},
    ]
    exits = tuple((value, f"User picked [{value if len(value) <= 8 else value[:7] + '...'}]",
                   spec["picked_condition"].format(random_id=random_id, value=json.dumps(value))) for value in choices)
    exits += ((spec["failure"]["exit"], spec["failure"]["caption"], spec["failure"]["condition"]),)
    name = f"choice-{suffix}"
    return SkillCall(name, "choice", f"skills/{name}.flow.json", parent_id, _sub_flow(data, nodes), exits)


def skill_ui(flow: dict) -> dict:
    """A skill's `.ui.json` as the Studio writes it: node ids with empty positions."""
    return {"nodes": [{"id": node["id"], "position": {}} for node in flow["nodes"]]}
