"""The real Botpress server, once per test session, with loopback sinks for alerts.

Its EXPOSED_* variables point at a recording HTTP sink (webhooks, e-mail API) and a
real SMTP server, so alerts sent by generated actions are received and inspected.
When a test using it fails, the end of the server log is attached to the report.
"""

from __future__ import annotations

import pytest

from support.emulator import HitlEmulator
from support.real_server import RealBotpress
from support.smtp_sink import SmtpSink


@pytest.fixture(scope="session")
def sinks():
    http, smtp = HitlEmulator().start(), SmtpSink().start()
    yield http, smtp
    smtp.stop()
    http.stop()


@pytest.fixture(scope="session")
def botpress(tmp_path_factory, sinks):
    http, smtp = sinks
    env = {
        "EXPOSED_SLACK_WEBHOOK": f"{http.url}/__sinks/webhook/slack",
        "EXPOSED_TEAMS_WEBHOOK": f"{http.url}/__sinks/webhook/teams",
        "EXPOSED_JSON_WEBHOOK": f"{http.url}/__sinks/webhook/json",
        "EXPOSED_MAIL_API_URL": f"{http.url}/__sinks/email-api",
        "EXPOSED_MAIL_API_KEY": "test-mail-key",
        "EXPOSED_SMTP_URL": smtp.url,
    }
    server = RealBotpress(tmp_path_factory.mktemp("botpress"), env=env).start()
    yield server
    server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    server = item.funcargs.get("botpress") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(server, RealBotpress):
        report.sections.append(("Botpress server log (last 80 lines)", server.log_tail(80)))


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
