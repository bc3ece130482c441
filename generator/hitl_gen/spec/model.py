"""The validated spec as typed, immutable values with every default applied.

Renderers read only this model, never the raw YAML, so the spec format can
evolve without touching templates. (NamedTuples: immutable like frozen dataclasses,
and far cheaper to define at import, which every command pays for.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from hitl_gen import channels, triggers
from hitl_gen.hours import Hours, build as build_hours
from hitl_gen.way_back import WayBack, build as build_way_back
from hitl_gen.triggers import Trigger
from hitl_gen.botpress import versions
from hitl_gen.texts import Text, text_of


class Target(NamedTuple):
    botpress: versions.Version
    bot: str
    module: str
    languages: tuple[str, ...]
    actions_scope: str = "bot"
    namespace: str = "hitl-gen"
    http_timeout_ms: int = 1500
    server: str | None = None

    @property
    def botpress_text(self) -> str:
        return versions.show(self.botpress)

    @property
    def has_admin_notifications(self) -> bool:
        return versions.has_admin_notifications(self.botpress)


class FullName(NamedTuple):
    attributes: tuple[str, ...] = ()
    template: str | None = None


# An alert is the model value of its channel (hitl_gen.channels): each has a `kind`.
Alert = Any


class Timeout(NamedTuple):
    after_s: int
    say: Text


class Handoff(NamedTuple):
    id: str
    description: str
    priority: int
    trigger: Trigger
    full_name: FullName | None
    alerts: tuple[Alert, ...]
    pause_scope: str
    check_agents: bool
    say: Text
    failure_say: Text
    no_agent_say: Text | None
    resume_say: Text | None
    hours: Hours | None = None      # business hours (hitl_gen.hours)
    way_back: WayBack = WayBack()   # after the hand-back: satisfaction, then (hitl_gen.way_back)
    timeout: Timeout | None = None  # hitlnext 12.28+: how long the handoff waits for an agent
    studio_texts: tuple[str, ...] = ()  # texts the Studio skill may override (hitl_gen.studio_texts)


class Spec(NamedTuple):
    source: Path
    target: Target
    handoffs: tuple[Handoff, ...]


def build_model(data: dict, source: Path) -> Spec:
    """Turn schema- and semantics-valid data into the model."""
    raw = data["target"]
    target = Target(
        botpress=versions.parse(raw["botpress"]), bot=raw["bot"], module=raw["module"],
        languages=tuple(raw["languages"]), actions_scope=raw.get("actions", "bot"),
        namespace=raw.get("namespace", "hitl-gen"), http_timeout_ms=raw.get("http_timeout_ms", 1500),
        server=raw.get("server"),
    )
    handoffs = tuple(_handoff(h, target.languages) for h in data["handoffs"])
    return Spec(source=source, target=target, handoffs=handoffs)


def _handoff(raw: dict, languages: tuple[str, ...]) -> Handoff:
    full_name = raw.get("full_name")
    return Handoff(
        id=raw["id"],
        description=raw.get("description", ""),
        priority=raw.get("priority", 0),
        trigger=triggers.build_trigger(raw["trigger"], languages),
        full_name=FullName(tuple(full_name.get("from", ())), full_name.get("template")) if full_name else None,
        alerts=tuple(channels.build_alert(a, languages) for a in raw.get("alert", ())),
        pause_scope=raw.get("pause", {}).get("scope", "conversation"),
        check_agents=raw.get("check_agents", False),
        say=text_of(raw["say"], languages),
        failure_say=text_of(raw["on_failure"]["say"], languages),
        no_agent_say=text_of(raw["no_agent"]["say"], languages) if "no_agent" in raw else None,
        resume_say=text_of(raw["resume"]["say"], languages) if "say" in raw.get("resume", {}) else None,
        hours=build_hours(raw.get("hours"), languages),
        way_back=build_way_back(raw.get("resume"), languages),
        timeout=Timeout(raw["timeout"]["after_s"], text_of(raw["timeout"]["say"], languages)) if "timeout" in raw else None,
        studio_texts=tuple(raw.get("studio", {}).get("texts", ())),
    )
