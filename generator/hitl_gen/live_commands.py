"""The commands that talk to a live Botpress: login, pause, unpause, status, sessions,
handoffs, resolve, reject and doctor (deploy, undeploy and restore: deploy_commands.py).
Like cli.py, they parse, call and print; client.py and live.py do the talking. What they
print may come from the server (names, messages, ids, versions), so it goes through
terminal.printable (_say)."""

from __future__ import annotations

import sys
from typing import TextIO

from hitl_gen import deploy_commands
from hitl_gen.errors import ExitCode, UsageError
from hitl_gen.terminal import printable


def _say(out: TextIO, text: str) -> None:
    print(printable(text), file=out)


def add_parsers(commands, path_type) -> None:
    def connection_flags(parser, bot=True):
        parser.add_argument("--url", help="Botpress server URL (default: BP_URL, or the spec's target.server)")
        if bot:
            parser.add_argument("--bot", help="bot id (default: BP_BOT, or the spec's target.bot)")
        parser.add_argument("--spec", type=path_type, help="read URL, bot and module from this spec's target")

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
    handoffs = commands.add_parser("handoffs", help="list HITL Next handoffs")
    connection_flags(handoffs)
    handoffs.add_argument("--status", choices=("pending", "assigned", "resolved", "rejected", "expired"),
                          help="only handoffs in this state")
    handoffs.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for name, doing in (("resolve", "take (as the logged-in agent, online) and resolve"), ("reject", "reject")):
        command = commands.add_parser(name, help=f"{doing} a HITL Next handoff: the bot takes the conversation back")
        connection_flags(command)
        command.add_argument("handoff", help="the handoff's id (from `hitl-gen handoffs`)")
    doctor = commands.add_parser("doctor", help="check server, login, bot, module routes and version, in order")
    connection_flags(doctor)
    doctor.add_argument("--module", choices=("hitl", "hitlnext"), default=None,
                        help="HITL module whose routes to check (default: the spec's target.module, else hitl)")
    doctor.add_argument("--email", default=None, help="account e-mail when not logged in (default: BP_EMAIL)")
    deploy_commands.add_parsers(commands, path_type)


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
        raise UsageError("no e-mail; pass --email or set BP_EMAIL", subject="hitl-gen", where="login")
    connection, cache, client = _connect(args, need_bot=False)
    with client:
        password = os.environ.get("BP_PASSWORD") or _ask_password(f"Password for {email} at {connection.url}: ")
        token = client.login(email, password)
    cache.put(connection.url, token, email)
    _say(out, f"logged in to {connection.url} as {email}; token cached in {cache.path}")
    return ExitCode.OK


def _ask_password(prompt: str) -> str:
    """The password typed at the terminal; without one (a script, CI), a usage error
    instead of getpass's warning, echo or EOFError traceback."""
    import getpass

    no_terminal = UsageError("no password: set BP_PASSWORD, or run `hitl-gen login` in a terminal to type it",
                             subject="hitl-gen", where="login")
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
        raise UsageError("empty password; type it at the prompt or set BP_PASSWORD", subject="hitl-gen", where="login")
    return password


def _who(args, *, session: bool = True) -> dict:
    if session and args.session is not None:
        if args.channel or args.user or args.thread:
            raise UsageError("give either --session or --channel/--user[/--thread], not both", subject="hitl-gen")
        return {"session": args.session}
    if not (args.channel and args.user):
        raise UsageError("say whose conversation: --channel C --user U [--thread T]" + (" or --session ID" if session else ""),
                         subject="hitl-gen")
    return {"channel": args.channel, "user": args.user, "thread": args.thread}


def _pause(args, out: TextIO) -> int:
    who = _who(args)
    connection, _, client = _connect(args)
    with client:
        client.set_paused(connection.bot, args.command == "pause", **who)
    _say(out, f"{args.command}d: {' '.join(f'{k}={v}' for k, v in who.items() if v is not None)}")
    return ExitCode.OK


def _status(args, out: TextIO) -> int:
    from hitl_gen.errors import NotFound

    who = _who(args, session=False)
    connection, _, client = _connect(args)
    with client:
        found = client.conversation_state(connection.bot, who["channel"], who["user"], who["thread"])
    if not found:
        raise NotFound(f"no HITL session for {who['channel']}/{who['user']}{'/' + who['thread'] if who['thread'] else ''}: "
                       "HITL creates one at the user's first message", subject=connection.url)
    for session in found:
        state = "paused" if session["isPaused"] else "not paused"
        _say(out, f"session {session['id']} thread {session.get('threadId')}: {state}")
    return ExitCode.OK


