"""The one error family the core raises; the CLI maps it to exit codes."""

from __future__ import annotations

from collections import namedtuple


class Problem(namedtuple("Problem", "file line col where message")):
    """One user mistake, located in a file: `file:line:col: where: message`.
    (A named tuple rather than a dataclass: `hitl-gen --version` should not pay for
    importing dataclasses.)"""

    __slots__ = ()

    def __str__(self) -> str:
        where = self.where or "(top level)"
        return f"{self.file}:{self.line}:{self.col}: {where}: {self.message}"


class HitlGenError(Exception):
    """Base of every error the user can cause or fix; never a bug."""

    exit_code = 2

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
    """A command was called the wrong way (missing file, bad flag combination)."""


class OutputConflict(HitlGenError):
    """Writing would overwrite files the user changed or owns; nothing was written."""

    def __init__(self, conflicts: list[tuple[str, str]], hint: str):
        self.conflicts = sorted(conflicts)
        self.hint = hint
        super().__init__(f"{len(self.conflicts)} file(s) would be overwritten")

    def lines(self) -> list[str]:
        return [f"{path}:1:1: output: {reason}; {self.hint}" for path, reason in self.conflicts]


class ServerError(HitlGenError):
    """The Botpress server answered but refused (401, 404, 500...)."""

    exit_code = 1


class ConnectionProblem(HitlGenError):
    """The Botpress server could not be reached."""

    exit_code = 3
