"""A large Botpress 12 bot folder to install into: `--into` benchmarks.

    python benchmarks/large_bot.py ROOT [--bot bench-bot] [--flows 2000] [--elements 20000]

writes ROOT/data/bots/<bot> as the Studio leaves a grown bot (formats of FACTS §3-§5
and /work/shared/botpress12/samples): `bot.config.json`; FLOWS flows, each a
`.flow.json` with standard nodes that say content elements and a `.ui.json`, one in
four calling a choice skill (its sub-flow and `.ui.json` under flows/skills/);
ELEMENTS content elements, four in five `builtin_text` and one in five
`builtin_single-choice`, in the Studio's two-space JSON; a few intents and Q&A.
Deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
from pathlib import Path

NANOID = string.ascii_letters + string.digits + "_-"
DATE = "2021-03-04T10:11:12.131Z"


def _json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)  # JSON.stringify(value, null, 2), as the Studio saves


def _element_id(rng: random.Random, kind: str, taken: set[str]) -> str:
    while True:
        candidate = f"{kind}-{''.join(rng.choice(NANOID) for _ in range(6))}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def elements(rng: random.Random, count: int) -> tuple[list[dict], list[dict]]:
    """(builtin_text elements, builtin_single-choice elements)."""
    texts, choices, taken = [], [], set()
    for i in range(count):
        if i % 5 == 4:
            choices.append({"id": _element_id(rng, "builtin_single-choice", taken), "formData": {
                "text$en": f"What would you like to do next? ({i})",
                "choices$en": [{"title": f"Option {n} of {i}", "value": f"option_{n}"} for n in range(3)],
                "typing$en": True}, "createdBy": "admin", "createdOn": DATE, "modifiedOn": DATE})
        else:
            texts.append({"id": _element_id(rng, "builtin_text", taken), "formData": {
                "text$en": f"Answer number {i}: here is what you asked about, {{{{user.first_name}}}}.",
                "variations$en": [f"Variation of answer {i}"] if i % 3 == 0 else [],
                "markdown$en": True, "typing$en": True}, "createdBy": "admin", "createdOn": DATE, "modifiedOn": DATE})
    return texts, choices


def _node_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(10))


def flow(rng: random.Random, index: int, texts: list[dict], choice: dict | None) -> tuple[dict, dict, tuple[str, dict, dict] | None]:
    """A flow, its .ui.json and, when it calls a choice skill, (sub-flow name, sub-flow, its ui)."""
    nodes = []
    for n in range(4):
        said = texts[(index * 4 + n) % len(texts)]["id"]
        nodes.append({"id": _node_id(rng), "name": "entry" if n == 0 else f"step-{n}",
                      "onEnter": [f"say #!{said}", "builtin/setVariable {\"type\":\"temp\",\"name\":\"step\",\"value\":\"" + str(n) + "\"}"],
                      "onReceive": None if n < 3 else [],
                      "next": [{"condition": "true", "node": f"step-{n + 1}" if n < 3 else ""}]})
    skill = None
    if choice is not None:
        suffix = "".join(rng.choice("0123456789abcdef") for _ in range(6))
        sub_flow = f"skills/choice-{suffix}.flow.json"
        keywords = {c["value"]: [c["value"], c["title"]] for c in choice["formData"]["choices$en"]}
        data = {"randomId": "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(10)),
                "contentId": choice["id"], "invalidContentId": "", "keywords": keywords,
                "config": {"nbMaxRetries": 3, "repeatChoicesOnInvalid": False, "variableName": ""}}
        skill_nodes = [
            {"name": "entry", "onEnter": [f"say #!{choice['id']} {{\"skill\":\"choice\"}}"],
             "next": [{"condition": "true", "node": "parse"}], "id": str(rng.randrange(100000, 999999))},
            {"name": "parse", "onReceive": ["basic-skills/choice_parse_answer " + json.dumps(data, separators=(",", ":"))],
             "next": [{"condition": f"temp['skill-choice-valid-{data['randomId']}'] === true", "node": "#"},
                      {"condition": "true", "node": "invalid"}],
             "triggers": [{"conditions": [{"id": "always"}]}], "onEnter": [], "id": str(rng.randrange(100000, 999999))},
            {"name": "invalid", "onEnter": ["basic-skills/choice_invalid_answer {\"randomId\":\"" + data["randomId"] + "\"}"],
             "next": [{"condition": f"temp['skill-choice-invalid-count-{data['randomId']}'] > 3", "node": "#"},
                      {"condition": "true", "node": "sorry"}], "id": str(rng.randrange(100000, 999999))},
            {"name": "sorry", "onEnter": [], "next": [{"condition": "true", "node": "parse"}], "id": str(rng.randrange(100000, 999999))},
        ]
        skill_flow = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": "entry", "skillData": data, "nodes": skill_nodes}
        skill_ui = {"nodes": [{"id": node["id"], "position": {"x": 100 + 200 * i, "y": 100}} for i, node in enumerate(skill_nodes)]}
        nodes.append({"id": f"skill-{suffix}", "type": "skill-call", "skill": "choice", "name": f"choice-{suffix}", "flow": sub_flow,
                      "next": [{"caption": f"User picked [{value}]", "condition": f"temp['skill-choice-ret-{data['randomId']}'] == \"{value}\"",
                                "node": "step-1"} for value in keywords] + [{"caption": "On failure", "condition": "true", "node": "step-2"}],
                      "onEnter": None, "onReceive": None})
        skill = (sub_flow, skill_flow, skill_ui)
    body = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": "entry", "description": f"Topic {index}", "nodes": nodes}
    ui = {"nodes": [{"id": node["id"], "position": {"x": 150 + 250 * i, "y": 145 + 40 * (i % 2)}} for i, node in enumerate(nodes)],
          "links": []}
    return body, ui, skill


def write(root: Path, bot: str = "bench-bot", flows: int = 2000, element_count: int = 20000) -> Path:
    rng = random.Random(12)
    bot_dir = root / "data" / "bots" / bot
    for folder in ("content-elements", "flows/skills", "intents", "qna", "config"):
        (bot_dir / folder).mkdir(parents=True, exist_ok=True)
    config = {"$schema": "../../bot.config.schema.json", "id": bot, "name": bot, "active": True, "version": "1.0.0",
              "imports": {"modules": [], "incomingMiddleware": [], "outgoingMiddleware": []},
              "dialog": {"timeoutInterval": "5m", "sessionTimeoutInterval": "30m"}, "logs": {"expiration": "1 week"},
              "defaultLanguage": "en", "languages": ["en"]}
    (bot_dir / "bot.config.json").write_text(_json(config) + "\n", encoding="utf-8")
    texts, choices = elements(rng, element_count)
    (bot_dir / "content-elements" / "builtin_text.json").write_text(_json(texts), encoding="utf-8")
    (bot_dir / "content-elements" / "builtin_single-choice.json").write_text(_json(choices), encoding="utf-8")
    for index in range(flows):
        name = "main" if index == 0 else f"topic-{index:04d}"
        body, ui, skill = flow(rng, index, texts, choices[index % len(choices)] if index % 4 == 0 else None)
        (bot_dir / "flows" / f"{name}.flow.json").write_text(_json(body), encoding="utf-8")
        (bot_dir / "flows" / f"{name}.ui.json").write_text(_json(ui), encoding="utf-8")
        if skill is not None:
            sub_flow, skill_flow, skill_ui = skill
            (bot_dir / "flows" / sub_flow).write_text(_json(skill_flow), encoding="utf-8")
            (bot_dir / "flows" / sub_flow.replace(".flow.json", ".ui.json")).write_text(_json(skill_ui), encoding="utf-8")
    for index in range(20):
        intent = {"name": f"topic_{index}", "utterances": {"en": [f"tell me about topic {index}", f"topic {index} please"]},
                  "slots": [], "contexts": ["global"]}
        (bot_dir / "intents" / f"topic_{index}.json").write_text(_json(intent), encoding="utf-8")
    return bot_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help="where data/bots/<bot> is written")
    parser.add_argument("--bot", default="bench-bot")
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument("--elements", type=int, default=20000)
    args = parser.parse_args()
    print(write(args.root, args.bot, args.flows, args.elements))


if __name__ == "__main__":
    sys.exit(main())
