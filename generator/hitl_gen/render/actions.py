"""The action pack: which action scripts a spec needs, their metadata and config.

Every spec value a script uses is collected here into one `config` dict that the
template writes as a single JavaScript literal. An action file holds that, its
metadata and the name of its entry in the shared runtime (render/runtime.py), where
all the logic is.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import NamedTuple

from hitl_gen import channels, hours, studio_texts, triggers
from hitl_gen.botpress import hitlnext, layout
from hitl_gen.render.content import user_attributes
from hitl_gen.render.jinja_env import render
from hitl_gen.render.runtime import CATEGORY, botpress_config, runtime_config
from hitl_gen.render.state import trigger_keys
from hitl_gen.spec.model import Handoff, Spec

class Param(NamedTuple):
    name: str
    type: str
    text: str
    optional: bool = True


class ActionMeta(NamedTuple):
    title: str
    description: str
    category: str = CATEGORY
    params: tuple[Param, ...] = ()
    hidden: bool = False


class ActionFile(NamedTuple):
    name: str  # the Botpress action name, e.g. hitl-gen/talk_to_agent/start
    entry: str  # what it runs in the shared runtime (templates/lib/entries.js)
    meta: ActionMeta
    config: dict
    reports_failure: bool = False  # sets temp.hitl_failed, which its flow branches on
    scope: str = "bot"  # where it and the runtime are: the bot's actions or the global ones

    def render(self) -> str:
        return render("action.js.j2", meta=self.meta, config=self.config, entry=self.entry,
                      reports_failure=self.reports_failure, files_scope=self.scope)


REASON = Param("reason", "string", "Why the user asked for a person; agents see it in alerts")
KINDS = Param("kinds", "string", f"Comma-separated alert kinds to send ({', '.join(c.kind for c in channels.senders())}); all when empty")
SCOPE = Param("scope", "string", "conversation (default: only this conversation) or user (every conversation of this user)")


def action_files(spec: Spec) -> list[ActionFile]:
    ns = spec.target.namespace
    files: list[ActionFile] = []
    if spec.target.module == "hitl":
        files += [_set_paused(spec, "pause"), _set_paused(spec, "unpause")]
    for handoff in spec.handoffs:
        files += _handoff_actions(spec, handoff, f"{ns}/{handoff.id}")
    return files


def spec_config(spec: Spec) -> dict:
    """What every script reads of the spec's target."""
    return {"module": spec.target.module, "languages": list(spec.target.languages), "timeoutMs": spec.target.http_timeout_ms}


def _action_config(spec: Spec) -> dict:
    """The CONFIG every action starts from: the spec's target, and where the runtime is."""
    return {**spec_config(spec), "runtime": runtime_config(spec)}


def base_config(spec: Spec) -> dict:
    """The CONFIG a self-contained script starts from (the trigger hook)."""
    return {**spec_config(spec), **botpress_config(spec.target.module)}


def _set_paused(spec: Spec, action: str) -> ActionFile:
    verb = "Pause" if action == "pause" else "Unpause"
    meta = ActionMeta(
        title=f"{verb} this conversation (HITL)",
        description=(f"{verb}s the current conversation in the HITL module through the channel/user route with the "
                     "conversation's thread, using Botpress's server token. Never throws: sets temp.hitl_failed and temp.hitl_error."),
        params=(SCOPE,),
    )
    config = {**_action_config(spec), "action": action, "pauseScope": "conversation"}
    return ActionFile(f"{spec.target.namespace}/{action}", "setPaused", meta, config, True, spec.target.actions_scope)


class _Handoff(NamedTuple):
    """What every action of one handoff shares."""

    spec: Spec
    handoff: Handoff
    prefix: str   # <namespace>/<handoff id>
    base: dict    # CONFIG entries every action has
    alerts: list  # CONFIG of the alerts the action code sends (skill-only ones are the flow's)

    @property
    def hitl(self) -> bool:
        return self.spec.target.module == "hitl"

    def file(self, name: str, meta: ActionMeta, config: dict) -> ActionFile:
        entry = ENTRIES[name]
        return ActionFile(f"{self.prefix}/{name}", entry, meta, {**self.base, **config}, entry in REPORT_FAILURE,
                          self.spec.target.actions_scope)


