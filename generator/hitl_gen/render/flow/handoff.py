"""One handoff flow per handoff (FACTS §3-§4): its steps wired by name as a graph,
then laid out and serialised.

    entry (clears the trigger flag) → [button] → [hours] → prepare (full name, message
          values) → [in_hours?] → token → pause (hitl) | token → agents check → token → handoff (hitlnext)
          → handed | not_handed | no_agent_found | closed (each records the outcome in temp)
          → alert (code-only alerts) → webhook/e-mail skills → alerted (branches on the outcome)
          → handed_over (say, wait) → token → unpause → back (say) → [satisfaction] → # | then
                                                    unpause failed → unpause_again (the resume action) → # | …
    failures → failed (say) → #      no agent online → no_agent (say) → #
    outside the business hours → off_hours (say) → #   (off_hours.py; way_back.py after `back`)

hitlnext from 12.28 (botpress/hitlnext.py) tells the bot how a handoff ended with an event
of its own: handed_over then takes `timed_out` (timeout.say) when the handoff expired, and
`resume` when the agent resolved it, at once; on that event, which is no user message,
`back` and `timed_out` wait for the user's next message before the builder's flows get
the conversation again (`<node>_wait`). Before 12.28 the user's next message moves on.

Agents are alerted after the hand-over, whatever its outcome: Botpress's Call-API skill
has no timeout, so a slow alert endpoint placed before the pause held the user's pause
back for as long as it stalled (benchmarks/load.py measured over a minute).

A "token" node puts the server token into temp for the one Call-API skill after it;
every node that skill leads to deletes it first (FACTS §12: nothing a template can
read may hold it longer than the call).
"""

from __future__ import annotations

import json
from typing import NamedTuple

from hitl_gen import studio_texts
from hitl_gen.botpress import hitlnext, routes, versions
from hitl_gen.render.flow import off_hours, way_back
from hitl_gen.render.flow.alerts import AlertSteps, alert_steps
from hitl_gen.render.flow.graph import END, JSON_HEADERS, ChoiceElement, Graph, GraphBuilder, Say, Skill, TextElement, call_api
from hitl_gen.render.flow.layout import layout
from hitl_gen.render.flow.serialise import serialise
from hitl_gen.render.ids import IdAllocator
from hitl_gen.render.skills import SkillCall, instruction
from hitl_gen.render.state import API, trigger_keys
from hitl_gen.spec.model import Handoff, Spec
from hitl_gen.texts import Text
from hitl_gen.triggers.keywords import every_word

BUTTON_VALUE = "agent"
AUTH_HEADERS = {"Authorization": "{{{temp." + API + ".authorization}}}", **JSON_HEADERS}
API_BASE = "{{{temp." + API + ".baseURL}}}"
AGENT_ONLINE = "Array.isArray(temp.hitl_agents.body) && temp.hitl_agents.body.some(agent => agent.online)"
HANDOFF_FIELDS = {"userId": "{{{event.target}}}", "userThreadId": "{{{event.threadId}}}", "userChannel": "{{{event.channel}}}"}


def _set(name: str, value: str) -> str:
    """Botpress's own setVariable; it deletes a temp value when given an empty one."""
    return instruction("builtin/setVariable", {"type": "temp", "name": name, "value": value})


def _forget(name: str) -> str:
    return _set(name, "")


FORGET_TOKEN = _forget(API)
OUTCOME = "hitl_outcome"  # how the hand-over ended, for the node after the alerts
HANDED, NOT_HANDED, NO_AGENT, CLOSED = "handed", "not_handed", "no_agent_found", "closed"
TIMED_OUT = "timed_out"  # recorded when HITL Next says nobody took the handoff in time (12.28+)


def _is(outcome: str) -> str:
    return f"temp.{OUTCOME} === '{outcome}'"


def edge_words(handoff: Handoff) -> dict[str, str]:
    """Short words for the conditions a handoff's graph branches on, for the diagram in
    INSTALL.md (render/mermaid.py); skill exits (success, failure, a choice) speak for themselves."""
    words = {AGENT_ONLINE: "agent online", _is(HANDED): "handed over", _is(NO_AGENT): "no agent online",
             _is(CLOSED): "closed", "temp.hitl_failed": "failed"}
    exits = hitlnext.exits(versions.NEWEST_SUPPORTED)
    words.update({exits.condition(exits.timed_out): "no agent in time", exits.by_hitlnext: "hitlnext's event"})
    return {**words, **off_hours.edge_words(handoff), **way_back.EDGE_WORDS}


class HandoffFlow(NamedTuple):
    name: str                       # <handoff>.flow.json
    flow: dict
    ui: dict
    skills: list[SkillCall]
    elements: dict[str, list[dict]]  # content type -> elements
    graph: Graph                     # what the flow was serialised from (INSTALL.md draws it)


