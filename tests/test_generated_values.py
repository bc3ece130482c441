"""The values in what hitl-gen generates, not only its keys (test_low_code_shapes.py
compares the shapes with the Studio's own files): each Call-API skill's method, URL,
headers, body and variable, derived here from the spec and the modules' routes (the
routes the emulator answers, itself checked against a real 12.22.1 by
real/test_contract.py); what the skill's node really runs carries the same values; the
requests a walked flow sends carry them too (the server token only to the bot's API,
never to a webhook); and the module configuration files."""

import json

import pytest
import yaml
from conftest import EXAMPLES, REPO
from support.build import action, build
from support.events import api_context, incoming
from support.handoff_bot import handoff_bot

API = "{{{temp.hitl_api.baseURL}}}"
AUTH = {"Authorization": "{{{temp.hitl_api.authorization}}}", "Content-Type": "application/json"}
JSON_ONLY = {"Content-Type": "application/json"}
USER_ROUTE = API + "/mod/hitl/channel/{{{event.channel}}}/user/{{{event.target}}}/"
THREAD = "?threadId={{{event.threadId}}}"


def _skill(method, url, headers, body, variable):
    return {"method": method, "memory": "temp", "body": body, "headers": headers, "url": url, "variable": variable,
            "invalidJson": False}


def expected_calls(raw: dict, handoff: dict) -> dict[str, dict]:
    """The Call-API nodes a handoff's flow must hold, by node name, from the spec alone."""
    calls = {}
    if raw["target"]["module"] == "hitl":
        thread = THREAD if handoff.get("pause", {}).get("scope", "conversation") == "conversation" else ""
        calls["pause"] = _skill("post", USER_ROUTE + "pause" + thread, AUTH, "", "hitl_pause")
        calls["unpause"] = _skill("post", USER_ROUTE + "unpause" + thread, AUTH, "", "hitl_unpause")
    else:
        if handoff.get("check_agents", False):
            calls["check_agents"] = _skill("get", API + "/mod/hitlnext/agents", AUTH, "", "hitl_agents")
        # hitlnext 12.28+ takes a time limit in seconds (timeoutDelay) in the same body
        limit = f',"timeoutDelay":{handoff["timeout"]["after_s"]}' if "timeout" in handoff else ""
        body = '{"userId":"{{{event.target}}}","userThreadId":"{{{event.threadId}}}","userChannel":"{{{event.channel}}}"' + limit + "}"
        calls["handoff"] = _skill("post", API + "/mod/hitlnext/handoffs", AUTH, body, "hitl_handoff")
    for index, alert in enumerate(handoff.get("alert", [])):
        if "webhook" in alert:  # the request prepare_call_api builds; no server token goes to a webhook
            request = "{{{temp.hitl_webhooks.w%d.%%s}}}" % index
            calls[f"webhook_{index}"] = _skill("post", request % "url", JSON_ONLY, request % "body", f"hitl_webhook{index}")
    return calls


def call_api_nodes(bot_dir, flow_name: str) -> dict[str, tuple[dict, dict]]:
    """Node name -> (the skill's skillData, the arguments its entry node runs call_api with)."""
    flows = bot_dir / "flows"
    found = {}
    for node in json.loads((flows / f"{flow_name}.flow.json").read_text(encoding="utf-8"))["nodes"]:
        if node.get("type") == "skill-call" and node["skill"] == "CallAPI":
            skill = json.loads((flows / node["flow"]).read_text(encoding="utf-8"))
            [entry] = skill["nodes"]
            name, _, args = entry["onEnter"][0].partition(" ")
            assert name == "basic-skills/call_api"
            found[node["name"]] = (skill["skillData"], json.loads(args))
    return found


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_call_api_skill_has_the_method_url_headers_and_body_of_its_route(example, tmp_path):
    raw = yaml.safe_load(example.read_text(encoding="utf-8"))
    out = build(example, tmp_path / "out")
    bot_dir = out / "data" / "bots" / raw["target"]["bot"]
    for handoff in raw["handoffs"]:
        expected = expected_calls(raw, handoff)
        found = call_api_nodes(bot_dir, handoff["id"])
        assert sorted(found) == sorted(expected), handoff["id"]
        for name, (data, args) in found.items():
            assert data == expected[name], (handoff["id"], name)
            assert args == {k: v for k, v in expected[name].items() if k != "invalidJson"}, (handoff["id"], name)


