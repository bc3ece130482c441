"""hitl-gen's Botpress module: the Studio skill "Talk to an agent".

`hitl-gen module -o MODULES_DIR` writes it as the folder `MODULES_DIR/hitl-gen` (a
Botpress 12 module is a folder under the server's `modules/` with `package.json` and
`dist/backend/index.js`, enabled in `data/global/botpress.config.json` as
`{"location": "MODULES_ROOT/hitl-gen", "enabled": true}`); `--archive FILE.tgz` packs
the same files with no top folder, as Botpress's own module packager does: saved as
`modules/hitl-gen.tgz` it is extracted at start (seen on 12.22.1); the Admin's upload
accepts it but stores it in data/modules, which only the packaged binary reads.

The module is plain JavaScript kept in `files/` (its backend and the Studio form): no
build step. The backend is stored as `files/backend/index.js` and written as
`dist/backend/index.js`, since `dist/` is ignored by the repository and the wheel.
Beside it, `dist/backend/texts.json` is hitl-gen's table of the texts a builder may
change in the form (hitl_gen/studio_texts.py), written from Python at each write.

Files are written atomically. A file that is there and differs is replaced when hitl-gen
wrote it (its manifest says so: an earlier version, or a write stopped half-way), and is
otherwise a conflict (exit 2, nothing written) unless `force`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from hitl_gen import __version__, studio_texts
from hitl_gen.errors import DestinationError, OutputConflict
from hitl_gen.resources import BOTPRESS_MODULE as FILES

NAME = "hitl-gen"
SKILL = "TalkToAgent"
MANIFEST = ".hitl-gen-module.json"  # in the module folder: what hitl-gen wrote there (Botpress ignores it)
# What the Studio loads, where (module path -> file in the package).
_SOURCES = {
    "dist/backend/index.js": "backend/index.js",
    "assets/web/full.bundle.js": "web/full.bundle.js",
}


def module_files() -> dict[str, bytes]:
    """The module's files, by their path inside the module folder, in a fixed order."""
    package = {
        "name": NAME,
        "fullName": "hitl-gen",
        "version": __version__,
        "description": 'The Studio skill "Talk to an agent": runs a handoff that hitl-gen installed in the bot',
        "private": True,
        "main": "dist/backend/index.js",
        "license": "MIT",
    }
    files = {"package.json": (json.dumps(package, indent=2) + "\n").encode()}
    files.update({target: (FILES / source).read_bytes() for target, source in _SOURCES.items()})
    # The rules the backend checks the builder's texts with: hitl-gen's own table.
    files["dist/backend/texts.json"] = (json.dumps(studio_texts.module_table(), indent=2) + "\n").encode()
    return dict(sorted(files.items()))


def config_entry() -> dict:
    """The entry of `modules` in data/global/botpress.config.json that enables it."""
    return {"location": f"MODULES_ROOT/{NAME}", "enabled": True}


@dataclass
class ModuleReport:
    destination: str
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)


def write_module(output: Path | None = None, archive: Path | None = None, *, force: bool = False) -> ModuleReport:
    """Write the module as a folder under `output`, or as the archive `archive`."""
    if (output is None) == (archive is None):
        raise DestinationError("give either -o MODULES_DIR or --archive FILE.tgz", subject="hitl-gen", where="module")
    files = module_files()
    if archive is not None:
        return _write_archive(archive, files, force)
    return _write_folder(output, files, force)


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _recorded(manifest: Path) -> dict[str, list[str]]:
    """What hitl-gen wrote in the folder: path -> the hashes it gave it (one, or two while
    a write was under way). Unreadable or absent: nothing is known to be ours."""
    try:
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        return {path: list(hashes) for path, hashes in files.items() if isinstance(hashes, list)}
    except (OSError, ValueError, AttributeError):
        return {}


def _manifest_bytes(files: dict[str, list[str]]) -> bytes:
    return (json.dumps({"hitl_gen": __version__, "files": dict(sorted(files.items()))}, indent=2) + "\n").encode()


def _write_folder(output: Path, files: dict[str, bytes], force: bool) -> ModuleReport:
    """A file that is there is replaced when it holds what hitl-gen wrote (a hash its
    manifest, `.hitl-gen-module.json`, records: an earlier version, or a write stopped
    half-way), else only with `force`. The manifest is written first with both the old
    and the new hashes, and again with the new ones once every file is in place, so a
    write stopped anywhere is finished by the next one, without --force."""
    from hitl_gen.atomic import write_atomic
    from hitl_gen.output import os_errors

    folder = output / NAME
    manifest = folder / MANIFEST
    report = ModuleReport(str(folder))
    with os_errors():
        if output.exists() and not output.is_dir():
            raise DestinationError("the output path is a file, not a folder; give the server's modules folder",
                                   subject=output, where="-o")
        recorded = _recorded(manifest)
        to_write, conflicts = [], []
        for relative, content in files.items():
            path = folder / relative
            if path.exists() and not path.is_file():
                raise DestinationError("a folder is where the module has a file; move it away, then write the module again",
                                       subject=path, where="-o")
            current = _sha(path.read_bytes()) if path.is_file() else None
            if current == _sha(content):
                report.unchanged.append(relative)
            elif current is None or current in recorded.get(relative, ()) or force:
                to_write.append(relative)
            else:
                why = "edited since hitl-gen wrote it" if relative in recorded else "not written by hitl-gen"
                conflicts.append((str(path), why))
        if conflicts:
            raise OutputConflict(conflicts, "use --force to replace it with this version, or write the module elsewhere")
        final = {relative: [_sha(content)] for relative, content in files.items()}
        if to_write:
            pending = {relative: sorted(set(recorded.get(relative, [])) | {_sha(files[relative])}) for relative in files}
            write_atomic(manifest, _manifest_bytes(pending), durable=True)
            for relative in to_write:
                write_atomic(folder / relative, files[relative])
                report.written.append(relative)
        if not manifest.is_file() or manifest.read_bytes() != _manifest_bytes(final):
            write_atomic(manifest, _manifest_bytes(final), durable=True)
    report.next_steps = [
        f'enable it: add {json.dumps(config_entry())} to "modules" in data/global/botpress.config.json '
        f"(when {output} is not the server's modules folder, give its absolute path as location: "
        f'"{folder.resolve()}")',
        "restart Botpress; the Studio's Insert skill menu then offers \"Talk to an agent\"",
    ]
    return report


def _write_archive(archive: Path, files: dict[str, bytes], force: bool) -> ModuleReport:
    from hitl_gen.archive import tgz
    from hitl_gen.atomic import write_atomic
    from hitl_gen.output import os_errors

    content = tgz(files)
    report = ModuleReport(str(archive))
    with os_errors():
        if archive.is_dir():
            raise DestinationError("the archive path is a folder; give a file name ending in .tgz",
                                   subject=archive, where="--archive")
        if archive.exists():
            if archive.read_bytes() == content:
                report.unchanged = list(files)
                return report
            if not force:
                raise OutputConflict([(str(archive), "exists and differs from this hitl-gen's module")],
                                     "use --force to replace it, or pick another name")
        write_atomic(archive, content)
    report.written = list(files)
    report.next_steps = [
        f"put it in the server's modules folder as {NAME}.tgz (Botpress extracts it at start), or upload it in the "
        f"Admin's Modules page (the packaged Botpress binary only: a server run from source never looks in data/modules)",
        f'enable it: add {json.dumps(config_entry())} to "modules" in data/global/botpress.config.json, then restart Botpress',
    ]
    return report

