"""Builds that stop half-way, and file systems that refuse (output.py, journal.py).

Whatever stops a build (SIGKILL, a full disk, an exception, Ctrl-C), the next one
finishes the job: the folder ends byte for byte as a build never stopped leaves it,
the bot's own files and content elements are untouched and no element is there twice.
The file system's refusals are one line each, exit 5; a bot's broken content-element
file one line, exit 2; --dry-run refuses as the build would."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from support.bots import SAMPLES, sample_bot
from support.build import run_cli as run

from hitl_gen import atomic
from hitl_gen.build import build
from hitl_gen.destination import BotFolder

sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402

BOT = "bench-bot"
MANIFEST, JOURNAL = "hitl-gen-manifest.json", "hitl-gen-manifest.journal.json"
MINIMAL = REPO / "examples" / "minimal-hitl.yaml"
SAMPLE_ELEMENTS = SAMPLES / "welcome-bot" / "content-elements"  # the bot's own


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def spec_file(folder: Path, count: int, say: str = "") -> Path:
    """synth.py's spec under one file name (generated files name their spec)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = synth.spec(count)
    for handoff in spec["handoffs"]:
        handoff["say"]["en"] += say
    path = folder / "spec.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")  # JSON is YAML, and faster to write
    return path


@pytest.fixture(scope="module")
def bots(tmp_path_factory):
    """A bot with its own content elements (the welcome-bot sample's) and its own action,
    and the same bot already holding a build of another spec (so a build changes and
    removes files, and replaces elements)."""
    root = tmp_path_factory.mktemp("bots")
    fresh = sample_bot(root / "fresh", BOT, ["en", "fr"])
    (fresh / "actions").mkdir(exist_ok=True)
    (fresh / "actions" / "mine.js").write_text("/** The bot's own action */\nconst x = 1\n")
    built = root / "built" / "data" / "bots" / BOT
    shutil.copytree(fresh, built)
    assert run("build", spec_file(root / "earlier", 70, " (earlier)"), "--into", built)[0] == 0
    return {"fresh": fresh, "built": built}


def copy_of(bot: Path, where: Path) -> Path:
    target = where / "data" / "bots" / BOT
    shutil.copytree(bot, target)
    return target


def clean_build(spec: Path, bot: Path, where: Path, own: Path) -> dict[str, bytes]:
    """What a build that nothing stopped leaves; checked once: the bot's own files (those
    of `own`) and elements kept byte for byte, no element twice."""
    target = copy_of(bot, where)
    assert run("build", spec, "--into", target)[0] == 0
    after = tree(target)
    assert not any(name.endswith((JOURNAL, ".hitl-gen.tmp")) for name in after)
    for name, data in tree(own).items():
        if not name.startswith("content-elements/"):
            assert after[name] == data, name
    for kind in ("builtin_text", "builtin_single-choice"):
        ids = [e["id"] for e in json.loads(after[f"content-elements/{kind}.json"])]
        assert len(ids) == len(set(ids))
        assert {e["id"] for e in json.loads((SAMPLE_ELEMENTS / f"{kind}.json").read_bytes())} <= set(ids)
    return after


