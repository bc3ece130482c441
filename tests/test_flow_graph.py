"""Handoff flows as graph -> layout -> serialised files (hitl_gen.render.flow)."""

import copy
import json
import re

import pytest
import yaml
from conftest import EXAMPLES, REPO

from hitl_gen.render.flow import handoff_flow
from hitl_gen.render.flow.alerts import alert_steps
from hitl_gen.render.flow.graph import END, ChoiceElement, GraphBuilder, Say, Skill, TextElement, call_api
from hitl_gen.render.flow.handoff import FORGET_TOKEN, handoff_graph
from hitl_gen.render.flow.layout import COLUMN, ORIGIN, ROW, Cell, layout, main_path
from hitl_gen.render.flow.serialise import serialise
from hitl_gen.render.ids import IdAllocator
from hitl_gen.spec.load import load_spec

HEADERS = {"Content-Type": "application/json"}


def _call(purpose):
    return call_api(purpose, "get", "https://example.com/" + purpose, "v_" + purpose, headers=HEADERS)


def _graph(build):
    graph = GraphBuilder("a")
    build(graph)
    return graph.build()


def test_main_path_runs_along_the_top_and_a_failure_branch_below_right():
    def build(g):
        g.standard("a", [], {"true": "call"})
        g.skill("call", _call("call"), {"success": "b", "failure": "oops"})
        g.standard("b", [], {"true": END})
        g.standard("oops", [], {"true": END})

    graph = _graph(build)
    assert main_path(graph) == ["a", "call", "b"]
    assert layout(graph) == {"a": Cell(0, 0), "call": Cell(1, 0), "b": Cell(2, 0), "oops": Cell(2, 1)}


def test_a_decision_hangs_under_the_step_it_checks_and_its_branch_goes_lower():
    def build(g):
        g.standard("a", [], {"true": "check"})
        g.skill("check", _call("check"), {"success": "decide", "failure": "failed"})
        g.standard("decide", [], {"temp.ok": "go", "true": "nope"})
        g.standard("nope", [], {"true": END})
        g.standard("go", [], {"true": "done"})
        g.skill("done", _call("done"), {"success": "back", "failure": "failed"})
        g.standard("back", [], {"true": END})
        g.standard("failed", [], {"true": END})

    assert layout(_graph(build)) == {"a": Cell(0, 0), "check": Cell(1, 0), "decide": Cell(1, 1), "go": Cell(2, 0),
                                     "done": Cell(3, 0), "back": Cell(4, 0), "nope": Cell(2, 2), "failed": Cell(4, 1)}


def test_side_branches_wanting_the_same_cell_are_stacked():
    def build(g):
        g.standard("a", [], {"true": "pick"})
        g.skill("pick", Skill("choice", "pick", {}), {"yes": "b", "no": "x", "failure": "y"})
        g.standard("b", [], {"true": END})
        g.standard("x", [], {"true": END})
        g.standard("y", [], {"true": END})

    assert layout(_graph(build)) == {"a": Cell(0, 0), "pick": Cell(1, 0), "b": Cell(2, 0), "x": Cell(2, 1), "y": Cell(2, 2)}


def test_a_loop_ends_the_main_path_and_its_back_edge_is_the_only_one_going_left():
    def build(g):
        g.standard("a", [], {"true": "ask"})
        g.standard("ask", [], {"true": "again"}, wait=True)
        g.standard("again", [], {"true": "ask"})

    graph = _graph(build)
    cells = layout(graph)
    assert main_path(graph) == ["a", "ask", "again"]
    left = [(n.name, t) for n in graph.nodes for t in n.targets() if cells[t].column < cells[n.name].column]
    assert left == [("again", "ask")]