def handoff_flow(spec: Spec, handoff: Handoff, ids: IdAllocator) -> HandoffFlow:
    graph = handoff_graph(spec, handoff)
    out = serialise(graph, layout(graph), ids, handoff.id, f"hitl-gen handoff {handoff.id}")
    return HandoffFlow(f"{handoff.id}.flow.json", out.flow, out.ui, out.skills, out.elements, graph)


class _Wiring(GraphBuilder):
    """The handoff's graph as it is built, and the instructions its nodes run."""

    def __init__(self, spec: Spec, handoff: Handoff):
        super().__init__("entry")
        self.spec, self.handoff = spec, handoff

    def action(self, name: str, args: dict | None = None) -> str:
        return instruction(f"{self.spec.target.namespace}/{self.handoff.id}/{name}", args or {})

    def text(self, purpose: str, text: Text, studio_key: str) -> TextElement:
        """The element saying `text`; `studio_key` is its name in `studio.texts`."""
        return TextElement(purpose, text, studio_texts.overridable(self.handoff, studio_key))

    def token(self, name: str, skill_node: str) -> None:
        """A node that hands the server token to the Call-API skill `skill_node` only."""
        self.standard(name, [self.action("prepare_call_api", {"token": True})], {"true": skill_node})

    def call(self, name: str, skill: Skill, success: str, failure: str) -> None:
        self.skill(name, skill, {"success": success, "failure": failure})

    @property
    def uses_agent_check(self) -> bool:
        return self.spec.target.module == "hitlnext" and self.handoff.check_agents

    @property
    def exits(self) -> hitlnext.Exits | None:
        """How hitlnext tells this Botpress that a handoff ended, if it does (12.28+)."""
        return hitlnext.exits_of(self.spec.target)


def handoff_graph(spec: Spec, handoff: Handoff) -> Graph:
    w = _Wiring(spec, handoff)
    hitl = spec.target.module == "hitl"
    _entry(w)
    hand_over = "pause_token" if hitl else ("agents_token" if handoff.check_agents else "handoff_token")
    off_hours.add_check(w, handoff, w.action("hours"), "prepare")
    prepare = [w.action("set_full_name")] if handoff.full_name else []
    w.standard("prepare", prepare + [w.action("prepare_call_api")], {"true": off_hours.before_handover(handoff, hand_over)})
    off_hours.add_decision(w, handoff, hand_over, FORGET_TOKEN, CLOSED)
    unpause = None
    if hitl:
        unpause = _pause(w)
    else:
        _hitlnext(w)
    _outcomes_and_alerts(w, alert_steps(handoff))
    _handed_over_and_back(w, unpause)
    way_back.add_steps(w, handoff)
    return w.build()


def _entry(w: _Wiring) -> None:
    button = w.handoff.trigger.button
    # A flow's ends (#) return to the caller in the same turn, where the condition that
    # started the handoff is checked again (FACTS §12): clear it on the way in.
    asked = off_hours.first_step(w.handoff, "prepare")
    # hitlnext's exit flags stay in temp after a handoff: the next one must not find them set.
    forget = [_forget(key) for key in (trigger_keys(w.handoff).flag, *(w.exits.keys if w.exits else ()))]
    w.standard("entry", forget, {"true": "button" if button else asked})
    if button:
        keywords = list(dict.fromkeys([BUTTON_VALUE, *button.label.values(), *every_word(button.keywords)]))
        choice = ChoiceElement("button", button.question, button.label, BUTTON_VALUE)
        w.skill("button", Skill("choice", "button", {"contentId": choice, "keywords": {BUTTON_VALUE: keywords}}),
                {BUTTON_VALUE: asked, "failure": END})


def _outcomes_and_alerts(w: _Wiring, alerts: AlertSteps) -> None:
    """Each way the hand-over can end records itself and goes to the alerts, which all
    run whatever each one's outcome; then `alerted` takes the recorded way on."""
    handoff, first = w.handoff, ("alert" if alerts.in_code else None)
    chain = ([first] if first else []) + [step.name for step in alerts.steps] + ["alerted"]
    outcomes = [HANDED, NOT_HANDED] + ([NO_AGENT] if w.uses_agent_check else []) + ([CLOSED] if off_hours.closes(handoff) else [])
    for outcome in outcomes:  # the token of the skill before is deleted first
        w.standard(outcome, [FORGET_TOKEN, _set(OUTCOME, outcome)], {"true": chain[0]})
    if first:
        w.standard(first, [w.action("alert_agents", {"kinds": ",".join(alerts.in_code)})], {"true": chain[1]})
    for step, after in zip(alerts.steps, chain[len(chain) - len(alerts.steps):]):
        w.call(step.name, step.skill, after, after)
    ways = {_is(HANDED): off_hours.after_handover(handoff, "handed_over")}
    if w.uses_agent_check:
        ways[_is(NO_AGENT)] = "no_agent"
    if off_hours.closes(handoff):
        ways[_is(CLOSED)] = off_hours.OFF_HOURS
    w.standard("alerted", [], {**ways, "true": "failed"})


