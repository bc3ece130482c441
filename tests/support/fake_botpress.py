"""A Botpress 12.22.1 Admin as `deploy` sees it, for pytest-httpx (`add_callback`): bots
kept as files, exported and imported the way the real server does (the placeholder in
.json files, dot-files and names without a dot skipped by the import, "<name> (<id>)"
after an import), plus doctor's routes; and faults on demand that the real server
cannot make on cue: an export or an import refused, an import that writes part of the
bot and drops the connection, a server gone, a bot that does not mount.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path, PurePosixPath

import httpx
import yaml

from hitl_gen.admin import AdminClient
from hitl_gen.credentials import TokenCache
from hitl_gen.deploy import Live
from hitl_gen.live import Connection

REPO = Path(__file__).resolve().parents[2]
URL = "http://bp.test:3000"
PLACEHOLDER = "/bots/BOT_ID_PLACEHOLDER/"
WELCOME = {  # a small bot of the builder's own, as the Admin would have it
    "bot.config.json": b'{\n  "id": "shop",\n  "name": "My Shop",\n  "defaultLanguage": "en",\n  "languages": ["en"]\n}\n',
    "flows/main.flow.json": b'{"version": "0.0.1", "startNode": "entry", "nodes": [], "media": "/api/v1/bots/shop/media/a.png"}\n',
    "content-elements/builtin_text.json": b'[\n    {"id": "builtin_text-own001", "formData": {"text$en": "Welcome!"}}\n]\n',
    "actions/own/answer.js": b"return 'my own action'\n",
    "media/logo.png": b"\x89PNG bytes",
}


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in PurePosixPath(path).parts)


def pack(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def unpack(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


class FakeBotpress:
    def __init__(self, bots: dict[str, dict[str, bytes]] | None = None, *, modules=("basic-skills", "hitl", "hitlnext")):
        self.bots = {bot: dict(files) for bot, files in (bots if bots is not None else {"shop": WELCOME}).items()}
        self.modules, self.database, self.mounted = list(modules), False, set(self.bots)
        self.calls: list[str] = []  # "METHOD path" of every request
        self.refuse_export = self.refuse_import = None      # (status, body)
        self.drop_import_after: int | None = None           # write that many files, then drop the connection
        self.down_after_drop = False                         # and be gone from then on
        self.down = self.never_mount = False

    def count(self, what: str) -> int:
        return sum(1 for call in self.calls if call == what)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        self.calls.append(f"{method} {path}")
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        for pattern, handler in self._routes():
            match = re.fullmatch(pattern, f"{method} {path}")
            if match:
                return handler(request, *match.groups())
        return httpx.Response(404, text=f"Cannot {method} {path}")

    def _routes(self):
        bot = r"([a-z0-9_-]+)"
        return [
            (r"POST /api/v1/auth/login/basic/default", lambda r: httpx.Response(200, json={"payload": {"jwt": "a.b.c", "exp": 3600000}})),
            (r"GET /status", lambda r: httpx.Response(200, json={})),
            (r"GET /version", lambda r: httpx.Response(200, text="12.22.1")),
            (r"GET /api/v1/admin/user/profile", lambda r: httpx.Response(200, json={"payload": {"email": "a@b.c"}})),
            (rf"GET /api/v1/bots/{bot}/", self._config),
            (rf"GET /api/v1/bots/{bot}/mod/(hitl/sessions|hitlnext/agents)", self._module),
            (r"GET /api/v1/admin/workspace/bots", lambda r: httpx.Response(200, json={"payload": {"bots": [{"id": b} for b in self.bots]}})),
            (r"GET /api/v1/admin/workspace/bots/health", self._health),
            (rf"GET /api/v1/admin/workspace/bots/{bot}/export", self._export),
            (rf"POST /api/v1/admin/workspace/bots/{bot}/import", self._import),
            (rf"POST /api/v1/admin/workspace/bots/{bot}/delete", self._delete),
            (rf"GET /api/v1/bots/{bot}/actions", self._actions),
            (rf"GET /api/v1/studio/{bot}/flows", self._flows),
            (rf"POST /api/v1/studio/{bot}/flows/([^/]+)/delete", self._delete_flow),
            (rf"GET /api/v1/studio/{bot}/config", self._config),
            (rf"POST /api/v1/studio/{bot}/config", self._rename),
            (r"GET /api/v1/admin/management/versioning/bpfs_status", lambda r: httpx.Response(200, json={"isAvailable": self.database})),
            (r"GET /api/v1/modules", lambda r: httpx.Response(200, json=[{"name": m} for m in self.modules])),
        ]

    def config(self, bot: str) -> dict:
        return json.loads(self.bots[bot]["bot.config.json"])

    def _config(self, request, bot):
        if bot not in self.bots:
            return httpx.Response(404, json={"message": "Not Found: Invalid Bot ID"})
        return httpx.Response(200, json=self.config(bot))

    def _module(self, request, bot, route):
        module = route.split("/")[0]
        if module not in self.modules or bot not in self.mounted:
            return httpx.Response(404, text=f"Cannot GET {request.url.path}")
        return httpx.Response(200, json=[])

    def _health(self, request):
        bots = {bot: {"status": "healthy" if bot in self.mounted else "disabled"} for bot in self.bots}
        return httpx.Response(200, json={"payload": [{"serverId": "s1", "bots": bots}]})

    def _export(self, request, bot):
        if self.refuse_export:
            return httpx.Response(self.refuse_export[0], text=self.refuse_export[1])
        files = {path: data.replace(f"/bots/{bot}/".encode(), PLACEHOLDER.encode())
                 if path.endswith(".json") and not _hidden(path) else data for path, data in self.bots.get(bot, {}).items()}
        return httpx.Response(200, content=pack({**files, "revisions.json": b"[]"}))

    def _import(self, request, bot):
        if self.refuse_import:
            return httpx.Response(self.refuse_import[0], text=self.refuse_import[1])
        files = {path: data.replace(PLACEHOLDER.encode(), f"/bots/{bot}/".encode()) if path.endswith(".json") else data
                 for path, data in unpack(request.read()).items()
                 if not _hidden(path) and "." in PurePosixPath(path).name}  # the import's glob: **/*.*
        if "bot.config.json" not in files:
            return httpx.Response(400, json={"message": "The archive doesn't seem to contain a bot"})
        target = self.bots.setdefault(bot, {})
        for n, (path, data) in enumerate(sorted(files.items())):
            if self.drop_import_after is not None and n == self.drop_import_after:
                self.down, self.drop_import_after = self.down_after_drop, None  # once: the connection dropped
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            target[path] = data
        config = self.config(bot)
        if config.get("name") != bot:  # what importBot does to a bot whose name is not its id
            config["name"] = f"{config.get('name')} ({bot})"
        config["pipeline_status"] = {"current_stage": {"id": "prod", "promoted_by": "system"}}
        target["bot.config.json"] = (json.dumps(config, indent=2) + "\n").encode()
        self.mounted.discard(bot)  # unmounted, then mounted again
        if not self.never_mount:
            self.mounted.add(bot)
        return httpx.Response(200, text="OK")

    def _delete(self, request, bot):
        self.bots.pop(bot, None)
        self.mounted.discard(bot)
        return httpx.Response(200, json={"payload": {"botId": bot}})

    def _actions(self, request, bot):
        names = [p[len("actions/"):-3] for p in self.bots.get(bot, {}) if p.startswith("actions/") and p.endswith(".js")
                 and "node_modules" not in p and not _hidden(p)]
        return httpx.Response(200, json=[{"name": n} for n in ["builtin/setVariable", *sorted(names)]])

    def _flows(self, request, bot):
        names = [p[len("flows/"):] for p in self.bots.get(bot, {}) if p.startswith("flows/") and p.endswith(".flow.json")]
        return httpx.Response(200, json=[{"name": n} for n in sorted(names)])

    def _delete_flow(self, request, bot, flow):
        name = flow.replace("!!", "/")
        files = self.bots[bot]
        if f"flows/{name}" not in files:
            return httpx.Response(500, json={"message": f"Can not delete a flow that does not exist: {name}"})
        files.pop(f"flows/{name}")
        files.pop(f"flows/{name[:-len('.flow.json')]}.ui.json", None)
        return httpx.Response(200, text="OK")

    def _rename(self, request, bot):
        body = json.loads(request.read())
        if len(body.get("name", "")) > 50:  # Botpress's BotEditSchema; its own import makes longer names
            return httpx.Response(400, json={"message": '"name" length must be less than or equal to 50 characters long'})
        config = {**self.config(bot), **body}
        self.bots[bot]["bot.config.json"] = (json.dumps(config, indent=2) + "\n").encode()
        return httpx.Response(200, json={"payload": {"botId": bot}})


def spec_file(folder: Path, example: str = "two-handoffs", bot: str = "shop", edit=None) -> Path:
    raw = yaml.safe_load((REPO / "examples" / f"{example}.yaml").read_text(encoding="utf-8"))
    raw["target"].update(bot=bot, server=URL, languages=["en"])
    if edit:
        edit(raw)
    path = folder / f"{example}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def live(tmp_path: Path, bot: str = "shop", module: str = "hitl") -> Live:
    return Live(Connection(URL, bot, module), AdminClient(URL), TokenCache(tmp_path / "tokens.json"), "a@b.c", "pw",
                sleep=lambda seconds: None)


def serve(httpx_mock, monkeypatch, tmp_path) -> "FakeBotpress":
    """A fake Admin answering every httpx request of the test, and a clean environment to deploy from."""
    server = FakeBotpress()
    httpx_mock.add_callback(server, is_reusable=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_EMAIL", "a@b.c")
    monkeypatch.setenv("BP_PASSWORD", "pw")
    for name in ("BP_URL", "BP_BOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # backups go to ./hitl-gen-backups
    monkeypatch.setattr("hitl_gen.livebot.ACTION_CACHE_QUIET_S", 0)  # a real server's cache needs the pause, not this one
    return server
