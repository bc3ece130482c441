"""The one JavaScript runtime every generated action of a bot shares.

Actions used to carry the whole helper library each (97 % of their bytes). Now the
library is one file beside them, `actions/<namespace>/runtime-<hash>.js`, and each
action holds only its metadata, its CONFIG and a loader (templates/action.js.j2).

The loader reads the file through `bp.ghost`, Botpress's file service, rather than
`require`: Botpress resolves `require` on the disk only, and with database storage an
imported bot's actions are not on the disk. The file is a function body run with the
action's own sandbox values, so it behaves exactly like code inside the action.

Its content depends on hitl-gen alone (never on a spec), and its name on its content:
two hitl-gen versions in one bot each load their own, and an action cannot load a
runtime it was not built with. `@hidden true` keeps it out of the Studio's action list.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import PurePosixPath

from hitl_gen import __version__, channels
from hitl_gen.botpress import layout, routes
from hitl_gen.botpress.knowledge import table
from hitl_gen.render.jinja_env import render
from hitl_gen.spec.model import Spec
from hitl_gen.texts import PLACEHOLDER

CATEGORY = "Human handoff (hitl-gen)"


def botpress_config(module: str) -> dict:
    """What every script reads of the Botpress knowledge table: the same for every spec,
    so the shared runtime carries it, for each module, and actions do not."""
    return {
        "placeholder": PLACEHOLDER.pattern,  # the one syntax of {{name}}, shared with the spec checks
        "agentScreen": routes.screen(module),
        "routes": {"userAction": routes.HITL_USER_ACTION, "handoffs": routes.HITLNEXT_HANDOFFS, "agents": routes.HITLNEXT_AGENTS},
    }


@cache
def runtime_source() -> str:
    known = {module: botpress_config(module) for module in table()["modules"]}
    return render("runtime.js.j2", version=__version__, category=CATEGORY, alert_channels=channels.senders(), known=known)


@cache
def runtime_name() -> str:
    digest = hashlib.sha256(runtime_source().encode("utf-8")).hexdigest()[:12]
    return f"runtime-{digest}.js"


def runtime_config(spec: Spec) -> str:
    """Where an action finds the runtime, under its scope's `actions` folder."""
    return f"{spec.target.namespace}/{runtime_name()}"


def runtime_path(spec: Spec) -> PurePosixPath:
    return layout.actions_dir(spec.target.actions_scope, spec.target.bot) / spec.target.namespace / runtime_name()
