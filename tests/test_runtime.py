"""The test runtime itself behaves like Botpress 12.22.1 (FACTS §2-§9)."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES
from support.events import api_context, incoming

FIXTURES = Path(__file__).parent / "fixtures" / "actions"


def test_a_top_level_return_is_awaited_and_state_changes_persist(runtime):
    result = runtime.run_action(FIXTURES / "top_level_return.js", incoming("b", "u1", user={"seen": 1}))
    assert result["record"]["error"] is None
    assert result["state"]["temp"]["ran"] is True
    assert result["state"]["user"]["seen"] == 2


def test_only_exposed_variables_reach_the_sandbox(runtime):
    env = {"SECRET": "s3cret", "EXPOSED_SECRET": "visible", "PATH": "/usr/bin"}
    result = runtime.run_action(FIXTURES / "env_probe.js", incoming("b", "u1"), env=env,
                                processInfo={"EXTERNAL_URL": "https://bot.example.com"})
    temp = result["state"]["temp"]
    assert temp["secret"] == "hidden"
    assert temp["exposed"] == "visible"
    assert temp["externalUrl"] == "https://bot.example.com"
    assert temp["globals"] == ["bp", "event", "user", "session", "temp", "bot", "workflow", "args", "printObject", "process"]


@pytest.mark.parametrize("version, kind", [("12.21.1", "object"), ("12.22.0", "undefined"), ("12.22.1", "undefined")])
def test_bp_notifications_exists_only_before_12_22(runtime, version, kind):
    result = runtime.run_action(FIXTURES / "env_probe.js", incoming("b", "u1"), botpress=version)
    assert result["state"]["temp"]["hasNotifications"] == kind


def test_require_resolves_botpress_core_but_not_nodemailer(runtime, tmp_path):
    action = tmp_path / "data" / "bots" / "b" / "actions" / "probe.js"
    action.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "require_probe.js", action)
    temp = runtime.run_action(action, incoming("b", "u1"), dataDir=str(tmp_path / "data"))["state"]["temp"]
    assert (temp["axios"], temp["lodash"], temp["mustache"]) == ("ok", "ok", "ok")
    assert temp["nodemailer"].startswith('Module "nodemailer" not found')


def test_nodemailer_resolves_once_installed_beside_the_action(runtime, tmp_path):
    from support.node_runtime import install_beside

    action = tmp_path / "data" / "bots" / "b" / "actions" / "probe.js"
    action.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "require_probe.js", action)
    install_beside(action.parent, "nodemailer")
    temp = runtime.run_action(action, incoming("b", "u1"), dataDir=str(tmp_path / "data"))["state"]["temp"]
    assert temp["nodemailer"] == "ok"


def test_a_thrown_error_is_reported(runtime):
    result = runtime.run_action(FIXTURES / "throws.js", incoming("b", "u1"))
    assert result["record"]["error"]["message"] == "boom"


def test_metadata_is_read_like_botpress(runtime):
    [meta] = runtime.metadata([FIXTURES / "forum_recipe.js"])
    assert meta["title"] == "Forum recipe (do not use)"
    assert meta["category"] == "Test"
    assert meta["description"].startswith("The forum thread's recipe")
    assert meta["params"] == []


def _copy_bot(sample: str, tmp_path: Path) -> Path:
    bot = tmp_path / "data" / "bots" / sample
    shutil.copytree(SAMPLES / sample, bot)
    return bot


def test_the_welcome_bot_sample_flow_walks(runtime, tmp_path):
    bot = _copy_bot("welcome-bot", tmp_path)
    result = runtime.conversation(botDir=str(bot), dataDir=str(tmp_path / "data"), botId="welcome-bot",
                                  user={"channel": "web", "target": "u1", "threadId": "1"},
                                  steps=[{"text": "hello"}, {"type": "quick_reply", "text": "What is Bot Memory?", "payload": "memory"}])
    first, second = result["turns"]
    assert first["crash"] is None and second["crash"] is None
    assert first["messages"][-1]["component"] == "QuickReplies"  # the choice skill asked its question
    assert first["waiting"] == "skills/choice-62d44d.flow.json#parse"
    assert any(v.startswith("memory.flow.json#") for v in second["visited"])  # the choice led to the memory flow


def test_a_throwing_action_in_a_flow_goes_to_the_error_flow(runtime, tmp_path):
    bot = _copy_bot("welcome-bot", tmp_path)
    (bot / "actions").mkdir()
    shutil.copy(FIXTURES / "throws.js", bot / "actions" / "throws.js")
    flow = (bot / "flows" / "main.flow.json")
    flow.write_text(flow.read_text().replace('"builtin/removeContext {', '"throws {'))
    result = runtime.conversation(botDir=str(bot), dataDir=str(tmp_path / "data"), botId="welcome-bot",
                                  user={"channel": "web", "target": "u1", "threadId": "1"}, steps=[{"text": "hello"}])
    turn = result["turns"][0]
    assert turn["actions"][0]["error"] == "boom"
    assert any(v.startswith("error.flow.json#") for v in turn["visited"])


def test_the_forum_recipe_pauses_the_wrong_conversation(runtime, emulator):
    """Thread ids and HITL session ids differ: /sessions/<threadId> hits somebody else."""
    emulator.next_session_id = 12
    emulator.incoming("support-bot", "web", "bob", "3")     # session 12
    emulator.incoming("support-bot", "web", "carol", "4")   # session 19
    emulator.incoming("support-bot", "web", "alice", "19")  # session 26; alice's thread id is 19
    env = {"EXPOSED_BP_URL": emulator.url, "EXPOSED_BP_EMAIL": "admin@example.com",
           "EXPOSED_BP_PASSWORD": emulator.accounts["admin@example.com"]}
    result = runtime.run_action(FIXTURES / "forum_recipe.js", incoming("support-bot", "alice", "19"), env=env)
    assert result["record"]["error"] is None and result["state"]["temp"]["forum_paused"] is True
    assert emulator.session_for("support-bot", "web", "carol", "4").paused is True   # the wrong one
    assert emulator.session_for("support-bot", "web", "alice", "19").paused is False
    assert [r.path for r in emulator.requests if r.method == "POST"][-2:] == [
        "/api/v1/auth/login/basic/default", "/api/v1/bots/support-bot/mod/hitl/sessions/19/pause"]


def test_actions_reach_the_emulator_with_the_server_token(runtime, emulator, tmp_path):
    action = tmp_path / "token_probe.js"
    action.write_text("""/**
 * Probe.
 * @title Probe
 */
