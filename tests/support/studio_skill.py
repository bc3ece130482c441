"""hitl-gen's Studio module on a real server, and its skill inserted as the Studio inserts it.

`install_module` writes the module with `hitl-gen module -o` and enables it in the
server's global config before the server starts, as a builder does (with the folder's
absolute path as its location, which Botpress accepts like `MODULES_ROOT/hitl-gen`).

`insert_skill` does over HTTP what the Studio does when the builder picks a handoff in
the skill's form and clicks Insert: it reads the module's handoff listing (what the
form shows), asks Botpress for the skill's flow (the flow generator, through the route
the Studio calls), and writes the skill's flow and the skill-call node as the Studio
writes them (ui-studio's flows reducer: `skills/<skill>-<id>.flow.json` with the
generated flow, `skillData`, `name` and `location`; a `skill-call` node whose `next` are
the generated transitions). tests/browser proves the same against the Studio itself on
12.22.1; this is for 12.31.10, whose web interfaces are not in ../shared.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from pathlib import Path

import yaml
from support.build import run_cli
from support.builder_wiring import PROFILE_ACTION, smtp_for_skills
from support.real_server import unpacked

from hitl_gen.botpress import routes, versions
from hitl_gen.botpress_module import NAME, SKILL
from hitl_gen.spec.load import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VISITOR = ("Alice", "Martin")       # the name the visitor gives: "/me Alice Martin"
ASK = "I need help with my order"   # words that start no handoff, so the dialog reaches the skill

# The builder's main flow: `entry` (a profile form stand-in: "/me First Last" stores the
# name) whose "otherwise" transition leads nowhere until the skill is inserted there,
# and `after_agent`, which says how the handoff ended (temp.hitl_outcome).
ENTRY, AFTER = "e0e0e0e0e0", "a0a0a0a0a0"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OUTCOME_ACTION = r"""/**
 * Test bot: says how the handoff skill ended (temp.hitl_outcome).
 * @title Test outcome
 * @category Test
 */
return bp.events.replyToEvent(event, [{ type: 'text', text: 'back in the builder flow: ' + (temp.hitl_outcome || 'none') }])
"""


def install_module(workdir: Path, version: str) -> Path:
    """`hitl-gen module -o MODULES`, then the module enabled in the server's config."""
    modules = workdir / "modules"
    code, out, err = run_cli("module", "-o", modules)
    assert code == 0, err
    enable_module(workdir, modules / NAME, version)
    return modules / NAME


def enable_module(workdir: Path, location: Path, version: str) -> None:
    """A fresh server's global data (start.sh's seed) with the module at `location` enabled."""
    global_dir = workdir / "data" / "global"
    shutil.copytree(unpacked(version) / "seed" / "global", global_dir)
    config_file = global_dir / "botpress.config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["modules"].append({"location": str(location), "enabled": True})
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def examples_up_to(version: str) -> list[Path]:
    """The examples a server of `version` (e.g. "12.31.10", "12.22.1-ui") runs: those
    whose target.botpress is that release or an older one."""
    top = versions.parse(version.split("-")[0])
    return [e for e in sorted(EXAMPLES.glob("*.yaml"))
            if versions.parse(str(yaml.safe_load(e.read_text(encoding="utf-8"))["target"]["botpress"])) <= top]


def heard(text: str, message: str = ASK) -> str:
    """A spec text as the visitor reads it: {{full_name}} and {{last_message}} filled."""
    known = {"full_name": " ".join(VISITOR), "last_message": message}
    return re.sub(r"\{\{\s*(full_name|last_message)\s*\}\}", lambda m: known[m.group(1)], text)


def _edited(raw: dict, bot: str, version: str | None) -> dict:
    """The example as the test bot needs it: its own id, the server's release when given,
    and business hours open all day (the real clock must not decide)."""
    raw["target"]["bot"] = bot
    if version:
        raw["target"]["botpress"] = version
    for handoff in raw["handoffs"]:
        if handoff.get("hours"):
            handoff["hours"].update(open={day: ["00:00-24:00"] for day in DAYS}, closed=[])
    return raw


