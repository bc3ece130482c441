"""The real Botpress server, once per test session, with loopback sinks for alerts.

Its EXPOSED_* variables point at a recording HTTP sink (webhooks, e-mail API) and a
real SMTP server, so alerts sent by generated actions are received and inspected.
When a test using it fails, the end of the server log is attached to the report.
`storage_server` adds one server per storage for the deploy tests (database storage
on sqlite, then on a throwaway PostgreSQL), each with the same sinks.
Their Botpress is 12.22.1, or the version $HITL_GEN_BOTPRESS names (e.g. 12.31.10).
"""

from __future__ import annotations

import json
import os
import re
from typing import NamedTuple

import pytest

from support.build import run_cli
from support.emulator import alert_sink_env
from support.postgres import Postgres
from support.real_server import DEFAULT_VERSION, RealBotpress, session_version
from support.studio_skill import install_module


def _has_hitlnext_exits(version: str) -> bool:
    from hitl_gen.botpress import hitlnext, versions

    return versions.has(hitlnext.EXITS, versions.parse(version.split("-")[0]))


# Modules that hold for some releases only, by design, and are not collected for the others:
# test_contract.py holds the emulator (a double of 12.22.1's HITL modules) against that
# server, test_webchat_client.py tests the channel-web client on 12.22.1's own protocol
# (12.31 adapts it below), test_hitlnext_exits.py needs what HITL Next has from 12.28, and
# test_skill_every_example.py stands in for the browser tests where there is no UI archive.
COLLECTED_FOR = {"test_contract.py": lambda version: version == DEFAULT_VERSION,
                 "test_webchat_client.py": lambda version: version == DEFAULT_VERSION,
                 "test_hitlnext_exits.py": _has_hitlnext_exits,
                 "test_skill_every_example.py": lambda version: version != DEFAULT_VERSION}


def pytest_ignore_collect(collection_path, config):
    wanted = COLLECTED_FOR.get(collection_path.name)
    return True if wanted and not wanted(session_version()) else None


@pytest.fixture(scope="session", autouse=True)
def _webchat_through_messaging():
    """12.31's channel-web goes through Messaging: a pushed message names its author
    `authorId` (12.22.1: `userId`), and the user the bot sees (`event.target`) is the
    Messaging user mapped to the visitor, not the visitor id the client connects with.
    For such a session, support/webchat.py is adapted here: messages get `userId` from
    `authorId`, and `chat.user_id` becomes that user once the first echo names it
    (the socket keeps the visitor id); a single-choice comes as Messaging's own
    `{"type": "single-choice", "choices": [{"title", "value"}]}` (12.22.1:
    `quick_replies`), read into `choices`; the stored conversation is listed newest
    first (12.22.1: oldest first), put back in order. And 12.31 drops the language a visit carries
    (channel-web's hook puts it in `event.state.user`, but a visit skips the dialog
    engine, which alone saves that state; `POST /preferences` takes only a language the
    bot lists, one on Community): the visitor's language rides on the test bot's
    "/me First Last" message instead, whose action stores it. Nothing changes on 12.22.1."""
    if session_version() == DEFAULT_VERSION:
        yield
        return
    import support.webchat as webchat

    view, send, stored = webchat.message_view, webchat.Webchat.send, webchat.Webchat.messages

    def message_view(row):
        if row.get("authorId") and not row.get("userId"):
            row = {**row, "userId": row["authorId"]}
        seen = {**view(row), "author": row.get("authorId"), "sent_on": row.get("sentOn") or ""}
        if not seen["choices"]:
            seen["choices"] = [(c["title"], c["value"]) for c in (row.get("payload") or {}).get("choices") or []]
        return seen

    def send_then_adopt_the_user(self, payload, **options):
        text = payload.get("text") or ""
        if self.language and payload.get("type") == "text" and re.fullmatch(r"/me \S+ \S+", text):
            payload = {**payload, "text": f"{text} {self.language}"}
        replies = send(self, payload, **options)
        if getattr(self, "visitor_id", None) is None and self.conversation_id:
            author = next((m["author"] for m in self.received if m["from"] == "user" and m.get("author")), None)
            if author:
                self.visitor_id, self.user_id = self.user_id, author
        return replies

    def messages_oldest_first(self, timeout=None):
        return sorted(stored(self, timeout), key=lambda m: m["sent_on"])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webchat, "message_view", message_view)
        patch.setattr(webchat.Webchat, "messages", messages_oldest_first)
        patch.setattr(webchat.Webchat, "send", send_then_adopt_the_user)
        yield


