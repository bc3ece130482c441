"""The whole test suite: everything on this interpreter, and the Python-only tests on
every other Python hitl-gen supports, side by side.

    .venv/bin/python tests/pytest_on_every_python.py [pytest arguments]

The main run (the real Botpress servers, the Node runtime, every fast test) is this
interpreter's `pytest`, in the foreground. Meanwhile each other supported version gets
a virtual environment of its own (`.venv-3.X`, with hitl-gen and its test extras) and
runs the tests that do not need Node or a server (`--ignore=tests/real -m "not node"`):
what another Python can change. They run during the main run because the real-server
tests spend most of their time waiting on the servers, and one after the other they
would not fit CI's budget.

A supported version that is not installed fails the run, saying how to install it: a
version silently skipped is a version not tested. Exit status: 0 when every run passed.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")  # pyproject.toml: requires-python >= 3.10
PYTHON_ONLY = ["--ignore=tests/real", "-m", "not node", "-q", "-p", "no:cacheprovider"]


def interpreter(version: str) -> str | None:
    """The newest patch release of `version`: pyenv's, else one on PATH."""
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")),
                   key=lambda path: [int(part) for part in Path(path).parents[1].name.split(".")])
    return found[-1] if found else shutil.which(f"python{version}")


def start(version: str, python: str, logs: Path) -> tuple[subprocess.Popen, Path]:
    """Set up `.venv-<version>` and run the Python-only tests there, in the background."""
    venv = REPO / f".venv-{version}"
    log = logs / f"python-{version}.log"
    script = (f'"{python}" -m venv "{venv}" && "{venv}/bin/pip" install -q -e ".[test]" && '
              f'"{venv}/bin/python" -m pytest {" ".join(repr(a) for a in PYTHON_ONLY)} --basetemp="{logs}/tmp-{version}"')
    handle = log.open("w")
    return subprocess.Popen(["bash", "-c", script], cwd=REPO, stdout=handle, stderr=subprocess.STDOUT), log


def main(argv: list[str]) -> int:
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    others = {v: interpreter(v) for v in SUPPORTED if v != this}
    missing = [v for v, python in others.items() if python is None]
    if missing:
        for version in missing:
            print(f"Python {version} is not installed; hitl-gen supports it and the suite tests it: "
                  f"install it (e.g. `pyenv install {version}`) and run again", file=sys.stderr)
        return 1
    logs = Path(tempfile.mkdtemp(prefix="hitl-gen-pythons-"))
    runs = {version: start(version, python, logs) for version, python in others.items()}
    main_status = subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=REPO)
    failed = main_status != 0
    for version, (process, log) in runs.items():
        status = process.wait()
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        print(f"Python {version}, Python-only tests: {lines[-1] if lines else 'no output'}")
        if status != 0:
            failed = True
            print("\n".join(lines[-40:]), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
