"""The one way hitl-gen writes a file: whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, content: bytes, *, mode: int = 0o644, make_parent: bool = True) -> None:
    """Write through a temp file beside `path`, then rename over it: a reader (or a
    crash) sees the old file or the new one, never half of one. The temp name is
    fixed per process (cheaper than mkstemp's random names on large outputs), and
    the temp file is created with `mode` (less the umask), so a secret is never
    readable by others, not even for a moment."""
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.hitl-gen.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(tmp, flags, mode)
    except FileExistsError:  # left behind by a crashed run that had the same pid
        tmp.unlink()
        fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
