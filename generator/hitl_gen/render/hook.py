"""The bot hook that starts handoffs on typed triggers (keywords, intent, repeated
misunderstandings) with no edit to the bot's own flows: one script per spec, run by
Botpress after NLU and before the dialog engine (templates/trigger_hook.js.j2)."""

from __future__ import annotations

from pathlib import PurePosixPath

from hitl_gen import triggers
from hitl_gen.botpress import layout
from hitl_gen.render.actions import base_config
from hitl_gen.render.flow.way_back import THEN
from hitl_gen.render.jinja_env import render
from hitl_gen.render.state import trigger_keys
from hitl_gen.spec.model import Handoff, Spec

START_NODE = "entry"  # every handoff flow starts there (render/flow/handoff.py)


def hook_path(spec: Spec) -> PurePosixPath:
    # Ordered by file name with the global hooks: after Botpress's own, which mark visits to skip.
    return layout.bot_hook(spec.target.bot, "after_incoming", f"50_{spec.target.namespace}_triggers.js")


def typed_triggers(spec: Spec) -> list[tuple[Handoff, dict]]:
    """The handoffs the hook starts, in the order it tries them (highest priority first;
    sorted() is stable, so ties keep the spec's order), each with what should_start
    needs of its typed triggers. A handoff with none (a button alone) is left out."""
    found = []
    for handoff in sorted(spec.handoffs, key=lambda h: -h.priority):
        wanted = triggers.should_start_config(handoff.trigger)
        if any(wanted["keywords"].values()) or wanted["intent"] or wanted["afterFailures"]:
            found.append((handoff, wanted))
    return found


def trigger_hook(spec: Spec, own_flows: list[str]) -> str | None:
    """The hook's source, or None when no handoff starts on what users type.
    `own_flows` are the handoff flows and their skill sub-flows."""
    handoffs = [{"id": handoff.id, "flow": f"{handoff.id}.flow.json", "startNode": START_NODE, **wanted,
                 "keys": trigger_keys(handoff)._asdict()} for handoff, wanted in typed_triggers(spec)]
    if not handoffs:
        return None
    config = {**base_config(spec), "mainFlow": layout.MAIN_FLOW, "ownFlows": sorted(own_flows), "lastNode": THEN,
              "handoffs": handoffs}
    return render("trigger_hook.js.j2", config=config)
