"""Where files live in a Botpress v12 data folder (FACTS §1), from v12.json."""

from __future__ import annotations

from pathlib import PurePosixPath

from hitl_gen.botpress.knowledge import table

_LAYOUT = table()["layout"]


def bot_dir(bot: str) -> PurePosixPath:
    return PurePosixPath(_LAYOUT["bots"]) / bot


def actions_dir(scope: str, bot: str) -> PurePosixPath:
    return PurePosixPath(_LAYOUT["global_actions"]) if scope == "global" else bot_dir(bot) / _LAYOUT["bot_actions"]


def bot_hook(bot: str, hook: str, file_name: str) -> PurePosixPath:
    """A bot's own hook script: `hook` is a key of the table's `hooks`."""
    return bot_dir(bot) / _LAYOUT["bot_hooks"] / table()["hooks"][hook]["folder"] / file_name


MAIN_FLOW = _LAYOUT["main_flow"]
