"""Synthetic specs with N handoffs using every step kind, in two languages."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def handoff(i: int) -> dict:
    text = lambda en, fr: {"en": f"{en} #{i}", "fr": f"{fr} #{i}"}
    return {
        "id": f"handoff_{i}",
        "description": f"Synthetic handoff {i}",
        "trigger": {"button": {"question": text("Talk to a person?", "Parler à une personne ?"),
                               "label": text("Talk to an agent", "Parler à un agent"), "keywords": ["agent", f"human{i}"]},
                    "keywords": ["agent", f"human{i}"], "intent": f"human_{i}", "after_failures": 3},
        "full_name": {"from": ["first_name", "last_name"]},
        "alert": [
            {"email": {"from": "bot@example.com", "to": ["support@example.com"], "subject": "{{full_name}} needs help",
                       "body": "Answer at {{hitl_url}}", "via": "smtp"}},
            {"email": {"from": "bot@example.com", "to": ["lead@example.com"], "subject": "{{full_name}} needs help",
                       "body": "Answer at {{hitl_url}}", "via": "skill"}},
            {"email": {"from": "bot@example.com", "to": ["ops@example.com"], "subject": "Handoff", "body": "{{last_message}}",
                       "via": "http_api", "http_api": {"url": "https://mail.example.com/send",
                                                       "headers": {"Authorization": {"env": "EXPOSED_MAIL_KEY", "prefix": "Bearer "}}}}},
            {"webhook": {"url_env": "EXPOSED_SLACK_WEBHOOK", "format": "slack"}},
            {"webhook": {"url_env": "EXPOSED_HOOK", "format": "json", "text": "{{full_name}} on {{channel}}"}},
        ],
        "pause": {"scope": "conversation"},
        "say": text("An agent will be with you shortly.", "Un agent va vous répondre."),
        "on_failure": {"say": text("Sorry, no agent is available.", "Désolé, aucun agent n'est disponible.")},
        "resume": {"say": text("You are back with the bot.", "Vous êtes de retour avec le bot.")},
    }


def spec(count: int) -> dict:
    return {"version": 1, "target": {"botpress": "12.22.1", "bot": "bench-bot", "module": "hitl", "languages": ["en", "fr"]},
            "handoffs": [handoff(i) for i in range(count)]}


def write(count: int, path: Path) -> Path:
    path.write_text(yaml.safe_dump(spec(count), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(int(sys.argv[1]), Path(sys.argv[2])))
