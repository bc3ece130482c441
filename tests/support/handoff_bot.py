"""A bot for runtime tests of one handoff: the welcome-bot sample with the spec built
into it, and a main flow a builder could write by hand, linking to the handoff flow
from a node (`entry` runs should_start and moves into the flow on its flag, else the
bot answers "bot heard: <message>"). Optional extra flows of the builder's own, such as
the target of `resume.then`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import yaml
from support.bots import sample_bot

from hitl_gen.cli import main
from hitl_gen.render.state import trigger_keys
from hitl_gen.spec.load import load_spec

BOT = "support-bot"

ECHO_ACTION = r"""/**
 * Test bot: says args.prefix and the message.
 * @title Test echo
 * @category Test
 */
return bp.events.replyToEvent(event, [{ type: 'text', text: (args.prefix || '') + (event.preview || '') }])
"""


def node(name: str, on_enter: list[str], edges: list[tuple[str, str]], wait: bool = False) -> dict:
    return {"id": name[:10].ljust(10, "0"), "name": name, "type": "standard", "onEnter": on_enter,
            "onReceive": [] if wait else None, "next": [{"condition": c, "node": n} for c, n in edges]}


def echo(prefix: str) -> str:
    return "test_bot/echo " + json.dumps({"prefix": prefix})


def write_flow(bot_dir: Path, name: str, nodes: list[dict]) -> None:
    flow = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": nodes[0]["name"], "description": "test", "nodes": nodes}
    (bot_dir / "flows" / f"{name}.flow.json").write_text(json.dumps(flow, indent=2), encoding="utf-8")
    (bot_dir / "flows" / f"{name}.ui.json").write_text(json.dumps({"nodes": [], "links": []}), encoding="utf-8")


def handoff_bot(tmp_path: Path, raw_spec: dict, extra_flows: dict[str, list[dict]] | None = None):
    """(data dir, bot dir, spec model) with the spec installed and the main flow wired."""
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(raw_spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bot_dir = sample_bot(tmp_path, raw_spec["target"]["bot"], raw_spec["target"]["languages"])
    err = io.StringIO()
    assert main(["build", str(spec_path), "--into", str(bot_dir)], stdout=io.StringIO(), stderr=err) == 0, err.getvalue()
    spec = load_spec(spec_path)
    (bot_dir / "actions" / "test_bot").mkdir(parents=True, exist_ok=True)
    (bot_dir / "actions" / "test_bot" / "echo.js").write_text(ECHO_ACTION, encoding="utf-8")
    checks = [f"{spec.target.namespace}/{h.id}/should_start {{}}" for h in spec.handoffs]
    starts = [(f"temp.{trigger_keys(h).flag}", f"{h.id}.flow.json") for h in spec.handoffs]
    write_flow(bot_dir, "main", [node("entry", checks, [*starts, ("true", "answer")]),
                                 node("answer", [echo("bot heard: ")], [("true", "")])])
    for name, nodes in (extra_flows or {}).items():
        write_flow(bot_dir, name, nodes)
    return tmp_path / "data", bot_dir, spec


def texts(turn: dict) -> list[str]:
    return [m.get("text") or m.get("wrapped", {}).get("text") for m in turn["messages"] if m.get("type") != "typing"]


def choices(turn: dict) -> list[tuple[str, str]]:
    return [(c["title"], c["payload"]) for m in turn["messages"] for c in m.get("quick_replies") or []]