@pytest.mark.parametrize("wire, message", [
    (lambda g: (g.standard("a", [], {"true": "b"}), g.standard("b", [], {"true": END}), g.standard("b", [], {"true": END})),
     "nodes named twice: ['b']"),
    (lambda g: g.standard("a", [], {"true": "nowhere"}), "'a' leads to unknown nodes ['nowhere']"),
    (lambda g: (g.standard("a", [], {"true": END}), g.standard("lost", [], {"true": END})),
     "nodes not reachable from 'a': ['lost']"),
    (lambda g: g.standard("b", [], {"true": END}), "no start node 'a'"),
], ids=["duplicate", "unknown target", "unreachable", "no start"])
def test_wiring_mistakes_fail_before_anything_is_written(wire, message):
    with pytest.raises(ValueError, match="flow graph: " + re.escape(message)):
        _graph(wire)


def _small_flow():
    def build(g):
        g.standard("a", [FORGET_TOKEN], {"true": "button"})
        choice = ChoiceElement("button", {"en": "Agent?"}, {"en": "Yes"}, "agent")
        g.skill("button", Skill("choice", "button", {"contentId": choice, "keywords": {"agent": ["agent", "yes"]}}),
                {"agent": "call", "failure": END})
        g.skill("call", _call("call"), {"success": "wait", "failure": END})
        g.standard("wait", [Say(TextElement("hello", {"en": "Hi"}))], {"true": END}, wait=True)

    return _graph(build)


def test_serialised_flow_ui_skills_and_elements():
    graph = _small_flow()
    out = serialise(graph, layout(graph), IdAllocator("bot"), "h", "a test flow")
    flow, ui = out.flow, out.ui
    assert list(flow) == ["version", "catchAll", "startNode", "description", "nodes"]
    assert (flow["startNode"], flow["description"], flow["catchAll"]) == ("a", "a test flow", {"next": []})
    entry, button, call, wait = flow["nodes"]
    assert button["name"].startswith("choice-") and button["type"] == "skill-call"
    assert entry["next"] == [{"condition": "true", "node": button["name"]}]  # the choice named itself
    assert [n["node"] for n in button["next"]] == ["call", "#"]
    assert (call["name"], call["skill"], call["onEnter"], call["onReceive"]) == ("call", "CallAPI", None, None)
    assert [n["node"] for n in call["next"]] == ["wait", "#"]
    assert (entry["onReceive"], wait["onReceive"]) == (None, [])
    [text] = out.elements["builtin_text"]
    [choice] = out.elements["builtin_single-choice"]
    assert wait["onEnter"] == [f"say #!{text['id']}"]
    assert text["formData"]["text$en"] == "Hi"
    assert [s.flow_path for s in out.skills] == [f"skills/{button['name']}.flow.json", call["flow"]]
    assert out.skills[0].flow["skillData"]["contentId"] == choice["id"]
    assert [n["id"] for n in ui["nodes"]] == [n["id"] for n in flow["nodes"]]
    assert [n["position"] for n in ui["nodes"]] == [{"x": ORIGIN + c * COLUMN, "y": ORIGIN} for c in range(4)]
    assert ui["links"] == []


def test_serialising_again_gives_the_same_ids_and_avoids_taken_ones():
    graph = _small_flow()
    first = serialise(graph, layout(graph), IdAllocator("bot"), "h", "d")
    assert serialise(graph, layout(graph), IdAllocator("bot"), "h", "d") == first
    entry_id = first.flow["nodes"][0]["id"]
    other = serialise(graph, layout(graph), IdAllocator("bot", {entry_id}), "h", "d")
    assert other.flow["nodes"][0]["id"] != entry_id
    assert [n["id"] for n in other.flow["nodes"][1:]] == [n["id"] for n in first.flow["nodes"][1:]]


def _example_flows():
    flows = []
    for example in EXAMPLES:
        spec = load_spec(example)
        ids = IdAllocator(spec.target.bot)
        flows += [pytest.param(spec, h, handoff_flow(spec, h, ids), id=f"{example.stem}-{h.id}") for h in spec.handoffs]
    return flows


EXAMPLE_FLOWS = _example_flows()