def prepare_bot(server, example: Path, tmp_path: Path, bot: str, smtp_url: str, *, one_language: bool = False, edit=None):
    """The bot as a builder has it before opening the Studio: created in the Admin, the
    spec built into it (SMTP set for the SendEmail skill, as INSTALL.md says), the
    builder's own main flow; reloaded. `one_language`: the bot lists the spec's first
    language only (12.31's Community edition keeps one). `edit` changes the spec first."""
    version = None if server.version.endswith("-ui") else server.version
    raw = _edited(yaml.safe_load(example.read_text(encoding="utf-8")), bot, version)
    if edit:
        edit(raw)
    spec_path = tmp_path / example.name
    spec_path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    spec = load_spec(spec_path)
    languages = list(spec.target.languages)
    bot_dir = server.create_bot(bot, languages[:1] if one_language else languages)
    code, out, err = run_cli("build", spec_path, "--into", bot_dir)
    assert code == 0, err
    smtp_for_skills(bot_dir, smtp_url)
    for name, source in (("profile.js", PROFILE_ACTION), ("outcome.js", OUTCOME_ACTION)):
        _place(bot_dir / "actions" / "test_bot" / name, source)
    nodes = [
        {"id": ENTRY, "name": "entry", "type": "standard", "onEnter": ["test_bot/profile {}"], "onReceive": None,
         "next": [{"condition": "temp.test_profile", "node": ""}, {"condition": "true", "node": ""}]},
        {"id": AFTER, "name": "after_agent", "type": "standard", "onEnter": ["test_bot/outcome {}"], "onReceive": None,
         "next": [{"condition": "true", "node": ""}]},
    ]
    flow = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": "entry", "description": "the builder's bot",
            "nodes": nodes}
    ui = {"nodes": [{"id": ENTRY, "position": {"x": 60, "y": 60}}, {"id": AFTER, "position": {"x": 60, "y": 420}}],
          "links": []}
    _place(bot_dir / "flows" / "main.flow.json", flow)
    _place(bot_dir / "flows" / "main.ui.json", ui)
    server.reload(bot)
    return bot, bot_dir, spec


def listed_handoffs(server, bot: str) -> list[dict]:
    """What the skill's form lists: the module's route for the bot."""
    answer = server.http.get(routes.for_bot(routes.BOT_BASE + f"/mod/{NAME}/handoffs", bot), headers=server.bot_api(bot))
    assert answer.status_code == 200, answer.text
    return answer.json()["handoffs"]


def form_data(listed: dict, texts: dict | None = None) -> dict:
    """The skill's data as the form reports it (files/web/full.bundle.js `report`)."""
    data = {"handoff": listed["id"], "flow": listed["flow"], "flag": listed["flag"], "exits": listed["exits"]}
    if listed.get("textsAction"):
        data.update(textsAction=listed["textsAction"], overridable=[t["key"] for t in listed["texts"]],
                    languages=listed["languages"], texts=texts or {})
    return data


def generate_flow(server, bot: str, data: dict):
    """Botpress's answer to the Studio's Insert: {flow, transitions}, or the error response."""
    path = routes.fill(routes.SKILL_FLOW, module=NAME, skill=SKILL) + f"?botId={bot}"
    answer = server.http.post(path, json=data, headers=server.admin_headers())
    if answer.status_code == 404:  # 12.31.10: the flow generators run in the Studio process
        path = routes.fill(routes.STUDIO_SKILL_FLOW, module=NAME, skill=SKILL) + f"?botId={bot}"
        answer = server.http.post(path, json=data, headers=server.admin_headers())
    return answer


def insert_skill(server, bot: str, bot_dir: Path, data: dict, into: str, after: str) -> dict:
    """The skill inserted in flow `into`, reached from its node `after`'s last transition,
    every exit leading to node `after_agent` (which says which one); returns the
    skill-call node."""
    answer = generate_flow(server, bot, data)
    assert answer.status_code == 200, answer.text
    generated = answer.json()
    suffix = secrets.token_hex(3)
    name = f"skills/{SKILL}-{suffix}.flow.json"
    skill_flow = {**generated["flow"], "skillData": data, "name": name, "location": name}
    node = {"id": f"skill-{suffix}", "type": "skill-call", "skill": SKILL, "name": f"{SKILL}-{suffix}", "flow": name,
            "next": generated["transitions"], "onEnter": None, "onReceive": None}
    for transition in node["next"]:
        transition["node"] = "after_agent"
    flow_file = bot_dir / "flows" / into
    flow = json.loads(flow_file.read_text(encoding="utf-8"))
    caller = next(n for n in flow["nodes"] if n["name"] == after)
    caller["next"][-1]["node"] = node["name"]
    flow["nodes"].append(node)
    # Botpress reads a .ui.json beside every flow (positions only; the Studio writes both).
    _place(bot_dir / "flows" / name.replace(".flow.json", ".ui.json"),
           {"nodes": [{"id": n["id"], "position": {"x": 60, "y": 60 + 140 * i}} for i, n in enumerate(skill_flow["nodes"])],
            "links": []})
    _place(bot_dir / "flows" / name, skill_flow)
    ui_file = flow_file.with_name(flow_file.name.replace(".flow.json", ".ui.json"))
    ui = json.loads(ui_file.read_text(encoding="utf-8"))
    ui["nodes"].append({"id": node["id"], "position": {"x": 320, "y": 200}})
    _place(ui_file, ui)
    _place(flow_file, flow)
    return node


def _place(path: Path, content: dict | str) -> None:
    """Written whole, then moved in: 12.31 watches the bot's folder and caches a file it
    read half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.staged")
    text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)
