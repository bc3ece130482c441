"""The real Botpress server, once per test session, with loopback sinks for alerts.

Its EXPOSED_* variables point at a recording HTTP sink (webhooks, e-mail API) and a
real SMTP server, so alerts sent by generated actions are received and inspected.
When a test using it fails, the end of the server log is attached to the report.
`storage_server` adds one server per storage for the deploy tests (database storage
on sqlite, then on a throwaway PostgreSQL), each with the same sinks.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from support.build import run_cli
from support.emulator import HitlEmulator
from support.postgres import Postgres
from support.real_server import RealBotpress
from support.smtp_sink import SmtpSink


@pytest.fixture(scope="session")
def sinks():
    http, smtp = HitlEmulator().start(), SmtpSink().start()
    yield http, smtp
    smtp.stop()
    http.stop()


def sink_env(sinks) -> dict[str, str]:
    """The EXPOSED_* variables of a server whose alerts go to the sinks."""
    http, smtp = sinks
    return {
        "EXPOSED_SLACK_WEBHOOK": f"{http.url}/__sinks/webhook/slack",
        "EXPOSED_TEAMS_WEBHOOK": f"{http.url}/__sinks/webhook/teams",
        "EXPOSED_JSON_WEBHOOK": f"{http.url}/__sinks/webhook/json",
        "EXPOSED_MAIL_API_URL": f"{http.url}/__sinks/email-api",
        "EXPOSED_MAIL_API_KEY": "test-mail-key",
        "EXPOSED_SMTP_URL": smtp.url,
    }


@pytest.fixture(scope="session")
def botpress(tmp_path_factory, sinks):
    server = RealBotpress(tmp_path_factory.mktemp("botpress"), env=sink_env(sinks)).start()
    yield server
    server.stop()


class StorageServer(NamedTuple):
    storage: str                   # file | database (its sqlite) | postgres
    botpress: RealBotpress
    database: Postgres | None = None


@pytest.fixture(scope="session", params=("file", "database", "postgres"))
def storage_server(request, sinks, tmp_path_factory):
    """A real server per storage, for real/test_deploy*.py, one at a time: the session's
    own (bots as files), then BPFS_STORAGE=database on its sqlite, then on PostgreSQL."""
    if request.param == "file":
        yield StorageServer("file", request.getfixturevalue("botpress"))
        return
    database = Postgres().start() if request.param == "postgres" else None
    server_env = {"BPFS_STORAGE": "database", **({"DATABASE_URL": database.url} if database else {})}
    server = RealBotpress(tmp_path_factory.mktemp(f"botpress-{request.param}"), env=sink_env(sinks), server_env=server_env)
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
