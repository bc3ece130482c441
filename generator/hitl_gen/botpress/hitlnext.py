"""What HITL Next offers a flow, per Botpress version (v12.json `modules.hitlnext`).

From 12.28 hitlnext tells the bot how a handoff ended: when an agent resolves (or
rejects) it, or when it expires after its `timeoutDelay`, the module sends the user's
conversation an internal incoming event whose middleware sets
`temp['hitlnext-<exit>'] = true`. A flow waiting for the agent goes on at once, with
no user message. Before 12.28 nothing tells the bot; the flow goes on at the user's
next message after the hand-back.
"""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.botpress import versions
from hitl_gen.botpress.knowledge import lookup

EXITS = "modules.hitlnext.exits"
TIMEOUT = "modules.hitlnext.timeout"
EVENTS_WEBHOOK = "modules.hitlnext.events_webhook"


class Exits(NamedTuple):
    """The temp keys hitlnext sets, and the flow conditions that read them."""
    resolved: str    # e.g. hitlnext-handoffResolved
    timed_out: str
    event_type: str  # the type of hitlnext's own event, which carries no user message

    @property
    def by_hitlnext(self) -> str:
        """A condition true while the dialog runs on hitlnext's event, not on a user's message."""
        return f"event.type === '{self.event_type}'"

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.resolved, self.timed_out)

    @staticmethod
    def condition(key: str) -> str:
        # The key holds a '-', so it is read with brackets; the value is exactly true.
        return f"temp['{key}'] === true"


def exits(version: versions.Version) -> Exits | None:
    """The exits a flow can branch on in `version`, or None before they existed."""
    if not versions.has(EXITS, version):
        return None
    table = lookup(EXITS)
    flag = table["flag"]  # hitlnext-{exit}
    return Exits(flag.format(exit=table["resolved"]), flag.format(exit=table["timed_out"]), table["event_type"])


def exits_of(target) -> Exits | None:
    """The exits a spec's flows branch on: its target's release's, with module hitlnext."""
    return exits(target.botpress) if target.module == "hitlnext" else None


def timeout_field(version: versions.Version) -> str | None:
    """The handoff body's field for how long a handoff waits for an agent, if any."""
    return lookup(TIMEOUT)["field"] if versions.has(TIMEOUT, version) else None
