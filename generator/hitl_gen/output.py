"""Compare a render plan with disk, then write it atomically.

A manifest of content hashes remembers what hitl-gen last wrote, so a file that
still has that hash may be replaced (or removed, once the spec no longer generates
it), and a file the user edited since is a conflict: reported, and nothing written,
unless --force.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, NamedTuple

from hitl_gen import stat_cache
from hitl_gen.atomic import write_atomic
from hitl_gen.errors import OutputConflict
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

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        source = path
        if path.name == BOT_MANIFEST and not path.exists() and path.with_name(MANIFEST).is_file():
            source = path.with_name(MANIFEST)
        try:
            with open(source, "rb") as handle:
                seen = os.fstat(handle.fileno())
                data = json.loads(handle.read().decode("utf-8"))
            return cls(path, dict(data["files"]), dict(data.get("elements", {})), dict(data.get("merged", {})),
                       dict(data.get("inputs") or {}), source if source != path else None, seen if source == path else None)
        except (FileNotFoundError, NotADirectoryError, KeyError, TypeError, ValueError):
            return cls(path, {}, {})  # no earlier build here: every file in the way is then a conflict

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
        elif str(planned.path) not in manifest.files:
            status, reason = "conflict", "exists and was not written by hitl-gen"
        elif manifest.files[str(planned.path)] != sha256(old):
            status, reason = "conflict", "changed since hitl-gen wrote it"
        changes.append(Change(planned, target, item.shown, status, old, reason, seen=seen))
    return changes


def compare_stale(stale: Iterable[Located], manifest: Manifest) -> list[Change]:
    """Files the manifest lists that the plan no longer has: removed if they still have
    the bytes hitl-gen wrote, a conflict if edited since. One already gone needs nothing
    (the new manifest just leaves it out). A merged content-element file is planned
    whenever the bot has it, so one is stale only in a bot folder no longer built (an
    output folder whose target.bot changed), where every element in it is hitl-gen's."""
    written = {**manifest.files, **manifest.merged}
    changes = []
    for item in stale:
        old, _ = _read_if_file(item.disk)
        if old is None:
            continue
        if sha256(old) == written[str(item.file.path)]:
            changes.append(Change(item.file, item.disk, item.shown, "removed", old, stale=True))
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


def apply(changes: list[Change], manifest: Manifest, elements: dict[str, str], *, force: bool, inputs: dict,
          kept: Iterable[str] = (), roots: Iterable[Path] = (), remember: bool = False) -> list[Change]:
    """Write new and changed files and remove stale ones; raise OutputConflict (writing
    nothing) on conflicts. The new manifest lists what the plan wrote, plus `kept`:
    earlier files this build could not place (and so left alone). Folders emptied by a
    removal go too, up to the `roots`, which stay. With `remember`, the stat cache
    records every current file as written or read (a staged archive is not worth it)."""
    conflicts = [c for c in changes if c.status == "conflict"]
    if conflicts and not force:
        raise OutputConflict([(c.shown, c.reason) for c in conflicts], _hint(conflicts))
    # Removed first: a renamed handoff may put a folder where a removed file was.
    removed = [c for c in changes if c.stale]
    for change in removed:
        Path(change.disk).unlink(missing_ok=True)
    _prune({Path(c.disk).parent for c in removed}, set(roots))
    written = [c for c in changes if c.status in ("new", "changed", "conflict") and not c.stale]
    for folder in {os.path.dirname(c.disk) for c in written}:
        os.makedirs(folder, exist_ok=True)
    seen = {str(c.file.path): c.seen for c in changes if c.status == "unchanged" and c.seen is not None}
    for change in written:
        seen[str(change.file.path)] = write_atomic(change.disk, change.file.content, make_parent=False)
    current = [c for c in changes if not c.stale]
    files = {**{path: manifest.files[path] for path in kept if path in manifest.files},
             **{str(c.file.path): sha256(c.file.content) for c in current if not c.file.merged}}
    merged = {str(c.file.path): sha256(c.file.content) for c in current if c.file.merged}
    if files or elements:
        itself = write_atomic(manifest.path, manifest.serialised(files, elements, merged, inputs))
        if remember:
            stat_cache.save(manifest.path, itself, {path: stat_cache.signature(found) for path, found in seen.items()})
    else:  # nothing of hitl-gen's is left (undeploy): neither is its manifest
        manifest.path.unlink(missing_ok=True)
    if manifest.older is not None:
        manifest.older.unlink(missing_ok=True)  # replaced by the manifest just written
    return written + removed


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
