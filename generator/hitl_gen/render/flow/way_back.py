"""The steps after the hand-back (hitl_gen.way_back), from the `back` node on:

    back (says resume.say) → [satisfaction (choice skill) → rated_<value> (stores it on the user)]
        → #                                                       (then: back)
        → after_handoff → then → <flow>.flow.json#<node>         (then: {flow, node})

`then` is entered once from after_handoff. When the target's flow returns (`#`), the
dialog lands on `then` again with a node of that flow as the last one, so `then`
goes back where the user was (`#`) instead of into the target again, which the real
engine stops as an infinite loop (seen on a real 12.22.1).
"""

from __future__ import annotations

from hitl_gen.render.flow.graph import END, ChoiceElement, GraphBuilder, Skill
from hitl_gen.render.skills import instruction
from hitl_gen.spec.model import Handoff

SATISFACTION, LEAVE, THEN = "satisfaction", "after_handoff", "then"
ON_THE_WAY_IN = f"lastNode={LEAVE}"  # `then` entered from after_handoff, not on the target flow's return
EDGE_WORDS = {ON_THE_WAY_IN: "on the way in"}  # for INSTALL.md's diagram


def first_step(handoff: Handoff) -> str:
    """Where `back` leads."""
    way_back = handoff.way_back
    if way_back.satisfaction:
        return SATISFACTION
    return LEAVE if way_back.then.flow else END


def add_steps(g: GraphBuilder, handoff: Handoff) -> None:
    way_back = handoff.way_back
    leave = LEAVE if way_back.then.flow else END
    if way_back.satisfaction:
        _satisfaction(g, way_back.satisfaction, leave)
    if way_back.then.flow:
        g.standard(LEAVE, [], {"true": THEN})
        g.standard(THEN, [], {ON_THE_WAY_IN: way_back.then.target(), "true": END})


def _satisfaction(g: GraphBuilder, asked, leave: str) -> None:
    """A choice skill: its picked value is one the spec declared (choice_parse_answer
    only ever stores a declared key), written into the flow as a constant, so nothing
    the user typed reaches a template."""
    first, *others = asked.answers
    element = ChoiceElement(SATISFACTION, asked.question, first.label, first.value,
                            tuple((answer.value, answer.label) for answer in others))
    keywords = {answer.value: list(dict.fromkeys([answer.value, *answer.label.values()])) for answer in asked.answers}
    exits = {answer.value: f"rated_{answer.value}" for answer in asked.answers}
    # A message that answers nothing ends the question at once (no retries): it stores
    # nothing, and goes on to `leave`, where the user's message is answered as usual
    # instead of being swallowed by the question.
    data = {"contentId": element, "keywords": keywords, "maxRetries": 0}
    g.skill(SATISFACTION, Skill("choice", SATISFACTION, data), {**exits, "failure": leave})
    for answer in asked.answers:
        store = instruction("builtin/setVariable", {"type": "user", "name": asked.store_as, "value": answer.value})
        g.standard(f"rated_{answer.value}", [store], {"true": leave})
