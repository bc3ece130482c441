"""What an alert channel is: everything hitl-gen does with one way of alerting agents.

A channel module defines one `AlertChannel` subclass and registers it in
`channels/__init__.py`; its JavaScript sender sits beside it (`<kind>.js`). The spec
checks, the model, the action pack, the flows and INSTALL.md ask the registry,
never test for a kind themselves.
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple


class EnvVar(NamedTuple):
    name: str
    holds: str


class AlertChannel:
    kind: str = ""               # the key under `alert:` in the spec
    schema: dict = {}            # JSON Schema of the alert's body ($defs/<kind>)
    schema_defs: dict = {}       # further $defs the body schema refers to
    agent_texts: tuple[str, ...] = ()  # keys of the texts agents read (checked for languages, placeholders)
    sender: str = ""             # the JavaScript function (in <kind>.js) that sends one alert

    @property
    def js_sources(self) -> tuple[str, ...]:
        """The JavaScript files an action that sends this alert includes."""
        return (f"channels/{self.kind}.js",) if self.sender else ()

    def build(self, body: dict, languages: tuple[str, ...]) -> Any:
        """The alert's model value, from schema- and semantics-valid data."""
        raise NotImplementedError

    def problems(self, doc, path: tuple, body: dict, target: dict) -> Iterator:
        """What the schema cannot say about a body (Problems located in doc)."""
        return iter(())

    def sent_by_botpress(self, alert) -> bool:
        """Botpress sends it itself from its configuration: no step, no sender, only INSTALL.md."""
        return False

    def skill_only(self, alert) -> bool:
        """Only a skill in the generated flow can send it (the start action skips it)."""
        return False

    def prepared(self, alert, index: int) -> dict | None:
        """What the prepare action computes for the alert's Call-API skill, if it has one."""
        return None

    def config(self, alert) -> dict:
        """What the JavaScript sender reads, as it goes into the action's CONFIG."""
        raise NotImplementedError

    def env(self, alert, handoff_id: str) -> list[EnvVar]:
        """EXPOSED_ variables the alert reads on the server."""
        return []

    def npm_packages(self, alert) -> tuple[str, ...]:
        """Packages the sender `require`s that Botpress does not ship."""
        return ()

    def flow_step(self, alert, index: int, flow) -> Any:
        """For skill-sent alerts: the SkillCall the handoff flow chains (through the
        flow builder `flow`), else None."""
        return None

    def install_note(self, alert) -> str | None:
        """A paragraph INSTALL.md adds when the spec has such an alert (once)."""
        return None

    def element_texts(self, alert) -> list:
        """Texts that become content elements (rendered by Mustache in the Studio)."""
        return []