def _sessions(args, out: TextIO) -> int:
    import json

    from hitl_gen.terminal import printable_json

    connection, _, client = _connect(args)
    with client:
        items = client.sessions(connection.bot, paused_only=args.paused, search=args.search)
    if args.json:
        print(printable_json(json.dumps(items, indent=2, ensure_ascii=False)), file=out)
        return ExitCode.OK
    rows = [("SESSION", "PAUSED", "CHANNEL", "USER", "THREAD", "NAME", "LAST MESSAGE")]
    for s in items:  # answers.sessions checked each field's type
        last = (s.get("lastMessage") or {}).get("text") or ""
        rows.append((str(s["id"]), "yes" if s["isPaused"] else "no", s.get("channel") or "", str(s["user"]["id"]),
                     str(s.get("threadId") or ""), s["user"].get("fullName") or "", last[:40]))
    _table(rows, out)
    return ExitCode.OK


def _table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    rows = [tuple(printable(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip(), file=out)


def _handoffs(args, out: TextIO) -> int:
    import json

    from hitl_gen.terminal import printable_json

    connection, _, client = _connect(args)
    with client:
        items = [h for h in client.handoffs(connection.bot) if not args.status or h.get("status") == args.status]
    if args.json:
        print(printable_json(json.dumps(items, indent=2, ensure_ascii=False)), file=out)
        return ExitCode.OK
    rows = [("HANDOFF", "STATUS", "CHANNEL", "USER", "THREAD", "AGENT", "CREATED")]
    for h in items:
        rows.append(tuple(str(h.get(key) or "") for key in ("id", "status", "userChannel", "userId", "userThreadId", "agentId", "createdAt")))
    _table(rows, out)
    return ExitCode.OK


def _settle_handoff(args, out: TextIO) -> int:
    """resolve: HITL Next resolves only a handoff assigned to an online agent, so the
    logged-in user goes online and takes a pending one first, as an agent does on screen."""
    connection, _, client = _connect(args)
    with client:
        if args.command == "resolve":
            client.go_online(connection.bot)
            [state] = [h.get("status") for h in client.handoffs(connection.bot) if str(h.get("id")) == args.handoff] or [None]
            if state == "pending":
                _take(client, connection, args.handoff)
        handoff = client.handoff_action(connection.bot, args.handoff, args.command)
    _say(out, f"handoff {handoff['id']}: {handoff['status']}; the bot has the conversation again")
    return ExitCode.OK


def _take(client, connection, handoff: str) -> None:
    """Assign a pending handoff to the logged-in agent. Before Messaging, HITL Next opens
    the agent's side of the conversation in the agent's own webchat session, which only
    the HITL Next screen has (seen on 12.22.1: 400 without it); say so."""
    from hitl_gen.botpress import routes

    screen = connection.url + routes.screen("hitlnext").format(bot=connection.bot)
    client.handoff_action(connection.bot, handoff, "assign", on_status={400: (
        f"the handoff is pending, and this Botpress lets an agent take one only from the HITL Next screen, whose web "
        f"session it needs (12.22.1 does; 12.31.10 takes it from here): take it at {screen}, then run "
        f"`hitl-gen resolve {handoff}` again")})


def _doctor(args, out: TextIO) -> int:
    import os

    from hitl_gen import live

    connection, cache, client = _connect(args)
    with client:
        checks = live.doctor(connection, client, email=args.email or os.environ.get("BP_EMAIL"),
                             password=os.environ.get("BP_PASSWORD"), cache=cache, skill_module=True)
    for check in checks:
        _say(out, f"{check.state:<4} {check.name}: {check.detail}")
    return next((check.code for check in checks if not check.ok), ExitCode.OK)


COMMANDS = {"login": _login, "pause": _pause, "unpause": _pause, "status": _status, "sessions": _sessions, "doctor": _doctor,
            "handoffs": _handoffs, "resolve": _settle_handoff, "reject": _settle_handoff,
            **deploy_commands.COMMANDS}