@pytest.mark.parametrize("spec, handoff, built", EXAMPLE_FLOWS)
def test_example_layouts_are_unique_and_read_left_to_right(spec, handoff, built):
    position = {n["id"]: (n["position"]["x"], n["position"]["y"]) for n in built.ui["nodes"]}
    assert len(set(position.values())) == len(position) == len(built.flow["nodes"])
    assert all((x - ORIGIN) % COLUMN == 0 and (y - ORIGIN) % ROW == 0 for x, y in position.values())
    by_name = {n["name"]: position[n["id"]] for n in built.flow["nodes"]}
    for node in built.flow["nodes"]:
        for edge in node["next"]:
            if edge["node"] != END:  # these flows have no loops
                assert by_name[edge["node"]][0] >= by_name[node["name"]][0], (node["name"], edge["node"])


@pytest.mark.parametrize("spec, handoff, built", EXAMPLE_FLOWS)
def test_every_authenticated_call_gets_the_token_from_the_node_before_and_every_next_node_forgets_it(spec, handoff, built):
    graph = handoff_graph(spec, handoff)
    authenticated = [n for n in graph.nodes if n.skill and "Authorization" in n.skill.data.get("headers", {})]
    assert authenticated
    for call in authenticated:
        sources = [n for n in graph.nodes if call.name in n.targets()]
        assert len(sources) == 1 and '"token":true' in sources[0].on_enter[0], call.name
        for target in call.targets():
            assert graph.node(target).on_enter[0] == FORGET_TOKEN, (call.name, target)


def test_flow_alerts_are_chained_after_the_handover_and_the_others_left_to_the_action(tmp_path):
    data = yaml.safe_load((REPO / "examples" / "hitlnext-agents.yaml").read_text(encoding="utf-8"))
    handoff = data["handoffs"][0]
    email = {"from": "bot@example.com", "to": "team@example.com", "subject": "Help: {{full_name}}", "body": "B"}
    handoff["alert"] = [handoff["alert"][0], {"webhook": {"url_env": "EXPOSED_HOOK", "format": "json"}},
                        {"email": email}, {"email": {**copy.deepcopy(email), "via": "skill"}}]
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    spec = load_spec(tmp_path / "spec.yaml")
    steps = alert_steps(spec.handoffs[0])
    assert [s.name for s in steps.steps] == ["webhook_1", "email_3"]
    assert [s.skill.kind for s in steps.steps] == ["CallAPI", "SendEmail"]
    assert steps.in_code == ("email", "teams")
    graph = handoff_graph(spec, spec.handoffs[0])
    # The hand-over comes first (Call-API skills have no timeout: a slow alert must not hold
    # the pause back); every way it ends records itself, then all alerts run.
    assert graph.node("prepare").edges == (("true", "agents_token"),)
    assert dict(graph.node("check_agents").edges) == {"success": "agent_online", "failure": "not_handed"}
    assert dict(graph.node("agent_online").edges)["true"] == "no_agent_found"
    assert dict(graph.node("handoff").edges) == {"success": "handed", "failure": "not_handed"}
    for outcome in ("handed", "not_handed", "no_agent_found"):
        node = graph.node(outcome)
        assert node.edges == (("true", "alert"),) and node.on_enter[0] == FORGET_TOKEN
        assert node.on_enter[1] == f'builtin/setVariable {{"type":"temp","name":"hitl_outcome","value":"{outcome}"}}'
    assert graph.node("alert").edges == (("true", "webhook_1"),)
    assert json.loads(graph.node("alert").on_enter[0].split(" ", 1)[1]) == {"kinds": "email,teams"}
    assert graph.node("webhook_1").edges == (("success", "email_3"), ("failure", "email_3"))
    assert graph.node("email_3").edges == (("success", "alerted"), ("failure", "alerted"))
    assert graph.node("alerted").edges == (("temp.hitl_outcome === 'handed'", "handed_over"),
                                           ("temp.hitl_outcome === 'no_agent_found'", "no_agent"), ("true", "failed"))
    # The skill's subject keeps "Help:" from send_email's label removal (FACTS §12).
    assert graph.node("email_3").skill.data["subjectElement"].text == {"en": "Help:\u00a0{{full_name}}"}
