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

# The Admin's bot archive routes (deploy), and what checks a bot after an import. Each
# takes {bot} (URL-encoded by `for_bot`).
ADMIN_BOTS = _ROUTES["admin_bots"]
ADMIN_BOT_EXPORT = _ROUTES["admin_bot_export"]
ADMIN_BOT_IMPORT = _ROUTES["admin_bot_import"]
ADMIN_BOT_DELETE = _ROUTES["admin_bot_delete"]
ADMIN_BOTS_HEALTH = _ROUTES["admin_bots_health"]
ADMIN_BPFS_STATUS = _ROUTES["admin_bpfs_status"]
LOADED_MODULES = _ROUTES["loaded_modules"]
ALL_MODULES = _ROUTES["all_modules"]["route"]
MODULE_SKILLS = _ROUTES["module_skills"]["route"]
SKILL_FLOW = _ROUTES["skill_flow"]["route"]  # {module}, {skill}
STUDIO_SKILL_FLOW = _ROUTES["studio_skill_flow"]["route"]
BOT_ACTIONS = _ROUTES["bot_actions"]
STUDIO_ACTIONS = _ROUTES["studio_actions"]["route"]
STUDIO_FLOWS = _ROUTES["studio_flows"]
STUDIO_FLOW_DELETE = _ROUTES["studio_flow_delete"]["route"]
STUDIO_BOT_CONFIG = _ROUTES["studio_bot_config"]

# Relative to BOT_BASE.
HITL_SESSIONS = _ROUTES["hitl_sessions"]
HITL_SESSION_ACTION = _ROUTES["hitl_session_action"]  # pause | unpause | isPaused
# Only `pause` pauses; any other word unpauses. Never build `.../isPaused` on this
# route: on a real server it queries a missing column and crashes the worker.
HITL_USER_ACTION = _ROUTES["hitl_user_action"]
HITLNEXT_HANDOFFS = _ROUTES["hitlnext_handoffs"]
HITLNEXT_AGENTS = _ROUTES["hitlnext_agents"]
HITLNEXT_AGENT_ONLINE = _ROUTES["hitlnext_agent_online"]
HITLNEXT_HANDOFF_ACTION = _ROUTES["hitlnext_handoff_action"]["route"]  # {handoff}, {action}: assign | resolve | reject

HITL_SCREEN = _MODULES["hitl"]["screen"]
HITLNEXT_SCREEN = _MODULES["hitlnext"]["screen"]

PAUSE_ACTIONS = ("pause", "unpause")


def screen(module: str) -> str:
    """Where agents answer, relative to the server: `{bot}` still to fill."""
    return _MODULES[module]["screen"]


def bot_base(bot: str) -> str:
    return BOT_BASE.format(bot=quote(bot, safe=""))


def for_bot(route: str, bot: str, **parts: str) -> str:
    return route.format(bot=quote(bot, safe=""), **{name: quote(value, safe="") for name, value in parts.items()})


def studio_flow(flow: str) -> str:
    """A flow's name as the Studio's flow routes take it: "skills/x.flow.json" is "skills!!x.flow.json"."""
    return flow.replace("/", "!!")


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
