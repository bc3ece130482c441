"""Command line: parse arguments, call the core, map its errors to exit codes.

Exit codes: 0 ok, 1 out of date (--check) or the server said no, 2 usage or
spec error, 3 cannot reach the server. The core never prints; only this module does.
"""

from __future__ import annotations

import sys
from typing import Sequence, TextIO

from hitl_gen import __version__
from hitl_gen.errors import HitlGenError, UsageError


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
    _server_commands(commands)
    return parser


def _server_commands(commands) -> None:
    def connection_flags(parser, bot=True):
        parser.add_argument("--url", help="Botpress server URL (default: BP_URL, or the spec's target.server)")
        if bot:
            parser.add_argument("--bot", help="bot id (default: BP_BOT, or the spec's target.bot)")
        parser.add_argument("--spec", type=Path, help="read URL, bot and module from this spec's target")

    def who_flags(parser, session=True):
        if session:
            parser.add_argument("--session", help="HITL session id (from `hitl-gen sessions`), not a thread id")
        parser.add_argument("--channel", help="channel of the user, e.g. web")
        parser.add_argument("--user", help="the user's id on that channel (event.target)")
        parser.add_argument("--thread", help="the conversation (event.threadId); without it, every conversation of the user")

    login = commands.add_parser("login", help="log in and cache a token (password from BP_PASSWORD or a prompt)")
    connection_flags(login, bot=False)
    login.add_argument("--email", default=None, help="account e-mail (default: BP_EMAIL)")
    for name in ("pause", "unpause"):
        command = commands.add_parser(name, help=f"{name} a conversation")
        connection_flags(command)
        who_flags(command)
    status = commands.add_parser("status", help="is a conversation paused? (read from the sessions listing)")
    connection_flags(status)
    who_flags(status, session=False)
    sessions = commands.add_parser("sessions", help="list HITL sessions")
    connection_flags(sessions)
    sessions.add_argument("--paused", action="store_true", help="only paused sessions")
    sessions.add_argument("--search", help="text to look for")
    sessions.add_argument("--json", action="store_true", help="print JSON instead of a table")
    doctor = commands.add_parser("doctor", help="check server, login, bot, module routes and version, in order")
    connection_flags(doctor)
    doctor.add_argument("--module", choices=("hitl", "hitlnext"), default=None,
                        help="HITL module whose routes to check (default: the spec's target.module, else hitl)")
    doctor.add_argument("--email", default=None, help="account e-mail when not logged in (default: BP_EMAIL)")


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
    from hitl_gen.spec.schema import schema_text

    out.write(schema_text())
    return 0


def _init(args, out: TextIO) -> int:
    from hitl_gen.output import write_atomic
    from hitl_gen.resources import STARTER_SPEC

    if args.path.exists():
        raise UsageError(f"{args.path}:1:1: init: the file already exists; pick another path or delete it first")
    write_atomic(args.path, STARTER_SPEC.read_bytes())
    print(f"wrote {args.path}; edit it, then run `hitl-gen validate {args.path}`", file=out)
    return 0


def _build(args, out: TextIO) -> int:
    from hitl_gen import install, output
    from hitl_gen.spec.load import load_spec

    if args.base and not args.archive:
        raise UsageError(f"{args.base}:1:1: build: --base goes with --archive")
    if args.archive:
        if args.dry_run or args.check:
            raise UsageError(f"{args.archive}:1:1: build: --dry-run and --check compare with a folder; use -o or --into")
        count = install.write_archive(load_spec(args.spec, str(args.spec)), args.archive, args.base)
        print(f"{args.archive}: bot archive with {count} generated file(s)", file=out)
        return 0
    folder = args.output or args.into
    destination_for = (lambda bot: install.output_folder(args.output, bot)) if args.output else (lambda bot: install.bot_folder(args.into, bot))
    if not args.force and install.unchanged_since_last_build(args.spec, folder, destination_for):
        print(f"{folder}: up to date" if (args.dry_run or args.check) else f"{folder}: wrote 0 file(s), up to date", file=out)
        return 0
    spec = load_spec(args.spec, str(args.spec))
    destination = destination_for(spec.target.bot)
    plan, manifest, changes = install.plan_for(spec, destination)
    for note in install.language_notes(spec, destination) if destination.into_bot else ():
        print(f"{folder}: note: {note}", file=out)
    pending = [c for c in changes if c.status != "unchanged"]
    if args.dry_run or args.check:
        out.write(output.unified_diff(changes))
        state = f"{len(pending)} file(s) would change" if pending else "up to date"
        print(f"{folder}: {state}", file=out)
        return 1 if (args.check and pending) else 0
    written = output.apply(changes, manifest, plan.elements, force=args.force,
                           inputs=install.inputs(args.spec, destination, spec.target.bot))
    print(f"{folder}: wrote {len(written)} file(s), {len(changes) - len(written)} unchanged", file=out)
    return 0


