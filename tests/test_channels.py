"""The alert-channel registry: each channel is one module (plus its JavaScript sender)
and the rest of hitl-gen finds everything about it through the registry."""

import json
import re
import subprocess

import pytest

from hitl_gen import channels
from hitl_gen.resources import PACKAGE_DIR
from hitl_gen.spec.schema import spec_schema

CHANNELS = channels.CHANNELS


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.kind)
def test_each_channel_brings_its_schema_and_a_sender_that_parses(channel, tmp_path):
    schema = spec_schema()
    assert schema["$defs"][channel.kind]["properties"].keys() == channel.schema["properties"].keys()
    assert "${" not in json.dumps(schema)  # every Botpress-table reference was filled in
    assert schema["$defs"]["alert"]["properties"][channel.kind] == {"$ref": f"#/$defs/{channel.kind}"}
    if channel.sent_by_botpress(channel.build(channel.schema["examples"][0], ("en",))):
        assert channel.js_sources == () and not channel.sender  # Botpress sends it: no code of ours
        return
    sources = [PACKAGE_DIR / name for name in channel.js_sources]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    assert re.search(rf"^async function {channel.sender}\(alert, vars\)", text, re.M)
    probe = tmp_path / "probe.js"
    probe.write_text(f"(async () => {{\n{text}\n}})\n", encoding="utf-8")
    subprocess.run(["node", "--check", str(probe)], check=True)


@pytest.mark.parametrize("channel", channels.senders(), ids=lambda c: c.kind)
def test_each_channel_builds_a_model_value_whose_config_is_json(channel):
    example = channel.schema["examples"][0]
    alert = channel.build(example, ("en",))
    assert alert.kind == channel.kind and channels.of(alert) is channel
    config = channel.config(alert)
    assert config["kind"] == channel.kind
    json.dumps(config)
    for variable in channel.env(alert, "talk_to_agent"):
        assert variable.name.startswith("EXPOSED_") and variable.holds


def test_the_teams_channel_lives_in_its_module_and_the_registry_only():
    """The demonstration that a channel is one module: nothing outside channels/teams.*
    and the registry's list names the Teams channel."""
    mentions = [path.relative_to(PACKAGE_DIR).as_posix() for path in PACKAGE_DIR.rglob("*")
                if path.is_file() and path.suffix in (".py", ".js", ".j2", ".json")
                and re.search(r"TeamsChannel|channels\.teams|postTeamsCard|teamsCard", path.read_text(encoding="utf-8"))]
    assert sorted(mentions) == ["channels/__init__.py", "channels/teams.js", "channels/teams.py"]
