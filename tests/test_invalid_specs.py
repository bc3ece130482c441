"""Each invalid spec is reported at its exact file:line:col with a fix, exit 2,
no traceback, and nothing written. Expectations: tests/invalid_specs/*.expected
(rewrite with tests/regenerate.py and review the diff)."""

import io
from pathlib import Path

import pytest

from hitl_gen.cli import main

CORPUS = sorted((Path(__file__).parent / "invalid_specs").glob("*.yaml"))


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("spec", CORPUS, ids=[p.stem for p in CORPUS])
def test_validate_reports_the_exact_location_and_message(spec):
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(spec)], stdout=out, stderr=err)
    expected = spec.with_suffix(".expected").read_text(encoding="utf-8").replace("{file}", str(spec))
    assert code == 2
    assert err.getvalue() == expected
    assert "Traceback" not in err.getvalue() and out.getvalue() == ""
    for line in err.getvalue().splitlines():
        file, line_no, col, rest = line.split(":", 3)
        assert file == str(spec) and int(line_no) >= 1 and int(col) >= 1 and rest.strip()


@pytest.mark.parametrize("spec", CORPUS[:5] + CORPUS[-5:], ids=lambda p: p.stem)
def test_build_of_an_invalid_spec_writes_nothing(spec, tmp_path):
    out = tmp_path / "out"
    assert main(["build", str(spec), "-o", str(out)], stdout=io.StringIO(), stderr=io.StringIO()) == 2
    assert not out.exists()


def test_a_missing_or_unreadable_spec_names_the_file_without_an_invented_position(tmp_path):
    err = io.StringIO()
    assert main(["validate", str(tmp_path / "nope.yaml")], stderr=err) == 2
    assert err.getvalue() == f"{tmp_path / 'nope.yaml'}: no such file; check the path, or run `hitl-gen init` to create a spec\n"
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("version: 1 # caf\xe9\n".encode("latin-1"))
    err = io.StringIO()
    assert main(["validate", str(latin1)], stderr=err) == 2
    assert err.getvalue() == f"{latin1}: not UTF-8 text (invalid continuation byte); save the spec as UTF-8\n"


def test_problems_of_several_files_are_all_reported(tmp_path):
    err = io.StringIO()
    assert main(["validate", str(CORPUS[0]), str(CORPUS[-1])], stdout=io.StringIO(), stderr=err) == 2
    files = {line.split(":")[0] for line in err.getvalue().splitlines()}
    assert files == {str(CORPUS[0]), str(CORPUS[-1])}
