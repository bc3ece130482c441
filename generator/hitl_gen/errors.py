"""The one error family the core raises, and the exit codes the CLI maps it to.

Every error prints as `SUBJECT: WHERE: WHAT AND HOW TO FIX IT`. SUBJECT is the file
the error is about, with `:line:col` only when the problem has a real position in
it (spec problems do), the server's URL, or `hitl-gen` for a command-line mistake.
"""

from __future__ import annotations

from collections import namedtuple
from enum import IntEnum


class ExitCode(IntEnum):
    """What the process exit status means (README: "Exit codes")."""

    OK = 0
    OUT_OF_DATE = 1   # --check: the destination differs from what the spec renders
    REFUSED = 1       # the server answered, and said no; one code with OUT_OF_DATE, as README documents
    INVALID = 2       # a usage, spec, destination or conflict error: nothing was written
    UNREACHABLE = 3   # the server could not be reached
    BAD_ANSWER = 4    # the server answered, but not as Botpress does (not JSON, another shape, a redirect, too large)
    FILE_SYSTEM = 5   # the file system refused: full disk, read-only, permission denied, a file where a folder must go
    INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


class Problem(namedtuple("Problem", "file line col where message")):
    """One spec mistake, at its real position in the file: `file:line:col: where: message`
    (line and col None for a file that cannot be read at all: `file: message`).
    (A named tuple rather than a dataclass: `hitl-gen --version` should not pay for
    importing dataclasses.)"""

    __slots__ = ()

    def __str__(self) -> str:
        if self.line is None:  # about the file as a whole (missing, unreadable): no position to give
            return ": ".join(part for part in (self.file, self.where, self.message) if part)
        where = self.where or "(top level)"
        return f"{self.file}:{self.line}:{self.col}: {where}: {self.message}"


class HitlGenError(Exception):
    """Base of every error the user can cause or fix; never a bug.

    `subject` is a path, a URL or "hitl-gen"; `where` the flag, command or spec key
    concerned. Callers that already start their text with its subject (client.py)
    pass the text alone."""

    exit_code = ExitCode.INVALID

    def __init__(self, what: str, *, subject: object = None, where: str = ""):
        self.subject, self.where, self.what = subject, where, what
        super().__init__(": ".join(str(part) for part in (subject, where, what) if part))

    def lines(self) -> list[str]:
        return [str(self)]


class SpecError(HitlGenError):
    """The spec is invalid; carries every problem found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(HitlGenError):
    """A command was called the wrong way (a missing flag, flags that do not go together)."""


class DestinationError(HitlGenError):
    """Where the build goes cannot take it: not a bot folder, a file where a folder
    belongs, a bot speaking a language the spec lacks, an unreadable bot export."""


class FileSystemRefused(DestinationError):
    """The file system refused to read or write the destination (full disk, read-only,
    permission denied, a file where a folder must go). A build stopped by it half-way
    left its journal: the next one finishes the job (output.py)."""

    exit_code = ExitCode.FILE_SYSTEM


class OutputConflict(HitlGenError):
    """Writing would overwrite files the user changed or owns; nothing was written."""

    def __init__(self, conflicts: list[tuple[str, str]], hint: str):
        self.conflicts = sorted(conflicts)
        self.hint = hint
        super().__init__(f"{len(self.conflicts)} file(s) would be overwritten")

    def lines(self) -> list[str]:
        return [f"{path}: output: {reason}; {self.hint}" for path, reason in self.conflicts]


class ServerError(HitlGenError):
    """The Botpress server answered but refused (401, 404, 500...)."""

    exit_code = ExitCode.REFUSED


class BadAnswer(ServerError):
    """The server answered, but not as a Botpress 12 does: an HTML page, JSON of another
    shape, a redirect, an answer too large. Most likely the URL is a proxy, a login page or
    another site. A ServerError, so whatever handles a refusal handles it too."""

    exit_code = ExitCode.BAD_ANSWER


class NotFound(HitlGenError):
    """The server answered, and what was asked about is not there (no HITL session for
    that user yet). Not a refusal, but the same exit code as a 404."""

    exit_code = ExitCode.REFUSED


class ConnectionProblem(HitlGenError):
    """The Botpress server could not be reached."""

    exit_code = ExitCode.UNREACHABLE
