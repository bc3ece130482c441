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
They run beside the main run, three at a time, longest first, because the real-server
tests spend most of their time waiting on the servers: one after the other they would
not fit CI's budget, and all at once they starve each other on CI's two cores.

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
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")  # pyproject.toml: requires-python >= 3.10
LAST = "12.31.10"  # the last Botpress 12 (tests/support/real_server.py ARCHIVES)
# Side runs at a time, beside the main one: on CI's two cores, more starve each other (servers
# that take minutes to start, timing-sensitive tests failing).
SIDE_SLOTS = 3
PYTHON_ONLY = ["--ignore=tests/real", "--ignore=tests/browser", "-m", "not node", "-q", "-p", "no:cacheprovider"]


def interpreter(version: str) -> str | None:
    """The newest patch release of `version`: pyenv's, else one on PATH."""
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")),
                   key=lambda path: [int(part) for part in Path(path).parents[1].name.split(".")])
    return found[-1] if found else shutil.which(f"python{version}")


class Job(NamedTuple):
    name: str               # also its log's name
    script: str             # bash
    env: dict[str, str] = {}


def pytest_job(name: str, args: list[str], logs: Path, env: dict[str, str]) -> Job:
    """This interpreter's pytest on `args`, with `env`."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", name)
    return Job(name, f'"{sys.executable}" -m pytest {" ".join(repr(a) for a in args)} -q -p no:cacheprovider '
                     f'--basetemp="{logs}/tmp-{slug}"', env)


def python_only_job(version: str, python: str, logs: Path) -> Job:
    """Set up `.venv-<version>` and run the Python-only tests there."""
    venv = REPO / f".venv-{version}"
    return Job(f"Python {version}, Python-only tests",
               f'"{python}" -m venv "{venv}" && "{venv}/bin/pip" install -q -e ".[test]" && '
               f'"{venv}/bin/python" -m pytest {" ".join(repr(a) for a in PYTHON_ONLY)} --basetemp="{logs}/tmp-{version}"')


def side_jobs(others: dict[str, str], logs: Path) -> list[Job]:
    """The runs beside the main one, longest first."""
    last = {"HITL_GEN_BOTPRESS": LAST, "HITL_GEN_STORAGES": "file"}
    conversations = ["tests/real/test_conformance.py", "tests/real/test_hitlnext_exits.py"]
    return [pytest_job(f"Botpress {LAST}, every example's conversations", conversations, logs, last),
            pytest_job(f"Botpress {LAST}, the other real-server tests",
                       ["tests/real", *(f"--ignore={path}" for path in conversations)], logs, last),
            pytest_job("Botpress 12.22.1, deploy on database storage (sqlite, PostgreSQL)",
                       ["tests/real/test_deploy.py", "tests/real/test_deploy_safety.py"], logs,
                       {"HITL_GEN_STORAGES": "database,postgres"}),
            pytest_job("Browser tests (Botpress 12.22.1 with its web interfaces)", ["tests/browser"], logs, {}),
            *(python_only_job(version, python, logs) for version, python in others.items())]


def launch(job: Job, logs: Path) -> tuple[subprocess.Popen, Path]:
    log = logs / f"{job.name}.log"
    with log.open("w") as handle:
        return subprocess.Popen(["bash", "-c", job.script], cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                env={**os.environ, **job.env}), log


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
    main_run = subprocess.Popen([sys.executable, "-m", "pytest", "--ignore=tests/browser", *argv], cwd=REPO,
                                env={**os.environ, "HITL_GEN_STORAGES": "file"})
    waiting, running, done = side_jobs(others, logs), [], []
    while waiting or running or main_run.poll() is None:
        for entry in [e for e in running if e[0].poll() is not None]:
            running.remove(entry)
            done.append(entry)
        while waiting and len(running) < SIDE_SLOTS:
            running.append(launch(waiting.pop(0), logs))
        time.sleep(0.5)
    failed = main_run.returncode != 0
    for process, log in done:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        print(f"{log.stem}: {lines[-1] if lines else 'no output'}")
        if process.returncode != 0:
            failed = True
            print("\n".join(lines[-60:]), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
