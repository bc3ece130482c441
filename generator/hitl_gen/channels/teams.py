"""Alert channel `teams`: a Microsoft Teams message as an Adaptive Card, posted to a
Teams Workflows webhook ("Post to a channel when a webhook request is received").
Workflows take only a message with an Adaptive Card attachment; the plain {"text"}
that `webhook` sends was for the retired Office 365 connectors. Sent by the alert
action (teams.js); the URL carries its signature, so it comes from a variable."""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.channels.base import AlertChannel, EnvVar
from hitl_gen.texts import Text, text_of

DEFAULT_TITLE = "{{full_name}} wants to talk to an agent"
DEFAULT_TEXT = "Last message: {{last_message}}"
DEFAULT_BUTTON = "Open the conversation"


class Teams(NamedTuple):
    url_env: str
    title: Text
    text: Text
    button: Text
    kind = "teams"


class TeamsChannel(AlertChannel):
    kind = "teams"
    sender = "postTeamsCard"
    agent_texts = ("title", "text", "button")
    schema = {
        "description": "A Microsoft Teams message as an Adaptive Card, posted to a Teams Workflows webhook "
                       "(\"Post to a channel when a webhook request is received\"), which refuses the plain text `webhook` sends.",
        "type": "object", "additionalProperties": False, "required": ["url_env"],
        "x-secret-keys": {"url": "url_env", "sig": "url_env"},
        "properties": {
            "url_env": {"$ref": "#/$defs/env_name", "examples": ["EXPOSED_TEAMS_WORKFLOW"],
                        "description": "Variable holding the workflow's webhook URL (it carries a signature, so it is never written in the spec)."},
            "title": {"$ref": "#/$defs/text", "examples": [{"en": "{{full_name}} needs an agent"}],
                      "description": f"The card's heading. Default: \"{DEFAULT_TITLE}\"."},
            "text": {"$ref": "#/$defs/text", "examples": [{"en": "Reason: {{reason}}. Last message: {{last_message}}"}],
                     "description": f"The card's text, under the heading and above the user, channel and reason. Default: \"{DEFAULT_TEXT}\"."},
            "button": {"$ref": "#/$defs/text", "examples": [{"en": "Answer in Botpress"}],
                       "description": f"Label of the button to the agent screen, shown when Botpress has an EXTERNAL_URL. Default: \"{DEFAULT_BUTTON}\"."},
        },
        "examples": [{"url_env": "EXPOSED_TEAMS_WORKFLOW"}],
    }

    def build(self, body, languages):
        return Teams(body["url_env"], text_of(body.get("title", DEFAULT_TITLE), languages),
                     text_of(body.get("text", DEFAULT_TEXT), languages), text_of(body.get("button", DEFAULT_BUTTON), languages))

    def config(self, alert):
        return {"kind": "teams", "urlEnv": alert.url_env, "title": dict(alert.title), "text": dict(alert.text),
                "button": dict(alert.button)}

    def env(self, alert, handoff_id):
        return [EnvVar(alert.url_env, f"Teams Workflows webhook URL (Adaptive Card) for {handoff_id}")]