# The file name of each handoff action, and its entry in the runtime.
ENTRIES = {"start": "start", "resume": "resume", "alert_agents": "alertAgents", "prepare_call_api": "prepareCallApi",
           "hours": "hours", "set_full_name": "setFullName", "should_start": "shouldStart", "studio_texts": "studioTexts"}
REPORT_FAILURE = {"start", "resume"}


def _handoff_actions(spec: Spec, handoff: Handoff, prefix: str) -> list[ActionFile]:
    alerts = [channels.of(a).config(a) for a in handoff.alerts
              if not (channels.of(a).skill_only(a) or channels.of(a).sent_by_botpress(a))]
    h = _Handoff(spec, handoff, prefix, _action_config(spec), alerts)
    optional = [_set_full_name(h) if handoff.full_name else None, _alert_agents(h) if alerts else None,
                _hours(h) if handoff.hours else None, _studio_texts(h) if handoff.studio_texts else None]
    return [_start(h)] + [f for f in optional if f] + [_prepare_call_api(h), _resume(h), _should_start(h)]


def _full_name(handoff: Handoff) -> dict | None:
    if not handoff.full_name:
        return None
    return {"attributes": list(handoff.full_name.attributes), "template": handoff.full_name.template}


def _start(h: _Handoff) -> ActionFile:
    handoff = h.handoff
    about = f" {handoff.description}" if handoff.description else ""
    if handoff.hours:
        about = (f" Outside the business hours ({handoff.hours.time_zone}) it says the off-hours message instead"
                 f"{'' if handoff.hours.hand_over else ' and hands nothing over'}; temp.{hours.state_key(handoff.id)} says open or closed.") + about
    return h.file("start", ActionMeta(
        title=f"Hand over to an agent ({handoff.id})",
        description=(f"Starts the {handoff.id} handoff: sets the full name, "
                     f"{'pauses the conversation in HITL' if h.hitl else 'creates a HITL Next handoff'}, "
                     f"alerts agents and tells the user. Never throws: on failure sets temp.hitl_failed and temp.hitl_error.{about}"),
        params=(REASON,)),
        {"pauseScope": handoff.pause_scope, "checkAgents": handoff.check_agents, "fullName": _full_name(handoff),
         "alerts": h.alerts, "say": dict(handoff.say), "failureSay": dict(handoff.failure_say),
         "noAgentSay": dict(handoff.no_agent_say) if handoff.no_agent_say else None, **_hours_config(handoff, table=True),
         **_timeout_config(h)})


def _timeout_config(h: _Handoff) -> dict:
    """The handoff body's time limit (hitlnext 12.28+); the key only when the spec sets one."""
    if not h.handoff.timeout:
        return {}
    return {"timeout": {"field": hitlnext.timeout_field(h.spec.target.botpress), "seconds": h.handoff.timeout.after_s}}


def _set_full_name(h: _Handoff) -> ActionFile:
    return h.file("set_full_name", ActionMeta(
        title=f"Set the user's full name ({h.handoff.id})",
        description="Sets user.full_name (shown by hitl) and user.fullName (shown by hitlnext) from the user's attributes; other attributes are kept."),
        {"fullName": _full_name(h.handoff)})


def _alert_agents(h: _Handoff) -> ActionFile:
    return h.file("alert_agents", ActionMeta(
        title=f"Alert agents ({h.handoff.id})",
        description=f"Sends the {h.handoff.id} alerts ({', '.join(a['kind'] for a in h.alerts)}) side by side; failures are logged and listed in temp.hitl_alert_errors.",
        params=(REASON, KINDS)), {"alerts": h.alerts, **_hours_config(h.handoff)})


def _prepare_call_api(h: _Handoff) -> ActionFile:
    prepared = [channels.of(a).prepared(a, i) for i, a in enumerate(h.handoff.alerts)]
    return h.file("prepare_call_api", ActionMeta(
        title=f"Prepare the Call-API skills ({h.handoff.id})",
        description=("For the generated flow's Call-API skills: puts the message values (made safe for Mustache) into temp.hitl_vars "
                     "and the webhook requests into temp.hitl_webhooks; with token=true, the bot API's base URL and a short-lived "
                     "bearer header (Botpress's server token) into temp.hitl_api, for the one skill that follows."),
        params=(Param("token", "boolean", "Also hand the server token to the next Call-API skill (the node after it deletes it)"),),
        hidden=True), {"webhooks": [p for p in prepared if p], "userAttributes": user_attributes(*_element_texts(h.handoff)),
                       **_hours_config(h.handoff), **_studio_config(h.handoff)})