def sink_env(sinks) -> dict[str, str]:
    """The variables of a server whose alerts go to the sinks."""
    http, smtp = sinks
    return {
        **alert_sink_env(http, smtp),
        # HITL Next's own events (12.29+; Botpress's config reader fills eventsWebHook from them)
        "BP_MODULE_HITLNEXT_EVENTSWEBHOOK": json.dumps({"url": f"{http.url}/__sinks/hitlnext-events",
                                                        "headers": {"x-sent-by": "hitlnext"}}),
    }


@pytest.fixture(scope="session")
def botpress(tmp_path_factory, sinks):
    server = RealBotpress(tmp_path_factory.mktemp("botpress"), version=session_version(), env=sink_env(sinks)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def studio_botpress(tmp_path_factory, sinks):
    """A server of this session's release with hitl-gen's module enabled before it starts."""
    workdir = tmp_path_factory.mktemp("botpress-module")
    install_module(workdir, session_version())
    server = RealBotpress(workdir, version=session_version(), env=sink_env(sinks)).start()
    yield server
    server.stop()


class StorageServer(NamedTuple):
    storage: str                   # file | database (its sqlite) | postgres
    botpress: RealBotpress
    database: Postgres | None = None


# Which storages the deploy tests run on: all three, unless $HITL_GEN_STORAGES names some
# (the whole suite runs the storage matrix on 12.22.1 and file storage on 12.31.10).
STORAGES = tuple(os.environ.get("HITL_GEN_STORAGES", "file,database,postgres").split(","))


@pytest.fixture(scope="session", params=STORAGES)
def storage_server(request, sinks, tmp_path_factory):
    """A real server per storage, for real/test_deploy*.py, one at a time: the session's
    own (bots as files), then BPFS_STORAGE=database on its sqlite, then on PostgreSQL."""
    if request.param == "file":
        yield StorageServer("file", request.getfixturevalue("botpress"))
        return
    database = Postgres().start() if request.param == "postgres" else None
    server_env = {"BPFS_STORAGE": "database", **({"DATABASE_URL": database.url} if database else {})}
    server = RealBotpress(tmp_path_factory.mktemp(f"botpress-{request.param}"), version=session_version(), env=sink_env(sinks),
                          server_env=server_env)
    try:
        yield StorageServer(request.param, server.start(), database)
    finally:
        server.stop()
        if database is not None:
            database.stop()


@pytest.fixture
def live_cli(storage_server, monkeypatch, tmp_path):
    """hitl-gen as a builder runs it against this server: password in BP_PASSWORD, a private token cache."""
    server = storage_server.botpress
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_EMAIL", server.email)
    monkeypatch.setenv("BP_PASSWORD", server.password)
    monkeypatch.setenv("BP_URL", server.url)
    monkeypatch.delenv("BP_BOT", raising=False)
    monkeypatch.chdir(tmp_path)
    return run_cli


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    values = [getattr(v, "botpress", v) for v in getattr(item, "funcargs", {}).values()]
    servers = {id(s): s for s in values if isinstance(s, RealBotpress)}
    for server in servers.values() if report.failed else ():
        report.sections.append((f"Botpress server log, {server.url} (last 80 lines)", server.log_tail(80)))


@pytest.fixture
def cli(botpress, monkeypatch, tmp_path):
    """The live CLI logged in to the real server, with a private token cache."""
    from support.build import run_cli

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BP_PASSWORD", botpress.password)
    monkeypatch.setenv("BP_URL", botpress.url)
    code, _, err = run_cli("login", "--email", botpress.email)
    assert code == 0, err
    return run_cli
