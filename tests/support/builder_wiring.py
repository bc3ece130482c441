"""The builder's own bot, which knows nothing of hitl-gen: a main flow with two small
actions (a profile form stand-in, and an answer so we can see the bot talk). Handoffs
start through the generated trigger hook alone: nothing here names a handoff.

Every message starts at `entry` (it does not wait); the hook moves the dialog into a
handoff flow with `entry` as the caller, so after the hand-back the flow's `#` returns
there and `entry`'s transitions run in the same turn (FACTS §12).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hitl_gen.spec.model import Spec

RUNTIME_MODULES = Path(__file__).resolve().parents[1] / "runtime" / "optional" / "node_modules"

# "/me First Last [lang]" stands in for the builder's own profile form.
PROFILE_ACTION = r"""/**
 * Test bot: store the user's name (and language) from "/me First Last [xx]".
 * @title Test profile
 * @category Test
 */
const m = /^\/me (\S+) (\S+)(?: ([a-z]{2}))?$/.exec(event.preview || '')
if (m) {
  user.first_name = m[1]
  user.last_name = m[2]
  if (m[3]) user.language = m[3]
  temp.test_profile = true
  return bp.events.replyToEvent(event, [{ type: 'text', text: 'profile saved' }])
}
"""

ANSWER_ACTION = r"""/**
 * Test bot: the bot's own answer to anything that is not a handoff.
 * @title Test answer
 * @category Test
 */
return bp.events.replyToEvent(event, [{ type: 'text', text: 'bot heard: ' + (event.preview || '') }])
"""


def wire(bot_dir: Path, spec: Spec) -> None:
    actions = bot_dir / "actions" / "test_bot"
    actions.mkdir(parents=True, exist_ok=True)
    (actions / "profile.js").write_text(PROFILE_ACTION, encoding="utf-8")
    (actions / "answer.js").write_text(ANSWER_ACTION, encoding="utf-8")
    nodes = [
        {"id": "e0e0e0e0e0", "name": "entry", "type": "standard", "onEnter": ["test_bot/profile {}"], "onReceive": None,
         "next": [{"condition": "temp.test_profile", "node": ""}, {"condition": "true", "node": "answer"}]},
        {"id": "a0a0a0a0a0", "name": "answer", "type": "standard", "onEnter": ["test_bot/answer {}"], "onReceive": None,
         "next": [{"condition": "true", "node": ""}]},
    ]
    flow = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": "entry", "description": "test bot", "nodes": nodes}
    (bot_dir / "flows" / "main.flow.json").write_text(json.dumps(flow, indent=2) + "\n", encoding="utf-8")


def install_nodemailer(bot_dir: Path) -> None:
    """INSTALL.md step 4, done with the copy the test runtime already installed."""
    target = bot_dir / "actions" / "node_modules" / "nodemailer"
    if not target.exists():
        shutil.copytree(RUNTIME_MODULES / "nodemailer", target)


def smtp_for_skills(bot_dir: Path, smtp_url: str) -> None:
    """The SendEmail skill's SMTP (basic-skills module), set for this bot only."""
    config = bot_dir / "config" / "basic-skills.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"transportConnectionString": smtp_url}) + "\n", encoding="utf-8")
