"""Build a spec (a file or a dict) with the real CLI and find its outputs."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from hitl_gen.cli import main


def run_cli(*argv) -> tuple[int, str, str]:
    """`hitl-gen ARGV...` through the CLI's own entry: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def build(spec: Path | dict, out: Path, name: str = "spec.yaml") -> Path:
    if isinstance(spec, dict):
        path = out.parent / name
        path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
        spec = path
    err = io.StringIO()
    code = main(["build", str(spec), "-o", str(out)], stdout=io.StringIO(), stderr=err)
    assert code == 0, err.getvalue()
    return out


def spec_without(example: Path, handoff_id: str, folder: Path) -> Path:
    """The example without one handoff, under the same file name (generated files name
    their spec, so the other handoffs' files stay byte for byte)."""
    raw = yaml.safe_load(example.read_text(encoding="utf-8"))
    raw["handoffs"] = [h for h in raw["handoffs"] if h["id"] != handoff_id]
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / example.name
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return spec


def action(out: Path, bot: str, name: str, scope: str = "bot") -> Path:
    base = out / "data" / "global" / "actions" if scope == "global" else out / "data" / "bots" / bot / "actions"
    return base / f"{name}.js"
