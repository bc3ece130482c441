"""The build, one pipeline for every destination (-o, --into, --archive): read the
spec once and the manifest once; skip rendering when the last build is still on disk;
else plan, compare with what is there (files of the last build that the plan no longer
has included: they are removed), and apply. It never prints: it returns a
BuildReport, and raises only the HitlGenError family."""

from __future__ import annotations

import gc
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterator, NamedTuple

from hitl_gen import fingerprint
from hitl_gen.destination import Destination, Placement, check_bot_languages, language_notes
from hitl_gen.errors import HitlGenError, OutputConflict, UsageError
from hitl_gen.output import Change, Located, Manifest, apply, compare, compare_stale, os_errors, refusal, unified_diff
from hitl_gen.spec.read import read_spec_bytes

# The spec and render packages (YAML, JSON Schema, Jinja) are imported once the
# build knows it has to render: a check that finds the output up to date needs none.
if TYPE_CHECKING:
    from hitl_gen.render.plan import ExistingBot, Plan
    from hitl_gen.spec.model import Spec


class Mode(Enum):
    WRITE = "write"
    COMPARE = "compare"  # --dry-run and --check: say what would change, write nothing


class FileOutcome(NamedTuple):
    path: str    # as the user knows it (inside the archive, for --archive)
    status: str  # new | changed | unchanged | removed | conflict (overwritten, or removed, with force; else only ever compared)
    stale: bool = False  # written by an earlier build, no longer generated: removed, or to be removed


@dataclass(frozen=True)
class BuildReport:
    destination: Path              # what the user named: OUT, the bot folder, or OUT.tgz
    mode: Mode
    files: tuple[FileOutcome, ...] = ()
    notes: tuple[str, ...] = ()    # what the user should know, e.g. languages the bot does not list
    diff: str = ""                 # unified diff of what would change (Mode.COMPARE)
    shortcut: bool = False         # known up to date from the manifest alone; nothing was rendered
    refused: OutputConflict | None = field(default=None, compare=False)  # Mode.COMPARE: what the build would raise
    spec: Spec | None = field(default=None, compare=False, repr=False)  # what was built (None for the shortcut)

    @property
    def pending(self) -> tuple[FileOutcome, ...]:
        """Files that differ from what the destination holds: written, or to be written."""
        return tuple(f for f in self.files if f.status != "unchanged")

    @property
    def written(self) -> tuple[FileOutcome, ...]:
        """Pending files the build writes (or would write)."""
        return tuple(f for f in self.pending if not f.stale)

    @property
    def removed(self) -> tuple[FileOutcome, ...]:
        """Pending files the build removes (or would remove): the spec no longer generates them."""
        return tuple(f for f in self.pending if f.stale)

    @property
    def up_to_date(self) -> bool:
        """Nothing differs: known from the manifest (the shortcut), or after comparing every file."""
        return not self.pending

    @property
    def unchanged(self) -> int:
        return len(self.files) - len(self.pending)


def build(spec_path: Path, destination: Destination, mode: Mode = Mode.WRITE, *, force: bool = False,
          bot: str | None = None, remove: bool = False) -> BuildReport:
    """Build the spec at `spec_path` into `destination`. With `force`, files edited since
    hitl-gen wrote them are overwritten (and the shortcut is not taken); without it, they
    raise OutputConflict before anything is written. `bot` renders the spec for another
    bot id than its target.bot (deploy --bot); `remove` plans nothing, so everything an
    earlier build installed goes, and our content elements leave the bot's files (undeploy)."""
    spec_bytes = read_spec_bytes(spec_path)
    known = destination.manifest_path()
    with os_errors():
        manifest = Manifest.read(known) if known is not None else None
    if manifest is not None and not (force or bot or remove) and _up_to_date(spec_bytes, destination, manifest):
        return BuildReport(destination.path, mode, shortcut=True)
    with _no_cycle_collection():
        return _build(spec_path, spec_bytes, destination, mode, manifest, force=force, bot=bot, remove=remove)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A build allocates millions of objects that live until it ends (YAML nodes, the
    spec, rendered files) and makes almost no reference cycles; the cyclic collector
    kept traversing them all, which took a third of a 1 000-handoff build (parsing
    alone ran four times slower). Reference counting still frees everything else."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(spec_path: Path, spec_bytes: bytes, destination: Destination, mode: Mode, manifest: Manifest | None, *,
           force: bool, bot: str | None, remove: bool) -> BuildReport:
    from hitl_gen.spec.load import parse_spec

    spec = _for_bot(parse_spec(spec_bytes, spec_path), bot)
    with os_errors(), destination.prepared(spec) as placement, os_errors(placement.shown):
        if placement.into_bot and not remove:
            check_bot_languages(spec, placement)
        manifest = manifest if manifest is not None else Manifest.read(placement.manifest)
        plan, changes, kept = _plan(spec, placement, manifest, remove)
        notes = language_notes(spec, placement) if placement.into_bot else []
        if any(c.stale for c in changes):
            notes += destination.removal_notes()
        if mode is Mode.WRITE:
            apply(changes, manifest, plan.elements, force=force, kept=kept,
                  roots=[p for p in (placement.root, placement.bot_dir, placement.global_dir) if p is not None],
                  inputs=fingerprint.inputs(spec_bytes, placement.into_bot, spec.target.bot),
                  remember=destination.manifest_path() is not None, leftovers=_leftovers(placement, manifest))
            destination.deliver(placement)
    return BuildReport(destination.path, mode, tuple(FileOutcome(c.shown, c.status, c.stale) for c in changes), tuple(notes),
                       unified_diff(changes) if mode is Mode.COMPARE else "", spec=spec,
                       refused=refusal(changes, force) if mode is Mode.COMPARE else None)


