"""What a build saw of the files it wrote, so an up-to-date check need not read them.

The manifest says which bytes every file had; this cache says which size, mtime and
inode each file had when those bytes were written (or last read and hashed). A file
that still has all three is trusted unread, as git trusts its index: reading and
hashing the 20 000 files of a large build took longer than the imports a check needs.
Anything else (another inode, size or time, a manifest rewritten since, a missing or
broken cache) means reading and hashing, so losing the cache costs only speed.

It lives in the user's cache folder ($XDG_CACHE_HOME/hitl-gen/stat, one entry per
manifest), not beside the manifest: machine-local times in the manifest would make it
differ on every build, and a bot folder's files travel (exports, archives, git).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

KEEP = 64  # entries kept: one per place built into; the oldest go first

Signature = list  # [size, mtime_ns, inode], as JSON keeps it


def signature(found: os.stat_result) -> Signature:
    return [found.st_size, found.st_mtime_ns, found.st_ino]


def _folder() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hitl-gen", "stat")


def _entry(manifest: Path) -> str:
    key = hashlib.sha256(os.fsencode(os.path.abspath(manifest))).hexdigest()[:32]
    return os.path.join(_folder(), f"{key}.json")


def load(manifest: Path, manifest_seen: os.stat_result | None) -> dict[str, Signature]:
    """The signatures recorded for the files of `manifest`, if recorded for this very
    manifest file (same size, mtime and inode); else none."""
    if manifest_seen is None:
        return {}
    try:
        with open(_entry(manifest), "rb") as handle:
            data = json.loads(handle.read())
        if data["manifest"] == signature(manifest_seen) and isinstance(data["files"], dict):
            return data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return {}


def save(manifest: Path, manifest_seen: os.stat_result | None, files: dict[str, Signature]) -> None:
    """Record `files` for the manifest as it is now; a cache that cannot be written is
    no error (the next check reads the files)."""
    from hitl_gen.atomic import write_atomic

    if manifest_seen is None:
        return
    body = json.dumps({"manifest": signature(manifest_seen), "files": files}, separators=(",", ":"))
    try:
        write_atomic(_entry(manifest), body.encode("utf-8"), mode=0o600)
        _prune()
    except OSError:
        pass


def _prune() -> None:
    entries = sorted(os.scandir(_folder()), key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
    for entry in entries[KEEP:]:
        try:
            os.unlink(entry.path)
        except OSError:
            pass
