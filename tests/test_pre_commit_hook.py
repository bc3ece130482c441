"""The pre-commit hook a bot repository uses (.pre-commit-hooks.yaml): its entry is the
installed `hitl-gen` command with --check, run with the args the README shows. pre-commit
itself is not run (it would fetch the repository); the entry command is."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import REPO

HOOKS = REPO / ".pre-commit-hooks.yaml"


def _hook():
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["hitl-gen-check"]
    return hooks[0]


def test_the_hook_is_a_python_hook_running_build_check_once_per_commit():
    hook = _hook()
    assert {"id", "name", "entry", "language"} <= hook.keys()
    assert hook["language"] == "python"  # pre-commit installs this repository's package, hence the command
    assert shlex.split(hook["entry"]) == ["hitl-gen", "build", "--check"]
    # build takes one spec and its destination from args, not the changed files
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    # the command the package installs (tomllib would need 3.11; 3.10 is supported)
    assert re.search(r'^\[project\.scripts\]\nhitl-gen = "', (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.M)


def _readme_config():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml.*?)```", text, re.S).group(1)
    return yaml.safe_load(block)


def test_the_readme_example_uses_the_hook_with_a_spec_and_a_destination():
    hooks = _readme_config()["repos"][0]["hooks"]
    assert {h["id"] for h in hooks} == {_hook()["id"]}
    for hook in hooks:
        spec, flag, _ = hook["args"]
        assert spec.endswith(".yaml") and flag in ("--into", "-o")


def test_the_entry_with_the_readme_args_fails_while_out_of_date_and_passes_after_a_build(tmp_path):
    command = Path(sys.executable).parent / "hitl-gen"  # the console script pip installed, as in the hook's venv
    spec = tmp_path / "handoff.yaml"
    spec.write_text((REPO / "examples" / "minimal-hitl.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    entry = [str(command), *shlex.split(_hook()["entry"])[1:], spec.name, "-o", "generated"]

    def hook():
        return subprocess.run(entry, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    first = hook()
    assert first.returncode == 1 and re.search(r"\ngenerated: \d+ file\(s\) would change\n$", first.stdout)
    assert subprocess.run([str(command), "build", spec.name, "-o", "generated"], cwd=tmp_path, timeout=60).returncode == 0
    assert (hook().returncode, hook().stdout) == (0, "generated: up to date\n")
    (tmp_path / "generated" / "INSTALL.md").write_text("edited by hand\n", encoding="utf-8")
    assert hook().returncode == 1
