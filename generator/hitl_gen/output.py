"""Compare a render plan with disk, then write it atomically.

A manifest of content hashes remembers what hitl-gen last wrote, so a file that
still has that hash may be replaced (or removed, once the spec no longer generates
it), and a file the user edited since is a conflict: reported, and nothing written,
unless --force. A journal (journal.py) says what a build is about to write before it
writes it, so one stopped half-way is finished by the next.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple

from hitl_gen import journal, stat_cache
from hitl_gen.atomic import write_atomic
from hitl_gen.errors import FileSystemRefused, OutputConflict
from hitl_gen.json_text import pretty

if TYPE_CHECKING:  # the render package is not imported by a build that finds itself up to date
    from hitl_gen.render.plan import PlannedFile

MANIFEST = ".hitl-gen-manifest.json"  # at the top of an output folder (-o)
# In a bot folder (--into, --archive): Botpress's Admin import drops dot-files, and an
# export carries this name back (seen on a real 12.22.1), so a bot moved by archive
# keeps it. Bots installed by an older hitl-gen have MANIFEST there: read, then replaced.
BOT_MANIFEST = "hitl-gen-manifest.json"

OVERWRITE_HINT = "rerun with --force to overwrite, or move your edits into the spec"
REMOVE_HINT = "rerun with --force to delete it, or move it elsewhere to keep your edits"
BOTH_HINT = "rerun with --force to overwrite or delete these files, or move your edits into the spec or elsewhere"


class Change(NamedTuple):
    file: PlannedFile
    disk: str    # where it is on disk
    shown: str   # how the user knows the file (its path, or its place in a bot archive)
    status: str  # new | changed | unchanged | removed | conflict
    old: bytes | None
    reason: str = ""  # why a conflict is one
    stale: bool = False  # the spec no longer generates it: removed, not written
    seen: os.stat_result | None = None  # the file's stat when `old` was read


@dataclass(frozen=True)
class Manifest:
    """What hitl-gen last wrote: file hashes (by path under the root) and content elements."""

    path: Path
    files: dict[str, str]
    elements: dict[str, str]
    merged: dict[str, str] = field(default_factory=dict)  # merged files as last written
    inputs: dict = field(default_factory=dict)  # {"fingerprint", "bot"} of the last build
    older: Path | None = None  # an older hitl-gen's manifest it was read from, replaced when written
    seen: os.stat_result | None = field(default=None, compare=False)  # its stat when read (the stat cache's key)
    pending: journal.Journal = journal.EMPTY  # what an interrupted build was writing beyond `files` and `elements`

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        pending = journal.read(journal.path_for(path))
        source = path
        if path.name == BOT_MANIFEST and not path.exists() and path.with_name(MANIFEST).is_file():
            source = path.with_name(MANIFEST)
        try:
            with open(source, "rb") as handle:
                seen = os.fstat(handle.fileno())
                data = json.loads(handle.read().decode("utf-8"))
            return cls(path, dict(data["files"]), dict(data.get("elements", {})), dict(data.get("merged", {})),
                       dict(data.get("inputs") or {}), source if source != path else None, seen if source == path else None,
                       pending)
        except (FileNotFoundError, NotADirectoryError, KeyError, TypeError, ValueError):
            return cls(path, {}, {}, pending=pending)  # no earlier build here: every file in the way is then a conflict

    def hashes(self, path: str) -> journal.Hashes:
        """Every content hitl-gen gave this path: the last build's, and an interrupted one's."""
        digest = self.files.get(path) or self.merged.get(path)
        return ((digest,) if digest else ()) + self.pending.files.get(path, ())

    def owned_elements(self) -> dict[str, journal.Hashes]:
        """Content element ids hitl-gen added, with the hashes it added them with."""
        owned = {element_id: (digest,) for element_id, digest in self.elements.items()}
        for element_id, hashes in self.pending.elements.items():
            owned[element_id] = owned.get(element_id, ()) + hashes
        return owned

    def paths(self) -> set[str]:
        """Every path hitl-gen wrote, or was writing when a build was stopped."""
        return {*self.files, *self.merged, *self.pending.files}

    def serialised(self, files: dict[str, str], elements: dict[str, str], merged: dict[str, str], inputs: dict) -> bytes:
        body = {"generator": "hitl-gen", "inputs": inputs, "files": dict(sorted(files.items())),
                "merged": dict(sorted(merged.items())), "elements": dict(sorted(elements.items()))}
        return (pretty(body, ensure_ascii=True) + "\n").encode("utf-8")

    def still_on_disk(self, locate: Callable[[str], str]) -> bool:
        """Every file the last build wrote still has the bytes it wrote. A file whose
        size, mtime and inode are those the stat cache recorded when it was written or
        last read is trusted unread (as git trusts its index); any other is read and
        hashed, and recorded for the next time."""
        known = stat_cache.load(self.path, self.seen)
        seen: dict[str, list[int]] = {}
        for logical, digest in {**self.files, **self.merged}.items():
            disk = locate(logical)
            try:
                if stat_cache.signature(os.stat(disk)) == known.get(logical):
                    seen[logical] = known[logical]
                    continue
                data, found = read_file(disk)
            except OSError:
                return False
            if data is None or sha256(data) != digest:
                return False
            seen[logical] = stat_cache.signature(found)
        if seen != known:
            stat_cache.save(self.path, self.seen, seen)
        return True


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_file(path: str | Path) -> tuple[bytes | None, os.stat_result | None]:
    """A regular file's bytes and its stat taken before reading them (None, None for
    anything else, as Path.is_file would say), through one descriptor: comparing a
    large build reads 20 000 files."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            return None, None
        chunks = []
        while chunk := os.read(fd, max(found.st_size + 1, 65536)):
            chunks.append(chunk)
        return b"".join(chunks), found
    finally:
        os.close(fd)


