"""Alert channel `hitlnext_events`: HITL Next's own `eventsWebHook` (Botpress 12.29+),
which posts every handoff event (created, assigned, resolved, expired) to one URL.

hitl-gen sends nothing itself: the module does, from its global configuration, which it
reads once when it starts. Botpress's config reader fills a module setting from a
`BP_MODULE_<MODULE>_<SETTING>` variable (the table's `env`, its value JSON), so the URL,
which often carries a secret, stays in the server's environment and out of every file. The events
name the user by id only; alerts that need the full name or the message use `webhook`.
"""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.botpress import hitlnext, versions
from hitl_gen.botpress.knowledge import lookup
from hitl_gen.channels.base import AlertChannel


class HitlnextEvents(NamedTuple):
    kind = "hitlnext_events"


class HitlnextEventsChannel(AlertChannel):
    kind = "hitlnext_events"
    schema = {
        "description": "HITL Next's own events webhook (Botpress ${modules.hitlnext.events_webhook.since}+, module: hitlnext): "
                       "the module posts every handoff event of every bot on the server (created, assigned, resolved, expired) "
                       "to the URL in the server's ${modules.hitlnext.events_webhook.env} variable (JSON: {\"url\": ..., \"headers\": {...}}). Nothing is generated for it "
                       "but INSTALL.md's instructions; events name the user by id only.",
        "type": "object", "additionalProperties": False, "properties": {},
        "examples": [{}],
    }

    def build(self, body, languages):
        return HitlnextEvents()

    def problems(self, doc, path, body, target):
        if target["module"] != "hitlnext":
            yield doc.problem(path, "hitlnext_events is HITL Next's own webhook; use it with target.module: hitlnext, "
                              "or alert agents with 'webhook'", at_key=True)
        elif not versions.has(hitlnext.EVENTS_WEBHOOK, versions.parse(target["botpress"])):
            yield doc.problem(path, f"HITL Next posts its events from Botpress {versions.since(hitlnext.EVENTS_WEBHOOK)} "
                              f"(target.botpress is {target['botpress']}); alert agents with 'webhook' instead", at_key=True)

    def sent_by_botpress(self, alert) -> bool:
        return True

    def install_note(self, alert):
        env = lookup(hitlnext.EVENTS_WEBHOOK)["env"]
        return ("HITL Next posts its handoff events itself (`hitlnext_events`): set, in the environment of the\n"
                f"Botpress server, `{env}` to a JSON object with the receiving URL and any headers,\n"
                f"e.g. `{env}='{{\"url\": \"https://example.com/hooks/handoffs\", \"headers\": {{\"authorization\": \"Bearer ...\"}}}}'`,\n"
                "then restart the server: the module reads it once, at start, from its global configuration. It\n"
                "applies to every bot on the server, and each event names the user by id only.")
