"""The validated spec as typed, immutable values with every default applied.

Renderers read only this model, never the raw YAML, so the spec format can
evolve without touching templates. (NamedTuples: immutable like frozen dataclasses,
and far cheaper to define at import, which every command pays for.)
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

from hitl_gen.botpress import versions

Text = Mapping[str, str]  # language -> message

DEFAULT_WEBHOOK_TEXT = "{{full_name}} wants to talk to an agent: {{hitl_url}}"
DEFAULT_ADMIN_MESSAGE = "{{full_name}} wants to talk to a human"
DEFAULT_EMAIL_API_BODY = MappingProxyType({"from": "{{from}}", "to": "{{to}}", "subject": "{{subject}}", "text": "{{text}}"})


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


class Button(NamedTuple):
    question: Text
    label: Text
    keywords: tuple[str, ...] = ()


class Trigger(NamedTuple):
    button: Button | None = None
    keywords: tuple[str, ...] = ()
    intent: str | None = None
    after_failures: int | None = None


class FullName(NamedTuple):
    attributes: tuple[str, ...] = ()
    template: str | None = None


class AdminNotification(NamedTuple):
    message: Text
    level: str = "info"
    kind = "admin_notification"


class HeaderValue(NamedTuple):
    literal: str | None = None
    env: str | None = None
    prefix: str = ""


class EmailApi(NamedTuple):
    url: str | None
    url_env: str | None
    method: str
    headers: Mapping[str, HeaderValue]
    body: Mapping[str, Any]


class Email(NamedTuple):
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: Text
    body: Text
    via: str = "smtp"
    smtp_url_env: str = "EXPOSED_SMTP_URL"
    api: EmailApi | None = None
    kind = "email"


class Webhook(NamedTuple):
    url_env: str
    format: str
    text: Text
    kind = "webhook"


Alert = AdminNotification | Email | Webhook


class Handoff(NamedTuple):
    id: str
    description: str
    trigger: Trigger
    full_name: FullName | None
    alerts: tuple[Alert, ...]
    pause_scope: str
    check_agents: bool
    say: Text
    failure_say: Text
    no_agent_say: Text | None
    resume_say: Text | None


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


def _text(value: str | dict, languages: tuple[str, ...]) -> Text:
    """A plain string stands for every language (allowed where validation said so)."""
    if isinstance(value, str):
        return MappingProxyType({lang: value for lang in languages})
    return MappingProxyType({lang: value[lang] for lang in languages})


def _handoff(raw: dict, languages: tuple[str, ...]) -> Handoff:
    trigger = raw["trigger"]
    button = trigger.get("button")
    full_name = raw.get("full_name")
    return Handoff(
        id=raw["id"],
        description=raw.get("description", ""),
        trigger=Trigger(
            button=Button(_text(button["question"], languages), _text(button["label"], languages),
                          tuple(button.get("keywords", ()))) if button else None,
            keywords=tuple(trigger.get("keywords", ())), intent=trigger.get("intent"),
            after_failures=trigger.get("after_failures"),
        ),
        full_name=FullName(tuple(full_name.get("from", ())), full_name.get("template")) if full_name else None,
        alerts=tuple(_alert(a, languages) for a in raw.get("alert", ())),
        pause_scope=raw.get("pause", {}).get("scope", "conversation"),
        check_agents=raw.get("check_agents", False),
        say=_text(raw["say"], languages),
        failure_say=_text(raw["on_failure"]["say"], languages),
        no_agent_say=_text(raw["no_agent"]["say"], languages) if "no_agent" in raw else None,
        resume_say=_text(raw["resume"]["say"], languages) if "say" in raw.get("resume", {}) else None,
    )


def _alert(raw: dict, languages: tuple[str, ...]) -> Alert:
    kind, body = next(iter(raw.items()))
    if kind == "admin_notification":
        return AdminNotification(_text(body.get("message", DEFAULT_ADMIN_MESSAGE), languages), body.get("level", "info"))
    if kind == "webhook":
        return Webhook(body["url_env"], body.get("format", "slack"), _text(body.get("text", DEFAULT_WEBHOOK_TEXT), languages))
    return Email(
        sender=body["from"], to=_addresses(body["to"]), cc=_addresses(body.get("cc", ())),
        subject=_text(body["subject"], languages), body=_text(body["body"], languages),
        via=body.get("via", "smtp"), smtp_url_env=body.get("smtp", {}).get("url_env", "EXPOSED_SMTP_URL"),
        api=_email_api(body["http_api"]) if "http_api" in body else None,
    )


def _addresses(value: str | list) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _email_api(raw: dict) -> EmailApi:
    headers = {
        name: HeaderValue(literal=value) if isinstance(value, str) else HeaderValue(env=value["env"], prefix=value.get("prefix", ""))
        for name, value in raw.get("headers", {}).items()
    }
    return EmailApi(url=raw.get("url"), url_env=raw.get("url_env"), method=raw.get("method", "POST"),
                    headers=MappingProxyType(headers), body=raw.get("body", DEFAULT_EMAIL_API_BODY))