def _pause(w: _Wiring) -> Skill:
    """hitl: pause the user (or only this conversation); the unpause skill is returned
    for after the agent is done."""
    thread = "?threadId={{{event.threadId}}}" if w.handoff.pause_scope == "conversation" else ""
    user_route = routes.fill(routes.HITL_USER_ACTION, channel="{{{event.channel}}}", user="{{{event.target}}}")
    url = {action: API_BASE + routes.fill(user_route, action=action) + thread for action in ("pause", "unpause")}
    w.token("pause_token", "pause")
    w.call("pause", call_api("pause", "post", url["pause"], "hitl_pause", headers=AUTH_HEADERS), HANDED, NOT_HANDED)
    return call_api("unpause", "post", url["unpause"], "hitl_unpause", headers=AUTH_HEADERS)


def _hitlnext(w: _Wiring) -> None:
    """hitlnext: optionally check that an agent is online, then create the handoff."""
    if w.uses_agent_check:
        w.token("agents_token", "check_agents")
        agents = call_api("agents", "get", API_BASE + routes.HITLNEXT_AGENTS, "hitl_agents", headers=AUTH_HEADERS)
        w.call("check_agents", agents, "agent_online", NOT_HANDED)
        w.standard("agent_online", [FORGET_TOKEN], {AGENT_ONLINE: "handoff_token", "true": NO_AGENT})
        w.standard("no_agent", [Say(w.text("no_agent", w.handoff.no_agent_say, "no_agent"))], {"true": END})
    w.token("handoff_token", "handoff")
    timeout = w.handoff.timeout
    fields = {**HANDOFF_FIELDS, **({hitlnext.timeout_field(w.spec.target.botpress): timeout.after_s} if timeout else {})}
    handoff = call_api("handoff", "post", API_BASE + routes.HITLNEXT_HANDOFFS, "hitl_handoff", headers=AUTH_HEADERS,
                       body=json.dumps(fields, separators=(",", ":")))
    w.call("handoff", handoff, HANDED, NOT_HANDED)


def _handed_over_and_back(w: _Wiring, unpause: Skill | None) -> None:
    handoff = w.handoff
    # Said by the flow in the user's language, for hitlnext too: its own transferMessage
    # would go out in the bot's default language (config/hitlnext.json leaves it empty).
    # Waits for the hand-back: the user's next message, or from 12.28 hitlnext's own event
    # (resolved, or expired after timeout.after_s).
    waited = {"true": "resume"}
    if w.exits and handoff.timeout:
        waited = {w.exits.condition(w.exits.timed_out): "timed_out", **waited}
        w.standard("timed_out", [_set(OUTCOME, TIMED_OUT), Say(w.text("timeout", handoff.timeout.say, "timeout"))],
                   _settled(w, "timed_out", END))
    w.standard("handed_over", [FORGET_TOKEN, Say(w.text("say", handoff.say, "say"))], waited, wait=True)
    w.standard("failed", [FORGET_TOKEN, Say(w.text("failed", handoff.failure_say, "on_failure"))], {"true": END})
    if unpause:
        w.token("resume", "unpause")
        w.call("unpause", unpause, "back", "unpause_again")
        # A failed hand-back must not be told as one: the resume action tries once more (with
        # a timeout), says resume.say only if that worked, and otherwise logs why.
        w.standard("unpause_again", [FORGET_TOKEN, w.action("resume")],
                   {"temp.hitl_failed": END, "true": way_back.first_step(handoff)})
    else:
        w.standard("resume", [w.action("prepare_call_api")], {"true": "back"})
    back = [FORGET_TOKEN] + ([Say(w.text("resume", handoff.resume_say, "resume"))] if handoff.resume_say else [])
    after = way_back.first_step(handoff)
    w.standard("back", back, {"true": after} if after == way_back.SATISFACTION else _settled(w, "back", after))


def _settled(w: _Wiring, node: str, then: str) -> dict[str, str]:
    """The edges out of `node` towards `then`, a step that gives the conversation back to
    the builder's flows. hitlnext's own event (12.28+) is no user message: the builder's
    flows must not answer it, so on that event the flow first waits for the user's next
    message (`<node>_wait`); a user's message goes straight on."""
    if not w.exits:
        return {"true": then}
    w.standard(f"{node}_wait", [], {"true": then}, wait=True)
    return {w.exits.by_hitlnext: f"{node}_wait", "true": then}
