"""One handoff flow per handoff, wired from skills and actions (FACTS §3-§4):

    entry (clears the trigger flag) → [button] → prepare (full name, message values,
          code-only alerts) → webhook/e-mail skills
          → token → pause (hitl) | token → agents check → token → handoff (hitlnext)
          → handed_over (say, wait) → token → unpause → back (say) → #
    failures → failed (say) → #      no agent online → no_agent (say) → #

A "token" node puts the server token into temp for the one Call-API skill after it;
every node that skill leads to deletes it first (FACTS §12: nothing a template can
read may hold it longer than the call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from hitl_gen.botpress import routes
from hitl_gen.render import content
from hitl_gen.render.ids import IdAllocator
from hitl_gen.render.skills import SkillCall, choice_skill, instruction, single_node_skill
from hitl_gen.render.state import API, trigger_keys
from hitl_gen.spec.model import Email, Handoff, Spec, Webhook

BUTTON_VALUE = "agent"
JSON_HEADERS = {"Content-Type": "application/json"}
AUTH_HEADERS = {"Authorization": "{{{temp." + API + ".authorization}}}", **JSON_HEADERS}
API_BASE = "{{{temp." + API + ".baseURL}}}"
COLUMN, ROW = 260, 170


def _forget(name: str) -> str:
    """Botpress's own setVariable deletes a temp value when given an empty one."""
    return instruction("builtin/setVariable", {"type": "temp", "name": name, "value": ""})


FORGET_TOKEN = _forget(API)


class HandoffFlow(NamedTuple):
    name: str                       # <handoff>.flow.json
    flow: dict
    ui: dict
    skills: list[SkillCall]
    elements: dict[str, list[dict]]  # content type -> elements


@dataclass
class _Builder:
    spec: Spec
    handoff: Handoff
    ids: IdAllocator
    nodes: list[dict] = field(default_factory=list)
    skills: list[SkillCall] = field(default_factory=list)
    elements: dict[str, list[dict]] = field(default_factory=lambda: {"builtin_text": [], "builtin_single-choice": []})
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def key(self, purpose: str) -> str:
        return f"{self.handoff.id}/{purpose}"

    def place(self, name: str, column: int, row: int = 0) -> None:
        self.positions[name] = (100 + column * COLUMN, 100 + row * ROW)

    def action(self, name: str, args: dict | None = None) -> str:
        return instruction(f"{self.spec.target.namespace}/{name}", args or {})

    def token(self, name: str, skill: str, column: int, row: int = 0) -> None:
        """A node that hands the server token to the Call-API skill `skill` only."""
        self.standard(name, [self.action(f"{self.handoff.id}/prepare_call_api", {"token": True})], [("true", skill)])
        self.place(name, column, row)

    def standard(self, name: str, on_enter: list[str], next_: list[tuple[str, str]], *, wait: bool = False) -> None:
        self.nodes.append({"id": self.ids.node(self.key(name)), "name": name, "type": "standard", "onEnter": on_enter,
                           "onReceive": [] if wait else None,
                           "next": [{"condition": condition, "node": node} for condition, node in next_]})

    def say(self, purpose: str, text) -> str:
        element_id = self.ids.element("builtin_text", self.key(purpose))
        self.elements["builtin_text"].append(content.text_element(element_id, text))
        return f"say #!{element_id}"

    def call_api(self, name: str, purpose: str, method: str, url: str, body: str, headers: dict, variable: str) -> SkillCall:
        data = {"method": method, "memory": "temp", "body": body, "headers": headers, "url": url, "variable": variable, "invalidJson": False}
        return self.skill(single_node_skill("CallAPI", self.ids.skill_suffix(self.key(purpose)), self.ids.skill_node(self.key(purpose + "/entry")),
                                            data, self.ids.node(self.key(purpose)), name))

    def skill(self, call: SkillCall) -> SkillCall:
        self.skills.append(call)
        return call

    def link(self, call: SkillCall, targets: dict[str, str]) -> None:
        self.nodes.append(call.node(targets))


