"""Command line: parse arguments, call the core, map its errors to exit codes.

Exit codes: 0 ok, 1 out of date (--check) or the server said no, 2 usage or
spec error, 3 cannot reach the server. The core never prints; only this module does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence, TextIO

from hitl_gen import __version__
from hitl_gen.errors import HitlGenError, UsageError


def _parser() -> argparse.ArgumentParser:
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
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse already printed its usage message
        return int(exit_.code or 0)
    try:
        return _COMMANDS[args.command](args, out)
    except HitlGenError as error:
        for line in error.lines():
            print(line, file=err)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130


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
    return 0


def _schema(args, out: TextIO) -> int:
    from hitl_gen.resources import schema_path

    out.write(schema_path().read_text(encoding="utf-8"))
    return 0


def _init(args, out: TextIO) -> int:
    from hitl_gen.output import write_atomic
    from hitl_gen.resources import data_dir

    if args.path.exists():
        raise UsageError(f"{args.path}:1:1: init: the file already exists; pick another path or delete it first")
    write_atomic(args.path, (data_dir("schemas") / "starter.yaml").read_bytes())
    print(f"wrote {args.path}; edit it, then run `hitl-gen validate {args.path}`", file=out)
    return 0


def _build(args, out: TextIO) -> int:
    from hitl_gen import install, output
    from hitl_gen.spec.load import load_spec

    if args.base and not args.archive:
        raise UsageError(f"{args.base}:1:1: build: --base goes with --archive")
    spec = load_spec(args.spec, str(args.spec))
    if args.archive:
        if args.dry_run or args.check:
            raise UsageError(f"{args.archive}:1:1: build: --dry-run and --check compare with a folder; use -o or --into")
        count = install.write_archive(spec, args.archive, args.base)
        print(f"{args.archive}: bot archive with {count} generated file(s)", file=out)
        return 0
    destination = install.output_folder(args.output, spec) if args.output else install.bot_folder(args.into, spec)
    plan, manifest, changes = install.plan_for(spec, destination)
    pending = [c for c in changes if c.status != "unchanged"]
    where = args.output or args.into
    if args.dry_run or args.check:
        out.write(output.unified_diff(changes))
        state = f"{len(pending)} file(s) would change" if pending else "up to date"
        print(f"{where}: {state}", file=out)
        return 1 if (args.check and pending) else 0
    written = output.apply(changes, manifest, plan.elements, force=args.force)
    print(f"{where}: wrote {len(written)} file(s), {len(changes) - len(written)} unchanged", file=out)
    return 0


_COMMANDS = {"validate": _validate, "schema": _schema, "init": _init, "build": _build}


def run() -> None:
    sys.exit(main())