def _read_if_file(path: str) -> tuple[bytes | None, os.stat_result | None]:
    try:
        return read_file(path)
    except (FileNotFoundError, NotADirectoryError):
        return None, None


class Located(NamedTuple):
    """A planned file, where it goes on disk, and how the user knows that place."""

    file: PlannedFile
    disk: str
    shown: str


def compare(plan: Iterable[Located], manifest: Manifest) -> list[Change]:
    changes = []
    for item in plan:
        planned, target = item.file, item.disk
        old, seen = _read_if_file(target)
        status, reason = "changed", ""
        if old is None:
            status = "new"
        elif old == planned.content:
            status = "unchanged"
        elif planned.merged:  # the bot's own elements are kept; only our edited ones conflict
            if planned.edited_elements:
                status, reason = "conflict", f"content elements {', '.join(planned.edited_elements)} were edited since hitl-gen wrote them"
        elif not (known := manifest.hashes(str(planned.path))):
            status, reason = "conflict", "exists and was not written by hitl-gen"
        elif old and sha256(old) not in known:  # empty: what a power loss can leave of a file being written
            status, reason = "conflict", "changed since hitl-gen wrote it"
        changes.append(Change(planned, target, item.shown, status, old, reason, seen=seen))
    return changes


def compare_stale(stale: Iterable[Located], manifest: Manifest) -> list[Change]:
    """Files the manifest lists that the plan no longer has: removed if they still have
    the bytes hitl-gen wrote, a conflict if edited since. One already gone needs nothing
    (the new manifest just leaves it out). A merged content-element file is planned
    whenever the bot has it, so one is stale only in a bot folder no longer built (an
    output folder whose target.bot changed), where every element in it is hitl-gen's.
    A path only an interrupted build's journal names, holding other bytes, was never
    written by hitl-gen: it is left alone."""
    changes = []
    for item in stale:
        old, _ = _read_if_file(item.disk)
        if old is None:
            continue
        path = str(item.file.path)
        if not old or sha256(old) in manifest.hashes(path):
            changes.append(Change(item.file, item.disk, item.shown, "removed", old, stale=True))
        elif path not in manifest.files and path not in manifest.merged:
            continue
        else:
            changes.append(Change(item.file, item.disk, item.shown, "conflict", old,
                                  "changed since hitl-gen wrote it, and the spec no longer generates it", stale=True))
    return changes


