"""Where files live in a Botpress v12 data folder (FACTS §1), from v12.json."""

from __future__ import annotations

from pathlib import PurePosixPath

from hitl_gen.botpress.knowledge import table

_LAYOUT = table()["layout"]


def bot_dir(bot: str) -> PurePosixPath:
    return PurePosixPath(_LAYOUT["bots"]) / bot


def actions_dir(scope: str, bot: str) -> PurePosixPath:
    return PurePosixPath(_LAYOUT["global_actions"]) if scope == "global" else bot_dir(bot) / _LAYOUT["bot_actions"]