def handoff_flow(spec: Spec, handoff: Handoff, ids: IdAllocator) -> HandoffFlow:
    b = _Builder(spec, handoff, ids)
    hitl = spec.target.module == "hitl"
    prefix = handoff.id

    chain: list[SkillCall] = []  # alert skills, run one after the other, each exit moving on
    for index, alert in enumerate(handoff.alerts):
        if isinstance(alert, Webhook):
            call = b.call_api(f"webhook_{index}", f"webhook{index}", "post", f"{{{{{{temp.hitl_webhooks.w{index}.url}}}}}}",
                              f"{{{{{{temp.hitl_webhooks.w{index}.body}}}}}}", JSON_HEADERS, f"hitl_webhook{index}")
            chain.append(call)
        elif isinstance(alert, Email) and alert.via == "skill":
            subject = ids.element("builtin_text", b.key(f"email{index}/subject"))
            body = ids.element("builtin_text", b.key(f"email{index}/body"))
            b.elements["builtin_text"] += [content.text_element(subject, content.keep_labels(alert.subject)),
                                           content.text_element(body, content.keep_labels(alert.body))]
            data = {"fromAddress": alert.sender, "toAddress": ", ".join(alert.to), "ccAddress": ", ".join(alert.cc),
                    "bccAddress": "", "subjectElement": subject, "contentElement": body}
            call = b.skill(single_node_skill("SendEmail", ids.skill_suffix(b.key(f"email{index}")),
                                             ids.skill_node(b.key(f"email{index}/entry")), data, ids.node(b.key(f"email{index}")),
                                             f"email_{index}"))
            chain.append(call)
    code_alerts = sorted({a.kind for a in handoff.alerts if not isinstance(a, Webhook) and not (isinstance(a, Email) and a.via == "skill")})

    column = 0
    first = "prepare"
    if handoff.trigger.button:
        button = handoff.trigger.button
        content_id = ids.element("builtin_single-choice", b.key("button"))
        b.elements["builtin_single-choice"].append(content.choice_element(content_id, button.question, button.label, BUTTON_VALUE))
        keywords = list(dict.fromkeys([BUTTON_VALUE, *button.label.values(), *button.keywords]))
        call = b.skill(choice_skill(ids.skill_suffix(b.key("button")), ids.random_id(b.key("button")), content_id,
                                    {BUTTON_VALUE: keywords}, [ids.skill_node(b.key(f"button/{n}")) for n in range(4)], ids.node(b.key("button"))))
        first = call.name
    # A flow's ends (#) return to the caller in the same turn, where the condition that
    # started the handoff is checked again (FACTS §12): clear it on the way in.
    b.standard("entry", [_forget(trigger_keys(handoff).flag)], [("true", first)])
    b.place("entry", column)
    if handoff.trigger.button:
        column += 1
        b.link(call, {BUTTON_VALUE: "prepare", "failure": "#"})
        b.place(call.name, column)

    prepare = [b.action(f"{prefix}/set_full_name")] if handoff.full_name else []
    prepare.append(b.action(f"{prefix}/prepare_call_api"))
    if code_alerts:
        prepare.append(b.action(f"{prefix}/alert_agents", {"kinds": ",".join(code_alerts)}))
    hand_over = "pause_token" if hitl else ("agents_token" if handoff.check_agents else "handoff_token")
    steps = [call.name for call in chain] + [hand_over]
    b.standard("prepare", prepare, [("true", steps[0])])
    column += 1
    b.place("prepare", column)
    for call, following in zip(chain, steps[1:]):
        column += 1
        b.link(call, {"success": following, "failure": following})
        b.place(call.name, column)

    base = API_BASE
    if hitl:
        column += 1
        b.token("pause_token", "pause", column)
        thread = "?threadId={{{event.threadId}}}" if handoff.pause_scope == "conversation" else ""
        user_route = routes.fill(routes.HITL_USER_ACTION, channel="{{{event.channel}}}", user="{{{event.target}}}")
        pause = b.call_api("pause", "pause", "post", base + routes.fill(user_route, action="pause") + thread, "", AUTH_HEADERS, "hitl_pause")
        column += 1
        b.link(pause, {"success": "handed_over", "failure": "failed"})
        b.place("pause", column)
        resume_call = b.call_api("unpause", "unpause", "post", base + routes.fill(user_route, action="unpause") + thread, "",
                                 AUTH_HEADERS, "hitl_unpause")
    else:
        if handoff.check_agents:
            column += 1
            b.token("agents_token", "check_agents", column)
            column += 1
            agents = b.call_api("check_agents", "agents", "get", base + routes.HITLNEXT_AGENTS, "", AUTH_HEADERS, "hitl_agents")
            b.link(agents, {"success": "agent_online", "failure": "failed"})
            b.place("check_agents", column)
            online = "Array.isArray(temp.hitl_agents.body) && temp.hitl_agents.body.some(agent => agent.online)"
            b.standard("agent_online", [FORGET_TOKEN], [(online, "handoff_token"), ("true", "no_agent")])
            b.place("agent_online", column, 1)
            b.standard("no_agent", [b.say("no_agent", handoff.no_agent_say)], [("true", "#")])
            b.place("no_agent", column + 1, 2)
        column += 1
        b.token("handoff_token", "handoff", column)
        body = '{"userId":"{{{event.target}}}","userThreadId":"{{{event.threadId}}}","userChannel":"{{{event.channel}}}"}'
        handoff_call = b.call_api("handoff", "handoff", "post", base + routes.HITLNEXT_HANDOFFS, body, AUTH_HEADERS, "hitl_handoff")
        column += 1
        b.link(handoff_call, {"success": "handed_over", "failure": "failed"})
        b.place("handoff", column)
        resume_call = None

    column += 1
    # Said by the flow in the user's language, for hitlnext too: its own transferMessage
    # would go out in the bot's default language (config/hitlnext.json leaves it empty).
    b.standard("handed_over", [FORGET_TOKEN, b.say("say", handoff.say)], [("true", "resume")], wait=True)
    b.place("handed_over", column)
    b.standard("failed", [FORGET_TOKEN, b.say("failed", handoff.failure_say)], [("true", "#")])
    b.place("failed", column, 1)
    column += 1
    if resume_call:
        b.token("resume", resume_call.name, column)
        column += 1
        b.link(resume_call, {"success": "back", "failure": "back"})
        b.place(resume_call.name, column)
    else:
        b.standard("resume", [b.action(f"{prefix}/prepare_call_api")], [("true", "back")])
        b.place("resume", column)
    column += 1
    back = [FORGET_TOKEN] + ([b.say("resume", handoff.resume_say)] if handoff.resume_say else [])
    b.standard("back", back, [("true", "#")])
    b.place("back", column)

    flow = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": "entry",
            "description": f"hitl-gen handoff {handoff.id}", "nodes": b.nodes}
    ui = {"nodes": [{"id": node["id"], "position": dict(zip("xy", b.positions[node["name"]]))} for node in b.nodes], "links": []}
    return HandoffFlow(f"{handoff.id}.flow.json", flow, ui, b.skills, b.elements)

