"""Where files live in a Botpress v12 data folder (FACTS §1)."""

from __future__ import annotations

from pathlib import PurePosixPath


def bot_dir(bot: str) -> PurePosixPath:
    return PurePosixPath("data/bots") / bot


def actions_dir(scope: str, bot: str) -> PurePosixPath:
    return PurePosixPath("data/global/actions") if scope == "global" else bot_dir(bot) / "actions"
