"""Alert channel `webhook`: a POST to an incoming webhook (Slack, legacy Teams
connectors, any JSON receiver). The generated flow sends it with a Call-API skill, the
start action with axios (webhook.js); the URL is a secret, so it comes from a variable."""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.channels.base import AlertChannel, EnvVar
from hitl_gen.texts import Text, text_of

DEFAULT_TEXT = "{{full_name}} wants to talk to an agent: {{hitl_url}}"


class Webhook(NamedTuple):
    url_env: str
    format: str
    text: Text
    kind = "webhook"


class WebhookChannel(AlertChannel):
    kind = "webhook"
    sender = "postWebhook"
    agent_texts = ("text",)
    js_sources = ("channels/webhook_body.js", "channels/webhook.js")  # the body is shared with prepare_call_api
    schema = {
        "description": "A POST to an incoming webhook (Slack, Microsoft Teams, or any JSON receiver).",
        "type": "object",
        "additionalProperties": False,
        "required": ["url_env"],
        "x-secret-keys": {"url": "url_env", "token": "url_env", "secret": "url_env"},
        "properties": {
            "url_env": {"$ref": "#/$defs/env_name",
                        "description": "Variable holding the webhook URL (webhook URLs carry their secret, so they are never written in the spec).",
                        "examples": ["EXPOSED_SLACK_WEBHOOK"]},
            "format": {"description": "`slack` and `teams` send `{\"text\": ...}`, which both accept; `json` sends the text with structured fields (user, channel, thread, link).",
                       "enum": ["slack", "teams", "json"], "default": "slack", "examples": ["slack"]},
            "text": {"$ref": "#/$defs/text",
                     "description": "Message text. Default: \"{{full_name}} wants to talk to an agent: {{hitl_url}}\".",
                     "examples": [{"en": "{{full_name}} needs help: {{hitl_url}}"}]},
        },
        "examples": [{"url_env": "EXPOSED_SLACK_WEBHOOK", "format": "slack"}],
    }

    def build(self, body, languages):
        return Webhook(body["url_env"], body.get("format", "slack"), text_of(body.get("text", DEFAULT_TEXT), languages))

    def config(self, alert):
        return {"kind": "webhook", "urlEnv": alert.url_env, "format": alert.format, "text": dict(alert.text)}

    def env(self, alert, handoff_id):
        return [EnvVar(alert.url_env, f"incoming webhook URL ({alert.format}) for {handoff_id}")]

    def prepared(self, alert, index: int) -> dict:
        """The request the prepare action builds for this alert's Call-API skill."""
        return {**self.config(alert), "key": f"w{index}"}

    def flow_step(self, alert, index, flow):
        request = "{{{temp.hitl_webhooks.w%d.%s}}}"
        return flow.call_api(f"webhook_{index}", f"webhook{index}", "post", request % (index, "url"),
                             request % (index, "body"), flow.JSON_HEADERS, f"hitl_webhook{index}")
