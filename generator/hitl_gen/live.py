"""Talking to a live Botpress: where it is, and `doctor`'s checks in order."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hitl_gen import server_url
from hitl_gen.client import BotpressClient
from hitl_gen.credentials import TokenCache
from hitl_gen.errors import ConnectionProblem, ExitCode, ServerError, UsageError


@dataclass(frozen=True)
class Connection:
    url: str
    bot: str | None
    module: str = "hitl"
    botpress: str | None = None


MODULES = ("hitl", "hitlnext")


def resolve(url: str | None, bot: str | None, spec: Path | None, *, need_bot: bool = True,
            module: str | None = None) -> Connection:
    """Flags first, then BP_URL / BP_BOT, then the spec's target; the module is the
    flag's, else the spec's target.module, else hitl."""
    target = None
    if spec is not None:
        from hitl_gen.spec.load import load_spec

        target = load_spec(spec, str(spec)).target
    sources = (("--url", url), ("BP_URL", os.environ.get("BP_URL")), ("target.server", target.server if target else None))
    where, url = next(((where, value) for where, value in sources if value), (None, None))
    bot = bot or os.environ.get("BP_BOT") or (target.bot if target else None)
    if not url:
        raise UsageError("hitl-gen: no server URL; pass --url, set BP_URL, or give --spec with target.server")
    url = server_url.checked(url, where)
    if need_bot and not bot:
        raise UsageError("hitl-gen: no bot id; pass --bot, set BP_BOT, or give --spec")
    module = module or (target.module if target else None) or "hitl"
    if module not in MODULES:
        raise UsageError(f"hitl-gen: unknown module {module!r}; use one of {', '.join(MODULES)}")
    return Connection(url, bot, module, target.botpress_text if target else None)


def client_for(connection: Connection, cache: TokenCache, **kwargs) -> BotpressClient:
    return BotpressClient(connection.url, token=cache.get(connection.url), **kwargs)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    code: int = ExitCode.OK  # a failed check: its error's exit code
    warning: bool = False    # passed, but something to fix (the spec targets another Botpress)

    @property
    def state(self) -> str:
        return "FAIL" if not self.ok else ("WARN" if self.warning else "OK")


class WarningText(str):
    """A check's detail that is a warning, not a plain pass."""


def doctor(connection: Connection, client: BotpressClient, *, email: str | None, password: str | None,
           cache: TokenCache, skill_module: bool = False) -> list[Check]:
    """Each check needs the ones before it, so the first failure ends the list. With
    `skill_module` (the doctor command; not deploy, which does not need it), a last
    check says whether hitl-gen's own Botpress module is installed and enabled."""
    checks: list[Check] = []

    def run(name: str, step) -> bool:
        try:
            detail = step()
            checks.append(Check(name, True, str(detail), warning=isinstance(detail, WarningText)))
            return True
        except (ServerError, ConnectionProblem) as err:  # BadAnswer is a ServerError
            checks.append(Check(name, False, str(err), err.exit_code))
            return False

    def login() -> str:
        if client.token:
            # A route that needs the token and no bot: an unknown bot is the next check's failure, not this one's.
            client.profile()
            return "cached token accepted"
        if not (email and password):
            raise ServerError(f"{connection.url}: not logged in: run `hitl-gen login --url {connection.url} --email EMAIL`, "
                              "or set BP_EMAIL and BP_PASSWORD")
        cache.put(connection.url, client.login(email, password), email)
        return f"logged in as {email}"

    def module_routes() -> str:
        if connection.module == "hitlnext":
            return f"hitlnext answers ({len(client.agents(connection.bot))} agent(s))"
        return f"hitl answers ({len(client.sessions(connection.bot))} session(s))"

    def version() -> str:
        found = client.version()
        if connection.botpress and found != connection.botpress:
            return WarningText(f"the server runs Botpress {found} but the spec targets {connection.botpress}: what hitl-gen "
                               f"generates depends on the release (routes, HITL Next's exits), so set target.botpress: "
                               f"\"{found}\" in the spec and build or deploy again")
        return f"Botpress {found}"

    def skill_module_check() -> str:
        from hitl_gen import __version__
        from hitl_gen.botpress_module import NAME

        install = (f"write it with `hitl-gen module -o <the server's modules folder>`, add {{\"location\": \"MODULES_ROOT/{NAME}\", "
                   f"\"enabled\": true}} to \"modules\" in data/global/botpress.config.json, then restart Botpress")
        try:
            loaded = any(m.get("name") == NAME for m in client.loaded_modules())
            known = next((m for m in client.all_modules() if m.get("name") == NAME), None)
        except ServerError as err:  # a release without these routes, or not a super admin: say what is known
            return WarningText(f"cannot tell whether the {NAME} module (the Studio skill \"Talk to an agent\") is installed: {err}")
        if loaded and known and known.get("version") not in (None, __version__):
            return WarningText(f"the {NAME} module on the server is version {known['version']}, this hitl-gen writes "
                               f"{__version__}: write it again with `hitl-gen module -o ... --force`, then restart Botpress")
        if loaded:
            return f"the {NAME} module is installed and enabled: the Studio offers the skill \"Talk to an agent\""
        if known and known.get("enabled"):
            return WarningText(f"the {NAME} module is enabled in botpress.config.json but not loaded (restart Botpress; "
                               f"if it persists, its folder is incomplete: write it again with `hitl-gen module`)")
        if known:
            return WarningText(f"the {NAME} module is installed at {known.get('location')} but disabled: set \"enabled\": true "
                               f"for it in data/global/botpress.config.json (or in the Admin's Modules page), then restart Botpress")
        return WarningText(f"the {NAME} module (the Studio skill \"Talk to an agent\") is not installed; only no-code "
                           f"builders need it: {install}")

    steps = [
        ("server answers", lambda: (client.status(), f"{connection.url} is up")[1]),
        ("login works", login),
        ("bot exists", lambda: f"bot {client.bot(connection.bot).get('id', connection.bot)!r} found"),
        (f"{connection.module} routes answer", module_routes),
        ("version", version),
    ] + ([("skill module", skill_module_check)] if skill_module else [])
    for name, step in steps:
        if not run(name, step):
            break
    return checks
