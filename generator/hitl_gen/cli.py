"""Command line: parse arguments, call the core, print what it reports, and map its
errors to exit codes (errors.ExitCode). The core never prints; only this module does.
"""

from __future__ import annotations

import sys
from typing import Sequence, TextIO

from hitl_gen import __version__, live_commands
from hitl_gen.errors import ExitCode, HitlGenError, UsageError


def Path(text: str):  # noqa: N802 - argparse `type=`; pathlib is imported only when a command needs it
    from pathlib import Path as _Path

    return _Path(text)


def _parser():
    import argparse

    parser = argparse.ArgumentParser(prog="hitl-gen", description="Botpress v12 human-handoff files from a YAML spec.")
    parser.add_argument("--version", action="version", version=f"hitl-gen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check specs and report every problem")
    validate.add_argument("specs", nargs="+", type=Path, metavar="SPEC")

    commands.add_parser("schema", help="print the spec's JSON Schema")

    init = commands.add_parser("init", help="write a commented starter spec")
    init.add_argument("path", nargs="?", type=Path, default=Path("handoff.yaml"))

    build = commands.add_parser("build", help="render the Botpress files of a spec")
    build.add_argument("spec", type=Path, metavar="SPEC")
    where = build.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--output", type=Path, metavar="OUT", help="folder that receives data/... and INSTALL.md")
    where.add_argument("--into", type=Path, metavar="BOT_DIR", help="an existing bot folder (data/bots/<bot>) to install into")
    where.add_argument("--archive", type=Path, metavar="OUT.tgz", help="write a bot archive the Botpress Admin can import")
    build.add_argument("--base", type=Path, metavar="EXPORTED.tgz", help="with --archive: the exported bot to merge into")
    mode = build.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print what would change as a diff; write nothing")
    mode.add_argument("--check", action="store_true", help="exit 1 if the output is out of date; write nothing")
    build.add_argument("--force", action="store_true", help="overwrite files edited since hitl-gen wrote them")

    module = commands.add_parser("module", help='write the Botpress module that adds the Studio skill "Talk to an agent"')
    module_where = module.add_mutually_exclusive_group(required=True)
    module_where.add_argument("-o", "--output", type=Path, metavar="MODULES_DIR",
                              help="the server's modules folder: the module goes to MODULES_DIR/hitl-gen")
    module_where.add_argument("--archive", type=Path, metavar="FILE.tgz", help="write the module as one archive")
    module.add_argument("--force", action="store_true", help="replace a module folder or archive that differs")
    live_commands.add_parsers(commands, Path)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its usage message (exit 2) or --help (exit 0)
        return int(exit_.code or ExitCode.OK)
    try:
        return _COMMANDS[args.command](args, out)
    except HitlGenError as error:
        from hitl_gen.terminal import printable

        for line in error.lines():  # a line may quote a server's text: no escape sequence reaches the terminal
            print(printable(line), file=err)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return ExitCode.INTERRUPTED


def _validate(args, out: TextIO) -> int:
    from hitl_gen.errors import SpecError
    from hitl_gen.spec.load import load_spec

    problems = []
    for path in args.specs:
        try:
            spec = load_spec(path, str(path))
            print(f"{path}: ok ({len(spec.handoffs)} handoff(s), {spec.target.module}, Botpress {spec.target.botpress_text})", file=out)
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)
    return ExitCode.OK


def _schema(args, out: TextIO) -> int:
    from hitl_gen.spec.schema import schema_text

    out.write(schema_text())
    return ExitCode.OK


def _init(args, out: TextIO) -> int:
    from hitl_gen.atomic import write_atomic
    from hitl_gen.resources import STARTER_SPEC

    if args.path.exists():
        raise UsageError("the file already exists; pick another path or delete it first", subject=args.path, where="init")
    write_atomic(args.path, STARTER_SPEC.read_bytes())
    print(f"wrote {args.path}; edit it, then run `hitl-gen validate {args.path}`", file=out)
    return ExitCode.OK


def _build(args, out: TextIO) -> int:
    from hitl_gen.build import Mode, build

    if args.base and not args.archive:
        raise UsageError("--base goes with --archive", subject="hitl-gen", where="build")
    mode = Mode.COMPARE if (args.dry_run or args.check) else Mode.WRITE
    report = build(args.spec, _destination(args), mode, force=args.force)
    where = report.destination
    for note in report.notes:
        print(f"{where}: note: {note}", file=out)
    # Removals are named only when there are some: the lines stay as they were otherwise.
    removed = len(report.removed)
    if mode is Mode.COMPARE:
        out.write(report.diff)
        if args.dry_run and report.refused is not None:  # the build would refuse: say so, as it would
            raise report.refused
        would = f"{len(report.written)} file(s) would change" + (f", {removed} would be removed" if removed else "")
        print(f"{where}: up to date" if report.up_to_date else f"{where}: {would}", file=out)
        return ExitCode.OUT_OF_DATE if (args.check and not report.up_to_date) else ExitCode.OK
    if report.shortcut:
        print(f"{where}: wrote 0 file(s), up to date", file=out)
    elif args.archive:
        print(f"{where}: bot archive with {len(report.written)} generated file(s)"
              + (f", {removed} removed from the base" if removed else ""), file=out)
    else:
        print(f"{where}: wrote {len(report.written)} file(s), " + (f"removed {removed}, " if removed else "")
              + f"{report.unchanged} unchanged", file=out)
    if args.into:
        _print_next_steps(args, report, out)
    return ExitCode.OK


def _module(args, out: TextIO) -> int:
    from hitl_gen.botpress_module import write_module

    report = write_module(args.output, args.archive, force=args.force)
    if report.written:
        print(f"{report.destination}: wrote {len(report.written)} file(s), {len(report.unchanged)} unchanged", file=out)
    else:
        print(f"{report.destination}: up to date", file=out)
    for step in report.next_steps:
        print(f"next: {step}", file=out)
    return ExitCode.OK


def _print_next_steps(args, report, out: TextIO) -> None:
    """--into writes no INSTALL.md: what is left of it, checked where the bot folder tells.
    The shortcut parsed no spec; it is read here, as the steps may still be to do."""
    from hitl_gen.destination import BotFolder
    from hitl_gen.next_steps import next_steps
    from hitl_gen.spec.load import load_spec

    spec = report.spec or load_spec(args.spec, str(args.spec))
    for step in next_steps(spec, BotFolder(args.into).placement(spec.target.bot), wrote=not report.up_to_date):
        print(f"{'done' if step.done else 'next'}: {step.text}", file=out)


def _destination(args):
    from hitl_gen.archive import BotArchive
    from hitl_gen.destination import BotFolder, OutputFolder

    if args.archive:
        return BotArchive(args.archive, args.base)
    return BotFolder(args.into) if args.into else OutputFolder(args.output)


_COMMANDS = {"validate": _validate, "schema": _schema, "init": _init, "build": _build, "module": _module,
             **live_commands.COMMANDS}

