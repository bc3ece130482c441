"""`deploy` when something fails, against the fake Admin: nothing imported before the
import; after a refused or broken import, the live bot as it was (compared with the
backup, restored from it when it changed); when the server is gone, the backup and the
one command that puts it back."""

from __future__ import annotations

import json

import pytest
from support.build import run_cli as run
from support.fake_botpress import URL, WELCOME, FakeBotpress, live, serve, spec_file

from hitl_gen.deploy import DeployFailed, deploy, restore
from hitl_gen.errors import DestinationError

IMPORT = "POST /api/v1/admin/workspace/bots/shop/import"


@pytest.fixture
def fake(httpx_mock, monkeypatch, tmp_path):
    return serve(httpx_mock, monkeypatch, tmp_path)


def as_it_was(server: FakeBotpress) -> bool:
    """The bot holds the builder's files again: byte for byte, but for the stamps an import writes into its config."""
    bot = server.bots.get("shop", {})
    stamps = lambda data: {k: v for k, v in json.loads(data).items() if k != "pipeline_status"}  # noqa: E731
    return bot.keys() == WELCOME.keys() and all(bot[p] == WELCOME[p] for p in WELCOME if p != "bot.config.json") \
        and stamps(bot["bot.config.json"]) == stamps(WELCOME["bot.config.json"])


def test_an_export_the_server_refuses_imports_nothing(fake, tmp_path):
    fake.refuse_export = (500, "disk full")
    code, _, err = run("deploy", spec_file(tmp_path))
    assert code == 1 and "exporting bot 'shop': GET /api/v1/admin/workspace/bots/shop/export answered 500: disk full" in err
    assert fake.count(IMPORT) == 0 and not (tmp_path / "hitl-gen-backups").exists()


def test_a_server_that_does_not_answer_is_exit_3_before_anything(fake, tmp_path):
    fake.down = True
    code, out, _ = run("deploy", spec_file(tmp_path))
    assert code == 3 and out.startswith("FAIL server answers:")


def test_an_import_the_server_refuses_leaves_the_bot_as_it_was(fake, tmp_path):
    fake.refuse_import = (400, "Bot should be imported from archive")
    code, _, err = run("deploy", spec_file(tmp_path))
    lines = err.splitlines()
    assert code == 1 and "importing bot 'shop': POST /api/v1/admin/workspace/bots/shop/import answered 400" in lines[0]
    assert lines[1] == f"{URL}: bot 'shop': deploy: nothing changed: the live bot is as it was"
    assert lines[2].startswith(f"{URL}: bot 'shop': backup: hitl-gen-backups/shop-")
    assert fake.bots["shop"] == WELCOME


def test_an_import_that_dropped_half_way_is_restored_from_the_backup(fake, tmp_path):
    fake.drop_import_after = 12  # some of the new files written, then the connection dropped
    code, _, err = run("deploy", spec_file(tmp_path))
    assert code == 3 and "got no answer (RemoteProtocolError); it may have happened in part" in err
    assert "deploy: the live bot was restored from the backup (deleted and imported again, to remove" in err
    assert as_it_was(fake) and fake.config("shop")["name"] == "My Shop"


def test_when_the_server_goes_away_mid_import_the_restore_command_puts_the_bot_back(fake, tmp_path):
    fake.drop_import_after, fake.down_after_drop = 5, True
    code, _, err = run("deploy", spec_file(tmp_path))
    [backup] = (tmp_path / "hitl-gen-backups").iterdir()
    command = f"hitl-gen restore hitl-gen-backups/{backup.name} --url {URL} --bot shop"
    assert code == 3 and f"the server does not answer, so the bot was not compared with the backup; when it does, run `{command}`" in err
    assert not as_it_was(fake)
    fake.down, fake.drop_import_after = False, None
    code, out, err = run(*command.split()[1:])
    assert (code, err) == (0, "") and out.splitlines()[-1].startswith(f"{URL}/bots/shop: restored from hitl-gen-backups/")
    assert as_it_was(fake)
    code, out, _ = run(*command.split()[1:])
    assert code == 0 and out.endswith(": it was as in the backup already\n")


def test_a_bot_that_does_not_mount_after_the_import_is_restored(fake, tmp_path):
    fake.never_mount = True
    code, _, err = run("deploy", spec_file(tmp_path))
    assert code == 1 and "checking the import: the bot is not mounted (status: disabled)" in err
    assert "the live bot was restored from the backup" in err and as_it_was(fake)


def test_a_replace_refused_after_the_delete_names_the_restore_command_that_brings_the_bot_back(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    deployed = dict(fake.bots["shop"])
    fake.refuse_import = (500, "no space left on device")
    with pytest.raises(DeployFailed) as failed:
        deploy(spec, live(tmp_path), remove=True)
    backup = failed.value.backup
    command = f"hitl-gen restore {backup} --url {URL} --bot shop"
    assert "restoring the backup failed too" in str(failed.value) and f"when the server answers, run `{command}`" in str(failed.value)
    assert "shop" not in fake.bots  # deleted, and no import got through since
    fake.refuse_import = None
    code, _, err = run(*command.split()[1:])
    assert (code, err) == (0, "")
    assert {p: d for p, d in fake.bots["shop"].items() if p != "bot.config.json"} == \
           {p: d for p, d in deployed.items() if p != "bot.config.json"}


def test_removing_files_is_refused_when_the_bot_has_dot_files_the_import_would_lose(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    fake.bots["shop"]["actions/own/.disabled.js"] = b"return 'disabled'\n"
    with pytest.raises(DestinationError, match=r"would lose actions/own/\.disabled\.js"):
        deploy(spec, live(tmp_path), remove=True)
    assert fake.count("POST /api/v1/admin/workspace/bots/shop/delete") == 0


def test_a_content_element_edited_in_the_studio_is_a_conflict(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    elements = json.loads(fake.bots["shop"]["content-elements/builtin_text.json"])
    ours = next(e for e in elements if e["id"] != "builtin_text-own001")
    ours["formData"]["text$en"] = "edited in the Studio"
    fake.bots["shop"]["content-elements/builtin_text.json"] = json.dumps(elements, indent=2).encode()
    code, _, err = run("deploy", spec_file(tmp_path, edit=lambda raw: raw["handoffs"][0].update(say="Changed.")))
    assert code == 2 and f"content elements {ours['id']} were edited since hitl-gen wrote them" in err
    assert fake.count(IMPORT) == 1


def test_restore_brings_back_a_bot_that_is_gone_and_refuses_what_is_not_a_backup(fake, tmp_path):
    assert run("deploy", spec_file(tmp_path))[0] == 0
    [backup] = (tmp_path / "hitl-gen-backups").iterdir()
    fake.bots.pop("shop")
    report = restore(backup, live(tmp_path))
    assert report.outcome == "restored" and as_it_was(fake)
    (tmp_path / "notes.tgz").write_bytes(b"not an archive")
    code, _, err = run("restore", tmp_path / "notes.tgz", "--url", URL, "--bot", "shop")
    assert code == 2 and "not a bot archive" in err
