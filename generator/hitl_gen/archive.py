"""A bot archive the Botpress Admin imports: a bot folder staged on the side (from an
exported bot, or a new one), built into like --into, then packed deterministically with
its manifest, which the Admin keeps in the bot and exports again (seen on a real 12.22.1):
a later --base export of that bot knows which files hitl-gen wrote."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from hitl_gen.atomic import write_atomic
from hitl_gen.botpress import layout
from hitl_gen.destination import Destination, Placement
from hitl_gen.errors import DestinationError
from hitl_gen.output import BOT_MANIFEST, MANIFEST

if TYPE_CHECKING:  # the spec package is not imported by a build that finds itself up to date
    from hitl_gen.spec.model import Spec


@dataclass(frozen=True)
class BotArchive(Destination):
    """--archive OUT.tgz [--base EXPORTED.tgz]. Files are shown inside the base when
    there is one (that is where a file in the way comes from), else inside OUT.tgz."""

    path: Path
    base: Path | None = None
    into_bot = True

    @contextmanager
    def prepared(self, spec: Spec) -> Iterator[Placement]:
        import tempfile

        if spec.target.actions_scope == "global":
            raise DestinationError("a bot archive cannot carry global actions; use `actions: bot` or -o OUT",
                                   subject=spec.source, where="target.actions")
        with tempfile.TemporaryDirectory() as staging:
            bot_dir = Path(staging) / spec.target.bot
            bot_dir.mkdir()
            if self.base is not None:
                _extract(self.base, bot_dir)
                _check_bot_id(self.base, bot_dir, spec.target.bot)
                _as_imported(bot_dir, spec.target.bot)
            else:
                _new_bot(spec, bot_dir)
            yield Placement(bot_dir, layout.bot_dir(spec.target.bot), bot_dir, None, bot_dir / BOT_MANIFEST, True,
                            shown_as=self.shown_as())

    def shown_as(self) -> str:
        """What reports call the bot folder inside the archive."""
        return str(self.base or self.path)

    def deliver(self, placement: Placement) -> None:
        write_atomic(self.path, _tgz(placement.root))

    def removal_notes(self) -> list[str]:
        # Seen on a real 12.22.1: an import over an existing bot only adds and replaces files.
        return ["the Admin's import never deletes a file of an existing bot, so the files this archive no longer has "
                "stay in the bot if it is imported over it: delete the bot in the Admin first, then import the archive"]


def _new_bot(spec: Spec, bot_dir: Path) -> None:
    config = {"id": spec.target.bot, "name": spec.target.bot, "defaultLanguage": spec.target.languages[0],
              "languages": list(spec.target.languages),
              "imports": {"modules": [], "incomingMiddleware": [], "outgoingMiddleware": []}}
    (bot_dir / "bot.config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def _unsafe(base: Path, name: str) -> DestinationError:
    return DestinationError(f"unsafe entry {name!r} in the archive; export the bot again from the Admin",
                            subject=base, where="--base")


def _extract(base: Path, into: Path) -> None:
    """A bot export holds files and folders only. Where tarfile has its safety filter
    (3.12+, and the 3.8-3.11 security releases of 2023 on), its "data" filter refuses
    what could land outside `into` (absolute names, `..`, links, devices) and the bot's
    own rule refuses any other kind of entry; elsewhere the same check is done by hand,
    before anything is written. A refused archive leaves only the staging folder."""
    import tarfile

    def bot_files_only(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
        member = tarfile.data_filter(member, path)
        if not (member.isfile() or member.isdir()):
            raise _unsafe(base, member.name)
        return member

    refused = getattr(tarfile, "FilterError", ())  # () catches nothing where the filter is absent
    try:
        with tarfile.open(base, "r:gz") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(into, filter=bot_files_only)
            else:
                for member in tar.getmembers():
                    target = (into / member.name).resolve()
                    if not target.is_relative_to(into.resolve()) or not (member.isfile() or member.isdir()):
                        raise _unsafe(base, member.name)
                tar.extractall(into)
    except refused as err:
        raise _unsafe(base, err.tarinfo.name) from None
    except (tarfile.TarError, OSError) as err:
        raise DestinationError(f"cannot read the bot export ({err}); give a .tgz exported from the Botpress Admin",
                               subject=base, where="--base") from None
    if not (into / "bot.config.json").is_file():
        raise DestinationError("not a bot export (no bot.config.json at its top); give a .tgz exported from the Botpress Admin",
                               subject=base, where="--base")


def _check_bot_id(base: Path, bot_dir: Path, bot: str) -> None:
    """The export must be the spec's bot, as --into checks its folder: merged into another
    bot, the archive would carry that bot's flows and elements under target.bot. A
    bot.config.json without an id (a bot template, not an export) cannot tell, so passes."""
    try:
        found = json.loads((bot_dir / "bot.config.json").read_text(encoding="utf-8")).get("id")
    except (OSError, ValueError, AttributeError):
        found = None  # unreadable: the language check reports it, naming the file
    if found is not None and found != bot:
        raise DestinationError(f"this export is bot {found!r} (the id in its bot.config.json) but target.bot is {bot!r}; "
                               f"export bot {bot!r} from the Admin, or change target.bot", subject=base, where="--base")


# An export replaces "/bots/<bot id>/" with this in every .json file, and the import
# puts the new bot's id back (core bot-service.ts, exportBot/importBot).
_BOT_ID_PLACEHOLDER = b"/bots/BOT_ID_PLACEHOLDER/"


def _as_imported(bot_dir: Path, bot: str) -> None:
    """The exported bot as the import will put it on disk: the placeholder replaced by the
    bot's id in its .json files (not dot-files, which the import's glob skips), so the
    manifest's paths and our files' bytes compare as they were written."""
    for path in bot_dir.rglob("*.json"):
        relative = path.relative_to(bot_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        data = path.read_bytes()
        if _BOT_ID_PLACEHOLDER in data:
            path.write_bytes(data.replace(_BOT_ID_PLACEHOLDER, f"/bots/{bot}/".encode()))


def _tgz(folder: Path) -> bytes:
    """The folder's files as an archive. The manifest of an older hitl-gen (a dot-file,
    which the import would drop anyway) stays out."""
    return tgz({path.relative_to(folder).as_posix(): path.read_bytes()
                for path in folder.rglob("*") if path.is_file() and path.name != MANIFEST})


def tgz(files: dict[str, bytes]) -> bytes:
    """A deterministic .tgz of these files (path -> bytes): sorted entries, no owners, no
    timestamps, so the same files always make the same bytes."""
    import gzip
    import io
    import tarfile

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return packed.getvalue()
