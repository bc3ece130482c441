"""A bot on a live Botpress, moved as whole archives through the Admin (admin.py).

What the real 12.22.1 showed (file, sqlite-database and PostgreSQL-database storage
alike): an import only adds and replaces files; it skips dot-files and renames a bot
whose name is not its id to "<name> (<id>)"; a delete drops the bot's files, its Admin
revisions and its NLU models; the export of a bot that is gone answers 200 with no
bot.config.json in it. So a bot is replaced whole (delete, then import) only when files
must go, and compared with its backup, not trusted, after anything failed.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import PurePosixPath
from typing import Callable

from hitl_gen.admin import AdminClient
from hitl_gen.errors import DestinationError, ServerError

CONFIG = "bot.config.json"
# The server's record of database revisions, written into every export: it changes with
# every write, so it says nothing about the bot's own files.
SERVER_RECORDS = frozenset({"revisions.json"})
# Fields the import itself rewrites: the stage's promotion date and author, and the name
# (given back after each import; when Botpress refuses that, the deploy says so).
IMPORT_STAMPS = ("pipeline_status", "name")
PLACEHOLDER = b"/bots/BOT_ID_PLACEHOLDER/"
ACTION_CACHE_QUIET_S = 2.5
Names = dict[str, set[str]]  # "actions" and "flows", as the server names them
INERT = b"/**\n * Removed by hitl-gen; nothing to run.\n * @hidden true\n */\n"


def archive_files(data: bytes, subject: object = "the bot archive") -> dict[str, bytes]:
    """The files of a bot archive, by their path inside the bot."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            return {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    except (tarfile.TarError, OSError, EOFError) as err:
        raise DestinationError(f"not a bot archive ({err}); export the bot again", subject=subject) from None


def pack(files: dict[str, bytes]) -> bytes:
    """A bot archive of these files (sorted, no owners, no dates)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(files[path]), 0o644, 0
            tar.addfile(info, io.BytesIO(files[path]))
    return raw.getvalue()


def dot_files(files: dict[str, bytes]) -> list[str]:
    """Files an import would not bring back (Botpress disables an action or a hook by
    putting a dot before its name). An older hitl-gen's manifest is replaced anyway."""
    return sorted(path for path in files if path != ".hitl-gen-manifest.json" and _hidden(path))


def json_object(data: bytes) -> dict:
    """A JSON object file's value; {} for anything else (what the import would make of it is not ours to judge)."""
    try:
        config = json.loads(data)
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def differences(live: dict[str, bytes], wanted: dict[str, bytes]) -> list[str]:
    """Paths that differ between two exports of a bot, leaving out what any import
    changes by itself (the server's revisions record, the stage's promotion stamp)."""
    paths = sorted((set(live) | set(wanted)) - SERVER_RECORDS)
    differ = []
    for path in paths:
        a, b = live.get(path), wanted.get(path)
        if path == CONFIG and a is not None and b is not None:
            a, b = ({k: v for k, v in json_object(x).items() if k not in IMPORT_STAMPS} for x in (a, b))
        if a != b:
            differ.append(path)
    return differ


