import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.emulator import HitlEmulator  # noqa: E402
from support.node_runtime import NodeRuntime  # noqa: E402

SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "botpress12" / "samples"
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


@pytest.fixture(scope="session", autouse=True)
def _own_user_cache(tmp_path_factory):
    """Builds keep what they saw of the files they wrote in the user's cache folder
    (stat_cache.py): the tests use their own, not the home folder's."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
    yield
    patch.undo()


@pytest.fixture
def emulator():
    server = HitlEmulator(bots=("support-bot", "helpdesk")).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink():
    from support.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def sinks():
    """Where a real server's alerts go (real/ and browser/): the emulator's webhook and
    e-mail API sinks, and an SMTP server (support/emulator.py alert_sink_env)."""
    from support.smtp_sink import SmtpSink

    http, smtp = HitlEmulator().start(), SmtpSink().start()
    yield http, smtp
    smtp.stop()
    http.stop()


@pytest.fixture(scope="session")
def runtime():
    return NodeRuntime()


def pytest_configure(config):
    config.addinivalue_line("markers", "node: runs generated JavaScript in Node (the `runtime` fixture)")


def pytest_collection_modifyitems(items):
    """Tests using the Node runtime are marked `node`, so `pytest --ignore=tests/real -m "not node"`
    runs the Python-only tests (what another Python version can change)."""
    for item in items:
        if "runtime" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.node)
