"""The business-hours steps of a handoff flow (hitl_gen.hours), wired into the
handoff's graph (handoff.py):

    … → hours (decides: temp.hitl_hours_<id>) → prepare → in_hours?
            open   → hand over as without hours
            closed → closed (recorded) → alerts → off_hours (says it) → #     (hand_over: false)

    with off_hours.hand_over, the handover happens first and the decision follows it:
    … → pause | handoff → alerts → in_hours?  open → handed_over;  closed → off_hours (says it, waits) → resume

The alerts go out either way, and say {{hours}}.
"""

from __future__ import annotations

from hitl_gen import studio_texts
from hitl_gen.hours import CLOSED, state_key
from hitl_gen.render.flow.graph import END, GraphBuilder, Say, TextElement
from hitl_gen.spec.model import Handoff

CHECK, DECISION, OFF_HOURS = "hours", "in_hours", "off_hours"


def first_step(handoff: Handoff, prepare: str) -> str:
    """Where the flow goes once the user asked (entry, or the button)."""
    return CHECK if handoff.hours else prepare


def closes(handoff: Handoff) -> bool:
    """Being outside the hours means no handover at all."""
    return bool(handoff.hours and not handoff.hours.hand_over)


def before_handover(handoff: Handoff, hand_over: str) -> str:
    """Where the flow goes once prepared: the decision, when being closed means no handover."""
    return DECISION if closes(handoff) else hand_over


def after_handover(handoff: Handoff, handed_over: str) -> str:
    """Where a successful pause or handoff leads: the decision, when the handover happens closed too."""
    return DECISION if handoff.hours and handoff.hours.hand_over else handed_over


def is_open(handoff: Handoff) -> str:
    """The condition `in_hours` takes when the hours action found the desk open."""
    return f"temp.{state_key(handoff.id)} !== '{CLOSED}'"


def edge_words(handoff: Handoff) -> dict[str, str]:
    """Short words for the conditions these steps branch on (INSTALL.md's diagram)."""
    return {is_open(handoff): "open"} if handoff.hours else {}


def add_check(g: GraphBuilder, handoff: Handoff, check: str, prepare: str) -> None:
    """The node running `check`, the hours action, before `prepare`."""
    if handoff.hours:
        g.standard(CHECK, [check], {"true": prepare})


def add_decision(g: GraphBuilder, handoff: Handoff, hand_over: str, forget_token: str, closed: str) -> None:
    """`hand_over` is the first handover step; after a handover, `forget_token` must
    come first (the Call-API skill's token, FACTS §12). `closed` records that the desk
    was closed and goes on to the alerts."""
    hours = handoff.hours
    if not hours:
        return
    say = Say(TextElement(OFF_HOURS, hours.off_hours_say, studio_texts.overridable(handoff, "off_hours")))
    if hours.hand_over:
        g.standard(DECISION, [forget_token], {is_open(handoff): "handed_over", "true": OFF_HOURS})
        # Waits like handed_over: the agent answers when the desk opens, then hands back.
        g.standard(OFF_HOURS, [forget_token, say], {"true": "resume"}, wait=True)
    else:
        g.standard(DECISION, [], {is_open(handoff): hand_over, "true": closed})
        g.standard(OFF_HOURS, [say], {"true": END})
