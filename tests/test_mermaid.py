"""INSTALL.md's flow diagrams (hitl_gen.render.mermaid): drawn from the very graph each
flow file is serialised from, read back here structurally (every node, every edge),
with every line held to the small part of Mermaid's flowchart syntax they may use."""

import re

import pytest
from conftest import EXAMPLES
from hypothesis import given
from hypothesis import strategies as st

from hitl_gen.render.flow.graph import END, GraphBuilder, Skill, leaves_flow
from hitl_gen.render.flow.handoff import edge_words, handoff_graph
from hitl_gen.render.install_doc import install_doc, markdown_code
from hitl_gen.render.actions import action_files
from hitl_gen.render.mermaid import END_ID, flowchart, label, node_ids
from hitl_gen.spec.load import load_spec

ID = r"[a-z][a-z0-9_]*|N\d+|OUT\d+|END"
LABEL = r'"(?:[A-Za-z0-9 _.,:/()\'-]|#\d+;)*"'
NODE = re.compile(rf"    (?P<id>{ID})(?:\((?P<s>\[{LABEL}\])\)|\[\[{LABEL}\]\]|\[{LABEL}\]|\(\({LABEL}\)\)|\[/{LABEL}/\])")
EDGE = re.compile(rf"    (?P<src>{ID}) -->(?:\|(?P<label>{LABEL})\|)? (?P<dst>{ID})")


def parse(chart: str):
    """(node ids -> label text, [(source, target, label text)]); fails on any other line."""
    header, *lines = chart.split("\n")
    assert header == "flowchart TD"
    nodes, edges = {}, []
    for line in lines:
        if (edge := EDGE.fullmatch(line)) is not None:
            edges.append((edge["src"], edge["dst"], unlabel(edge["label"]) if edge["label"] else ""))
        else:
            node = NODE.fullmatch(line)
            assert node is not None, f"not a node or an edge: {line!r}"
            nodes[node["id"]] = unlabel(re.search(LABEL, line).group())
    assert {e[0] for e in edges} | {e[1] for e in edges} <= set(nodes)  # no edge invents a node
    return nodes, edges


def unlabel(quoted: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m[1])), quoted[1:-1])


def _graphs():
    for example in EXAMPLES:
        spec = load_spec(example)
        for handoff in spec.handoffs:
            yield pytest.param(spec, handoff, id=f"{example.stem}-{handoff.id}")


@pytest.mark.parametrize("spec, handoff", list(_graphs()))
def test_every_node_and_edge_of_the_flow_graph_is_drawn(spec, handoff):
    graph, words = handoff_graph(spec, handoff), edge_words(handoff)
    nodes, edges = parse(flowchart(graph, words))
    ids = node_ids(graph)
    assert {ids[n.name]: n.name for n in graph.nodes}.items() <= nodes.items()
    where = {**ids, END: END_ID, **{label: i for i, label in nodes.items() if i.startswith("OUT")}}
    drawn = {(s, d) for s, d, _ in edges}
    expected = {(ids[n.name], where[t]) for n in graph.nodes for _, t in n.edges}
    assert drawn == expected and len(edges) == len(drawn)  # one arrow per way a node goes
    for node in graph.nodes:
        for condition, target in node.edges:
            text = next(t for s, d, t in edges if (s, d) == (ids[node.name], where[target]))
            # every condition the flows use has its words: no JavaScript in a label
            assert condition in ("true", "success", "failure") or condition in words or node.skill, condition
            assert "temp." not in text and "===" not in text


def test_labels_escape_whatever_could_end_them():
    hostile = 'a"b]|c`d#e<script>\nf\u2028'
    assert label(hostile) == '"a#34;b#93;#124;c#96;d#35;e#60;script#62;#10;f#8232;"'
    assert unlabel(label(hostile)) == hostile


@given(st.text())
def test_any_text_makes_one_quoted_label_that_reads_back(text):
    quoted = label(text)
    assert re.fullmatch(LABEL, quoted) and unlabel(quoted) == text


def test_unsafe_names_get_numbered_ids_and_keep_their_name_as_label():
    g = GraphBuilder("end")  # Mermaid's keyword, then a name no id may hold
    g.standard("end", [], {"true": "rated_a--b"})
    g.skill("rated_a--b", Skill("choice", "x", {}), {"x": "faq.flow.json#start", "failure": END})
    graph = g.build()
    nodes, edges = parse(flowchart(graph, {}))
    assert nodes == {"N0": "end", "N1": "rated_a--b", "END": "#", "OUT0": "faq.flow.json#start"}
    assert edges == [("N0", "N1", ""), ("N1", "OUT0", "x"), ("N1", "END", "failure")]
    assert leaves_flow("faq.flow.json#start")


def test_conditions_to_one_target_share_an_arrow_and_an_only_target_is_unlabelled():
    g = GraphBuilder("a")
    g.skill("a", Skill("CallAPI", "a", {}), {"success": "b", "failure": "b"})
    g.standard("b", [], {"temp.x": "c", "temp.y": "c", "true": END})
    g.standard("c", [], {"temp.z": END, "true": END})
    _, edges = parse(flowchart(g.build(), {"temp.x": "x is set"}))
    assert edges == [("a", "b", ""), ("b", "c", "x is set or temp.y"), ("b", "END", "otherwise"), ("c", "END", "")]


def test_markdown_code_spans_cannot_be_closed_from_inside():
    assert markdown_code("flows/a.flow.json") == "`flows/a.flow.json`"
    assert markdown_code("a``b") == "```a``b```"
    assert markdown_code("`a\nb") == "`` `a b ``"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_install_md_has_one_diagram_per_handoff(example):
    spec = load_spec(example)
    text = install_doc(spec, action_files(spec), [handoff_graph(spec, h) for h in spec.handoffs])
    blocks = re.findall(r"\n(`flows/(\w+)\.flow\.json`):\n\n```mermaid\n(.*?)\n```\n", text, re.S)
    assert [b[1] for b in blocks] == [h.id for h in spec.handoffs]
    for (_, _, chart), handoff in zip(blocks, spec.handoffs):
        assert chart == flowchart(handoff_graph(spec, handoff), edge_words(handoff))
