"""Where a build goes: an output folder (-o) or an existing bot folder (--into); a
bot archive (archive.py) is a bot folder staged on the side.

Plan paths are logical (`data/bots/<bot>/...`, `data/global/...`, `INSTALL.md`); a
Placement maps them onto disk for one bot and knows where its manifest lives.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterator, NamedTuple

from hitl_gen.botpress import layout
from hitl_gen.errors import DestinationError, FileSystemRefused
from hitl_gen.output import BOT_MANIFEST, MANIFEST

if TYPE_CHECKING:  # the spec package is not imported by a build that finds itself up to date
    from hitl_gen.spec.model import Spec


class Placement(NamedTuple):
    root: Path                  # where data/ lives (for -o) or the bot folder (for --into)
    bot_prefix: PurePosixPath   # the logical prefix that maps onto bot_dir
    bot_dir: Path
    global_dir: Path | None     # data/global, when reachable
    manifest: Path
    into_bot: bool              # an existing bot (--into, or an archive), rather than an output folder
    shown_as: str | None = None  # what the user calls `root` when it is a staging folder (an archive)

    def locate(self, logical: PurePosixPath) -> Path:
        if logical.is_relative_to(self.bot_prefix):
            return self.bot_dir / logical.relative_to(self.bot_prefix)
        if logical.is_relative_to("data/global"):
            if self.global_dir is None:
                raise DestinationError("global actions go to data/global, which is not beside this bot folder; "
                                       "use -o OUT, or `actions: bot` in the spec", subject=self.bot_dir, where="target.actions")
            return self.global_dir / logical.relative_to("data/global")
        return self.root / logical

    def disk(self, logical: str) -> str:
        """locate() for the str paths of plans and manifests, without Path objects
        for the bot's own files: a large build places 20 000 of them."""
        prefix = f"{self.bot_prefix.as_posix()}/"
        if os.sep == "/" and logical.startswith(prefix) and "//" not in logical:
            folder = str(self.bot_dir)
            return logical[len(prefix):] if folder == "." else f"{folder}/{logical[len(prefix):]}"
        return str(self.locate(PurePosixPath(logical)))

    def shown(self, disk: Path | str) -> str:
        """A file as the user knows it: its path, or its place in the archive."""
        if self.shown_as is None:
            return str(disk)
        return f"{self.shown_as}/{Path(disk).relative_to(self.root).as_posix()}"


class Destination:
    """Where the user asked a build to go. `path` is what they named, and what reports name."""

    path: Path
    into_bot: bool

    def manifest_path(self) -> Path | None:
        """Where an earlier build left its manifest, known before the spec is parsed (the
        up-to-date shortcut needs it); None when a build leaves nothing behind."""
        return None

    def placement(self, bot: str) -> Placement:
        raise NotImplementedError("only destinations with a manifest_path are placed before rendering")

    @contextmanager
    def prepared(self, spec: Spec) -> Iterator[Placement]:
        yield self.placement(spec.target.bot)

    def deliver(self, placement: Placement) -> None:
        """After the files are written: a folder holds them already."""

    def removal_notes(self) -> list[str]:
        """What the user should know when a build removes files: nothing, for a folder."""
        return []


@dataclass(frozen=True)
class OutputFolder(Destination):
    """-o OUT: a Botpress root (data/...) and INSTALL.md."""

    path: Path
    into_bot = False

    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def placement(self, bot: str) -> Placement:
        if self.path.exists() and not self.path.is_dir():
            raise FileSystemRefused("the output path is a file, not a folder; pick a folder", subject=self.path, where="-o")
        prefix = layout.bot_dir(bot)
        return Placement(self.path, prefix, self.path / prefix, self.path / "data" / "global", self.manifest_path(), False)


@dataclass(frozen=True)
class BotFolder(Destination):
    """--into data/bots/BOT: an existing bot, whose own files and content elements are kept."""

    path: Path
    into_bot = True

    def manifest_path(self) -> Path:
        return self.path / BOT_MANIFEST

    def placement(self, bot: str) -> Placement:
        bot_dir = self.path
        if not (bot_dir / "bot.config.json").is_file():
            raise DestinationError(f"not a Botpress bot folder (no bot.config.json); give the path of data/bots/{bot}",
                                   subject=bot_dir, where="--into")
        if bot_dir.resolve().name != bot:
            raise DestinationError(f"the folder is bot {bot_dir.resolve().name!r} but target.bot is {bot!r}; "
                                   f"install into data/bots/{bot} or change target.bot", subject=bot_dir, where="--into")
        parent = bot_dir.resolve().parent
        global_dir = parent.parent / "global" if parent.name == "bots" else None
        return Placement(bot_dir, layout.bot_dir(bot), bot_dir, global_dir, self.manifest_path(), True)


def _bot_languages(placement: Placement) -> list[str] | None:
    """The languages bot.config.json lists (its default one when it lists none); None
    when the file cannot be read, which the bot folder check reports on its own."""
    try:
        config = json.loads((placement.bot_dir / "bot.config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config.get("languages") or [config.get("defaultLanguage", "en")]


def check_bot_languages(spec: Spec, placement: Placement) -> None:
    """Content elements are written in the spec's languages: a bot language the spec
    lacks would show its users "missing translation". The reverse is fine, and usual:
    Botpress Community allows one language per bot, and texts follow user.language."""
    missing = [lang for lang in _bot_languages(placement) or () if lang not in spec.target.languages]
    if missing:
        raise DestinationError(f"the bot speaks {', '.join(missing)}, which the spec does not have "
                               f"(target.languages: {', '.join(spec.target.languages)}); "
                               f"add {', '.join(missing)} to target.languages and give every text in it",
                               subject=placement.shown(placement.bot_dir / "bot.config.json"), where="languages")


def language_notes(spec: Spec, placement: Placement) -> list[str]:
    """What a user should know before installing a multilingual spec into a bot that
    lists fewer languages (the Community edition's one)."""
    bot_languages = _bot_languages(placement)
    extra = [lang for lang in spec.target.languages if bot_languages is not None and lang not in bot_languages]
    if not extra:
        return []
    return [f"the bot lists {', '.join(bot_languages)} only; users whose language is {', '.join(extra)} still get those texts "
            "(chosen by user.language). Botpress Community allows one language per bot; with Pro, add them in the Admin."]