def phases(spec: Path, bot: Path, where: Path) -> tuple[float, float, float]:
    """When a subprocess build writes its journal, its manifest, and ends (seconds)."""
    target = copy_of(bot, where)
    started, journal_at, manifest_at = time.perf_counter(), None, None
    process = subprocess.Popen(hitl_gen_build(spec, target), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest_before = (target / MANIFEST).stat().st_mtime_ns if (target / MANIFEST).exists() else None
    while process.poll() is None:
        now = time.perf_counter() - started
        journal_at = journal_at or (now if (target / JOURNAL).exists() else None)
        if manifest_at is None and (target / MANIFEST).exists() and (target / MANIFEST).stat().st_mtime_ns != manifest_before:
            manifest_at = now
        time.sleep(0.0005)
    ended = time.perf_counter() - started
    assert process.returncode == 0 and journal_at is not None
    return journal_at, manifest_at or ended, ended


def hitl_gen_build(spec: Path, target: Path) -> list[str]:
    return [sys.executable, "-m", "hitl_gen", "build", str(spec), "--into", str(target)]


def wait_for(path: Path, process: subprocess.Popen) -> None:
    """Until `path` exists; the build must not end first (it removes its journal)."""
    while not path.exists():
        assert process.poll() is None, "the build ended before it began writing"
        time.sleep(0.001)


def test_a_build_killed_at_any_moment_is_finished_by_the_next(bots, tmp_path):
    """SIGKILL at random moments of a 60-handoff build (1 200 files) into a bot, half of
    them while it writes; the next build (every third with --force, which must adopt
    nothing) leaves exactly what a build never killed leaves."""
    spec = spec_file(tmp_path / "spec", 60)
    start = {name: (bot, clean_build(spec, bot, tmp_path / f"clean-{name}", bots["fresh"])) for name, bot in bots.items()}
    writing_from, writing_to, ended = phases(spec, bots["fresh"], tmp_path / "timing")
    rng, mid_write = random.Random(16), 0
    for i in range(10):
        bot, clean = start["fresh" if i % 2 else "built"]
        target = copy_of(bot, tmp_path / f"killed-{i}")
        process = subprocess.Popen(hitl_gen_build(spec, target), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i < 5:  # while it writes: from the moment its journal appears, whatever the machine's load
            wait_for(target / JOURNAL, process)
            # into the fresh bot, somewhere in its first half (measured); into the built one,
            # which has less to write, at once
            time.sleep(rng.uniform(0, (writing_to - writing_from) / 2) if i % 2 else 0)
        else:
            time.sleep(rng.uniform(0, ended))
        process.send_signal(signal.SIGKILL)
        process.wait()
        mid_write += (target / JOURNAL).exists()
        code, _, err = run("build", spec, "--into", target, *(["--force"] if i % 3 == 2 else []))
        assert (code, err) == (0, "")
        assert tree(target) == clean, i
    assert mid_write >= 5  # the journal was there: the first five kills landed while files were written


def _failing_after(monkeypatch, count: int, error: BaseException | None = None, at: str = "") -> list[str]:
    """Every write after the first `count` (or from the first whose path has `at`) fails
    (ENOSPC, or `error`), as a full disk does; the user's cache (stat_cache.py, which may
    fail quietly) aside."""
    written: list[str] = []
    real = atomic._through

    def through(tmp, path, content, mode, durable):
        if "/hitl-gen/stat/" in os.fspath(path):
            return real(tmp, path, content, mode, durable)
        if len(written) >= count or (at and at in os.fspath(path)):
            raise error or OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(os.fspath(path))
        return real(tmp, path, content, mode, durable)

    monkeypatch.setattr(atomic, "_through", through)
    return written


@pytest.fixture(scope="module")
def small(bots, tmp_path_factory):
    """A 12-handoff spec, another with changed texts and fewer handoffs, the clean builds
    of both into the bot, and the order a build writes its files in (every file: the
    kill loop has the bot already built, where a build writes fewer)."""
    root = tmp_path_factory.mktemp("small")
    first, second = spec_file(root / "first", 12), spec_file(root / "second", 9, " (second)")
    clean = {spec: clean_build(spec, bots["fresh"], root / f"clean-{spec.parent.name}", bots["fresh"]) for spec in (first, second)}
    patch = pytest.MonkeyPatch()
    target = copy_of(bots["fresh"], root / "order")
    written = _failing_after(patch, 10**9)
    assert run("build", first, "--into", target)[0] == 0
    patch.undo()
    return {"first": first, "second": second, "clean": clean, "order": [Path(w).relative_to(target).as_posix() for w in written]}


def _moment(order: list[str], when: str) -> int:
    """How many writes succeed before the failure `when` names."""
    flows = next(i for i, name in enumerate(order) if name.startswith("flows/"))
    return {"journal": 0, "first file": 1, "content elements written, flows not": flows,
            "half the flows": (flows + len(order)) // 2, "manifest": len(order) - 1}[when]


MOMENTS = ["journal", "first file", "content elements written, flows not", "half the flows", "manifest"]


@pytest.mark.parametrize("when", MOMENTS)
def test_a_full_disk_is_one_line_and_the_next_build_finishes_the_job(when, bots, small, tmp_path, monkeypatch):
    assert small["order"][0] == JOURNAL and small["order"][-1] == MANIFEST
    after = _moment(small["order"], when)
    target = copy_of(bots["fresh"], tmp_path)
    _failing_after(monkeypatch, after)
    assert run("build", small["first"], "--into", target) == (
        5, "", f"{target / small['order'][after]}: output: no space left on the device; free some space, "
               "then build again: it finishes what this build started\n")
    assert not [name for name in tree(target) if name.endswith(".hitl-gen.tmp")]
    monkeypatch.undo()
    assert run("build", small["first"], "--into", target)[::2] == (0, "")
    assert tree(target) == small["clean"][small["first"]]


@pytest.mark.parametrize("when", MOMENTS[1:4])
@pytest.mark.parametrize("error", [RuntimeError("a bug half-way"), KeyboardInterrupt()], ids=["exception", "ctrl-c"])
def test_an_exception_half_way_is_finished_by_the_next_build_even_forced(when, error, bots, small, tmp_path, monkeypatch):
    target = copy_of(bots["fresh"], tmp_path)
    _failing_after(monkeypatch, _moment(small["order"], when), error)
    with pytest.raises(type(error)):
        build(small["first"], BotFolder(target))
    assert (target / JOURNAL).exists()
    monkeypatch.undo()
    assert run("build", small["first"], "--into", target, "--force")[::2] == (0, "")
    assert tree(target) == small["clean"][small["first"]]


def test_two_builds_of_different_specs_stopped_in_turn_are_finished_by_the_next(bots, small, tmp_path, monkeypatch):
    """The second interruption must not forget what the first one left: the journal is
    extended, never replaced."""
    target = copy_of(bots["fresh"], tmp_path)
    order = small["order"]
    _failing_after(monkeypatch, _moment(order, "half the flows"))
    assert run("build", small["first"], "--into", target)[0] == 5
    monkeypatch.undo()
    written = _failing_after(monkeypatch, 10**9, at="/hooks/")  # its content elements written, its manifest not
    assert run("build", small["second"], "--into", target)[0] == 5 and "content-elements/builtin_text.json" in str(written)
    monkeypatch.undo()
    code, out, err = run("build", small["second"], "--into", target, "--dry-run")
    assert (code, err) == (0, "") and "would change" in out  # what is left to do, and no conflict
    assert run("build", small["second"], "--into", target)[::2] == (0, "")
    assert tree(target) == small["clean"][small["second"]]


# The file system's refusals: one line each, exit 5.

def _refusing(monkeypatch, error: OSError) -> None:
    def through(tmp, path, content, mode, durable):
        raise OSError(error.errno, error.strerror, tmp)  # as os.open names it: the temp file

    monkeypatch.setattr(atomic, "_through", through)


@pytest.mark.parametrize("error, what", [
    (errno.EROFS, "the file system is read-only; build into a folder you can write to"),
    (errno.EACCES, "permission denied; give your user access to it, or build into a folder you can write to"),
])
def test_a_read_only_or_forbidden_folder_is_one_line(error, what, tmp_path, monkeypatch):
    _refusing(monkeypatch, OSError(error, os.strerror(error)))
    out = tmp_path / "out"
    assert run("build", MINIMAL, "-o", out) == (5, "", f"{out / '.hitl-gen-manifest.journal.json'}: output: {what}\n")


def test_a_file_where_a_folder_must_go_is_one_line_naming_the_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "data").write_text("mine")
    assert run("build", MINIMAL, "-o", out) == (
        5, "", f"{out / 'data'}: output: a file is where hitl-gen needs a folder; move the file away, or build elsewhere\n")
    assert (out / "data").read_text() == "mine"
    (out / "data").unlink()
    assert run("build", MINIMAL, "-o", out)[0] == 0  # and the next build finishes the job


def test_an_output_folder_under_a_file_is_one_line_naming_the_file(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert run("build", MINIMAL, "-o", a_file / "out") == (
        5, "", f"{a_file}: output: a file is where hitl-gen needs a folder; move the file away, or build elsewhere\n")
    assert run("build", MINIMAL, "-o", a_file) == (5, "", f"{a_file}: -o: the output path is a file, not a folder; pick a folder\n")


def test_a_folder_where_a_file_must_go_is_one_line(tmp_path):
    out = tmp_path / "out"
    (out / "INSTALL.md").mkdir(parents=True)
    assert run("build", MINIMAL, "-o", out) == (
        5, "", f"{out / 'INSTALL.md'}: output: a folder is where hitl-gen writes a file; move the folder away, then build again\n")


def test_a_file_that_cannot_be_read_is_one_line(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run("build", MINIMAL, "-o", out)[0] == 0
    (out / "INSTALL.md").write_text("edited")
    real_open = os.open

    def forbidden(path, *args, **kwargs):
        if os.fspath(path).endswith("INSTALL.md"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("hitl_gen.output.os.open", forbidden)
    assert run("build", MINIMAL, "-o", out, "--dry-run") == (
        5, "", f"{out / 'INSTALL.md'}: output: permission denied; give your user access to it, or build into a folder you can write to\n")


# A bot whose content-element file is broken: one line, exit 2, nothing written.

def _json_problem(content: bytes) -> str:
    """Where and what the json module says (3.13 says "Illegal trailing comma before end of
    object" at 2:28 where 3.10-3.12 say "Expecting property name enclosed in double quotes" at 3:1)."""
    try:
        json.loads(content)
    except json.JSONDecodeError as err:
        return f":{err.lineno}:{err.colno}: content elements: not valid JSON ({err.msg}); "
    raise AssertionError("valid JSON")


@pytest.mark.parametrize("content, message", [
    (b'[\n  {"id": "builtin_text-abc",\n}\n]\n',
     _json_problem(b'[\n  {"id": "builtin_text-abc",\n}\n]\n') + "fix it, or restore it from a backup or an export of the bot"),
    (b'{"id": "builtin_text-abc"}\n',
     ": content elements: a JSON object, not the list of content elements Botpress writes; "
     "fix it, or restore it from a backup or an export of the bot"),
    ('[{"id": "builtin_text-abc", "formData": {"text$en": "caf\u00e9"}}]\n'.encode("latin-1"),
     ": content elements: not UTF-8 (byte 0xe9 at offset 56); Botpress writes content elements as UTF-8: "
     "fix it, or restore it from a backup or an export of the bot"),
])
def test_a_broken_content_element_file_is_one_line_and_nothing_is_written(content, message, tmp_path):
    bot_dir = sample_bot(tmp_path, "support-bot")
    broken = bot_dir / "content-elements" / "builtin_text.json"
    broken.write_bytes(content)
    before = tree(bot_dir)
    assert run("build", MINIMAL, "--into", bot_dir) == (2, "", f"{broken}{message}\n")
    assert tree(bot_dir) == before


# --dry-run refuses as the build would.

def test_dry_run_reports_a_conflict_as_the_build_does_and_exits_as_it_does(tmp_path):
    out = tmp_path / "out"
    assert run("build", MINIMAL, "-o", out)[0] == 0
    edited = out / "data/bots/support-bot/actions/hitl-gen/pause.js"
    edited.write_text(edited.read_text() + "// mine\n")
    code, diff, err = run("build", MINIMAL, "-o", out, "--dry-run")
    assert (code, err) == run("build", MINIMAL, "-o", out)[::2] == (
        2, f"{edited}: output: changed since hitl-gen wrote it; rerun with --force to overwrite, or move your edits into the spec\n")
    assert f"--- {edited} (on disk)" in diff and "-// mine" in diff and "would change" not in diff
    code, diff, err = run("build", MINIMAL, "-o", out, "--dry-run", "--force")
    assert (code, err) == (0, "") and "1 file(s) would change" in diff