def _leftovers(placement: Placement, manifest: Manifest) -> set[str]:
    """The folders an interrupted build was writing into (its temp files may be there)."""
    folders = set()
    for logical in manifest.pending.files:
        try:
            folders.add(os.path.dirname(placement.disk(logical)))
        except HitlGenError:  # a place this destination cannot reach: nothing of ours to sweep there
            continue
    return folders


def _up_to_date(spec_bytes: bytes, destination: Destination, manifest: Manifest) -> bool:
    """True when the same spec was built here by this hitl-gen and nothing was touched
    since: rendering again would reproduce the same bytes. Never hides an edited or
    deleted file: every file the manifest lists must still have its bytes."""
    bot = manifest.inputs.get("bot")
    if manifest.pending:  # a build was stopped half-way: only a full one finishes its job
        return False
    if not bot or manifest.inputs != fingerprint.inputs(spec_bytes, destination.into_bot, bot):
        return False
    try:
        return manifest.still_on_disk(destination.placement(bot).disk)
    except HitlGenError:  # the destination changed shape; the full build says how
        return False


def check_bot_id(bot: str) -> None:
    """A bot id given on the command line, held to the spec's own rule for target.bot."""
    from hitl_gen.spec.schema import inlined

    if not re.fullmatch(inlined()["properties"]["target"]["properties"]["bot"]["pattern"], bot):
        raise UsageError(f"{bot!r} is not a bot id: a Botpress bot id uses lowercase letters, digits, '-' and '_'",
                         subject="hitl-gen", where="--bot")


def _for_bot(spec: Spec, bot: str | None) -> Spec:
    if bot is None or bot == spec.target.bot:
        return spec
    check_bot_id(bot)
    return spec._replace(target=spec.target._replace(bot=bot))


def _nothing(spec: Spec, existing: ExistingBot) -> Plan:
    """The plan of `remove`: only the bot's content-element files, without hitl-gen's
    elements (the bot's own kept byte for byte); every other file of the manifest is stale."""
    from hitl_gen.botpress import layout
    from hitl_gen.render.content import merge_elements
    from hitl_gen.render.plan import Plan, PlannedFile

    folder = layout.bot_dir(spec.target.bot) / "content-elements"
    files = []
    for kind, text in sorted(existing.element_files.items()):
        merged = merge_elements(text, [], existing.owned_elements)
        files.append(PlannedFile(folder / f"{kind}.json", merged.text.encode("utf-8"), merged=True,
                                 edited_elements=merged.edited))
    return Plan(files, {})


def _plan(spec: Spec, placement: Placement, manifest: Manifest, remove: bool = False) -> tuple[Plan, list[Change], list[str]]:
    """Render in memory against what the placement holds, and compare; with the files of
    the last build that the plan no longer has. Returns the plan, the changes, and the
    manifest entries to keep as they are: stale files this placement cannot reach (global
    actions of a bot folder that is no longer beside data/global), which stay untouched."""
    from hitl_gen.render.plan import ExistingBot, PlannedFile, build_plan

    existing = ExistingBot.read(placement.bot_dir, manifest.owned_elements(), manifest.paths(), placement.shown)
    plan = _nothing(spec, existing) if remove else build_plan(spec, existing, install_doc_file=not placement.into_bot)
    located = []
    for planned in plan.files:
        disk = placement.disk(str(planned.path))
        located.append(Located(planned, disk, placement.shown(disk)))
    stale, kept = [], []
    for logical in sorted(manifest.paths() - {str(f.path) for f in plan.files}):
        try:
            disk = placement.disk(logical)
        except HitlGenError:
            kept.append(logical)
            continue
        stale.append(Located(PlannedFile(PurePosixPath(logical), b""), disk, placement.shown(disk)))
    return plan, compare(located, manifest) + compare_stale(stale, manifest), kept
