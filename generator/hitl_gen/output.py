"""Compare a render plan with disk, then write it atomically.

A manifest of content hashes remembers what hitl-gen last wrote, so a file that
still has that hash may be replaced, and a file the user edited since is a
conflict: reported, and nothing written, unless --force.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from hitl_gen.errors import OutputConflict
from hitl_gen.render.plan import PlannedFile

MANIFEST = ".hitl-gen-manifest.json"


@dataclass(frozen=True)
class Change:
    file: PlannedFile
    status: str  # new | changed | unchanged | conflict
    old: bytes | None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(root: Path) -> dict[str, str]:
    try:
        return json.loads((root / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (FileNotFoundError, KeyError, ValueError):
        return {}


def compare(plan: Iterable[PlannedFile], root: Path) -> list[Change]:
    manifest = read_manifest(root)
    changes = []
    for planned in plan:
        target = root / planned.path
        old = target.read_bytes() if target.is_file() else None
        if old is None:
            status = "new"
        elif old == planned.content:
            status = "unchanged"
        elif manifest.get(str(planned.path)) == sha256(old):
            status = "changed"
        else:
            status = "conflict"
        changes.append(Change(planned, status, old))
    return changes


def unified_diff(changes: Iterable[Change]) -> str:
    out = []
    for change in changes:
        if change.status == "unchanged":
            continue
        old = (change.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = change.file.content.decode("utf-8").splitlines(keepends=True)
        name = str(change.file.path)
        out.extend(difflib.unified_diff(old, new, "/dev/null" if change.old is None else f"a/{name}", f"b/{name}"))
    return "".join(out)


def apply(changes: list[Change], root: Path, *, force: bool) -> list[Change]:
    """Write new and changed files; raise OutputConflict (writing nothing) on conflicts."""
    conflicts = [str(root / c.file.path) for c in changes if c.status == "conflict"]
    if conflicts and not force:
        raise OutputConflict(conflicts, "rerun with --force to overwrite, or move your edits into the spec")
    written = [c for c in changes if c.status in ("new", "changed", "conflict")]
    for change in written:
        write_atomic(root / change.file.path, change.file.content)
    manifest = read_manifest(root)
    manifest.update({str(c.file.path): sha256(c.file.content) for c in changes})
    body = json.dumps({"generator": "hitl-gen", "files": dict(sorted(manifest.items()))}, indent=2) + "\n"
    write_atomic(root / MANIFEST, body.encode("utf-8"))
    return written


def write_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
