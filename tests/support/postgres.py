"""A throwaway PostgreSQL on loopback, for a real Botpress whose database it is
(`DATABASE_URL=postgres://...`). The cluster lives in a temp folder for one test run:
initdb (trust on loopback, so no password is written anywhere), postgres on a free port
with no Unix socket, stopped by its PID and removed. Made in about a second.

initdb refuses to run as root: then the cluster belongs to the `postgres` user (or
`nobody`) and its folder is made for them. Nothing here skips: missing binaries raise
RealServerUnavailable saying what to install.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from support.real_server import RealServerUnavailable, free_port

SEARCH = ("/usr/local/bin", "/usr/lib/postgresql/15/bin")
USER = "botpress"


def _binary(name: str) -> str:
    for folder in SEARCH:
        if (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise RealServerUnavailable(f"{name} is not installed: the PostgreSQL tests need initdb and postgres "
                                    "(Debian: apt-get install postgresql)")
    return found


def _owner() -> dict:
    """subprocess arguments that run the cluster as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    raise RealServerUnavailable("running as root with neither a postgres nor a nobody user for PostgreSQL to run as")


class Postgres:
    def __init__(self):
        self.port = free_port()
        self.url = f"postgres://{USER}@127.0.0.1:{self.port}/postgres"
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "Postgres":
        owner = _owner()
        self.folder = Path(tempfile.mkdtemp(prefix="hitl-gen-pg-"))  # under /tmp: reachable by the cluster's owner
        if owner:
            os.chown(self.folder, owner["user"], owner["group"])
        data, log = self.folder / "data", self.folder / "postgres.log"
        done = subprocess.run([_binary("initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
                              capture_output=True, text=True, **owner)
        if done.returncode != 0:
            raise RealServerUnavailable(f"initdb failed: {done.stderr[-500:]}")
        with open(log, "wb") as out:
            # fsync off: a test cluster need not survive a power cut, and writes get much cheaper
            self.process = subprocess.Popen([_binary("postgres"), "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1",
                                             "-k", "", "-c", "fsync=off"], stdout=out, stderr=subprocess.STDOUT, **owner)
        deadline = time.monotonic() + timeout
        while "ready to accept connections" not in log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RealServerUnavailable(f"PostgreSQL did not start: {log.read_text(errors='replace')[-800:]}")
            time.sleep(0.05)
        return self

    def query(self, sql: str) -> list[str]:
        """Rows of a query, one line each (psql -At), as Botpress's own database holds them."""
        done = subprocess.run([_binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", "postgres",
                               "-At", "-c", sql], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr.strip()}")
        return done.stdout.splitlines()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
