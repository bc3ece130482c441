"""The one way hitl-gen writes a file: whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_atomic(path: Path | str, content: bytes, *, mode: int = 0o644, make_parent: bool = True,
                 durable: bool = False) -> os.stat_result:
    """Write through a temp file beside `path`, then rename over it: a reader (or a
    crash) sees the old file or the new one, never half of one. The temp name is
    fixed per process (cheaper than mkstemp's random names on large outputs), and
    the temp file is created with `mode` (less the umask), so a secret is never
    readable by others, not even for a moment. Returns the file's stat as written
    (taken before the rename, which keeps inode, size and mtime): the stat cache
    trusts the file while it still has them. Plain os calls on str paths: a large
    build writes 20 000 files, and Path objects and buffered file objects were a
    third of the time this took. `durable` flushes the bytes before the rename and
    the rename after it (fsync): for the few files a power loss must not empty (a
    build's journal, content-element files holding the bot's own elements); an error
    names `path`, never the temp file."""
    folder, name = os.path.split(os.fspath(path))
    if make_parent and folder:
        os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.hitl-gen.tmp")
    try:
        written = _through(tmp, path, content, mode, durable)
    except OSError as err:
        if err.filename in (None, tmp):  # os.write names no file; the user knows `path`
            err.filename = os.fspath(path)
        raise
    if durable:
        _sync_folder(folder or ".")
    return written


def _through(tmp: str, path: Path | str, content: bytes, mode: int, durable: bool) -> os.stat_result:
    try:
        fd = os.open(tmp, _FLAGS, mode)
    except FileExistsError:  # left behind by a crashed run that had the same pid
        os.unlink(tmp)
        fd = os.open(tmp, _FLAGS, mode)
    try:
        try:
            _write_all(fd, content)
            if durable:
                os.fsync(fd)
            written = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    return written


def _sync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
