"""INSTALL.md: where each generated file goes and what the server needs."""

from __future__ import annotations

import json

from hitl_gen.botpress import layout
from hitl_gen.render.actions import ActionFile, action_path
from hitl_gen.render.jinja_env import render
from hitl_gen.render.module_config import enable_snippet
from hitl_gen.spec.model import Email, Spec, Webhook


def required_env(spec: Spec) -> list[tuple[str, str]]:
    """(variable, what it holds) for every EXPOSED_ variable the actions read."""
    found: dict[str, str] = {}
    for handoff in spec.handoffs:
        for alert in handoff.alerts:
            if isinstance(alert, Webhook):
                found.setdefault(alert.url_env, f"incoming webhook URL ({alert.format}) for {handoff.id}")
            elif isinstance(alert, Email) and alert.via == "smtp":
                found.setdefault(alert.smtp_url_env, "SMTP connection string, e.g. smtps://user:password@smtp.example.com:465")
            elif isinstance(alert, Email) and alert.via == "http_api" and alert.api:
                if alert.api.url_env:
                    found.setdefault(alert.api.url_env, "e-mail API endpoint URL")
                for name, header in alert.api.headers.items():
                    if header.env:
                        found.setdefault(header.env, f"value of the {name} header of the e-mail API")
    return sorted(found.items())


def needs_nodemailer(spec: Spec) -> bool:
    return any(isinstance(a, Email) and a.via == "smtp" for h in spec.handoffs for a in h.alerts)


def install_doc(spec: Spec, actions: list[ActionFile]) -> str:
    return render(
        "INSTALL.md.j2", spec=spec, spec_name=spec.source.name,
        actions=[(a, action_path(spec, a)) for a in actions],
        actions_dir=layout.actions_dir(spec.target.actions_scope, spec.target.bot) / spec.target.namespace,
        env=required_env(spec), nodemailer=needs_nodemailer(spec),
        enable_snippet=json.dumps(enable_snippet(spec)),
        skill_email=any(isinstance(a, Email) and a.via == "skill" for h in spec.handoffs for a in h.alerts),
    )