def _resume(h: _Handoff) -> ActionFile:
    return h.file("resume", ActionMeta(
        title=f"Hand back to the bot ({h.handoff.id})",
        description=("Unpauses this conversation and tells the user the bot is back." if h.hitl
                     else "Tells the user the bot is back (agents resolve HITL Next handoffs in their screen).")),
        {"pauseScope": h.handoff.pause_scope, "say": dict(h.handoff.resume_say) if h.handoff.resume_say else None,
         **_hours_config(h.handoff)})


def _hours_config(handoff: Handoff, table: bool = False) -> dict:
    """CONFIG.hoursKey, where the hours check keeps its decision (messageVars reads it for
    {{hours}}); with `table`, what deciding needs, for the actions that decide."""
    if not handoff.hours:
        return {"hours": None, "offHours": None} if table else {}
    keys = {"hoursKey": hours.state_key(handoff.id)}
    if table:
        keys.update(hours=hours.config(handoff.hours),
                    offHours={"say": dict(handoff.hours.off_hours_say), "handOver": handoff.hours.hand_over})
    return keys


def _hours(h: _Handoff) -> ActionFile:
    key = hours.state_key(h.handoff.id)
    return h.file("hours", ActionMeta(
        title=f"Is the {h.handoff.id} handoff open now?",
        description=(f"Sets temp.{key} to \"open\" or \"closed\" from the handoff's business hours "
                     f"({h.handoff.hours.time_zone}); the alerts' {{{{hours}}}} then says it.")),
        {"hoursKey": key, "hours": hours.config(h.handoff.hours)})


def _studio_config(handoff: Handoff) -> dict:
    """CONFIG.studio: the texts the Studio skill may override, and how they are checked."""
    return {"studio": studio_texts.runtime_config(handoff.id, handoff.studio_texts)} if handoff.studio_texts else {}


def _studio_texts(h: _Handoff) -> ActionFile:
    names = ", ".join(h.handoff.studio_texts)
    return h.file("studio_texts", ActionMeta(
        title=f"Texts from the Studio skill ({h.handoff.id})",
        description=(f"Run by the \"Talk to an agent\" skill: keeps the builder's texts ({names}; per bot language) in "
                     f"temp.{studio_texts.state_key(h.handoff.id)} for the handoff that follows. Texts that are not allowed "
                     "are left out and logged; the spec's text is said instead."),
        params=(Param("texts", "object", "{<text>: {<language>: <message>}}; {{placeholders}} as in the spec"),),
        hidden=True), _studio_config(h.handoff))


def _should_start(h: _Handoff) -> ActionFile:
    keys = trigger_keys(h.handoff)
    return h.file("should_start", ActionMeta(
        title=f"Should the {h.handoff.id} handoff start?",
        description=(f"Sets temp.{keys.flag} to true when the message asks for a person (keywords, intent, or repeated "
                     f"misunderstandings), with the reason in temp.{keys.reason}.")),
        {**triggers.should_start_config(h.handoff.trigger), "keys": keys._asdict()})


def _element_texts(handoff: Handoff):
    """The texts that become content elements, rendered by Mustache in the Studio's way."""
    texts = [handoff.say, handoff.failure_say, handoff.no_agent_say, handoff.resume_say,
             handoff.trigger.button.question if handoff.trigger.button else None,
             handoff.hours.off_hours_say if handoff.hours else None,
             handoff.way_back.satisfaction.question if handoff.way_back.satisfaction else None]
    texts += [text for a in handoff.alerts for text in channels.of(a).element_texts(a)]
    return [text for text in texts if text]


def action_path(spec: Spec, action: ActionFile) -> PurePosixPath:
    return layout.actions_dir(spec.target.actions_scope, spec.target.bot) / f"{action.name}.js"
