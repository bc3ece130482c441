"""Handoff flows, built as a graph (graph.py, handoff.py, alerts.py), laid out
(layout.py), then serialised into Botpress's files (serialise.py)."""

from hitl_gen.render.flow.handoff import HandoffFlow, handoff_flow

__all__ = ["HandoffFlow", "handoff_flow"]
