"""The whole test suite: everything on this interpreter and the session's Botpress
(12.22.1), and side by side, in processes of their own, what the other targets add.

    .venv/bin/python tests/run_whole_suite.py [pytest arguments for the main run]

The main run (the fast tests, the Node runtime, the real 12.22.1 server, deploy on file
storage) is this interpreter's `pytest`, in the foreground. Meanwhile:
- deploy runs on 12.22.1 keeping its bots in its database, sqlite then PostgreSQL
  (HITL_GEN_STORAGES);
- the real-server tests run again on Botpress 12.31.10, the last 12.x (HITL_GEN_BOTPRESS),
  in two processes, each with its server: every example's conversations, and the rest
  (deploy on file storage only: the storage matrix is 12.22.1's);
- the browser tests drive headless Chromium against 12.22.1 with its web interfaces
  (tests/browser);
- each other supported Python gets a virtual environment of its own (`.venv-3.X`, with
  hitl-gen and its test extras) and runs the tests that need neither Node nor a server
  (`--ignore=tests/real -m "not node"`): what another Python can change.
They run at the same time because the real-server tests spend most of their time
waiting on the servers; one after the other they would not fit CI's budget.

A supported version that is not installed fails the run, saying how to install it: a
version silently skipped is a version not tested. Each side run's output is kept in a
log, and its last line printed; a failed one prints its end. Exit status: 0 when every
run passed.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")  # pyproject.toml: requires-python >= 3.10
LAST = "12.31.10"  # the last Botpress 12 (tests/support/real_server.py ARCHIVES)
PYTHON_ONLY = ["--ignore=tests/real", "--ignore=tests/browser", "-m", "not node", "-q", "-p", "no:cacheprovider"]


def interpreter(version: str) -> str | None:
    """The newest patch release of `version`: pyenv's, else one on PATH."""
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")),
                   key=lambda path: [int(part) for part in Path(path).parents[1].name.split(".")])
    return found[-1] if found else shutil.which(f"python{version}")


def start(name: str, script: str, logs: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    """Run `script` (bash) in the background, its output in <logs>/<name>.log."""
    log = logs / f"{name}.log"
    handle = log.open("w")
    return subprocess.Popen(["bash", "-c", script], cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})}), log


def python_only(version: str, python: str, logs: Path) -> tuple[subprocess.Popen, Path]:
    """Set up `.venv-<version>` and run the Python-only tests there."""
    venv = REPO / f".venv-{version}"
    script = (f'"{python}" -m venv "{venv}" && "{venv}/bin/pip" install -q -e ".[test]" && '
              f'"{venv}/bin/python" -m pytest {" ".join(repr(a) for a in PYTHON_ONLY)} --basetemp="{logs}/tmp-{version}"')
    return start(f"Python {version}, Python-only tests", script, logs)


def pytest_here(name: str, args: list[str], logs: Path, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    """This interpreter's pytest on `args`, with `env`."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", name)
    script = f'"{sys.executable}" -m pytest {" ".join(repr(a) for a in args)} -q -p no:cacheprovider --basetemp="{logs}/tmp-{slug}"'
    return start(name, script, logs, env)


def main(argv: list[str]) -> int:
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    others = {v: interpreter(v) for v in SUPPORTED if v != this}
    missing = [v for v, python in others.items() if python is None]
    if missing:
        for version in missing:
            print(f"Python {version} is not installed; hitl-gen supports it and the suite tests it: "
                  f"install it (e.g. `pyenv install {version}`) and run again", file=sys.stderr)
        return 1
    logs = Path(tempfile.mkdtemp(prefix="hitl-gen-suite-"))
    # Each real-server run has servers of its own; they mostly wait on them, so the longest
    # ones are cut in two. Slowest first: they start before the CPU-bound ones.
    last = {"HITL_GEN_BOTPRESS": LAST, "HITL_GEN_STORAGES": "file"}
    conversations = ["tests/real/test_conformance.py", "tests/real/test_hitlnext_exits.py"]
    storages = ["tests/real/test_deploy.py", "tests/real/test_deploy_safety.py"]
    runs = [pytest_here(f"Botpress {LAST}, every example's conversations", conversations, logs, last),
            pytest_here(f"Botpress {LAST}, the other real-server tests",
                        ["tests/real", *(f"--ignore={path}" for path in conversations)], logs, last),
            pytest_here("Botpress 12.22.1, deploy on database storage (sqlite, PostgreSQL)", storages, logs,
                        {"HITL_GEN_STORAGES": "database,postgres"}),
            pytest_here("Browser tests (Botpress 12.22.1 with its web interfaces)", ["tests/browser"], logs, {}),
            *(python_only(version, python, logs) for version, python in others.items())]
    main_status = subprocess.call([sys.executable, "-m", "pytest", "--ignore=tests/browser", *argv], cwd=REPO,
                                  env={**os.environ, "HITL_GEN_STORAGES": "file"})
    failed = main_status != 0
    for process, log in runs:
        status = process.wait()
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        print(f"{log.stem}: {lines[-1] if lines else 'no output'}")
        if status != 0:
            failed = True
            print("\n".join(lines[-60:]), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
