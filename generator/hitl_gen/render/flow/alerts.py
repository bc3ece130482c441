"""The alerts a handoff flow sends itself, as skill steps chained after `prepare`; the
others are left to the generated alert_agents action. Each channel decides
(`flow_step` in hitl_gen.channels); `AlertFlow` is what its step is made with.
"""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen import channels
from hitl_gen.render import content
from hitl_gen.render.flow.graph import JSON_HEADERS, Skill, TextElement, call_api
from hitl_gen.spec.model import Handoff
from hitl_gen.texts import Text


class AlertStep(NamedTuple):
    name: str     # node name in the handoff flow
    skill: Skill  # holds the elements it needs as references (an e-mail's subject and body)


class AlertSteps(NamedTuple):
    steps: tuple[AlertStep, ...]  # run one after the other, whatever each one's outcome
    in_code: tuple[str, ...]      # alert kinds left to the alert_agents action, sorted


class AlertFlow:
    """What an alert's flow step can make: no ids, they are allocated when serialised."""

    JSON_HEADERS = JSON_HEADERS

    def call_api(self, name: str, purpose: str, method: str, url: str, body: str, headers: dict, variable: str) -> AlertStep:
        return AlertStep(name, call_api(purpose, method, url, variable, headers=headers, body=body))

    def label_element(self, purpose: str, text: Text) -> TextElement:
        """A text element for the SendEmail skill, keeping "words: " it would delete."""
        return TextElement(purpose, content.keep_labels(text))

    def send_email(self, name: str, purpose: str, data: dict) -> AlertStep:
        return AlertStep(name, Skill("SendEmail", purpose, data))


def alert_steps(handoff: Handoff) -> AlertSteps:
    flow, steps, in_code = AlertFlow(), [], set()
    for index, alert in enumerate(handoff.alerts):
        if channels.of(alert).sent_by_botpress(alert):
            continue
        step = channels.of(alert).flow_step(alert, index, flow)
        if step is None:
            in_code.add(alert.kind)
        else:
            steps.append(step)
    return AlertSteps(tuple(steps), tuple(sorted(in_code)))
