"""The Admin calls `deploy` needs, on top of the client: a bot's archive out and in,
its deletion, and what says an import worked (mounted, actions, flows). Seen on a real
12.22.1 with file, sqlite-database and PostgreSQL-database storage alike (FACTS §12).

Export, import and delete get long timeouts, deadlines and size limits (a bot with media
is megabytes) and are never sent twice: an import or a delete that got no answer may
have happened. Answers are JSON (answers.py) before anything reads them.
"""

from __future__ import annotations

import httpx

from hitl_gen import answers
from hitl_gen.botpress import routes
from hitl_gen.client import NEVER_CONNECTED, BotpressClient
from hitl_gen.errors import ConnectionProblem, ServerError

ARCHIVE_TIMEOUT = httpx.Timeout(300.0, connect=5.0)
ARCHIVE_DEADLINE_S = 900.0  # the whole export or import; BP_TIMEOUT is for the small calls
ARCHIVE_MAX_BYTES = 1024 * 1024 * 1024  # an export is held in memory: a server streaming for ever is cut off here
WORKSPACE = {routes.WORKSPACE_HEADER: "default"}
TGZ = "application/tar+gzip"


class AdminClient(BotpressClient):
    def bot_ids(self) -> list[str]:
        body = self._call("GET", routes.ADMIN_BOTS, answers.json_object, headers=WORKSPACE, what="listing the workspace's bots")
        return [bot.get("id") for bot in (body.get("payload") or {}).get("bots", [])]

    def export_bot(self, bot: str) -> bytes:
        return self._request("GET", routes.for_bot(routes.ADMIN_BOT_EXPORT, bot), headers=WORKSPACE, timeout=ARCHIVE_TIMEOUT,
                             deadline=ARCHIVE_DEADLINE_S, max_bytes=ARCHIVE_MAX_BYTES, what=f"exporting bot {bot!r}").content

    def import_bot(self, bot: str, archive: bytes) -> None:
        """Adds and replaces files, never deletes one; `overwrite` lets it import over an existing bot."""
        self._request("POST", routes.for_bot(routes.ADMIN_BOT_IMPORT, bot), params={"overwrite": "true"}, content=archive,
                      headers={**WORKSPACE, "Content-Type": TGZ}, timeout=ARCHIVE_TIMEOUT, deadline=ARCHIVE_DEADLINE_S,
                      what=f"importing bot {bot!r}")

    def delete_bot(self, bot: str) -> None:
        self._request("POST", routes.for_bot(routes.ADMIN_BOT_DELETE, bot), headers=WORKSPACE, timeout=ARCHIVE_TIMEOUT,
                      deadline=ARCHIVE_DEADLINE_S, what=f"deleting bot {bot!r}")

    def bot_status(self, bot: str) -> str | None:
        """`healthy` once mounted, `disabled` when not (unmounted, deleted, or disabled); None when unknown."""
        body = self._call("GET", routes.ADMIN_BOTS_HEALTH, answers.json_body, headers=WORKSPACE, what="reading the bots' health")
        servers = body.get("payload") if isinstance(body, dict) else None
        for server in servers if isinstance(servers, list) else []:
            found = (server.get("bots") or {}).get(bot)
            if isinstance(found, dict):
                return found.get("status")
        return None

    def action_names(self, bot: str) -> set[str]:
        what = f"listing the actions of bot {bot!r}"
        path = routes.for_bot(routes.BOT_ACTIONS, bot)
        response = self._request("GET", path, what=what, missing_route_ok=True)
        if response.status_code == 404:  # Express's "Cannot GET": a Botpress that lists them in the Studio (12.31.10)
            path = routes.for_bot(routes.STUDIO_ACTIONS, bot)
            response = self._request("GET", path, headers=WORKSPACE, what=what)
        return {action.get("name") for action in self._expect(response, answers.object_list, "GET", path, what)}

    def flow_names(self, bot: str) -> set[str]:
        flows = self._call("GET", routes.for_bot(routes.STUDIO_FLOWS, bot), answers.object_list, headers=WORKSPACE,
                           what=f"listing the flows of bot {bot!r}")
        return {flow.get("name") for flow in flows}

    def delete_flow(self, bot: str, flow: str) -> None:
        """`flow` as the flows listing names it ("skills/x.flow.json"); its .ui.json goes with it."""
        self._request("POST", routes.for_bot(routes.STUDIO_FLOW_DELETE, bot, flow=routes.studio_flow(flow)), headers=WORKSPACE,
                      what=f"deleting flow {flow!r} of bot {bot!r}")

    def bot_config(self, bot: str) -> dict:
        return self._call("GET", routes.for_bot(routes.STUDIO_BOT_CONFIG, bot), answers.json_object, headers=WORKSPACE,
                          what=f"reading the configuration of bot {bot!r}")

    def rename_bot(self, bot: str, name: str, config: dict) -> None:
        """Give the bot its name back. The Studio's update also changes the default language, the
        languages and whether the bot is disabled unless they are sent as they are, so they are."""
        body = {"name": name, **{key: config[key] for key in ("defaultLanguage", "languages", "disabled") if key in config}}
        self._request("POST", routes.for_bot(routes.STUDIO_BOT_CONFIG, bot), json=body, headers=WORKSPACE,
                      what=f"giving bot {bot!r} its name back")

    def database_storage(self) -> bool | None:
        """True when the server keeps bots in its database (BPFS_STORAGE=database); None when
        this account may not ask (a super-admin route)."""
        try:
            body = self._call("GET", routes.ADMIN_BPFS_STATUS, answers.json_body, headers=WORKSPACE, what="reading the storage")
        except ServerError:
            return None
        return bool(body.get("isAvailable")) if isinstance(body, dict) else None

    def loaded_modules(self) -> set[str] | None:
        try:
            modules = self._call("GET", routes.LOADED_MODULES, answers.json_body, headers=WORKSPACE, what="listing the modules")
        except ServerError:
            return None
        return {module.get("name") for module in modules if isinstance(module, dict)} if isinstance(modules, list) else None

    def _unanswered(self, method: str, path: str, what: str, err: httpx.TransportError) -> Exception:
        """An import or a delete that got no answer may have happened, in part: the caller
        compares the bot with its backup (the client's own advice is about HITL calls)."""
        if method == "GET" or isinstance(err, NEVER_CONNECTED) or "/admin/workspace/bots/" not in path:
            return super()._unanswered(method, path, what, err)
        return ConnectionProblem(f"{self.url}: {what}: {method} {path} got no answer ({type(err).__name__}); "
                                 "it may have happened in part")
