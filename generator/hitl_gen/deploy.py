"""`hitl-gen deploy`, `undeploy` and `restore`: the archive build (archive.py) with a live
bot's export as its base, imported back through the Admin (livebot.py). No second
pipeline: what goes into the bot is exactly what `build --archive --base` would make.

deploy: doctor's checks (needs.py) → export the bot → build into an archive of it as
`--into` would (the bot's own files and content elements byte for byte; a file edited
since hitl-gen wrote it is a conflict, and nothing is imported) → nothing more when
nothing differs → the export kept as a backup → import → checked through the API.

On each failure:
- before the import (checks, export, conflicts, files to remove without --prune, dot-
  files a delete would lose): the server was not touched.
- files must go (--prune, undeploy): Botpress's import never deletes, so the bot is
  replaced whole (delete, then import); otherwise it is only ever imported over.
- the import or the check after it failed: the bot is exported again and compared with
  the backup; as it was → said so; else restored from the backup. When the server does
  not answer, the error names the backup and the `hitl-gen restore` command.
It never prints: it returns a DeployReport and raises only the HitlGenError family.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

from hitl_gen.admin import AdminClient
from hitl_gen.archive import BotArchive
from hitl_gen.atomic import write_atomic
from hitl_gen.build import BuildReport, Mode, build, check_bot_id
from hitl_gen.credentials import TokenCache
from hitl_gen.errors import DestinationError, HitlGenError, ServerError
from hitl_gen.live import Connection
from hitl_gen.livebot import CONFIG, LiveBot, archive_files, differences, dot_files, installed_names, json_object
from hitl_gen.needs import Need, preflight, server_needs
from hitl_gen.output import BOT_MANIFEST
from hitl_gen.spec.load import load_spec

BACKUPS = Path("hitl-gen-backups")
LOGIN_CHECKS = ("server answers", "login works")  # all `restore` needs: the bot itself may be gone


class Live(NamedTuple):
    """The live side: where (URL, bot, module), the client, and how to log in."""

    connection: Connection
    client: AdminClient
    cache: TokenCache
    email: str | None = None
    password: str | None = None
    sleep: Callable[[float], None] = time.sleep  # the pauses Botpress's action cache needs (livebot.py)


@dataclass(frozen=True)
class DeployReport:
    url: str
    bot: str
    checks: tuple[Need, ...] = ()
    build: BuildReport | None = None
    outcome: str = ""  # stopped | compared | up to date | imported | replaced | restored
    backup: Path | None = None
    detail: str = ""
    notes: tuple[str, ...] = ()  # what the check after the import found worth saying, short of a failure

    @property
    def stopped(self) -> bool:
        return self.outcome == "stopped"


class DeployFailed(HitlGenError):
    """The import, or the check after it, failed; says what became of the live bot."""

    def __init__(self, failure: HitlGenError, outcome: str, backup: Path, subject: str):
        self.failure, self.outcome, self.backup = failure, outcome, backup
        self.exit_code = failure.exit_code
        super().__init__(outcome, subject=subject, where="deploy")

    def lines(self) -> list[str]:
        return [*self.failure.lines(), str(self), f"{self.subject}: backup: {self.backup}"]


@dataclass(frozen=True)
class _LiveArchive(BotArchive):
    """The archive deploy imports: files shown as the live bot's, and no advice to delete
    the bot by hand (deploy does it, with --prune)."""

    shown: str = ""

    def shown_as(self) -> str:
        return self.shown

    def removal_notes(self) -> list[str]:
        return []


def _subject(live: Live) -> str:
    return f"{live.connection.url}: bot {live.connection.bot!r}"


def restore_command(backup: Path, live: Live) -> str:
    return f"hitl-gen restore {backup} --url {live.connection.url} --bot {live.connection.bot}"


def deploy(spec_path: Path, live: Live, mode: Mode = Mode.WRITE, *, force: bool = False, prune: bool = False,
           remove: bool = False, backups: Path = BACKUPS) -> DeployReport:
    """Deploy (or, with `remove`, undeploy) the spec into the live bot."""
    url, bot = live.connection.url, live.connection.bot
    check_bot_id(bot)
    checks = preflight(live.connection, live.client, email=live.email, password=live.password, cache=live.cache)
    if any(c.state == "FAIL" for c in checks):
        return DeployReport(url, bot, tuple(checks), outcome="stopped")
    bot_live = LiveBot(live.client, bot, live.sleep)
    export, files = bot_live.export()
    if CONFIG not in files:
        raise DestinationError("the export has no bot.config.json: the bot has no files on this server; create it in the "
                               "Admin first", subject=_subject(live), where="deploy")
    checks += [] if remove else server_needs(load_spec(spec_path, str(spec_path)), live.client, bot, files)
    report, archive = _build(spec_path, live, export, mode, force=force, remove=remove)
    if archive is None:
        return DeployReport(url, bot, tuple(checks), report, "compared" if mode is Mode.COMPARE else "up to date")
    whole = bool(report.removed)
    if whole:
        _refuse_removal(live, report, files, allowed=prune or remove)
    backup = save_backup(export, backups, bot)
    notes = _apply(bot_live, live, archive, files, backup, whole=whole)
    return DeployReport(url, bot, tuple(checks), report, "replaced" if whole else "imported", backup, notes=tuple(notes))


def _build(spec_path: Path, live: Live, export: bytes, mode: Mode, *, force: bool,
           remove: bool) -> tuple[BuildReport, bytes | None]:
    """The build into an archive of the live bot; the archive only when it differs and mode writes."""
    with tempfile.TemporaryDirectory(prefix="hitl-gen-deploy-") as staging:
        base, out = Path(staging) / "live.tgz", Path(staging) / "deploy.tgz"
        base.write_bytes(export)
        destination = _LiveArchive(out, base, shown=f"{live.connection.url}/bots/{live.connection.bot}")
        report = build(spec_path, destination, mode, force=force, bot=live.connection.bot, remove=remove)
        if mode is Mode.COMPARE or report.up_to_date:
            return report, None
        return report, out.read_bytes()


def _refuse_removal(live: Live, report: BuildReport, files: dict[str, bytes], *, allowed: bool) -> None:
    """Removing files means deleting the bot and importing it whole: only when asked,
    and never when the bot has files the import would lose."""
    names = ", ".join(f.path.rsplit("/bots/", 1)[-1] for f in report.removed)
    if not allowed:
        raise DestinationError(f"the spec no longer generates {len(report.removed)} file(s) of the live bot ({names}); "
                               "Botpress's import cannot delete a file, so removing them means deleting the bot and "
                               "importing it whole: rerun with --prune (the backup is restored if that fails; the bot's "
                               "Admin revisions and NLU models go with the delete), or keep them in the spec",
                               subject=_subject(live), where="deploy")
    lost = dot_files(files)
    if lost:
        raise DestinationError(f"removing files means deleting the bot, which would lose {', '.join(lost)}: Botpress's "
                               "import skips dot-files (disabled actions and hooks); rename or remove them, then run again",
                               subject=_subject(live), where="deploy")


def save_backup(export: bytes, folder: Path, bot: str) -> Path:
    """The export as it was, before anything changed (mode 0600: it holds the bot's files)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path, n = folder / f"{bot}-{stamp}.tgz", 1
    while path.exists():
        n += 1
        path = folder / f"{bot}-{stamp}-{n}.tgz"
    write_atomic(path, export, mode=0o600)
    if path.read_bytes() != export:
        raise DestinationError("the backup does not read back as written; nothing was imported", subject=path)
    return path


def _apply(bot_live: LiveBot, live: Live, archive: bytes, files: dict[str, bytes], backup: Path, *, whole: bool) -> list[str]:
    """Import (or replace) and check; on failure, the bot compared with its backup and restored if it changed."""
    packed = archive_files(archive)
    old, new = installed_names(files.get(BOT_MANIFEST)), installed_names(packed.get(BOT_MANIFEST))
    gone = {kind: old[kind] - new[kind] for kind in old}
    disabled = json_object(packed.get(CONFIG, b"{}")).get("disabled") is True  # a disabled bot is not mounted
    try:
        if whole:
            bot_live.replace(archive, files)
        else:
            bot_live.import_over(archive)
        problems, notes = bot_live.check(archive, new, gone, whole=whole, disabled=disabled)
        notes = bot_live.notes + notes
        if problems:
            raise ServerError(f"{_subject(live)}: checking the import: {'; '.join(problems)}; see the server log")
    except HitlGenError as failure:
        raise DeployFailed(failure, _recover(bot_live, live, backup, files), backup, _subject(live)) from None
    return notes


def _recover(bot_live: LiveBot, live: Live, backup: Path, files: dict[str, bytes]) -> str:
    """What became of the live bot after a failure, restoring it from the backup when it changed."""
    command = restore_command(backup, live)
    try:
        _, now = bot_live.export()
    except HitlGenError:
        return f"the server does not answer, so the bot was not compared with the backup; when it does, run `{command}`"
    if not differences(now, files):
        return "nothing changed: the live bot is as it was"
    try:
        how = bot_live.restore(backup.read_bytes())
    except HitlGenError as err:
        return f"restoring the backup failed too ({err}); when the server answers, run `{command}`"
    return f"the live bot was restored from the backup ({how})"


def restore(backup: Path, live: Live) -> DeployReport:
    """Make the live bot what a deploy's backup holds (a bot that is gone is imported again)."""
    url, bot = live.connection.url, live.connection.bot
    checks = preflight(live.connection, live.client, email=live.email, password=live.password, cache=live.cache)
    if any(c.state == "FAIL" and c.name in LOGIN_CHECKS for c in checks):
        return DeployReport(url, bot, tuple(checks), outcome="stopped")
    try:
        data = backup.read_bytes()
    except OSError as err:
        raise DestinationError(f"cannot read the backup ({err.strerror})", subject=backup, where="restore") from None
    if CONFIG not in archive_files(data, backup):
        raise DestinationError("not a bot backup (no bot.config.json in it)", subject=backup, where="restore")
    bot_live = LiveBot(live.client, bot, live.sleep)
    how = bot_live.restore(data)
    return DeployReport(url, bot, tuple(c for c in checks if c.name in LOGIN_CHECKS), outcome="restored", detail=how,
                        notes=tuple(bot_live.notes))