const axios = require('axios')
const run = async () => {
  const config = await bp.http.getAxiosConfigForBot(event.botId, { localUrl: true })
  const { data } = await axios.get('/mod/hitl/sessions', config)
  temp.count = data.length
}
return run()
""")
    emulator.incoming("support-bot", "web", "u1", "1")
    result = runtime.run_action(action, incoming("support-bot", "u1"), **api_context(emulator))
    assert result["record"]["error"] is None
    assert result["state"]["temp"]["count"] == 1


def _flow_bot(tmp_path, nodes, action_code=None):
    bot = tmp_path / "data" / "bots" / "b"
    (bot / "flows").mkdir(parents=True)
    flow = {"version": "0.0.1", "catchAll": {"next": []}, "startNode": nodes[0]["name"], "nodes": nodes}
    (bot / "flows" / "main.flow.json").write_text(json.dumps(flow))
    if action_code:
        (bot / "actions").mkdir()
        (bot / "actions" / "echo.js").write_text(action_code)
    return bot


def _node(name, on_enter=(), next_=(("true", ""),), wait=False):
    return {"id": name, "name": name, "type": "standard", "onEnter": list(on_enter), "onReceive": [] if wait else None,
            "next": [{"condition": c, "node": n} for c, n in next_]}


def test_action_arguments_are_mustache_rendered_with_html_escaping(runtime, tmp_path):
    code = "/**\n * Echo.\n * @title Echo\n */\ntemp.seen = args\nreturn Promise.resolve()\n"
    instruction = 'echo {"escaped":"{{event.preview}}","raw":"{{{event.preview}}}","nested":{"kept":"{{event.preview}}"},"count":3}'
    bot = _flow_bot(tmp_path, [_node("start", [instruction])], code)
    [turn] = runtime.conversation(botDir=str(bot), dataDir=str(tmp_path / "data"), botId="b",
                                  user={"channel": "web", "target": "u1", "threadId": "1"}, steps=[{"text": "<b>O'Neil & co</b>"}])["turns"]
    assert turn["actions"][0]["args"] == {"escaped": "&lt;b&gt;O&#39;Neil &amp; co&lt;&#x2F;b&gt;", "raw": "<b>O'Neil & co</b>",
                                          "nested": {"kept": "{{event.preview}}"}, "count": 3}


def test_last_node_conditions_and_waiting(runtime, tmp_path):
    nodes = [_node("start", next_=(("true", "ask"),)),
             _node("ask", wait=True, next_=(("lastNode=start", "came_from_start"), ("true", "other"))),
             _node("came_from_start", ["builtin/setVariable {\"type\":\"temp\",\"name\":\"route\",\"value\":\"start\"}"]),
             _node("other")]
    bot = _flow_bot(tmp_path, nodes)
    first, second = runtime.conversation(botDir=str(bot), dataDir=str(tmp_path / "data"), botId="b",
                                         user={"channel": "web", "target": "u1", "threadId": "1"},
                                         steps=[{"text": "hi"}, {"text": "again"}])["turns"]
    assert first["waiting"] == "main.flow.json#ask" and first["ended"] is False
    # The real state manager empties __stacktrace for every event (core/dialog/state-manager.js
    # restore()), so after a wait `lastNode=` has nothing to look at and is false.
    assert second["visited"] == ["main.flow.json#other"] and second["ended"] is True
