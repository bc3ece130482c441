"""`hitl-gen deploy`, `undeploy` and `restore` against a fake Botpress Admin
(support/fake_botpress.py): what is imported, what is kept byte for byte, what is printed,
and when nothing is imported. Failures are in test_deploy_failures.py; the real server
(file, sqlite-database and PostgreSQL storage) in real/test_deploy.py."""

from __future__ import annotations

import json

import pytest
from support.build import run_cli as run
from support.fake_botpress import URL, WELCOME, live, serve, spec_file, unpack

from hitl_gen.deploy import deploy


@pytest.fixture
def fake(httpx_mock, monkeypatch, tmp_path):
    return serve(httpx_mock, monkeypatch, tmp_path)


def test_deploy_imports_the_build_into_the_live_bot_and_keeps_its_own_files(fake, tmp_path):
    code, out, err = run("deploy", spec_file(tmp_path))
    assert (code, err) == (0, "")
    bot = fake.bots["shop"]
    for path in ("flows/main.flow.json", "actions/own/answer.js", "media/logo.png"):
        assert bot[path] == WELCOME[path]  # byte for byte, the bot id in the flow included
    elements = json.loads(bot["content-elements/builtin_text.json"])
    assert elements[0] == {"id": "builtin_text-own001", "formData": {"text$en": "Welcome!"}} and len(elements) > 1
    assert {"actions/hitl-gen/pause.js", "flows/sales.flow.json", "hitl-gen-manifest.json",
            "hooks/after_incoming_middleware/50_hitl-gen_triggers.js"} <= set(bot)
    assert fake.config("shop")["name"] == "My Shop"  # not "My Shop (shop)", as the import left it
    [backup] = (tmp_path / "hitl-gen-backups").iterdir()
    assert unpack(backup.read_bytes())["actions/own/answer.js"] == WELCOME["actions/own/answer.js"]
    assert backup.stat().st_mode & 0o777 == 0o600
    lines = out.splitlines()
    assert lines[:5] == ["OK   server answers: http://bp.test:3000 is up", "OK   login works: logged in as a@b.c",
                         "OK   bot exists: bot 'shop' found", "OK   hitl routes answer: hitl answers (0 session(s))",
                         "OK   version: Botpress 12.22.1"]
    assert "TODO variable EXPOSED_JSON_WEBHOOK: set EXPOSED_JSON_WEBHOOK" in out
    assert f"backup of the bot as it was: hitl-gen-backups/{backup.name} (to put it back: hitl-gen restore " \
           f"hitl-gen-backups/{backup.name} --url {URL} --bot shop)" in out
    assert lines[-1].startswith(f"{URL}/bots/shop: imported: ") and "checked: the bot holds them" in lines[-1]


def test_deploy_warns_when_the_server_runs_another_release_than_the_spec_targets(fake, tmp_path):
    spec = spec_file(tmp_path, edit=lambda raw: raw["target"].update(botpress="12.31.10"))
    code, out, err = run("deploy", spec)
    assert (code, err) == (0, "")  # a warning: the builder may be about to upgrade the server
    assert out.splitlines()[4] == (
        "WARN version: the server runs Botpress 12.22.1 but the spec targets 12.31.10: what hitl-gen generates depends on "
        "the release (routes, HITL Next's exits), so set target.botpress: \"12.22.1\" in the spec and build or deploy again")
    assert out.splitlines()[-1].startswith(f"{URL}/bots/shop: imported: ")


