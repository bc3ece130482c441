"""Compare a render plan with disk, then write it atomically.

A manifest of content hashes remembers what hitl-gen last wrote, so a file that
still has that hash may be replaced, and a file the user edited since is a
conflict: reported, and nothing written, unless --force.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, NamedTuple

from hitl_gen.atomic import write_atomic
from hitl_gen.errors import OutputConflict
from hitl_gen.render.plan import PlannedFile

MANIFEST = ".hitl-gen-manifest.json"


class Change(NamedTuple):
    file: PlannedFile
    disk: Path
    shown: str   # how the user knows the file (its path, or its place in a bot archive)
    status: str  # new | changed | unchanged | conflict
    old: bytes | None
    reason: str = ""  # why a conflict is one


@dataclass(frozen=True)
class Manifest:
    """What hitl-gen last wrote: file hashes (by path under the root) and content elements."""

    path: Path
    files: dict[str, str]
    elements: dict[str, str]
    merged: dict[str, str] = field(default_factory=dict)  # merged files as last written
    inputs: dict = field(default_factory=dict)  # {"fingerprint", "bot"} of the last build

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, dict(data["files"]), dict(data.get("elements", {})), dict(data.get("merged", {})), dict(data.get("inputs") or {}))
        except (FileNotFoundError, NotADirectoryError, KeyError, TypeError, ValueError):
            return cls(path, {}, {})  # no earlier build here: every file in the way is then a conflict

    def serialised(self, files: dict[str, str], elements: dict[str, str], merged: dict[str, str], inputs: dict) -> bytes:
        body = {"generator": "hitl-gen", "inputs": inputs, "files": dict(sorted(files.items())),
                "merged": dict(sorted(merged.items())), "elements": dict(sorted(elements.items()))}
        return (json.dumps(body, indent=2) + "\n").encode("utf-8")

    def still_on_disk(self, locate) -> bool:
        """Every file the last build wrote still has the bytes it wrote."""
        for logical, digest in {**self.files, **self.merged}.items():
            disk = locate(PurePosixPath(logical))
            try:
                if sha256(disk.read_bytes()) != digest:
                    return False
            except OSError:
                return False
        return True


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Located(NamedTuple):
    """A planned file, where it goes on disk, and how the user knows that place."""

    file: PlannedFile
    disk: Path
    shown: str


def compare(plan: Iterable[Located], manifest: Manifest) -> list[Change]:
    changes = []
    for item in plan:
        planned, target = item.file, item.disk
        old = target.read_bytes() if target.is_file() else None
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
        changes.append(Change(planned, target, item.shown, status, old, reason))
    return changes


def unified_diff(changes: Iterable[Change]) -> str:
    import difflib

    out = []
    for change in changes:
        if change.status == "unchanged":
            continue
        old = (change.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = change.file.content.decode("utf-8").splitlines(keepends=True)
        name = change.shown
        out.extend(difflib.unified_diff(old, new, "/dev/null" if change.old is None else f"{name} (on disk)", f"{name} (generated)"))
    return "".join(out)


def apply(changes: list[Change], manifest: Manifest, elements: dict[str, str], *, force: bool, inputs: dict) -> list[Change]:
    """Write new and changed files; raise OutputConflict (writing nothing) on conflicts."""
    conflicts = [(c.shown, c.reason) for c in changes if c.status == "conflict"]
    if conflicts and not force:
        raise OutputConflict(conflicts, "rerun with --force to overwrite, or move your edits into the spec")
    written = [c for c in changes if c.status in ("new", "changed", "conflict")]
    for folder in {c.disk.parent for c in written}:
        folder.mkdir(parents=True, exist_ok=True)
    for change in written:
        write_atomic(change.disk, change.file.content, make_parent=False)
    files = {**manifest.files, **{str(c.file.path): sha256(c.file.content) for c in changes if not c.file.merged}}
    merged = {str(c.file.path): sha256(c.file.content) for c in changes if c.file.merged}
    write_atomic(manifest.path, manifest.serialised(files, elements, merged, inputs))
    return written
