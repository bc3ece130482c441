"""README's commands and generated reference stay true."""

import json
import re

from conftest import REPO

from hitl_gen.reference import END, START, spec_reference


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", text, re.S)


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    test_command = next(b for b in _bash_blocks(readme) if "tests/run_whole_suite.py" in b)
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_readme_spec_reference_is_generated_from_the_schema():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(START, 1)[1].split(END, 1)[0]
    assert section == "\n" + spec_reference(), "README is stale: run tests/regenerate.py"


def test_every_schema_property_has_a_description_and_an_example():
    from hitl_gen.reference import _walk

    from hitl_gen.spec.schema import spec_schema

    missing = [path for path, node in _walk(spec_schema(), "") if not node.get("description") or not node.get("examples")]
    assert missing == []
