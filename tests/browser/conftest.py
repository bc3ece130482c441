"""One real Botpress 12.22.1 with its web interfaces, and one headless Chromium, for
the whole browser session.

The server is the UI archive (`botpress-12.22.1-server-ui.tar.xz`, "12.22.1-ui" in
support/real_server.py) with hitl-gen's module installed as a builder installs it:
`hitl-gen module -o <folder>`, then an entry in `data/global/botpress.config.json`
(here with the folder's absolute path as its location, which Botpress accepts like
`MODULES_ROOT/hitl-gen`), before the server starts. Its `EXPOSED_*` variables point at
loopback sinks, so the examples' alerts go somewhere real.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright for Python
without a browser of its own. A failing test gets, in its report: the screenshots it
took at each step (paths), the page's console errors (without the known noise) and the
end of the server log. Screenshots go to $HITL_GEN_BROWSER_ARTEFACTS when set (CI can
keep that folder), else under pytest's tmp dir.

Run beside the main suite, in a process of its own:

    .venv/bin/python -m pytest tests/browser -p no:cacheprovider
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from support.emulator import alert_sink_env
from support.real_server import RealBotpress, RealServerUnavailable
from support.studio_skill import install_module

UI_VERSION = "12.22.1-ui"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# What the Studio and the screens always print here, not a fault of ours: no NLU
# server, no `extensions` module in this build, no internet.
KNOWN_CONSOLE_NOISE = re.compile(r"extensions|api\.github\.com|ERR_NAME_NOT_RESOLVED|could not fetch current version"
                                 r"|Failed to load resource: the server responded with a status of 404|language server",
                                 re.IGNORECASE)


def pytest_collection_modifyitems(items):
    """Every test here is `browser` (CI runs them in a process of their own) and `node`
    (the server runs the generated JavaScript): `-m "not node"` runs never pick them."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.node)


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory, sinks):
    env = alert_sink_env(*sinks)
    workdir = tmp_path_factory.mktemp("botpress-ui")
    install_module(workdir, UI_VERSION)
    server = RealBotpress(workdir, version=UI_VERSION, env=env).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.is_file():
        raise RealServerUnavailable(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Artefacts:
    """The screenshots of one test, numbered in the order taken, and what the pages
    logged as errors."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.shots: list[Path] = []
        self.console: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)

    def shot(self, page, name: str, **options) -> Path:
        path = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        try:
            page.screenshot(path=str(path), **options)
            self.shots.append(path)
        except Exception as err:  # a page gone: the failure itself says more
            self.console.append(f"(screenshot {name} failed: {err})")
        return path

    def watch(self, page, label: str):
        def on_console(message):
            if message.type == "error" and not KNOWN_CONSOLE_NOISE.search(message.text):
                self.console.append(f"{label}: {message.text[:300]}")
        def on_response(response):
            if response.status >= 400 and not KNOWN_CONSOLE_NOISE.search(response.url):
                self.console.append(f"{label}: HTTP {response.status} {response.request.method} {response.url[:200]}")
        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda err: self.console.append(f"{label}: page error: {str(err)[:300]}"))
        return page


@pytest.fixture
def artefacts(request, tmp_path):
    root = os.environ.get("HITL_GEN_BROWSER_ARTEFACTS")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    found = Artefacts(Path(root) / name if root else tmp_path / "screens")
    request.node.artefacts = found
    yield found


@pytest.fixture(scope="session")
def agent_context(chromium, ui_server):
    """The Admin logged in once through its login page; the Studio and the agent
    screens share that browser context (its token is in local storage)."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(ui_server.url + "/admin")
    page.fill("#email", ui_server.email)
    page.fill("#password", ui_server.password)
    page.click("button:has-text('Sign In')")
    page.wait_for_url("**/admin/workspace/**", timeout=30_000)
    yield context, page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    found = getattr(item, "artefacts", None)
    if found is not None:
        report.sections.append(("browser screenshots", "\n".join(str(p) for p in found.shots) or "(none taken)"))
        if found.console:
            report.sections.append(("browser console errors", "\n".join(found.console[-40:])))
    server = getattr(item, "funcargs", {}).get("ui_server")
    if isinstance(server, RealBotpress):
        report.sections.append((f"Botpress server log, {server.url} (last 80 lines)", server.log_tail(80)))
