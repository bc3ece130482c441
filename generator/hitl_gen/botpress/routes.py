"""HTTP routes of Botpress v12 and its HITL modules (FACTS §6-§8), from v12.json.

Paths relative to a bot's API base (`/api/v1/bots/<botId>`) are what
`bp.http.getAxiosConfigForBot` returns as `baseURL`, so generated actions and the
Python client share these strings.
"""

from __future__ import annotations

from urllib.parse import quote

from hitl_gen.botpress.knowledge import table

_ROUTES = table()["routes"]
_MODULES = table()["modules"]

LOGIN = _ROUTES["login"]
BOT_BASE = _ROUTES["bot_base"]
ADMIN_BOT_RELOAD = _ROUTES["admin_bot_reload"]
WORKSPACE_HEADER = _ROUTES["workspace_header"]

# Relative to BOT_BASE.
HITL_SESSIONS = _ROUTES["hitl_sessions"]
HITL_SESSION_ACTION = _ROUTES["hitl_session_action"]  # pause | unpause | isPaused
# Only `pause` pauses; any other word unpauses. Never build `.../isPaused` on this
# route: on a real server it queries a missing column and crashes the worker.
HITL_USER_ACTION = _ROUTES["hitl_user_action"]
HITLNEXT_HANDOFFS = _ROUTES["hitlnext_handoffs"]
HITLNEXT_AGENTS = _ROUTES["hitlnext_agents"]

HITL_SCREEN = _MODULES["hitl"]["screen"]
HITLNEXT_SCREEN = _MODULES["hitlnext"]["screen"]

PAUSE_ACTIONS = ("pause", "unpause")


def screen(module: str) -> str:
    """Where agents answer, relative to the server: `{bot}` still to fill."""
    return _MODULES[module]["screen"]


def bot_base(bot: str) -> str:
    return BOT_BASE.format(bot=quote(bot, safe=""))


def user_action(channel: str, user: str, action: str) -> str:
    if action not in PAUSE_ACTIONS:
        raise ValueError(f"unsupported HITL action {action!r}")
    return HITL_USER_ACTION.format(channel=quote(channel, safe=""), user=quote(user, safe=""), action=action)


def session_action(session: int | str, action: str) -> str:
    if action not in PAUSE_ACTIONS + ("isPaused",):
        raise ValueError(f"unsupported HITL action {action!r}")
    return HITL_SESSION_ACTION.format(session=quote(str(session), safe=""), action=action)


def fill(route: str, **parts: str) -> str:
    """Put raw (not URL-encoded) values into a route, e.g. Mustache tags for a Call-API
    skill URL; str.format cannot, as the Mustache tags are braces themselves."""
    for name, value in parts.items():
        route = route.replace("{" + name + "}", value)
    return route
