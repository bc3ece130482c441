"""Rewrite every generated expectation from the current code; review with `git diff`.

    python tests/regenerate.py

- tests/invalid_specs/*.expected: what `hitl-gen validate` prints for each invalid spec;
- schemas/hitl-gen.schema.json, the composed schema as `hitl-gen schema` prints it;
- the spec reference section of README.md, from the schema;
- tests/golden/<example>/: the full build output of each example, but the shared runtime,
  which every example ships byte for byte alike and is kept once as tests/golden/runtime.js.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "generator"))

from hitl_gen.cli import main  # noqa: E402
from hitl_gen.reference import replace_section, spec_reference  # noqa: E402
from hitl_gen.render.runtime import runtime_name  # noqa: E402
from hitl_gen.spec.schema import schema_text  # noqa: E402

INVALID = REPO / "tests" / "invalid_specs"
GOLDEN = REPO / "tests" / "golden"


def validate_output(spec: Path) -> tuple[int, str]:
    err = io.StringIO()
    code = main(["validate", str(spec)], stdout=io.StringIO(), stderr=err)
    return code, err.getvalue().replace(str(spec), "{file}")


def regenerate_invalid() -> None:
    for spec in sorted(INVALID.glob("*.yaml")):
        _, text = validate_output(spec)
        spec.with_suffix(".expected").write_text(text, encoding="utf-8")


def regenerate_readme() -> None:
    readme = REPO / "README.md"
    readme.write_text(replace_section(readme.read_text(encoding="utf-8"), spec_reference()), encoding="utf-8")


def regenerate_published_schema() -> None:
    (REPO / "schemas" / "hitl-gen.schema.json").write_text(schema_text(), encoding="utf-8")


def regenerate_golden() -> None:
    """Each example's tree, but the runtime every one of them ships (the same bytes)
    once, as tests/golden/runtime.js."""
    runtimes = set()
    for example in sorted((REPO / "examples").glob("*.yaml")):
        target = GOLDEN / example.stem
        shutil.rmtree(target, ignore_errors=True)  # tests/golden is ours alone, never a user's folder
        assert main(["build", str(example), "-o", str(target)], stdout=io.StringIO()) == 0
        (target / ".hitl-gen-manifest.json").unlink()
        for runtime in target.rglob(runtime_name()):
            runtimes.add(runtime.read_bytes())
            runtime.unlink()
    [shared] = runtimes
    (GOLDEN / "runtime.js").write_bytes(shared)


if __name__ == "__main__":
    regenerate_invalid()
    regenerate_published_schema()
    regenerate_readme()
    regenerate_golden()
