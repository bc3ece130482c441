"""The trigger hook's plan: which handoffs it starts, in which order, and which flows
are the handoffs' own (where it must start nothing). Its behaviour is tested on the
real server (tests/real/test_triggers.py, tests/real/test_conformance.py)."""

import json
import re
import subprocess

import yaml
from conftest import REPO
from support.build import build

from hitl_gen.render.hook import hook_path, trigger_hook
from hitl_gen.spec.load import load_spec


def _hook_config(path):
    return json.loads(re.search(r"^const CONFIG = (\{.*?^\})$", path.read_text(encoding="utf-8"), re.M | re.S).group(1))


def test_the_hook_lists_handoffs_by_priority_and_every_own_flow(tmp_path):
    out = build(REPO / "examples" / "two-handoffs.yaml", tmp_path / "out")
    spec = load_spec(REPO / "examples" / "two-handoffs.yaml")
    hook = out / hook_path(spec)
    config = _hook_config(hook)
    assert [h["id"] for h in config["handoffs"]] == ["billing", "sales"]  # billing has priority 10
    flows = out / "data" / "bots" / "shop-bot" / "flows"
    written = sorted(p.relative_to(flows).as_posix() for p in flows.rglob("*.flow.json"))
    assert config["ownFlows"] == written  # every flow hitl-gen wrote: the handoffs and their skills
    assert config["handoffs"][0]["keywords"] == {"*": ["invoice", "refund"]} and config["handoffs"][0]["afterFailures"] == 3
    wrapped = tmp_path / "hook_check.js"  # a hook body may `return` at top level, as Botpress wraps it
    wrapped.write_text("(async () => {\n" + hook.read_text(encoding="utf-8") + "\n})\n", encoding="utf-8")
    subprocess.run(["node", "--check", str(wrapped)], check=True)


def test_equal_priorities_keep_the_order_of_the_spec_and_a_button_only_handoff_has_no_hook(tmp_path):
    raw = yaml.safe_load((REPO / "examples" / "two-handoffs.yaml").read_text(encoding="utf-8"))
    del raw["handoffs"][1]["priority"]
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    config = _hook_config(build(spec_path, tmp_path / "out") / hook_path(load_spec(spec_path)))
    assert [h["id"] for h in config["handoffs"]] == ["sales", "billing"]

    for handoff in raw["handoffs"]:
        handoff["trigger"] = {"button": {"question": "Talk to a person?", "label": "Yes"}}
    spec_path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert trigger_hook(load_spec(spec_path), []) is None
