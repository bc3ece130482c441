"""`deploy`'s safety on a real Botpress 12.22.1, once per storage (files, database on
sqlite, database on PostgreSQL): a second deploy changes nothing; an action edited
through the Admin is a conflict and nothing is imported; an import the server refuses,
or one that stops half-way (the server dies before answering, simulated by a transport
that passes part of the archive through), loses nothing; --prune and undeploy remove
what hitl-gen installed, from the server's caches too, and keep the builder's own."""

from __future__ import annotations

import httpx
import pytest
from support.fake_botpress import pack, unpack

from hitl_gen.admin import AdminClient
from hitl_gen.credentials import TokenCache
from hitl_gen.deploy import DeployFailed, Live, deploy
from hitl_gen.live import Connection
from hitl_gen.livebot import differences

from .test_conformance import Watch, texts
from .test_deploy import builder_bot, deployed, export, import_files


def stored_where(storage_server, bot: str, path: str) -> tuple[bool, bool]:
    """(in the server's database, on its disk) for a file of the bot."""
    server, logical = storage_server.botpress, f"data/bots/{bot}/{path}"
    on_disk = (server.data / "bots" / bot / path).is_file()
    if storage_server.storage == "postgres":
        rows = storage_server.database.query(f"SELECT count(*) FROM srv_ghost_files WHERE file_path = '{logical}'")
        return rows == ["1"], on_disk
    rows = server.sql("SELECT count(*) FROM srv_ghost_files WHERE file_path = ?", logical)
    return rows == [(1,)], on_disk


def test_a_second_deploy_changes_nothing_and_an_action_edited_through_the_admin_is_a_conflict(
        storage_server, sinks, live_cli, tmp_path):
    server, bot = storage_server.botpress, "safe-edit"
    installed = deployed(storage_server, sinks, live_cli, tmp_path, "two-handoffs", bot)
    assert stored_where(storage_server, bot, "actions/hitl-gen/pause.js") == \
        ((False, True) if storage_server.storage == "file" else (True, server.mirrors_bots_on_disk))
    before = export(server, bot)
    code, out, _ = live_cli("deploy", installed.spec_path)
    assert code == 0 and out.splitlines()[-1] == f"{server.url}/bots/{bot}: up to date; nothing imported"
    assert export(server, bot) == before and live_cli("deploy", installed.spec_path, "--check")[0] == 0

    edited = {**before, "actions/hitl-gen/pause.js": before["actions/hitl-gen/pause.js"] + b"// my fix\n"}
    import_files(server, bot, edited)
    code, _, err = live_cli("deploy", installed.spec_path)
    assert code == 2 and f"{server.url}/bots/{bot}/actions/hitl-gen/pause.js: output: changed since hitl-gen wrote it" in err
    assert export(server, bot)["actions/hitl-gen/pause.js"] == edited["actions/hitl-gen/pause.js"]  # nothing imported
    assert live_cli("deploy", installed.spec_path, "--check")[0] == 1


class InterruptedImport(httpx.HTTPTransport):
    """Every request to the server, but the first import: `refused` sends half of its
    bytes (the server refuses the broken archive); `stopped` lets the server import the
    bot's config, our actions and hook (no flows), then answers like a server that died."""

    def __init__(self, how: str):
        super().__init__()
        self.how, self.done = how, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.done or request.method != "POST" or not request.url.path.endswith("/import"):
            return super().handle_request(request)
        self.done, body = True, request.read()
        if self.how == "refused":
            return super().handle_request(_with_body(request, body[: len(body) // 2]))
        part = {p: d for p, d in unpack(body).items() if p == "bot.config.json" or p.startswith(("actions/hitl-gen", "hooks/"))}
        super().handle_request(_with_body(request, pack(part))).read()
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)


def _with_body(request: httpx.Request, body: bytes) -> httpx.Request:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return httpx.Request(request.method, request.url, headers=headers, content=body)


@pytest.mark.parametrize("how, outcome", [("refused", "nothing changed: the live bot is as it was"),
                                          ("stopped", "the live bot was restored from the backup (deleted and imported")],
                         ids=["refused", "stopped"])
def test_an_import_refused_or_stopped_half_way_loses_nothing(storage_server, sinks, live_cli, tmp_path, how, outcome):
    server, bot = storage_server.botpress, f"safe-{how}"
    installed = builder_bot(storage_server, sinks, tmp_path, "minimal-hitl", bot)
    before = export(server, bot)
    with httpx.Client(transport=InterruptedImport(how), timeout=60) as http:
        where = Live(Connection(server.url, bot, "hitl"), AdminClient(server.url, http=http), TokenCache(tmp_path / "tokens.json"),
                     server.email, server.password)
        with pytest.raises(DeployFailed) as failed:
            deploy(installed.spec_path, where, backups=tmp_path / "backups")
    assert outcome in str(failed.value)
    assert differences(export(server, bot), before) == []  # byte for byte, but for what any import stamps
    watch = Watch(server, sinks)  # the trigger hook the stopped import wrote is gone from the server's cache too
    assert texts(server.converse(bot, f"{how}-user", "I want a human")) == ["bot heard: I want a human"]
    watch.assert_clean()
    assert live_cli("deploy", installed.spec_path)[0] == 0  # and it deploys once the server takes it


def test_prune_and_undeploy_remove_what_hitl_gen_installed_and_keep_the_builders_own(storage_server, sinks, live_cli, tmp_path):
    server, bot = storage_server.botpress, "safe-undeploy"
    installed = builder_bot(storage_server, sinks, tmp_path, "two-handoffs", bot)
    builders = export(server, bot)
    assert live_cli("deploy", installed.spec_path)[0] == 0
    (tmp_path / "smaller").mkdir()
    smaller = builder_spec_without_sales(installed.spec_path, tmp_path / "smaller")
    code, _, err = live_cli("deploy", smaller)
    assert code == 2 and "rerun with --prune" in err
    code, out, err = live_cli("deploy", smaller, "--prune")
    assert (code, err) == (0, "") and f"/bots/{bot}: deleted and imported whole: " in out
    assert not [path for path in export(server, bot) if "sales" in path]
    watch = Watch(server, sinks)
    assert texts(server.converse(bot, "sam", "I want to buy a boat")) == ["bot heard: I want to buy a boat"]
    assert texts(server.converse(bot, "kim", "refund please")) == ["A billing agent will answer you, kim."]

    code, out, err = live_cli("undeploy", smaller)
    assert (code, err) == (0, "") and f"/bots/{bot}: deleted and imported whole: " in out
    assert differences(export(server, bot), builders) == []  # the builder's bot, as it was before hitl-gen
    assert texts(server.converse(bot, "lou", "refund please")) == ["bot heard: refund please"]
    actions = {a["name"] for a in server.http.get(server.actions_path(bot), headers=server.bot_api(bot)).json()}
    flows = {f["name"] for f in server.http.get(f"/api/v1/studio/{bot}/flows", headers=server.admin_headers()).json()}
    assert not [a for a in actions if a.startswith("hitl-gen/")] and "billing.flow.json" not in flows
    watch.assert_clean()
    assert live_cli("undeploy", smaller)[1].splitlines()[-1] == f"{server.url}/bots/{bot}: up to date; nothing imported"


def builder_spec_without_sales(spec_path, folder):
    """The same spec (same file name: generated files name their spec) without its sales handoff."""
    import yaml

    raw = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    raw["handoffs"] = [h for h in raw["handoffs"] if h["id"] != "sales"]
    path = folder / spec_path.name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
