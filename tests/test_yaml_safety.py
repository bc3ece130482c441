"""YAML is read through PyYAML's SafeLoader only: no object construction; and within
limits (spec/limits.py), so no input can hang, crash or exhaust the machine."""

import io
import os

import pytest

from hitl_gen.cli import main
from hitl_gen.errors import SpecError
from hitl_gen.spec import limits
from hitl_gen.spec.located_yaml import load_located


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['touch /tmp/pwned']",
    "!!python/name:os.system",
    "!!python/object:collections.OrderedDict {}",
    "!!python/module:os",
])
def test_python_tags_are_refused(tag, tmp_path):
    with pytest.raises(SpecError) as caught:
        load_located(f"version: 1\nbot: {tag}\n", "spec.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.col, problem.where) == (2, 6, "bot")
    assert "no tags such as !!python/" in problem.message


def test_merge_keys_and_anchors_still_work():
    doc = load_located("base: &b {a: 1}\nother:\n  <<: *b\n  c: 2\n", "spec.yaml")
    assert doc.data["other"] == {"a": 1, "c": 2}
    assert doc.value_at(("other", "c")) == (4, 6)
    assert doc.key_at(("other", "c")) == (4, 3)


# Bounded input (issue 16): every hostile input is one located problem, found before
# anything expensive runs. Time and memory are measured by benchmarks/hostile_input.py.

VALID = ('version: 1\ntarget: {botpress: "12.22.1", bot: support-bot, module: hitl, languages: [en]}\n'
         "handoffs:\n  - id: a\n    trigger: {keywords: [agent]}\n    say: Hi\n    on_failure: {say: Sorry}\n")


def _validate(path) -> tuple[int, str]:
    err = io.StringIO()
    return main(["validate", str(path)], stdout=io.StringIO(), stderr=err), err.getvalue()


def _problem(text: str) -> object:
    with pytest.raises(SpecError) as caught:
        load_located(text, "spec.yaml")
    [problem] = caught.value.problems
    return problem


@pytest.mark.parametrize("path, kind", [("/dev/zero", "a character device"), ("fifo", "a named pipe (FIFO)"), (".", "a folder")])
def test_a_file_that_may_never_end_is_refused_before_it_is_read(path, kind, tmp_path):
    if path == "fifo":
        os.mkfifo(tmp_path / "fifo")  # opening it for reading would wait for a writer
    target = tmp_path / path if path != "/dev/zero" else path
    code, err = _validate(target)
    assert code == 2 and err.startswith(f"{target}: is {kind}") and err.count("\n") == 1


def test_a_spec_over_the_size_limit_is_refused_unparsed(tmp_path):
    spec = tmp_path / "big.yaml"
    spec.write_bytes(VALID.encode() + b"#" * limits.MAX_BYTES)
    assert _validate(spec) == (2, f"{spec}: larger than 4 MiB, the most hitl-gen reads (a spec of 1 000 handoffs "
                                  "is about 1.6 MB); check that this is the spec file\n")
    spec.write_bytes(VALID.encode() + b"#" * (limits.MAX_BYTES - len(VALID) - 1) + b"\n")
    assert _validate(spec)[0] == 0


def test_utf16_is_named_without_an_invented_position(tmp_path):
    spec = tmp_path / "utf16.yaml"
    spec.write_bytes(VALID.encode("utf-16"))
    assert _validate(spec) == (2, f"{spec}: not UTF-8 text (invalid start byte); save the spec as UTF-8\n")


def test_a_bom_and_crlf_line_ends_are_read_as_utf8_yaml(tmp_path):
    spec = tmp_path / "bom.yaml"
    spec.write_bytes(b"\xef\xbb\xbf" + VALID.replace("\n", "\r\n").encode())
    assert _validate(spec)[0] == 0


def test_depth_is_refused_before_the_recursive_composer_runs():
    problem = _problem("a: " + "[" * 100_000)  # libyaml's composer overflowed the C stack on this
    assert (problem.line, problem.col, problem.where) == (1, 4 + limits.MAX_DEPTH - 1, "YAML structure")


def test_the_depth_limit_is_exact():
    at_limit = "[" * (limits.MAX_DEPTH - 1) + "]" * (limits.MAX_DEPTH - 1)
    assert load_located(f"a: {at_limit}\n", "spec.yaml").data["a"] is not None
    assert "nested more than 64 levels" in _problem(f"a: [{at_limit}]\n").message


def test_the_node_limit_counts_aliases_by_arithmetic(monkeypatch):
    monkeypatch.setattr("hitl_gen.spec.yaml_cost.MAX_NODES", 30)
    # 1 mapping + 2 keys + 1 list + 9 scalars + 1 key, then an alias worth 10: 24
    assert load_located("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: *a\n", "spec.yaml").data["b"] == list(range(1, 10))
    problem = _problem("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: *a\nc: *a\n")
    assert (problem.line, problem.col) == (3, 4) and "this alias takes the spec past 30 values" in problem.message


def test_a_value_that_contains_itself_is_refused():
    problem = _problem("a: &a {b: [*a]}\n")
    assert (problem.line, problem.col) == (1, 12) and "contain itself forever" in problem.message


@pytest.mark.parametrize("value, message", [
    ("1" * 5000, "a number of 5000 characters"),
    ("0x" + "f" * 5000, "a number of 5002 characters"),
    ("2026-02-30", "'2026-02-30' is not a valid date (day is out of range for month)"),
    ("!!int twelve", "'twelve' is not a valid whole number"),
])
def test_scalars_python_cannot_convert_are_located(value, message):
    problem = _problem(f"version: 1\nx: {value}\n")
    assert (problem.line, problem.col, problem.where) == (2, 4, "x") and problem.message.startswith(message)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\ufffe"])
def test_a_control_character_is_located(char):
    problem = _problem(f"version: 1\nx: a{char}b\n")
    assert (problem.line, problem.col, problem.where) == (2, 5, "YAML syntax")
    assert f"U+{ord(char):04X}, which YAML does not allow" in problem.message
