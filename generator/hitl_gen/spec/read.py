"""Reading a spec file's bytes, apart from parsing them: a build that turns out to be
up to date needs only the bytes (for the fingerprint), not YAML or JSON Schema."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hitl_gen.errors import Problem, SpecError
from hitl_gen.spec.limits import MAX_BYTES

_KINDS = {stat.S_IFCHR: "character device", stat.S_IFBLK: "block device", stat.S_IFIFO: "named pipe (FIFO)",
          stat.S_IFSOCK: "socket"}


def read_spec_bytes(path: Path, display_name: str | None = None) -> bytes:
    """The spec's bytes, at most limits.MAX_BYTES of them; a file that cannot be read is
    a SpecError without a position (there is none to give)."""
    name = display_name or str(path)
    try:
        with open(path, "rb", opener=_nonblocking) as file:
            _refuse_special(os.fstat(file.fileno()), name)
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _unreadable(name, "no such file; check the path, or run `hitl-gen init` to create a spec") from None
    except IsADirectoryError:
        raise _unreadable(name, "is a folder; give the path of the spec file") from None
    except OSError as err:
        raise _unreadable(name, f"cannot read the spec: {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise _unreadable(name, f"larger than {MAX_BYTES // 1024 ** 2} MiB, the most hitl-gen reads (a spec of "
                          "1 000 handoffs is about 1.6 MB); check that this is the spec file")
    return data


def _nonblocking(path, flags: int) -> int:
    # Opening a FIFO would otherwise wait for a writer, for ever; regular files ignore the flag.
    return os.open(path, flags | os.O_NONBLOCK)


def _refuse_special(info: os.stat_result, name: str) -> None:
    """Only a regular file has an end: a device (/dev/zero) or a pipe may never end."""
    if not stat.S_ISREG(info.st_mode):
        raise _unreadable(name, f"is a {_KINDS.get(stat.S_IFMT(info.st_mode), 'special file')}, not a regular file; "
                          "save the spec to a file and give its path")


def _unreadable(name: str, message: str) -> SpecError:
    return SpecError([Problem(name, None, None, "", message)])
