"""`hitl-gen deploy` on a real Botpress 12.22.1, once per storage (`storage_server`):
bots as files, BPFS_STORAGE=database on the server's sqlite, and on PostgreSQL.

Each example goes into a bot the Admin API created and the builder wired through the
Admin (export, their own flow and actions added, import: no file is touched on disk, as
a database-stored bot has none), then holds the same conversations as
test_conformance.py. Safety on the same servers: test_deploy_safety.py.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from support.builder_wiring import smtp_for_skills, wire
from support.fake_botpress import pack
from support.real_server import DEFAULT_VERSION, TEMPLATE_END_FLOW, session_version
from support.webchat import Webchat

from hitl_gen.spec.load import load_spec

from .conftest import STORAGES
from .test_conformance import (REPO, Installed, Watch, hitl_conversation, hitlnext_agent_conversation, hitlnext_conversation,
                               texts, wait_paused)
from .test_hours_and_way_back import ASKED, BACK, _alert_texts, _hours

WORKSPACE = {"X-BP-Workspace": "default"}


def export(server, bot: str) -> dict[str, bytes]:
    answer = server.http.get(f"/api/v1/admin/workspace/bots/{bot}/export", headers=server.admin_headers())
    answer.raise_for_status()
    with tarfile.open(fileobj=io.BytesIO(answer.content), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def import_files(server, bot: str, files: dict[str, bytes]) -> None:
    """What the Admin's import does with an archive of these files (the builder's own hands)."""
    answer = server.http.post(f"/api/v1/admin/workspace/bots/{bot}/import?overwrite=true", content=pack(files),
                              headers={**server.admin_headers(), "Content-Type": "application/tar+gzip"})
    assert answer.status_code == 200, answer.text


def builder_bot(storage_server, sinks, tmp_path: Path, example: str, bot: str, edit=None) -> Installed:
    """A bot the Admin created (named otherwise than its id, as builders name them), with one
    language (Community) and the builder's own flow, actions and SendEmail SMTP, all through
    the Admin; and the example's spec for it."""
    server = storage_server.botpress
    raw = yaml.safe_load((REPO / "examples" / f"{example}.yaml").read_text(encoding="utf-8"))
    raw["target"].update(bot=bot, server=server.url, botpress=server.version)  # the release of this run's server
    if edit:
        edit(raw)
    spec_path = tmp_path / f"{example}.yaml"
    spec_path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    spec = load_spec(spec_path, str(spec_path))
    answer = server.http.post("/api/v1/admin/workspace/bots", headers=server.admin_headers(),
                              json={"id": bot, "name": f"My {bot}", "template": {"id": "welcome-bot", "moduleId": "builtin"}})
    answer.raise_for_status()
    server.let_the_template_settle()  # 12.31: as RealBotpress.create_bot leaves a new bot
    files = export(server, bot)
    if server.settles_templates:
        files.pop(TEMPLATE_END_FLOW, None)
    config = json.loads(files["bot.config.json"])
    config.update(languages=[spec.target.languages[0]], defaultLanguage=spec.target.languages[0])
    files["bot.config.json"] = json.dumps(config, indent=2).encode()
    with tempfile.TemporaryDirectory() as folder:
        own = Path(folder)
        (own / "flows").mkdir()
        wire(own, spec)
        smtp_for_skills(own, sinks[1].url)
        files.update({p.relative_to(own).as_posix(): p.read_bytes() for p in own.rglob("*") if p.is_file()})
    import_files(server, bot, files)
    return Installed(bot, None, spec, spec_path, spec.target.languages[0])


