"""The fast paths of issue 15 give the standard library's bytes and the slow path's answers:
the pretty-printer against json.dumps, and the stat cache of an up-to-date check."""

import json
import os
import random

import pytest
from conftest import REPO

from hitl_gen import output
from hitl_gen.build import Mode, build
from hitl_gen.destination import OutputFolder
from hitl_gen.json_text import pretty

MINIMAL = REPO / "examples" / "minimal-hitl.yaml"
ODD = ["", "é", "\u2028", "\x00\x1f", '"\\/', "😀", "a\nb", "\ud800"]


def _value(rng: random.Random, depth: int = 0):
    kinds = ["str", "int", "float", "bool", "none"] + (["list", "dict", "tuple"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(ODD) + str(rng.random())
    if kind == "int":
        return rng.choice([0, -1, 2**70, True and 7])
    if kind == "float":
        return rng.choice([0.5, -0.0, 1e300, float("inf"), float("-inf"), float("nan"), 3.0])
    if kind in ("bool", "none"):
        return rng.choice([True, False, None])
    items = [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == "dict":
        return {rng.choice(ODD) + str(i): item for i, item in enumerate(items)}
    return tuple(items) if kind == "tuple" else items


@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_pretty_is_json_dumps_with_an_indent_of_two(ensure_ascii):
    rng = random.Random(15)
    for _ in range(400):
        value = _value(rng)
        assert pretty(value, ensure_ascii=ensure_ascii) == json.dumps(value, indent=2, ensure_ascii=ensure_ascii)
    for unusual in ({1: "a", None: "b", 2.5: "c"}, {"a": {True: 1}}):  # keys json.dumps converts its own way
        assert pretty(unusual) == json.dumps(unusual, indent=2, ensure_ascii=False)
    with pytest.raises(TypeError):
        pretty({"a": object()})


def test_an_up_to_date_check_trusts_the_stat_cache_and_still_sees_an_edit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = OutputFolder(tmp_path / "out")
    build(MINIMAL, out)
    reads = []
    real_read = output.read_file
    monkeypatch.setattr(output, "read_file", lambda path: reads.append(path) or real_read(path))
    assert build(MINIMAL, out, Mode.COMPARE).shortcut and reads == []  # nothing read: every stat matched

    flow = tmp_path / "out/data/bots/support-bot/flows/talk_to_agent.flow.json"
    before = flow.stat()
    flow.write_bytes(flow.read_bytes().replace(b'"entry"', b'"ENTRY"'))  # same size
    os.utime(flow, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    report = build(MINIMAL, out, Mode.COMPARE)
    assert not report.shortcut and [f.path for f in report.pending] == [str(flow)]
    assert str(reads[0]) == str(flow)  # the only file the shortcut read; then the full compare reads them all


def test_without_a_stat_cache_a_check_reads_every_file_and_records_them(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = OutputFolder(tmp_path / "out")
    written = build(MINIMAL, out)
    for entry in (tmp_path / "cache/hitl-gen/stat").iterdir():
        entry.unlink()
    reads = []
    real_read = output.read_file
    monkeypatch.setattr(output, "read_file", lambda path: reads.append(path) or real_read(path))
    assert build(MINIMAL, out, Mode.COMPARE).shortcut and len(reads) == len(written.files)
    reads.clear()
    assert build(MINIMAL, out, Mode.COMPARE).shortcut and reads == []