def unified_diff(changes: Iterable[Change]) -> str:
    import difflib

    out = []
    for change in changes:
        if change.status == "unchanged":
            continue
        old = (change.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = [] if change.stale else change.file.content.decode("utf-8").splitlines(keepends=True)
        name = change.shown
        out.extend(difflib.unified_diff(old, new, "/dev/null" if change.old is None else f"{name} (on disk)",
                                        "/dev/null" if change.stale else f"{name} (generated)"))
    return "".join(out)


def refusal(changes: Iterable[Change], force: bool) -> OutputConflict | None:
    """The error a build raises, writing nothing, when files are in the way: the user's
    edits, or files hitl-gen did not write. None with `force`, which overwrites them."""
    conflicts = [c for c in changes if c.status == "conflict"]
    return OutputConflict([(c.shown, c.reason) for c in conflicts], _hint(conflicts)) if conflicts and not force else None


def apply(changes: list[Change], manifest: Manifest, elements: dict[str, str], *, force: bool, inputs: dict,
          kept: Iterable[str] = (), roots: Iterable[Path] = (), remember: bool = False,
          leftovers: Iterable[str] = ()) -> list[Change]:
    """Write new and changed files and remove stale ones; raise OutputConflict (writing
    nothing) on conflicts. The new manifest lists what the plan wrote, plus `kept`:
    earlier files this build could not place (and so left alone). Folders emptied by a
    removal go too, up to the `roots`, which stay. With `remember` (a destination that
    outlives the build), a journal announces what is written before it is, temp files
    an interrupted build left in the `leftovers` folders go, and the stat cache records
    every current file as written or read (a staged archive is worth none of this)."""
    refused = refusal(changes, force)
    if refused is not None:
        raise refused
    current = [c for c in changes if not c.stale]
    files = {**{path: manifest.files[path] for path in kept if path in manifest.files},
             **{str(c.file.path): sha256(c.file.content) for c in current if not c.file.merged}}
    merged = {str(c.file.path): sha256(c.file.content) for c in current if c.file.merged}
    written = [c for c in current if c.status in ("new", "changed", "conflict")]
    if remember:
        hashes = {**files, **merged}
        _announce(manifest, {str(c.file.path): hashes[str(c.file.path)] for c in written}, elements, leftovers)
    removed = _remove([c for c in changes if c.stale], roots)
    seen = _write(written, changes)
    _record(manifest, files, elements, merged, inputs, seen if remember else None)
    return written + removed


def _announce(manifest: Manifest, writing: dict[str, str], elements: dict[str, str], leftovers: Iterable[str]) -> None:
    """Before anything changes: the journal, when this build writes anything (its
    recovery needs it), and no temp file of an interrupted build left behind."""
    journal.sweep({*leftovers, str(manifest.path.parent)})
    if writing:
        owned = manifest.owned_elements()
        journal.write(journal.path_for(manifest.path), journal.extended(
            manifest.pending, writing, elements, manifest.hashes, lambda element_id: owned.get(element_id, ())))


def _remove(removed: list[Change], roots: Iterable[Path]) -> list[Change]:
    # Removed first: a renamed handoff may put a folder where a removed file was.
    for change in removed:
        Path(change.disk).unlink(missing_ok=True)
    _prune({Path(c.disk).parent for c in removed}, set(roots))
    return removed


def _write(written: list[Change], changes: list[Change]) -> dict[str, os.stat_result]:
    """Each file whole or not at all; a merged content-element file durably (it holds
    the bot's own elements, which no journal can bring back). Returns every current
    file's stat as written or read."""
    for folder in {os.path.dirname(c.disk) for c in written}:
        os.makedirs(folder, exist_ok=True)
    seen = {str(c.file.path): c.seen for c in changes if c.status == "unchanged" and c.seen is not None}
    for change in written:
        seen[str(change.file.path)] = write_atomic(change.disk, change.file.content, make_parent=False,
                                                   durable=change.file.merged)
    return seen


def _record(manifest: Manifest, files: dict[str, str], elements: dict[str, str], merged: dict[str, str], inputs: dict,
            seen: dict[str, os.stat_result] | None) -> None:
    """The final manifest, durably (on disk before the journal goes, or a power loss could
    leave neither), then no journal: the job is done."""
    if files or elements:
        itself = write_atomic(manifest.path, manifest.serialised(files, elements, merged, inputs), durable=True)
        if seen is not None:
            stat_cache.save(manifest.path, itself, {path: stat_cache.signature(found) for path, found in seen.items()})
    else:  # nothing of hitl-gen's is left (undeploy): neither is its manifest
        manifest.path.unlink(missing_ok=True)
    if manifest.older is not None:
        manifest.older.unlink(missing_ok=True)  # replaced by the manifest just written
    journal.path_for(manifest.path).unlink(missing_ok=True)


def _hint(conflicts: list[Change]) -> str:
    """How to settle the conflicts: a file to write and a file to remove are settled differently."""
    if all(c.stale for c in conflicts):
        return REMOVE_HINT
    return BOTH_HINT if any(c.stale for c in conflicts) else OVERWRITE_HINT


def _prune(folders: set[Path], roots: set[Path]) -> None:
    """Remove the folders a removal left empty, and their parents while empty, below
    the roots. os.rmdir only ever removes an empty folder: one holding anything of the
    user's stays, with everything in it."""
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        while folder not in roots and any(folder.is_relative_to(root) for root in roots):
            try:
                os.rmdir(folder)
            except OSError:  # not empty (or already gone with a deeper one): stop climbing
                break
            folder = folder.parent


_OS_FIXES = {
    errno.ENOSPC: "no space left on the device; free some space, then build again: it finishes what this build started",
    errno.EDQUOT: "over the disk quota; free some space, then build again: it finishes what this build started",
    errno.EROFS: "the file system is read-only; build into a folder you can write to",
    errno.EACCES: "permission denied; give your user access to it, or build into a folder you can write to",
    errno.EPERM: "permission denied; give your user access to it, or build into a folder you can write to",
    errno.EISDIR: "a folder is where hitl-gen writes a file; move the folder away, then build again",
    errno.ENOTDIR: "a file is where hitl-gen needs a folder; move the file away, or build elsewhere",
    errno.EEXIST: "a file is where hitl-gen needs a folder; move the file away, or build elsewhere",
}


@contextmanager
def os_errors(shown: Callable[[str], str] = str) -> Iterator[None]:
    """An OSError from reading or writing the destination as one line (FileSystemRefused):
    the file as the user knows it (`shown`), what the system said, and what to do."""
    try:
        yield
    except OSError as err:
        raise file_system_refused(err, shown) from None


def file_system_refused(err: OSError, shown: Callable[[str], str] = str) -> FileSystemRefused:
    path = err.filename
    if err.errno in (errno.ENOTDIR, errno.EEXIST) and path is not None:
        path = _file_in_the_way(os.fspath(path))  # os names the folder it could not make, not the file in its way
    what = _OS_FIXES.get(err.errno) or f"{err.strerror or err}; fix that, then build again"
    if path is None:
        return FileSystemRefused(what, subject="hitl-gen", where="output")
    try:
        subject = shown(os.fspath(path))
    except ValueError:  # outside a staged archive's folder: the archive itself
        subject = os.fspath(path)
    return FileSystemRefused(what, subject=subject, where="output")


def _file_in_the_way(path: str) -> str:
    """The nearest of `path` and its parents that exists and is not a folder."""
    probe = path
    while probe and probe != os.path.dirname(probe):
        if os.path.lexists(probe) and not os.path.isdir(probe):
            return probe
        probe = os.path.dirname(probe)
    return path