def test_a_second_deploy_imports_nothing_and_keeps_no_backup(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    before = dict(fake.bots["shop"])
    code, out, _ = run("deploy", spec)
    assert code == 0 and out.splitlines()[-1] == f"{URL}/bots/shop: up to date; nothing imported"
    assert fake.count("POST /api/v1/admin/workspace/bots/shop/import") == 1 and fake.bots["shop"] == before
    assert len(list((tmp_path / "hitl-gen-backups").iterdir())) == 1


def test_dry_run_shows_the_diff_against_the_live_bot_and_check_exits_1_until_deployed(fake, tmp_path):
    spec = spec_file(tmp_path)
    code, out, _ = run("deploy", spec, "--dry-run")
    assert code == 0 and f"+++ {URL}/bots/shop/actions/hitl-gen/pause.js (generated)" in out
    assert out.splitlines()[-1].endswith("file(s) would change")
    assert run("deploy", spec, "--check")[0] == 1
    assert fake.count("POST /api/v1/admin/workspace/bots/shop/import") == 0 and not (tmp_path / "hitl-gen-backups").exists()
    assert run("deploy", spec)[0] == 0
    code, out, _ = run("deploy", spec, "--check")
    assert code == 0 and out.splitlines()[-1] == f"{URL}/bots/shop: up to date"


def test_deploy_into_another_bot_than_the_specs_and_a_bot_id_that_is_not_one(fake, tmp_path):
    fake.bots["shop-staging"] = {**WELCOME, "bot.config.json": b'{"id": "shop-staging", "name": "shop-staging", '
                                                                b'"defaultLanguage": "en", "languages": ["en"]}'}
    fake.mounted.add("shop-staging")
    spec = spec_file(tmp_path)
    assert run("deploy", spec, "--bot", "shop-staging")[0] == 0
    manifest = json.loads(fake.bots["shop-staging"]["hitl-gen-manifest.json"])
    assert "data/bots/shop-staging/actions/hitl-gen/pause.js" in manifest["files"] and "hitl-gen-manifest.json" not in fake.bots["shop"]
    code, _, err = run("deploy", spec, "--bot", "Shop Bot")
    assert code == 2 and "--bot: 'Shop Bot' is not a bot id" in err


def test_a_handoff_removed_from_the_spec_needs_prune_and_is_then_removed_whole(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    (tmp_path / "smaller").mkdir()  # the same file name: generated files name their spec
    smaller = spec_file(tmp_path / "smaller", edit=lambda raw: raw["handoffs"].pop(0))
    code, out, err = run("deploy", smaller)
    assert code == 2 and "rerun with --prune" in err and "shop/flows/sales.flow.json" in err
    assert fake.count("POST /api/v1/admin/workspace/bots/shop/delete") == 0
    report = deploy(smaller, live(tmp_path), prune=True)
    assert report.outcome == "replaced" and len(report.build.removed) >= 10
    bot = fake.bots["shop"]
    assert not [p for p in bot if "sales" in p] and "flows/billing.flow.json" in bot
    assert {p: bot[p] for p in ("flows/main.flow.json", "actions/own/answer.js", "media/logo.png")} == \
           {p: WELCOME[p] for p in ("flows/main.flow.json", "actions/own/answer.js", "media/logo.png")}
    # flows went through the Studio first (it drops them from the server's flow cache)
    assert fake.count("POST /api/v1/studio/shop/flows/sales.flow.json/delete") == 1
    assert fake.config("shop")["name"] == "My Shop"


def test_undeploy_removes_what_hitl_gen_installed_and_keeps_the_bots_own(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    report = deploy(spec, live(tmp_path), remove=True)
    assert report.outcome == "replaced"
    bot = {path: data for path, data in fake.bots["shop"].items() if path != "revisions.json"}
    assert bot.keys() == WELCOME.keys()
    assert json.loads(bot["content-elements/builtin_text.json"]) == json.loads(WELCOME["content-elements/builtin_text.json"])
    assert all(bot[p] == WELCOME[p] for p in WELCOME if p not in ("bot.config.json", "content-elements/builtin_text.json"))
    code, out, _ = run("undeploy", spec)
    assert code == 0 and out.splitlines()[-1] == f"{URL}/bots/shop: up to date; nothing imported"


def test_dry_run_of_a_deploy_that_would_refuse_says_so_and_exits_as_it_would(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    fake.bots["shop"]["actions/hitl-gen/pause.js"] += b"// mine\n"
    code, out, _ = run("deploy", spec, "--dry-run", "--force")  # forced: shown as the overwrite it would be
    assert code == 0 and f"{URL}/bots/shop/actions/hitl-gen/pause.js (on disk)" in out
    code, _, err = run("deploy", spec, "--dry-run")
    assert code == 2 and "actions/hitl-gen/pause.js: output: changed since hitl-gen wrote it" in err
    assert fake.count("POST /api/v1/admin/workspace/bots/shop/import") == 1  # the first deploy only


def test_undeploy_of_an_edited_generated_file_is_a_conflict_unless_forced(fake, tmp_path):
    spec = spec_file(tmp_path)
    assert run("deploy", spec)[0] == 0
    fake.bots["shop"]["actions/hitl-gen/pause.js"] += b"// mine\n"
    code, _, err = run("undeploy", spec)
    assert code == 2 and "actions/hitl-gen/pause.js: output: changed since hitl-gen wrote it, and the spec no longer generates it" in err
    assert fake.count("POST /api/v1/admin/workspace/bots/shop/delete") == 0
    assert deploy(spec, live(tmp_path), remove=True, force=True).outcome == "replaced"
    assert "actions/hitl-gen/pause.js" not in fake.bots["shop"]


def test_what_the_server_needs_is_checked_where_the_api_can_tell(fake, tmp_path):
    email = lambda raw: raw["handoffs"][1]["alert"][0]["email"].update(via="smtp", smtp={"url_env": "EXPOSED_SMTP_URL"})  # noqa: E731
    spec = spec_file(tmp_path, edit=email)
    code, out, _ = run("deploy", spec, "--check")
    assert "OK   nodemailer: the basic-skills module is loaded" in out and "OK   storage: the bots are files" in out
    fake.modules.remove("basic-skills")
    fake.database = True
    fake.bots["shop"]["actions/node_modules/nodemailer/package.json"] = b"{}"
    code, out, _ = run("deploy", spec, "--check")
    assert "TODO nodemailer: e-mail over SMTP needs nodemailer on the server's disk" in out
    assert "npm install nodemailer@6` in data/bots/shop/actions/hitl-gen where Botpress runs" in out
    assert "OK   storage: the bots are in the server's database (BPFS_STORAGE=database)" in out


def test_a_module_that_is_not_enabled_stops_the_deploy_before_the_export(fake, tmp_path):
    fake.modules.remove("hitl")
    code, out, _ = run("deploy", spec_file(tmp_path))
    assert code == 1 and out.splitlines()[-1].startswith("FAIL hitl routes answer:")
    assert fake.count("GET /api/v1/admin/workspace/bots/shop/export") == 0


def test_without_a_token_or_a_password_the_deploy_says_how_to_log_in(fake, tmp_path, monkeypatch):
    monkeypatch.delenv("BP_PASSWORD")
    code, out, _ = run("deploy", spec_file(tmp_path))
    assert code == 1 and "FAIL login works: http://bp.test:3000: not logged in: run `hitl-gen login" in out


def test_a_name_botpress_refuses_to_give_back_is_a_note_not_a_failure(fake, tmp_path):
    long = "The shop of a builder, renamed by an Admin import (shop)"  # over Botpress's 50, as only its import makes them
    config = fake.config("shop")
    config["name"] = long
    fake.bots["shop"]["bot.config.json"] = json.dumps(config).encode()
    code, out, _ = run("deploy", spec_file(tmp_path))
    assert code == 0 and fake.config("shop")["name"] == f"{long} (shop)"
    assert f"note: the import renamed the bot '{long} (shop)' and Botpress refused its name back" in out
    assert out.rstrip().endswith("rename it in the Admin")
