"""What is left to do after `build --into`: the server's part of INSTALL.md (the module,
the EXPOSED_ variables, nodemailer, the channels' notes), computed with the functions
INSTALL.md is written with (--into writes no INSTALL.md), and checked against the bot
folder and data/global/botpress.config.json where they can be. Nothing here prints:
the CLI does."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from hitl_gen.botpress import layout
from hitl_gen.destination import Placement
from hitl_gen.render.install_doc import channel_notes, npm_packages, required_env
from hitl_gen.render.module_config import enable_snippet
from hitl_gen.spec.model import Spec

SERVER_CONFIG = "botpress.config.json"
# FACTS §11: files changed on disk are read once the bot is reloaded (actions excepted).
RELOAD_ROUTE = "/api/v1/admin/workspace/bots/{bot}/reload"


class Step(NamedTuple):
    done: bool  # found done in the bot folder or data/global: said, so the user need not check
    text: str


def next_steps(spec: Spec, placement: Placement, *, wrote: bool) -> list[Step]:
    """The steps in INSTALL.md's order; `wrote` says whether the build changed files."""
    config = placement.global_dir / SERVER_CONFIG if placement.global_dir is not None else None
    modules = enabled_modules(config)
    steps = [_module_step(spec, _shown(config, placement), modules)]
    variables = required_env(spec)
    steps += [Step(False, f"set {name} where Botpress runs: {holds}") for name, holds in variables]
    if "nodemailer" in npm_packages(spec):
        steps.append(_nodemailer_step(spec, placement, modules))
    # INSTALL.md's paragraphs, on one line each (no Markdown emphasis in a terminal).
    steps += [Step(False, " ".join(note.replace("**", "").split())) for note in channel_notes(spec)]
    loads = ([f"the {spec.target.module} module"] if not steps[0].done else []) + (["the variables"] if variables else [])
    return steps + _restart_step(spec, loads, wrote=wrote)


def enabled_modules(config: Path | None) -> dict[str, bool] | None:
    """Module name -> enabled, from botpress.config.json's `modules` list; None when
    there is no such file to read (not beside data/bots) or it is not the expected JSON."""
    if config is None:
        return None
    try:
        entries = json.loads(config.read_text(encoding="utf-8"))["modules"]
        return {str(e["location"]).rstrip("/").rsplit("/", 1)[-1]: e.get("enabled") is True for e in entries}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _shown(config: Path | None, placement: Placement) -> str:
    """The server config as the user would type it: relative when they gave a relative bot folder."""
    if config is None:
        return f"data/global/{SERVER_CONFIG}"
    return str(config) if placement.bot_dir.is_absolute() else os.path.relpath(config)


def _module_step(spec: Spec, config: str, modules: dict[str, bool] | None) -> Step:
    module, snippet = spec.target.module, json.dumps(enable_snippet(spec))
    if modules is None:
        return Step(False, f"enable the {module} module: the modules list of {config} must contain {snippet}")
    if modules.get(module):
        return Step(True, f"the {module} module is enabled in {config}")
    if module in modules:
        return Step(False, f'enable the {module} module: set "enabled": true on MODULES_ROOT/{module} in the modules '
                           f"list of {config}")
    return Step(False, f"enable the {module} module: add {snippet} to the modules list of {config}")


def _nodemailer_step(spec: Spec, placement: Placement, modules: dict[str, bool] | None) -> Step:
    """Found through basic-skills (which ships it, needs.py), or a copy where require() looks."""
    if modules and modules.get("basic-skills"):
        return Step(True, "nodemailer: the basic-skills module is enabled, and Botpress gives actions its nodemailer")
    actions = placement.locate(layout.actions_dir(spec.target.actions_scope, spec.target.bot) / spec.target.namespace)
    shared = [placement.global_dir.parent / "shared_libs"] if placement.global_dir is not None else []
    found = next((d for d in [actions, actions.parent, *shared] if (d / "node_modules" / "nodemailer").is_dir()), None)
    if found is not None:
        return Step(True, f"nodemailer: found in {found / 'node_modules'}")
    return Step(False, f"install nodemailer where the actions find it: cd {actions} && npm install nodemailer@6 "
                       "(or enable the basic-skills module, which ships it)")


def _restart_step(spec: Spec, loads: list[str], *, wrote: bool) -> list[Step]:
    """Only a restart loads a module or variables (and it rereads the bot too); a reload rereads the bot alone."""
    files = "the bot's new flows and content elements"
    if loads:
        return [Step(False, f"restart Botpress, so it loads {' and '.join(loads)}" + (f" and reads {files}" if wrote else ""))]
    if wrote:
        return [Step(False, f"reload the bot, so it reads {files}: restart Botpress, or "
                            f"POST {RELOAD_ROUTE.format(bot=spec.target.bot)} (Admin API)")]
    return []
