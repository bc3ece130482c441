"""The journal of a build under way: whatever stops it (kill -9, power loss, a full
disk, an error half-way), the next build knows what it may have left.

Files are written one by one and the manifest last. Without a journal, a build
stopped in between left files no manifest lists: every later build took them for the
user's (a conflict each), and the content elements it had merged into the bot's own
files for the bot's own (kept, then added again under new ids: duplicates). So before
anything changes, the build writes durably, beside the manifest, the hash it is about
to give every path it writes and every content element (id and hash) it adds beyond
what the manifest lists. The next build reads both: a file holding a hash either one
gives its path is hitl-gen's, and so is an element either one lists; it then writes
what the plan says and removes the journal once the final manifest is in place. A
build that finds a journal extends it rather than replacing it: a second interruption
must not forget what the first one may have left.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

from hitl_gen.atomic import write_atomic
from hitl_gen.errors import DestinationError

Hashes = tuple[str, ...]

# write_atomic's temp files: `.<name>.<pid>.hitl-gen.tmp`
_TEMP = re.compile(r"\..+\.[0-9]+\.hitl-gen\.tmp")


class Journal(NamedTuple):
    files: dict[str, Hashes]     # logical path -> hashes a build was giving it
    elements: dict[str, Hashes]  # content element id -> hashes a build was adding it with

    def __bool__(self) -> bool:  # a NamedTuple of two fields is always true otherwise
        return bool(self.files or self.elements)


EMPTY = Journal({}, {})


def path_for(manifest: Path) -> Path:
    """Beside the manifest, named after it: `hitl-gen-manifest.journal.json`."""
    return manifest.with_name(manifest.name.removesuffix(".json") + ".journal.json")


def read(path: Path) -> Journal:
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
        return Journal(_hashes(data["files"]), _hashes(data["elements"]))
    except (FileNotFoundError, NotADirectoryError):
        return EMPTY
    except (KeyError, TypeError, AttributeError, ValueError):
        # Written atomically, so only a hand edit breaks it: guessing would adopt or duplicate.
        raise DestinationError("the journal of an interrupted build cannot be read, so hitl-gen cannot tell its files "
                               "and content elements from the bot's; restore the folder from a backup, or delete the "
                               "journal and rerun with --force", subject=path, where="output") from None


def _hashes(table: dict) -> dict[str, Hashes]:
    return {key: tuple(str(h) for h in value) for key, value in table.items()}


def extended(journal: Journal, files: dict[str, str], elements: dict[str, str],
             known_file: Callable[[str], Hashes], known_element: Callable[[str], Hashes]) -> Journal:
    """`journal` plus every path about to be written (with its hash) and every element
    hash the manifest and `journal` do not have yet."""
    paths = dict(journal.files)
    for path, digest in files.items():
        paths[path] = _with(paths.get(path, ()), digest)
    ids = dict(journal.elements)
    for element_id, digest in elements.items():
        if digest not in known_element(element_id):
            ids[element_id] = _with(ids.get(element_id, ()), digest)
    return Journal(paths, ids)


def _with(hashes: Hashes, digest: str) -> Hashes:
    return hashes if digest in hashes else (*hashes, digest)


def write(path: Path, journal: Journal) -> None:
    """Durably: it must be on disk before the first file it announces is."""
    body = {"generator": "hitl-gen", "journal": 1, "files": dict(sorted(journal.files.items())),
            "elements": dict(sorted(journal.elements.items()))}
    write_atomic(path, json.dumps(body, separators=(",", ":")).encode("utf-8"), durable=True)


def sweep(folders: Iterable[str]) -> None:
    """Remove the temp files a killed build left (write_atomic's, named after their pid):
    beside the files it was writing, and the manifest's folder (journal, manifest)."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if _TEMP.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
