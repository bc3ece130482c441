"""The build core (hitl_gen.build): one pipeline for -o, --into and --archive that
returns a report, never prints, reads the spec and the manifest once, and raises
only the HitlGenError family; and the exit codes the CLI maps it to."""

import builtins
import io
import pathlib
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from support.bots import sample_bot
from support.build import run_cli as run

from hitl_gen.archive import BotArchive
from hitl_gen.build import BuildReport, FileOutcome, Mode, build
from hitl_gen.destination import BotFolder, OutputFolder
from hitl_gen.errors import (BadAnswer, ConnectionProblem, DestinationError, ExitCode, FileSystemRefused, NotFound,
                             OutputConflict, ServerError, SpecError, UsageError)

MINIMAL = REPO / "examples" / "minimal-hitl.yaml"


def _on_disk(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*") if p.is_file() and p.name != ".hitl-gen-manifest.json"}


def test_the_core_reports_every_file_and_prints_nothing(tmp_path, capfd):
    report = build(MINIMAL, OutputFolder(tmp_path / "out"))
    assert capfd.readouterr() == ("", "")
    assert (report.destination, report.mode, report.shortcut, report.diff, report.notes) == (
        tmp_path / "out", Mode.WRITE, False, "", ())
    assert {f.path for f in report.files} == _on_disk(tmp_path / "out")
    assert {f.status for f in report.files} == {"new"} and report.pending == report.files and report.unchanged == 0

    again = build(MINIMAL, OutputFolder(tmp_path / "out"), Mode.COMPARE)
    assert again == BuildReport(tmp_path / "out", Mode.COMPARE, shortcut=True) and again.up_to_date
    forced = build(MINIMAL, OutputFolder(tmp_path / "out"), force=True)
    assert (forced.shortcut, forced.pending, forced.unchanged) == (False, (), len(report.files))
    assert capfd.readouterr() == ("", "")


def test_a_compared_change_comes_back_as_a_diff_and_nothing_is_written(tmp_path):
    spec = tmp_path / MINIMAL.name  # the same name: generated files name their spec
    spec.write_text(MINIMAL.read_text().replace("An agent will be with you shortly.", "Hold on."))
    out = tmp_path / "out"
    build(MINIMAL, OutputFolder(out))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    report = build(spec, OutputFolder(out), Mode.COMPARE)
    start = out / "data/bots/support-bot/actions/hitl-gen/talk_to_agent/start.js"
    assert FileOutcome(str(start), "changed") in report.pending and len(report.pending) == 2
    assert f"+++ {start} (generated)" in report.diff and '+  "say": {"en": "Hold on."},' in report.diff
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_conflict_is_raised_by_the_core_and_reported_when_compared(tmp_path):
    out = tmp_path / "out"
    mine = out / "INSTALL.md"
    mine.parent.mkdir()
    mine.write_text("my notes")
    with pytest.raises(OutputConflict) as raised:
        build(MINIMAL, OutputFolder(out))
    assert raised.value.lines() == [f"{mine}: output: exists and was not written by hitl-gen; rerun with --force to "
                                    "overwrite, or move your edits into the spec"]
    assert FileOutcome(str(mine), "conflict") in build(MINIMAL, OutputFolder(out), Mode.COMPARE).files
    assert mine.read_text() == "my notes"


def test_notes_come_back_in_the_report(tmp_path):
    bot_dir = sample_bot(tmp_path, "support-bot")  # speaks en only
    report = build(REPO / "examples" / "bilingual-alerts.yaml", BotFolder(bot_dir))
    assert report.notes == ("the bot lists en only; users whose language is fr still get those texts (chosen by "
                            "user.language). Botpress Community allows one language per bot; with Pro, add them in the Admin.",)


@pytest.fixture
def opened(monkeypatch):
    """Every file opened for reading, in order (Path.read_* open through io.open)."""
    seen: list[Path] = []
    real_open = io.open

    def counting_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, Path)) and not any(flag in mode for flag in "wax+"):
            seen.append(Path(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    if hasattr(pathlib, "_NormalAccessor"):  # Python 3.10: Path.open goes through io.open as bound when pathlib loaded
        monkeypatch.setattr(pathlib._NormalAccessor, "open", staticmethod(counting_open))
    return seen


@pytest.mark.parametrize("where", ["-o", "--into", "--archive"])
def test_the_spec_and_the_manifest_are_read_once_per_build(where, tmp_path, opened):
    spec = tmp_path / "spec.yaml"
    shutil.copy(MINIMAL, spec)
    target = {"-o": lambda: tmp_path / "out", "--into": lambda: sample_bot(tmp_path, "support-bot"),
              "--archive": lambda: tmp_path / "bot.tgz"}[where]()
    assert run("build", spec, where, target)[0] == 0
    spec.write_text(spec.read_text().replace("An agent will be with you shortly.", "Hold on."))  # the shortcut fails
    opened.clear()
    assert run("build", spec, where, target)[0] == 0
    assert opened.count(spec) == 1
    manifest = ".hitl-gen-manifest.json" if where == "-o" else "hitl-gen-manifest.json"  # a bot folder's has no dot
    # for an archive, the staged bot's, read once to compare and once more to pack it
    reads = [p.name for p in opened if p.name.endswith("hitl-gen-manifest.json")]
    assert reads == [manifest] * (2 if where == "--archive" else 1)


def test_an_up_to_date_build_reads_the_spec_and_the_manifest_once(tmp_path, opened):
    assert run("build", MINIMAL, "-o", tmp_path)[0] == 0
    opened.clear()
    assert run("build", MINIMAL, "-o", tmp_path) == (0, f"{tmp_path}: wrote 0 file(s), up to date\n", "")
    assert (opened.count(MINIMAL), opened.count(tmp_path / ".hitl-gen-manifest.json")) == (1, 1)


def test_the_archive_goes_through_the_same_pipeline(tmp_path):
    archive = BotArchive(tmp_path / "bot.tgz")
    compared = build(MINIMAL, archive, Mode.COMPARE)
    assert not archive.path.exists()
    assert FileOutcome(f"{archive.path}/flows/talk_to_agent.flow.json", "new") in compared.files
    assert f"+++ {archive.path}/flows/talk_to_agent.flow.json (generated)" in compared.diff
    written = build(MINIMAL, archive)
    assert written.files == compared.files and archive.path.is_file()


def test_exit_codes_keep_the_numbers_readme_documents():
    assert {name: int(code) for name, code in ExitCode.__members__.items()} == {
        "OK": 0, "OUT_OF_DATE": 1, "REFUSED": 1, "INVALID": 2, "UNREACHABLE": 3, "BAD_ANSWER": 4, "FILE_SYSTEM": 5,
        "INTERRUPTED": 130}
    assert {cls.__name__: cls.exit_code for cls in (SpecError, UsageError, DestinationError, OutputConflict,
                                                     ServerError, NotFound, ConnectionProblem, BadAnswer, FileSystemRefused)} == {
        "SpecError": ExitCode.INVALID, "UsageError": ExitCode.INVALID, "DestinationError": ExitCode.INVALID,
        "OutputConflict": ExitCode.INVALID, "ServerError": ExitCode.REFUSED, "NotFound": ExitCode.REFUSED,
        "ConnectionProblem": ExitCode.UNREACHABLE, "BadAnswer": ExitCode.BAD_ANSWER, "FileSystemRefused": ExitCode.FILE_SYSTEM}


def test_the_cli_returns_the_exit_codes(tmp_path):
    assert run("build", MINIMAL, "-o", tmp_path)[0] is ExitCode.OK
    assert run("build", MINIMAL, "-o", tmp_path / "empty", "--check")[0] is ExitCode.OUT_OF_DATE
    assert run("build", MINIMAL, "--into", tmp_path / "nowhere")[0] is ExitCode.INVALID


def test_an_interrupted_build_exits_130(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("hitl_gen.render.plan.build_plan", interrupted)  # the build imports it when it renders
    assert run("build", MINIMAL, "-o", tmp_path) == (ExitCode.INTERRUPTED, "", "interrupted\n")


def _two_then_billing_only(tmp_path: Path) -> tuple[Path, Path]:
    import yaml

    two = REPO / "examples" / "two-handoffs.yaml"
    raw = yaml.safe_load(two.read_text(encoding="utf-8"))
    raw["handoffs"] = [h for h in raw["handoffs"] if h["id"] != "sales"]
    spec = tmp_path / "spec" / two.name
    spec.parent.mkdir()
    spec.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return two, spec


def test_files_of_a_removed_handoff_come_back_as_removed_with_a_diff_to_dev_null(tmp_path):
    two, spec = _two_then_billing_only(tmp_path)
    out = tmp_path / "out"
    build(two, OutputFolder(out))
    start = out / "data/bots/shop-bot/actions/hitl-gen/sales/start.js"
    compared = build(spec, OutputFolder(out), Mode.COMPARE)
    assert FileOutcome(str(start), "removed", True) in compared.files and start.is_file()
    assert compared.removed == tuple(f for f in compared.files if f.stale) and all("sales" in f.path or "CallAPI-" in f.path
                                                                                  for f in compared.removed)
    assert compared.written == tuple(f for f in compared.pending if not f.stale) and not compared.up_to_date
    assert f"--- {start} (on disk)\n+++ /dev/null\n" in compared.diff
    written = build(spec, OutputFolder(out))
    assert written.files == compared.files and written.diff == "" and not start.exists()


def test_a_stale_file_this_bot_folder_cannot_reach_is_left_alone_and_kept_in_the_manifest(tmp_path):
    """Global actions installed from data/bots/BOT, then the bot folder used elsewhere (no
    data/global beside it) with a spec that puts actions in the bot: nothing outside the
    folder is touched, and the manifest still knows those files."""
    import json

    bot_dir = sample_bot(tmp_path, "support-bot")
    spec = tmp_path / MINIMAL.name
    spec.write_text(MINIMAL.read_text().replace("  languages: [en]", "  languages: [en]\n  actions: global"))
    build(spec, BotFolder(bot_dir))
    moved = shutil.copytree(bot_dir, tmp_path / "elsewhere" / "support-bot")
    report = build(MINIMAL, BotFolder(moved))
    assert not report.removed
    assert (tmp_path / "data/global/actions/hitl-gen/talk_to_agent/start.js").is_file()
    manifest = json.loads((moved / "hitl-gen-manifest.json").read_text())
    assert "data/global/actions/hitl-gen/talk_to_agent/start.js" in manifest["files"]
    assert "data/bots/support-bot/actions/hitl-gen/talk_to_agent/start.js" in manifest["files"]