def _connect(args, *, need_bot: bool = True):
    from hitl_gen import live
    from hitl_gen.credentials import TokenCache

    connection = live.resolve(args.url, getattr(args, "bot", None), args.spec, need_bot=need_bot,
                              module=getattr(args, "module", None))
    cache = TokenCache()
    return connection, cache, live.client_for(connection, cache)


def _login(args, out: TextIO) -> int:
    import os

    email = args.email or os.environ.get("BP_EMAIL")
    if not email:
        raise UsageError("hitl-gen: login: no e-mail; pass --email or set BP_EMAIL")
    connection, cache, client = _connect(args, need_bot=False)
    with client:
        password = os.environ.get("BP_PASSWORD") or _ask_password(f"Password for {email} at {connection.url}: ")
        token = client.login(email, password)
    cache.put(connection.url, token, email)
    print(f"logged in to {connection.url} as {email}; token cached in {cache.path}", file=out)
    return 0


def _ask_password(prompt: str) -> str:
    """The password typed at the terminal; without one (a script, CI), a usage error
    instead of getpass's warning, echo or EOFError traceback."""
    import getpass

    no_terminal = UsageError("hitl-gen: login: no password: set BP_PASSWORD, or run `hitl-gen login` in a terminal to type it")
    try:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # stdin closed or replaced
        interactive = False
    if not interactive:
        raise no_terminal
    try:
        password = getpass.getpass(prompt)
    except EOFError:
        raise no_terminal from None
    if not password:
        raise UsageError("hitl-gen: login: empty password; type it at the prompt or set BP_PASSWORD")
    return password


def _who(args, *, session: bool = True) -> dict:
    if session and args.session is not None:
        if args.channel or args.user or args.thread:
            raise UsageError("hitl-gen: give either --session or --channel/--user[/--thread], not both")
        return {"session": args.session}
    if not (args.channel and args.user):
        raise UsageError("hitl-gen: say whose conversation: --channel C --user U [--thread T]"
                         + (" or --session ID" if session else ""))
    return {"channel": args.channel, "user": args.user, "thread": args.thread}


def _pause(args, out: TextIO) -> int:
    who = _who(args)
    connection, _, client = _connect(args)
    with client:
        client.set_paused(connection.bot, args.command == "pause", **who)
    print(f"{args.command}d: {' '.join(f'{k}={v}' for k, v in who.items() if v is not None)}", file=out)
    return 0


def _status(args, out: TextIO) -> int:
    from hitl_gen.errors import ServerError

    who = _who(args, session=False)
    connection, _, client = _connect(args)
    with client:
        found = client.conversation_state(connection.bot, who["channel"], who["user"], who["thread"])
    if not found:
        raise ServerError(f"{connection.url}: no HITL session for {who['channel']}/{who['user']}"
                          f"{'/' + who['thread'] if who['thread'] else ''}: HITL creates one at the user's first message")
    for session in found:
        state = "paused" if session["isPaused"] else "not paused"
        print(f"session {session['id']} thread {session.get('threadId')}: {state}", file=out)
    return 0


def _sessions(args, out: TextIO) -> int:
    import json

    connection, _, client = _connect(args)
    with client:
        items = client.sessions(connection.bot, paused_only=args.paused, search=args.search)
    if args.json:
        print(json.dumps(items, indent=2, ensure_ascii=False), file=out)
        return 0
    rows = [("SESSION", "PAUSED", "CHANNEL", "USER", "THREAD", "NAME", "LAST MESSAGE")]
    for s in items:
        last = ((s.get("lastMessage") or {}).get("text") or "").replace("\n", " ")
        rows.append((str(s["id"]), "yes" if s["isPaused"] else "no", s.get("channel") or "", s["user"]["id"],
                     str(s.get("threadId") or ""), s["user"].get("fullName") or "", last[:40]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=out)
    return 0


def _doctor(args, out: TextIO) -> int:
    import os

    from hitl_gen import live

    connection, cache, client = _connect(args)
    with client:
        checks = live.doctor(connection, client, email=args.email or os.environ.get("BP_EMAIL"),
                             password=os.environ.get("BP_PASSWORD"), cache=cache)
    for check in checks:
        print(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}", file=out)
    if all(c.ok for c in checks):
        return 0
    return 3 if checks[-1].name == "server answers" else 1


_COMMANDS = {"validate": _validate, "schema": _schema, "init": _init, "build": _build, "login": _login,
             "pause": _pause, "unpause": _pause, "status": _status, "sessions": _sessions, "doctor": _doctor}