def test_two_handoffs_call_through_skills_of_their_own(tmp_path):
    raw = yaml.safe_load((REPO / "examples" / "two-handoffs.yaml").read_text(encoding="utf-8"))
    flows = build(REPO / "examples" / "two-handoffs.yaml", tmp_path / "out") / "data" / "bots" / raw["target"]["bot"] / "flows"
    used = {h["id"]: {n["flow"] for n in json.loads((flows / f"{h['id']}.flow.json").read_text())["nodes"] if n.get("flow")}
            for h in raw["handoffs"]}
    assert used["sales"] and used["billing"] and not used["sales"] & used["billing"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_module_configuration_values(example, tmp_path):
    raw = yaml.safe_load(example.read_text(encoding="utf-8"))
    config = build(example, tmp_path / "out") / "data" / "bots" / raw["target"]["bot"] / "config"
    if raw["target"]["module"] == "hitlnext":
        # HITL Next's own transfer message is off: it would speak the bot's default language.
        assert [p.name for p in config.iterdir()] == ["hitlnext.json"]
        assert json.loads((config / "hitlnext.json").read_text()) == {"transferMessage": ""}
        return
    attributes = [{"label": "Language", "attributePath": "language"}]
    if any(h.get("full_name") for h in raw["handoffs"]):
        attributes.insert(0, {"label": "Full name", "attributePath": "full_name"})
    assert [p.name for p in config.iterdir()] == ["hitl.json"]
    assert json.loads((config / "hitl.json").read_text()) == {"paused": False, "sessionExpiry": "3 days", "attributes": attributes}


def test_the_requests_a_walked_flow_sends_carry_those_values(runtime, emulator, tmp_path):
    raw = yaml.safe_load((REPO / "examples" / "two-handoffs.yaml").read_text(encoding="utf-8"))
    raw["target"]["bot"] = "support-bot"
    data, bot_dir, _ = handoff_bot(tmp_path, raw)
    context = api_context(emulator, env={"EXPOSED_JSON_WEBHOOK": f"{emulator.url}/__sinks/webhook/sales"})
    turns = runtime.conversation(botDir=str(bot_dir), dataDir=str(data), botId="support-bot", emulatorUrl=emulator.url,
                                 user={"channel": "web", "target": "alice", "threadId": "2"},
                                 steps=[{"text": "I want to buy"}, {"text": "hello?"}, {"agent": "unpause"}], **context)["turns"]
    assert [t["crash"] for t in turns] == [None] * 3 and turns[1]["swallowed"] is True
    bearer = f"Bearer {context['api']['token']}"
    calls = [r for r in emulator.requests if not r.path.startswith("/__emulator/")]
    pause, hook = calls
    assert (pause.method, pause.path, pause.query) == ("POST", "/api/v1/bots/support-bot/mod/hitl/channel/web/user/alice/pause",
                                                       {"threadId": "2"})
    assert pause.headers["authorization"] == bearer and pause.headers["content-type"].startswith("application/json")
    assert (hook.method, hook.path) == ("POST", "/__sinks/webhook/sales")
    assert "authorization" not in hook.headers and hook.headers["content-type"].startswith("application/json")
    assert hook.body["text"].startswith("Sales: ") and hook.body["botId"] == "support-bot"


def test_every_placeholder_has_its_value_not_only_its_name(runtime, tmp_path):
    """test_action_pack.py checks that the JavaScript computes the placeholders' names;
    here, what each holds for a known event."""
    from hitl_gen.texts import PLACEHOLDERS

    out = build(REPO / "examples" / "minimal-hitl.yaml", tmp_path / "out")
    event = incoming("support-bot", "u7", "42", channel="telegram", text="I want a human",
                     user={"first_name": "Ada", "last_name": "Byron", "plan": "pro"})
    result = runtime.run_action(action(out, "support-bot", "hitl-gen/talk_to_agent/prepare_call_api"), event,
                                args={"reason": "keyword"}, processInfo={"EXTERNAL_URL": "https://bot.example.com/"})
    assert result["record"]["error"] is None
    values = result["state"]["temp"]["hitl_vars"]
    assert {name: values[name] for name in PLACEHOLDERS} == {
        "full_name": "Ada Byron", "channel": "telegram", "user_id": "u7", "thread_id": "42", "bot_id": "support-bot",
        "hitl_url": "https://bot.example.com/studio/support-bot/modules/hitl", "last_message": "I want a human",
        "reason": "keyword", "hours": "open"}  # no business hours in this spec: always open
