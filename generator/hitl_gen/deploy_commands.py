"""The commands that install into a live bot: deploy, undeploy and restore. Like cli.py,
they parse, call the core (deploy.py) and print its report."""

from __future__ import annotations

import os
from typing import TextIO

from hitl_gen.errors import ExitCode


def add_parsers(commands, path_type) -> None:
    for name, text in (("deploy", "install the spec into a bot on a running Botpress: export, merge, import, check"),
                       ("undeploy", "remove what hitl-gen installed from a bot on a running Botpress")):
        command = commands.add_parser(name, help=text)
        command.add_argument("spec", type=path_type, metavar="SPEC")
        _connection(command)
        mode = command.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="print what would change in the live bot as a diff; change nothing")
        mode.add_argument("--check", action="store_true", help="exit 1 if the live bot is out of date; change nothing")
        command.add_argument("--force", action="store_true", help="overwrite or remove files edited since hitl-gen wrote them")
        if name == "deploy":
            command.add_argument("--prune", action="store_true", help="remove files the spec no longer generates: deletes the "
                                                                      "bot and imports it whole (the backup is restored on failure)")
        command.add_argument("--backup-dir", type=path_type, default=None, metavar="DIR",
                             help="where the bot's export is kept before anything changes (default: ./hitl-gen-backups)")
    restore = commands.add_parser("restore", help="make a live bot what a deploy's backup holds again")
    restore.add_argument("backup", type=path_type, metavar="BACKUP.tgz")
    _connection(restore)
    restore.add_argument("--spec", type=path_type, help="read URL and bot from this spec's target")


def _connection(command) -> None:
    command.add_argument("--url", help="Botpress server URL (default: BP_URL, or the spec's target.server)")
    command.add_argument("--bot", help="bot id (default: the spec's target.bot)")
    command.add_argument("--email", default=None, help="account e-mail when not logged in (default: BP_EMAIL; the "
                                                       "password comes from BP_PASSWORD)")


def _live(args, spec):
    from hitl_gen import live
    from hitl_gen.admin import AdminClient
    from hitl_gen.credentials import TokenCache
    from hitl_gen.deploy import Live

    # The spec's bot before BP_BOT: a variable left from `hitl-gen sessions` must not redirect a deploy.
    bot = args.bot or (None if spec is None else spec.target.bot)
    connection = live.resolve(args.url, bot, getattr(args, "spec", None))
    cache = TokenCache()
    client = AdminClient(connection.url, token=cache.get(connection.url))
    return Live(connection, client, cache, args.email or os.environ.get("BP_EMAIL"), os.environ.get("BP_PASSWORD"))


def _deploy(args, out: TextIO) -> int:
    from hitl_gen.build import Mode
    from hitl_gen.deploy import BACKUPS, deploy
    from hitl_gen.spec.load import load_spec

    target = _live(args, load_spec(args.spec, str(args.spec)))
    mode = Mode.COMPARE if (args.dry_run or args.check) else Mode.WRITE
    with target.client:
        report = deploy(args.spec, target, mode, force=args.force, prune=getattr(args, "prune", False),
                        remove=args.command == "undeploy", backups=args.backup_dir or BACKUPS)
    code = _print_checks(report, out)
    if report.stopped:
        return code
    where, built = f"{report.url}/bots/{report.bot}", report.build
    for note in built.notes:
        print(f"{where}: note: {note}", file=out)
    if mode is Mode.COMPARE:
        out.write(built.diff)
        if args.dry_run and built.refused is not None:  # the deploy would refuse: say so, as it would
            raise built.refused
        removed = f", {len(built.removed)} would be removed" if built.removed else ""
        print(f"{where}: up to date" if built.up_to_date else f"{where}: {len(built.written)} file(s) would change{removed}", file=out)
        return ExitCode.OUT_OF_DATE if (args.check and not built.up_to_date) else ExitCode.OK
    if report.outcome == "up to date":
        print(f"{where}: up to date; nothing imported", file=out)
        return ExitCode.OK
    from hitl_gen.deploy import restore_command

    how = "deleted and imported whole" if report.outcome == "replaced" else "imported"
    print(f"{where}: backup of the bot as it was: {report.backup} (to put it back: {restore_command(report.backup, target)})", file=out)
    print(f"{where}: {how}: {len(built.written)} file(s) written, {len(built.removed)} removed, {built.unchanged} unchanged; "
          "checked: the bot holds them, is mounted, and lists the actions and flows", file=out)
    for note in report.notes:
        print(f"{where}: note: {note}", file=out)
    return ExitCode.OK


def _restore(args, out: TextIO) -> int:
    from hitl_gen.deploy import restore
    from hitl_gen.spec.load import load_spec

    target = _live(args, load_spec(args.spec, str(args.spec)) if args.spec else None)
    with target.client:
        report = restore(args.backup, target)
    code = _print_checks(report, out)
    if not report.stopped:
        print(f"{report.url}/bots/{report.bot}: restored from {args.backup}: {report.detail}", file=out)
        for note in report.notes:
            print(f"{report.url}/bots/{report.bot}: note: {note}", file=out)
    return code


def _print_checks(report, out: TextIO) -> int:
    from hitl_gen.terminal import printable

    for need in report.checks:  # a failed check quotes the server's text: no escape sequence reaches the terminal
        print(printable(f"{need.state:<4} {need.name}: {need.detail}"), file=out)
    if not report.stopped:
        return ExitCode.OK
    failed = next(need for need in report.checks if need.state == "FAIL")
    return ExitCode.UNREACHABLE if failed.name == "server answers" else ExitCode.REFUSED


COMMANDS = {"deploy": _deploy, "undeploy": _deploy, "restore": _restore}
