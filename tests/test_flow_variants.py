"""The handoff graph with business hours and a way back, for each shape they take:
where the decision sits, the Call-API token rule, and a layout that reads left to right."""

import copy

import pytest
import yaml
from conftest import REPO

from hitl_gen.render.flow import handoff_flow
from hitl_gen.render.flow.graph import END
from hitl_gen.render.flow.handoff import FORGET_TOKEN, handoff_graph
from hitl_gen.render.ids import IdAllocator
from hitl_gen.spec.load import load_spec

HOURS = {"time_zone": "Europe/Paris", "open": {"mon": ["09:00-18:00"]}, "off_hours": {"say": "Closed."}}
RESUME = {"say": "Back.", "then": {"flow": "faq", "node": "start"},
          "satisfaction": {"question": "OK?", "answers": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
                           "store_as": "rating"}}


def _spec(tmp_path, example: str, hand_over: bool):
    raw = yaml.safe_load((REPO / "examples" / f"{example}.yaml").read_text(encoding="utf-8"))
    handoff = raw["handoffs"][0]
    handoff["hours"] = {**copy.deepcopy(HOURS), "off_hours": {"say": "Closed.", "hand_over": hand_over}}
    handoff["resume"] = copy.deepcopy(RESUME)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    spec = load_spec(path)
    return spec, spec.handoffs[0]


# Both examples are in English only; minimal-hitl asks with a button, hitlnext-agents checks for agents.
VARIANTS = [("minimal-hitl", False), ("minimal-hitl", True), ("hitlnext-agents", False), ("hitlnext-agents", True)]


@pytest.mark.parametrize("example, hand_over", VARIANTS)
def test_the_decision_sits_where_the_handover_depends_on_it(tmp_path, example, hand_over):
    spec, handoff = _spec(tmp_path, example, hand_over)
    graph = handoff_graph(spec, handoff)
    first_handover = "pause_token" if spec.target.module == "hitl" else "agents_token"
    assert graph.node("hours").edges == (("true", "prepare"),)
    decision = graph.node("in_hours")
    [(is_open, opened), otherwise] = decision.edges
    assert is_open == "temp.hitl_hours_" + handoff.id + " !== 'closed'"
    if hand_over:  # handed over and alerted first; the decision picks the message, then both wait
        assert opened == "handed_over" and otherwise == ("true", "off_hours") and decision.on_enter == (FORGET_TOKEN,)
        assert dict(graph.node("alerted").edges)["temp.hitl_outcome === 'handed'"] == "in_hours"
        assert graph.node("off_hours").wait and graph.node("off_hours").edges == (("true", "resume"),)
    else:  # before the handover; closed still alerts, then goes back where the user was
        assert opened == first_handover and otherwise == ("true", "closed")
        assert graph.node("prepare").edges == (("true", "in_hours"),)
        assert dict(graph.node("alerted").edges)["temp.hitl_outcome === 'closed'"] == "off_hours"
        assert graph.node("off_hours").edges == (("true", END),)


@pytest.mark.parametrize("example, hand_over", VARIANTS)
def test_the_way_back_asks_stores_then_leaves_once(tmp_path, example, hand_over):
    spec, handoff = _spec(tmp_path, example, hand_over)
    graph = handoff_graph(spec, handoff)
    assert graph.node("back").edges == (("true", "satisfaction"),)
    assert dict(graph.node("satisfaction").edges) == {"yes": "rated_yes", "no": "rated_no", "failure": "after_handoff"}
    assert graph.node("rated_no").on_enter == ('builtin/setVariable {"type":"user","name":"rating","value":"no"}',)
    assert graph.node("then").edges == (("lastNode=after_handoff", "faq.flow.json#start"), ("true", END))


@pytest.mark.parametrize("example, hand_over", VARIANTS)
def test_every_variant_keeps_the_token_rule_and_reads_left_to_right(tmp_path, example, hand_over):
    spec, handoff = _spec(tmp_path, example, hand_over)
    graph = handoff_graph(spec, handoff)
    for call in [n for n in graph.nodes if n.skill and "Authorization" in n.skill.data.get("headers", {})]:
        for target in call.targets():
            assert graph.node(target).on_enter[0] == FORGET_TOKEN, (call.name, target)
    built = handoff_flow(spec, handoff, IdAllocator(spec.target.bot))
    position = {n["id"]: (n["position"]["x"], n["position"]["y"]) for n in built.ui["nodes"]}
    assert len(set(position.values())) == len(built.flow["nodes"])
    column = {n["name"]: position[n["id"]][0] for n in built.flow["nodes"]}
    for flow_node in built.flow["nodes"]:
        for edge in flow_node["next"]:
            if edge["node"] in column:
                assert column[edge["node"]] >= column[flow_node["name"]], (flow_node["name"], edge["node"])