class LiveBot:
    def __init__(self, client: AdminClient, bot: str, sleep: Callable[[float], None] = time.sleep):
        self.client, self.bot, self.sleep = client, bot, sleep
        self.notes: list[str] = []  # what went wrong short of a failure

    def export(self) -> tuple[bytes, dict[str, bytes]]:
        data = self.client.export_bot(self.bot)
        return data, archive_files(data, f"{self.client.url}: exporting bot {self.bot!r}")

    def import_over(self, archive: bytes) -> None:
        """Adds and replaces files; the bot's name as the archive has it, whatever the import made of it.
        The server's revisions record an export carries is left out: an import would make it a bot file."""
        files = archive_files(archive)
        if SERVER_RECORDS & set(files):
            archive = pack({path: data for path, data in files.items() if path not in SERVER_RECORDS})
        self.client.import_bot(self.bot, archive)
        wanted = json_object(files.get(CONFIG, b"{}")).get("name")
        config = self.client.bot_config(self.bot)
        if wanted and config.get("name") != wanted:
            try:
                self.client.rename_bot(self.bot, wanted, config)
            except ServerError as err:  # e.g. Botpress's 50-character limit, which its own import ignores
                self.notes.append(f"the import renamed the bot {config.get('name')!r} and Botpress refused its name "
                                  f"back ({err}); rename it in the Admin")

    def replace(self, archive: bytes, live: dict[str, bytes]) -> None:
        """The bot becomes the archive exactly: deleted, then imported. Refused (before
        anything changes) when the bot has files an import cannot bring back.

        A delete drops files, not what the server cached of them (seen on 12.22.1: a
        removed trigger hook kept running). So flows that go are deleted through the
        Studio first, which drops them from its flow cache; and when actions or hooks go,
        whose caches are cleared only when a file under actions/ or hooks/ is written
        (and for actions, only after 2 s without one), the bot is first imported with
        inert stand-ins in their place, after a pause, then without them."""
        lost = dot_files(live)
        if lost:
            raise DestinationError(f"deleting the bot to remove files would lose {', '.join(lost)}: Botpress's import "
                                   "skips dot-files (disabled actions and hooks); rename or remove them, then run again",
                                   subject=f"{self.client.url}: bot {self.bot!r}")
        wanted = archive_files(archive)
        gone = sorted(set(live) - set(wanted) - SERVER_RECORDS)
        for path in gone:
            if path.startswith("flows/") and path.endswith(".flow.json"):
                self.client.delete_flow(self.bot, path.removeprefix("flows/"))
        stand_ins = {path: INERT for path in gone if path.startswith(("actions/", "hooks/")) and path.endswith(".js")}
        if stand_ins:
            self.sleep(ACTION_CACHE_QUIET_S)
            self.client.delete_bot(self.bot)
            self.import_over(pack({**wanted, **stand_ins}))
        self.client.delete_bot(self.bot)
        self.import_over(archive)

    def restore(self, backup: bytes) -> str:
        """Make the bot what the backup holds again, and say how; raise if it still differs."""
        wanted = archive_files(backup)
        _, now = self.export()
        if not differences(now, wanted):
            return "it was as in the backup already"
        extra = sorted(set(now) - set(wanted) - SERVER_RECORDS)
        if CONFIG in now and extra and not dot_files(now):
            self.replace(backup, now)
            how = f"deleted and imported again, to remove {len(extra)} file(s) the backup does not have"
        else:
            self.import_over(backup)
            how = "imported over the bot" + (f"; {len(extra)} file(s) the backup does not have remain (deleting the bot "
                                            f"would lose {', '.join(dot_files(now))}): {', '.join(extra)}" if extra else "")
        _, after = self.export()
        still = [path for path in differences(after, wanted) if path not in extra]
        if still:
            raise ServerError(f"{self.client.url}: restoring bot {self.bot!r}: it still differs from the backup in "
                              f"{', '.join(still[:10])}; see the server log")
        return how

    def check(self, archive: bytes, present: Names, absent: Names, *, whole: bool, disabled: bool) -> tuple[list[str], list[str]]:
        """(problems, notes) after an import: the bot must hold the archive's files (and
        only them, `whole`), be mounted, and list the `present` actions and flows, not the
        `absent` ones. Botpress clears its action listing on the first action change after
        2 s without one (a leading-edge debounce), so an import that follows another too
        closely can leave it stale: then the same archive is imported again, after a pause."""
        problems = self._stored(archive, whole=whole)
        if problems:
            return problems, []
        problems, notes = self._listed(present, absent, disabled)
        if any(p.startswith("actions not listed") for p in problems):
            self.sleep(ACTION_CACHE_QUIET_S)
            self.import_over(archive)
            problems, notes = self._listed(present, absent, disabled)
        return problems, notes

    def _stored(self, archive: bytes, *, whole: bool) -> list[str]:
        wanted = as_exported(archive_files(archive), self.bot)
        _, now = self.export()
        differ = [path for path in differences(now, wanted) if whole or path in wanted]
        return [f"the bot's files differ from the imported archive: {', '.join(differ[:10])}"] if differ else []

    def _listed(self, present: Names, absent: Names, disabled: bool) -> tuple[list[str], list[str]]:
        problems, notes = [], []
        status = self.client.bot_status(self.bot)
        if not disabled and status != "healthy":
            problems.append(f"the bot is not mounted (status: {status or 'unknown'})")
        listed = {"actions": self.client.action_names(self.bot), "flows": self.client.flow_names(self.bot)}
        for kind, names in listed.items():
            missing, left = sorted(present.get(kind, set()) - names), sorted(absent.get(kind, set()) & names)
            if missing:
                problems.append(f"{kind} not listed: {', '.join(missing)}")
            if left and kind == "actions":  # gone from the bot's files (checked above): only the listing lags
                notes.append(f"Botpress still lists the removed actions {', '.join(left)} until its action cache is "
                             "next cleared (a change to an action file, or a restart); they are gone from the bot")
            elif left:
                problems.append(f"{kind} still listed: {', '.join(left)}")
        return problems, notes


def as_exported(files: dict[str, bytes], bot: str) -> dict[str, bytes]:
    """Files as an export shows them: "/bots/<bot>/" replaced by the placeholder in the
    .json files outside dot-folders (core bot-service.ts, exportBot)."""
    needle = f"/bots/{bot}/".encode()
    return {path: data.replace(needle, PLACEHOLDER) if path.endswith(".json") and not _hidden(path) else data
            for path, data in files.items()}


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in PurePosixPath(path).parts)


def installed_names(manifest: bytes | None) -> dict[str, set[str]]:
    """The actions and flows a manifest (hitl-gen-manifest.json) lists, as the server names them."""
    files = (json_object(manifest) if manifest else {}).get("files") or {}
    names: dict[str, set[str]] = {"actions": set(), "flows": set()}
    for logical in files:
        parts = PurePosixPath(logical).parts
        inside = PurePosixPath(*parts[3:]) if parts[:2] == ("data", "bots") and len(parts) > 3 else None
        if inside is None or "node_modules" in inside.parts:
            continue
        if inside.parts[0] == "actions" and inside.suffix == ".js":
            names["actions"].add(inside.relative_to("actions").with_suffix("").as_posix())
        elif inside.parts[0] == "flows" and inside.name.endswith(".flow.json"):
            names["flows"].add(inside.relative_to("flows").as_posix())
    return names
