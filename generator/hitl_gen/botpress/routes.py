"""HTTP routes of Botpress v12 and its HITL modules (FACTS §6-§8).

Paths relative to a bot's API base (`/api/v1/bots/<botId>`) are what
`bp.http.getAxiosConfigForBot` returns as `baseURL`, so generated actions and the
Python client share these strings.
"""

from __future__ import annotations

from urllib.parse import quote

LOGIN = "/api/v1/auth/login/basic/default"
BOT_BASE = "/api/v1/bots/{bot}"
ADMIN_BOT_RELOAD = "/api/v1/admin/workspace/bots/{bot}/reload"
WORKSPACE_HEADER = "X-BP-Workspace"

# Relative to BOT_BASE.
HITL = "/mod/hitl"
HITL_SESSIONS = HITL + "/sessions"
HITL_SESSION_ACTION = HITL + "/sessions/{session}/{action}"  # pause | unpause | isPaused
# Only `pause` pauses; any other word unpauses. Never build `.../isPaused` on this
# route: on a real server it queries a missing column and crashes the worker.
HITL_USER_ACTION = HITL + "/channel/{channel}/user/{user}/{action}"
HITLNEXT = "/mod/hitlnext"
HITLNEXT_HANDOFFS = HITLNEXT + "/handoffs"
HITLNEXT_AGENTS = HITLNEXT + "/agents"

HITL_SCREEN = "/studio/{bot}/modules/hitl"
HITLNEXT_SCREEN = "/studio/{bot}/modules/hitlnext"

PAUSE_ACTIONS = ("pause", "unpause")


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
