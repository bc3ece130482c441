"""The names of the values generated actions and flows keep in `temp` and `session`.

One place, because an action writes them and a flow (or the bot builder's own
condition, as INSTALL.md shows) reads them. Trigger state is per handoff: two
handoffs in one bot must never see each other's flag or failure counter.
"""

from __future__ import annotations

from typing import NamedTuple

from hitl_gen.spec.model import Handoff

API = "hitl_api"  # base URL and bearer header, alive for one Call-API skill only


class TriggerKeys(NamedTuple):
    flag: str      # temp.<flag>: this message should start the handoff
    reason: str    # temp.<reason>: keyword, intent or misunderstood
    counter: str   # session.<counter>: consecutive misunderstood messages


def trigger_keys(handoff: Handoff) -> TriggerKeys:
    return TriggerKeys(f"hitl_start_{handoff.id}", f"hitl_start_reason_{handoff.id}", f"hitl_misunderstood_{handoff.id}")