def deployed(storage_server, sinks, live_cli, tmp_path, example: str, bot: str, edit=None) -> Installed:
    installed = builder_bot(storage_server, sinks, tmp_path, example, bot, edit)
    name = json.loads(export(storage_server.botpress, bot)["bot.config.json"])["name"]
    code, out, err = live_cli("deploy", installed.spec_path)
    assert (code, err) == (0, ""), out
    storage = "in the server's database" if storage_server.storage != "file" else "files on the server's disk"
    assert f"OK   storage: the bots are {storage}" in out and f"/bots/{bot}: imported: " in out.splitlines()[-1]
    # the builder's own import made it "<name> (<id>)"; deploy's gives the name back as it found it
    assert name == f"My {bot} ({bot})" and json.loads(export(storage_server.botpress, bot)["bot.config.json"])["name"] == name
    return installed


def hours_conversation(server, sinks, cli, bot: Installed) -> None:
    """business-hours, open now: handed over, held, handed back, asked once how it went, the answer stored."""
    watch = Watch(server, sinks)
    with Webchat(server.url, bot.bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        assert texts(chat.say("I want an agent")) == [ASKED]
        wait_paused(server, bot.bot, "web", chat.user_id)
        assert _alert_texts(watch) == ["Alice Martin asked for an agent while the desk was open: I want an agent"]
        assert chat.say("hello?", min_replies=0) == []
        assert cli("unpause", "--bot", bot.bot, "--channel", "web", "--user", chat.user_id, "--thread", chat.conversation_id)[0] == 0
        back = chat.say("thanks", min_replies=2)
        assert texts(back) == [BACK, "How did we do?"]
        [(good, value), _] = back[-1]["choices"]
        assert texts(chat.click(good, value)) == ["bot heard: Good"]
        deadline = time.monotonic() + 5  # stored on the user, as the agents' sessions listing shows it
        while server.hitl_session(bot.bot, "web", chat.user_id)["user"]["attributes"].get("satisfaction") != "good":
            assert time.monotonic() < deadline
            time.sleep(0.2)
    watch.assert_clean()


CONVERSATIONS = {
    "minimal-hitl": lambda s, k, c, b: hitl_conversation(s, k, c, b, "en", "I want a human", ("Talk to an agent", "agent"),
                                                          "An agent will be with you shortly."),
    "bilingual-alerts": lambda s, k, c, b: hitl_conversation(s, k, c, b, "fr", "je veux un humain", ("Parler à un agent", "agent"),
                                                              "Un agent va vous répondre."),
    "two-handoffs": lambda s, k, c, b: hitl_conversation(s, k, c, b, "en", "where is my invoice", None,
                                                          "A billing agent will answer you, Alice Martin."),
    "hitlnext-web": lambda s, k, c, b: hitlnext_conversation(s, k, b, "fr", "Une personne va vous répondre ici."),
    "hitlnext-agents": lambda s, k, c, b: hitlnext_agent_conversation(s, k, b),
    "business-hours": lambda s, k, c, b: hours_conversation(s, k, c, b),
}
EDITS = {"business-hours": lambda: _hours(open_now=True)}  # open now, from the clock at the test's start


# Every example is deployed on 12.22.1's file storage; on the database storages, and on
# another release (whose test_conformance.py already holds every example's conversation),
# one example per module: what the storage changes is where deploy writes and where the
# actions read their runtime from (bp.ghost), the same for every example.
PER_MODULE = ("two-handoffs", "hitlnext-web")
DEPLOYED = [(storage, example) for storage in STORAGES for example in CONVERSATIONS
            if example in PER_MODULE or (storage == "file" and session_version() == DEFAULT_VERSION)]


@pytest.mark.parametrize("storage_server, example", DEPLOYED, indirect=["storage_server"],
                         ids=[f"{storage}-{example}" for storage, example in DEPLOYED])
def test_each_example_deployed_holds_the_conformance_conversation(storage_server, sinks, live_cli, tmp_path, example):
    edit = EDITS[example]() if example in EDITS else None
    bot = deployed(storage_server, sinks, live_cli, tmp_path, example, f"dep-{example}", edit)
    CONVERSATIONS[example](storage_server.botpress, sinks, live_cli, bot)
