"""Bot-level module configuration (FACTS §6-§7): what agents see beside a conversation."""

from __future__ import annotations

from hitl_gen.spec.model import Spec


def module_config(spec: Spec) -> tuple[str, dict]:
    """(file name under config/, content). hitl lists the attributes shown beside the
    conversation; hitlnext's own `transferMessage` is turned off."""
    if spec.target.module == "hitl":
        attributes = [{"label": "Language", "attributePath": "language"}]
        if any(h.full_name for h in spec.handoffs):
            attributes.insert(0, {"label": "Full name", "attributePath": "full_name"})
        return "hitl.json", {"paused": False, "sessionExpiry": "3 days", "attributes": attributes}
    # HITL Next sends a non-empty transferMessage in the bot's default language, not the
    # user's (FACTS §7): empty here, the generated flow and action say `say` themselves.
    return "hitlnext.json", {"transferMessage": ""}


def enable_snippet(spec: Spec) -> dict:
    """The entry `data/global/botpress.config.json` needs in its `modules` list."""
    return {"location": f"MODULES_ROOT/{spec.target.module}", "enabled": True}
