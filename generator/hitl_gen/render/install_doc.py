"""INSTALL.md: where each generated file goes and what the server needs."""

from __future__ import annotations

import json
import re

from hitl_gen import channels
from hitl_gen.botpress import hitlnext, layout
from hitl_gen.render.actions import ActionFile, action_path
from hitl_gen.render.flow.graph import Graph
from hitl_gen.render.flow.handoff import edge_words
from hitl_gen.render.runtime import runtime_path
from hitl_gen.render.hook import typed_triggers
from hitl_gen.render.jinja_env import render
from hitl_gen.render.mermaid import flowchart
from hitl_gen.render.module_config import enable_snippet
from hitl_gen.spec.model import Spec


def required_env(spec: Spec) -> list[tuple[str, str]]:
    """(variable, what it holds) for every EXPOSED_ variable the actions read."""
    found: dict[str, str] = {}
    for handoff in spec.handoffs:
        for alert in handoff.alerts:
            for variable in channels.of(alert).env(alert, handoff.id):
                found.setdefault(variable.name, variable.holds)
    return sorted(found.items())


def _alerts(spec: Spec):
    return [alert for handoff in spec.handoffs for alert in handoff.alerts]


def npm_packages(spec: Spec) -> list[str]:
    """Packages the alerts' senders `require` that Botpress does not ship, each once."""
    return sorted({package for alert in _alerts(spec) for package in channels.of(alert).npm_packages(alert)})


def channel_notes(spec: Spec) -> list[str]:
    """What the channels in use need a builder to know, each once."""
    notes = [channels.of(a).install_note(a) for a in _alerts(spec)]
    return list(dict.fromkeys(note for note in notes if note))


def _keywords(keywords: dict) -> str:
    return "; ".join(", ".join(words) if lang == "*" else f"({lang}) {', '.join(words)}" for lang, words in keywords.items() if words)


def trigger_lines(spec: Spec) -> list[str]:
    """One line per handoff the trigger hook starts: what starts it."""
    lines = []
    for handoff, wanted in typed_triggers(spec):
        parts = [f"keywords {_keywords(wanted['keywords'])}" if any(wanted["keywords"].values()) else "",
                 f"intent `{wanted['intent']}`" if wanted["intent"] else "",
                 f"{wanted['afterFailures']} misunderstood messages in a row" if wanted["afterFailures"] else ""]
        lines.append(f"`{handoff.id}`: " + ", or ".join(p for p in parts if p))
    return lines


def markdown_code(text: str) -> str:
    """`text` as one Markdown code span: fenced by more backticks than it holds in a row
    (padded when it starts or ends with one), on one line, so it cannot end the span early."""
    text = " ".join(text.splitlines())
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def flow_diagrams(spec: Spec, graphs: list[Graph]) -> list[tuple[str, str]]:
    """(the flow file as Markdown code, its Mermaid flowchart) per handoff, drawn from
    `graphs`, the ones its flow files were serialised from (in the spec's order)."""
    return [(markdown_code(f"flows/{h.id}.flow.json"), flowchart(graph, edge_words(h)))
            for h, graph in zip(spec.handoffs, graphs, strict=True)]


def install_doc(spec: Spec, actions: list[ActionFile], graphs: list[Graph]) -> str:
    return render(
        "INSTALL.md.j2", spec=spec, spec_name=spec.source.name,
        actions=[(a, action_path(spec, a)) for a in actions], runtime_path=runtime_path(spec),
        actions_dir=layout.actions_dir(spec.target.actions_scope, spec.target.bot) / spec.target.namespace,
        env=required_env(spec), nodemailer="nodemailer" in npm_packages(spec),
        enable_snippet=json.dumps(enable_snippet(spec)), channel_notes=channel_notes(spec), trigger_lines=trigger_lines(spec),
        diagrams=flow_diagrams(spec, graphs),
        hitlnext_exits=hitlnext.exits_of(spec.target) is not None,
    )
