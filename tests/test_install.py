"""Installing into an existing bot loses nothing: the welcome-bot sample stays
byte-identical except its content-element files, whose own entries stay byte for byte."""

import io
import json
import re
import shutil
import tarfile

import pytest
from conftest import EXAMPLES, REPO, SAMPLES

from support.bots import sample_bot, spec_languages
from support.build import run_cli as run
from support.build import spec_without


def bot_copy(tmp_path, name, spec=None):
    """The welcome-bot sample, speaking the spec's languages."""
    return sample_bot(tmp_path, name, spec_languages(spec) if spec else None)


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def bot_of(example):
    import yaml

    return yaml.safe_load(example.read_text(encoding="utf-8"))["target"]["bot"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_install_keeps_every_original_file_and_element(example, tmp_path):
    bot_dir = bot_copy(tmp_path, bot_of(example), example)
    before = snapshot(bot_dir)
    code, out, err = run("build", example, "--into", bot_dir)
    assert code == 0, err
    after = snapshot(bot_dir)
    for rel, data in before.items():
        if rel.startswith("content-elements/"):
            original = json.loads(data)
            merged = json.loads(after[rel])
            assert merged[:len(original)] == original
            text = data.decode("utf-8")
            body = text[text.index("[") + 1:text.rindex("]")].rstrip()
            assert body in after[rel].decode("utf-8")  # the bot's own entries, byte for byte
        else:
            assert after[rel] == data, rel
    new_flows = {k for k in after if k.startswith("flows/") and k.endswith(".flow.json")} - set(before)
    assert any(not k.startswith("flows/skills/") for k in new_flows) and any(k.startswith("flows/skills/") for k in new_flows)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_installing_twice_changes_nothing(example, tmp_path):
    bot_dir = bot_copy(tmp_path, bot_of(example), example)
    run("build", example, "--into", bot_dir)
    first = snapshot(bot_dir)
    code, out, _ = run("build", example, "--into", bot_dir)
    assert code == 0 and "wrote 0 file(s)" in out
    assert snapshot(bot_dir) == first
    assert run("build", example, "--into", bot_dir, "--check")[0] == 0


def test_an_edited_generated_flow_is_a_conflict_and_nothing_is_written(tmp_path):
    example = REPO / "examples" / "bilingual-alerts.yaml"
    bot_dir = bot_copy(tmp_path, "support-bot", example)
    run("build", example, "--into", bot_dir)
    flow = bot_dir / "flows" / "talk_to_agent.flow.json"
    flow.write_text(flow.read_text().replace('"hitl-gen handoff talk_to_agent"', '"my description"'))
    spec = tmp_path / "spec.yaml"
    spec.write_text(example.read_text().replace("An agent will be with you shortly.", "Hold on."))
    before = snapshot(bot_dir)
    code, _, err = run("build", spec, "--into", bot_dir)
    assert code == 2
    assert err == f"{flow}: output: changed since hitl-gen wrote it; rerun with --force to overwrite, or move your edits into the spec\n"
    assert snapshot(bot_dir) == before
    assert run("build", spec, "--into", bot_dir, "--force")[0] == 0
    assert "my description" not in flow.read_text()


def test_an_element_edited_in_the_studio_is_a_conflict(tmp_path):
    example = REPO / "examples" / "minimal-hitl.yaml"
    bot_dir = bot_copy(tmp_path, "support-bot")
    run("build", example, "--into", bot_dir)
    path = bot_dir / "content-elements" / "builtin_text.json"
    elements = json.loads(path.read_text())
    ours = next(e for e in elements if e["createdBy"] == "hitl-gen")
    ours["formData"]["text$en"] = "Edited in the Studio"
    path.write_text(json.dumps(elements, indent=2))  # the Studio rewrites the whole file
    code, _, err = run("build", example, "--into", bot_dir)
    assert code == 2 and f"content elements {ours['id']} were edited" in err
    assert "Edited in the Studio" in path.read_text()


def test_elements_added_in_the_studio_after_install_are_kept(tmp_path):
    example = REPO / "examples" / "minimal-hitl.yaml"
    bot_dir = bot_copy(tmp_path, "support-bot")
    run("build", example, "--into", bot_dir)
    path = bot_dir / "content-elements" / "builtin_text.json"
    elements = json.loads(path.read_text())
    elements.append({"id": "builtin_text-mine01", "formData": {"text$en": "mine"}, "createdBy": "admin",
                     "createdOn": "2024-01-01T00:00:00.000Z", "modifiedOn": "2024-01-01T00:00:00.000Z"})
    path.write_text(json.dumps(elements, indent=2))
    spec = tmp_path / "spec.yaml"
    spec.write_text(example.read_text().replace("An agent will be with you shortly.", "Hold on."))
    assert run("build", spec, "--into", bot_dir)[0] == 0
    merged = json.loads(path.read_text())
    assert {"builtin_text-mine01"} <= {e["id"] for e in merged}
    assert any(e["formData"].get("text$en") == "Hold on." for e in merged)
    assert not any(e["formData"].get("text$en") == "An agent will be with you shortly." for e in merged)


def test_a_bot_file_hitl_gen_did_not_write_is_never_overwritten(tmp_path):
    bot_dir = bot_copy(tmp_path, "support-bot")
    mine = bot_dir / "config" / "hitl.json"
    mine.write_text('{"paused": true}\n')
    code, _, err = run("build", REPO / "examples" / "minimal-hitl.yaml", "--into", bot_dir)
    assert (code, err) == (2, f"{mine}: output: exists and was not written by hitl-gen; rerun with --force to overwrite, "
                              "or move your edits into the spec\n")
    assert mine.read_text() == '{"paused": true}\n' and not (bot_dir / "flows" / "talk_to_agent.flow.json").exists()


def test_ids_are_stable_across_rebuilds_and_avoid_the_bots_own(tmp_path):
    example = REPO / "examples" / "minimal-hitl.yaml"
    fresh = bot_copy(tmp_path / "a", "support-bot")
    run("build", example, "--into", fresh)
    ours = [e["id"] for e in json.loads((fresh / "content-elements/builtin_text.json").read_text()) if e["createdBy"] == "hitl-gen"]

    spec = tmp_path / "spec.yaml"
    spec.write_text(example.read_text().replace("An agent will be with you shortly.", "Hold on."))
    run("build", spec, "--into", fresh)
    assert [e["id"] for e in json.loads((fresh / "content-elements/builtin_text.json").read_text()) if e["createdBy"] == "hitl-gen"] == ours

    crowded = bot_copy(tmp_path / "b", "support-bot")
    path = crowded / "content-elements" / "builtin_text.json"
    theirs = json.loads(path.read_text())
    theirs.append({"id": ours[0], "formData": {"text$en": "the bot's own"}, "createdBy": "admin",
                   "createdOn": "2024-01-01T00:00:00.000Z", "modifiedOn": "2024-01-01T00:00:00.000Z"})
    path.write_text(json.dumps(theirs, indent=2))
    assert run("build", example, "--into", crowded)[0] == 0
    merged = json.loads(path.read_text())
    assert [e["formData"]["text$en"] for e in merged if e["id"] == ours[0]] == ["the bot's own"]
    assert len({e["id"] for e in merged}) == len(merged)


def test_dry_run_into_a_bot_prints_a_diff_and_writes_nothing(tmp_path):
    bot_dir = bot_copy(tmp_path, "support-bot")
    before = snapshot(bot_dir)
    code, out, _ = run("build", REPO / "examples" / "minimal-hitl.yaml", "--into", bot_dir, "--dry-run")
    assert code == 0 and "+++ " in out and "flows/talk_to_agent.flow.json (generated)" in out
    assert snapshot(bot_dir) == before
    assert run("build", REPO / "examples" / "minimal-hitl.yaml", "--into", bot_dir, "--check")[0] == 1


@pytest.mark.parametrize("folder, message", [
    ("data/bots/other-bot", "--into: the folder is bot 'other-bot' but target.bot is 'support-bot'; "
                            "install into data/bots/support-bot or change target.bot"),
    ("nowhere", "--into: not a Botpress bot folder (no bot.config.json); give the path of data/bots/support-bot"),
])
def test_into_the_wrong_folder_is_an_error_without_a_line(folder, message, tmp_path):
    target = tmp_path / folder
    if "bots" in folder:
        shutil.copytree(SAMPLES / "welcome-bot", target)
    code, out, err = run("build", REPO / "examples" / "minimal-hitl.yaml", "--into", target)
    assert (code, out, err) == (2, "", f"{target}: {message}\n")


def _archive_files(path):
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_archive_without_base_is_importable_and_deterministic(tmp_path):
    example = REPO / "examples" / "bilingual-alerts.yaml"
    assert run("build", example, "--archive", tmp_path / "a.tgz")[0] == 0
    assert run("build", example, "--archive", tmp_path / "b.tgz")[0] == 0
    assert (tmp_path / "a.tgz").read_bytes() == (tmp_path / "b.tgz").read_bytes()
    files = _archive_files(tmp_path / "a.tgz")
    assert json.loads(files["bot.config.json"])["languages"] == ["en", "fr"]
    assert "flows/talk_to_agent.flow.json" in files and "actions/hitl-gen/talk_to_agent/start.js" in files
    # the manifest travels without a dot: the Admin's import drops dot-files
    assert ".hitl-gen-manifest.json" not in files and "hitl-gen-manifest.json" in files


def _export(tmp_path, bot_dir=SAMPLES / "welcome-bot"):
    """The bot as the Admin exports it: its files at the top of a .tgz."""
    export = tmp_path / "export.tgz"
    with tarfile.open(export, "w:gz") as tar:
        for path in sorted(bot_dir.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=path.relative_to(bot_dir).as_posix())
    return export


def _welcome_spec(tmp_path):
    spec = tmp_path / "welcome.yaml"
    spec.write_text((REPO / "examples" / "minimal-hitl.yaml").read_text().replace("bot: support-bot", "bot: welcome-bot"))
    return spec


def test_archive_merges_into_an_exported_bot(tmp_path):
    export = _export(tmp_path)
    original = _archive_files(export)
    spec = _welcome_spec(tmp_path)
    assert run("build", spec, "--archive", tmp_path / "merged.tgz", "--base", export)[0] == 0
    merged = _archive_files(tmp_path / "merged.tgz")
    for name, data in original.items():
        if not name.startswith("content-elements/"):
            assert merged[name] == data
    assert json.loads(merged["content-elements/builtin_text.json"])[:17] == json.loads(original["content-elements/builtin_text.json"])


def test_a_file_in_the_way_in_the_export_is_a_conflict_as_with_into(tmp_path):
    """The archive goes through the same plan, compare, apply as --into: the same
    conflict, named inside the export, the same --force."""
    bot_dir = sample_bot(tmp_path / "bot", "welcome-bot")
    (bot_dir / "config" / "hitl.json").write_text('{"paused": true}\n')
    export, spec, archive = _export(tmp_path, bot_dir), _welcome_spec(tmp_path), tmp_path / "merged.tgz"
    hint = "rerun with --force to overwrite, or move your edits into the spec"
    in_the_way = bot_dir / "config" / "hitl.json"
    assert run("build", spec, "--into", bot_dir)[2] == f"{in_the_way}: output: exists and was not written by hitl-gen; {hint}\n"
    code, out, err = run("build", spec, "--archive", archive, "--base", export)
    assert (code, out, err) == (2, "", f"{export}/config/hitl.json: output: exists and was not written by hitl-gen; {hint}\n")
    assert not archive.exists()
    assert run("build", spec, "--archive", archive, "--base", export, "--force")[0] == 0
    assert _archive_files(archive)["config/hitl.json"] != b'{"paused": true}\n'


def test_dry_run_and_check_of_an_archive_compare_with_its_base_as_into_does_and_write_nothing(tmp_path):
    bot_dir = sample_bot(tmp_path / "bot", "welcome-bot")
    export, spec, archive = _export(tmp_path, bot_dir), _welcome_spec(tmp_path), tmp_path / "merged.tgz"
    code, into_diff, err = run("build", spec, "--into", bot_dir, "--dry-run")
    *into_diff, into_summary = into_diff.replace(f"{bot_dir}/", "").splitlines()
    code, archive_diff, err = run("build", spec, "--archive", archive, "--base", export, "--dry-run")
    *archive_diff, archive_summary = archive_diff.replace(f"{export}/", "").splitlines()
    assert (code, err) == (0, "") and archive_diff == into_diff
    assert "--- content-elements/builtin_text.json (on disk)" in archive_diff
    assert archive_summary.replace(str(archive), str(bot_dir)) == into_summary
    assert run("build", spec, "--archive", archive, "--check")[0] == 1
    assert not archive.exists()


def test_base_without_archive_is_a_usage_error(tmp_path):
    code, out, err = run("build", REPO / "examples" / "minimal-hitl.yaml", "-o", tmp_path, "--base", tmp_path / "x.tgz")
    assert (code, out, err) == (2, "", "hitl-gen: build: --base goes with --archive\n")


@pytest.mark.parametrize("content, reason", [
    (b"not a tarball", "cannot read the bot export (not a gzip file); give a .tgz exported from the Botpress Admin"),
    (None, "not a bot export (no bot.config.json at its top); give a .tgz exported from the Botpress Admin"),
])
def test_an_unusable_base_is_named_without_a_line(content, reason, tmp_path):
    export = tmp_path / "export.tgz"
    if content is None:
        with tarfile.open(export, "w:gz") as tar:
            tar.add(SAMPLES / "welcome-bot" / "flows", arcname="flows")
    else:
        export.write_bytes(content)
    code, out, err = run("build", _welcome_spec(tmp_path), "--archive", tmp_path / "x.tgz", "--base", export)
    assert (code, out, err) == (2, "", f"{export}: --base: {reason}\n")


def test_archive_refuses_global_actions(tmp_path):
    spec = tmp_path / "global.yaml"
    spec.write_text((REPO / "examples" / "minimal-hitl.yaml").read_text().replace("  languages: [en]", "  languages: [en]\n  actions: global"))
    code, _, err = run("build", spec, "--archive", tmp_path / "x.tgz")
    assert (code, err) == (2, f"{spec}: target.actions: a bot archive cannot carry global actions; use `actions: bot` or -o OUT\n")
    assert not (tmp_path / "x.tgz").exists()


def test_global_actions_go_to_data_global(tmp_path):
    spec = tmp_path / "global.yaml"
    spec.write_text((REPO / "examples" / "minimal-hitl.yaml").read_text().replace("  languages: [en]", "  languages: [en]\n  actions: global"))
    bot_dir = bot_copy(tmp_path, "support-bot")
    assert run("build", spec, "--into", bot_dir)[0] == 0
    assert (tmp_path / "data/global/actions/hitl-gen/talk_to_agent/start.js").is_file()
    assert not (bot_dir / "actions").exists()


def test_a_community_bot_with_one_of_the_spec_languages_is_accepted_and_told(tmp_path):
    """B6: Botpress Community refuses a bot with two languages, so a bilingual spec goes
    into a bot that lists one; the user is told that the other texts still reach users."""
    bot_dir = bot_copy(tmp_path, "support-bot")  # the welcome-bot speaks only en
    code, out, err = run("build", REPO / "examples" / "bilingual-alerts.yaml", "--into", bot_dir)
    assert (code, err) == (0, "")
    assert (f"{bot_dir}: note: the bot lists en only; users whose language is fr still get those texts (chosen by "
            "user.language). Botpress Community allows one language per bot; with Pro, add them in the Admin.") in out.splitlines()
    elements = (bot_dir / "content-elements" / "builtin_text.json").read_text(encoding="utf-8")
    assert "Un agent va vous répondre." in elements


def test_a_bot_language_the_spec_lacks_is_refused(tmp_path):
    bot_dir = sample_bot(tmp_path, "support-bot", ["de"])
    before = snapshot(bot_dir)
    code, _, err = run("build", REPO / "examples" / "bilingual-alerts.yaml", "--into", bot_dir)
    assert code == 2
    assert err == (f"{bot_dir / 'bot.config.json'}: languages: the bot speaks de, which the spec does not have "
                   "(target.languages: en, fr); add de to target.languages and give every text in it\n")
    assert snapshot(bot_dir) == before


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_line_separators_in_a_text_keep_the_bots_elements_valid_json(tmp_path, separator):
    """S2: re-indenting an element with splitlines() broke the file at U+2028 and friends."""
    spec = tmp_path / "sep.yaml"
    spec.write_text((REPO / "examples" / "minimal-hitl.yaml").read_text(encoding="utf-8").replace(
        'say: "An agent will be with you shortly."', f'say: "An agent\\u{ord(separator):04x}will be with you shortly."'), encoding="utf-8")
    bot_dir = bot_copy(tmp_path, "support-bot")
    assert run("build", spec, "--into", bot_dir)[0] == 0
    elements = json.loads((bot_dir / "content-elements" / "builtin_text.json").read_text(encoding="utf-8"))
    assert f"An agent{separator}will be with you shortly." in [e["formData"].get("text$en") for e in elements]


# ---- stale files: a handoff removed from the spec --------------------------------

TWO = REPO / "examples" / "two-handoffs.yaml"
ELEMENT_ID = re.compile(r"builtin_[a-z_-]+-[A-Za-z0-9_-]{6}")


def _without_sales(folder):
    return spec_without(TWO, "sales", folder)


def _sales_files(files):
    """The files of the sales handoff: its actions, its flow, and the skill flows it calls."""
    flow = json.loads(files["flows/sales.flow.json"])
    skills = {node["flow"] for node in flow["nodes"] if node.get("type") == "skill-call"}
    ours = {f"flows/{s}" for s in skills} | {f"flows/{s.replace('.flow.json', '.ui.json')}" for s in skills}
    return {rel for rel in files if rel.startswith("actions/hitl-gen/sales/") or rel.startswith("flows/sales.")} | ours


def _element_ids(files, names):
    return {match for name in names for match in ELEMENT_ID.findall(files[name].decode("utf-8"))}


def test_a_handoff_removed_from_the_spec_leaves_no_file_or_element_in_the_bot(tmp_path):
    bot_dir = bot_copy(tmp_path, "shop-bot", TWO)
    original = snapshot(bot_dir)
    assert run("build", TWO, "--into", bot_dir)[0] == 0
    installed = snapshot(bot_dir)
    sales = _sales_files(installed)
    sales_elements = _element_ids(installed, [rel for rel in sales if rel.endswith(".flow.json")])
    assert len(sales) >= 10 and sales_elements

    code, out, err = run("build", _without_sales(tmp_path / "spec"), "--into", bot_dir)
    after = snapshot(bot_dir)
    manifest = json.loads(after["hitl-gen-manifest.json"])
    planned = {p.removeprefix("data/bots/shop-bot/") for p in {*manifest["files"], *manifest["merged"]}}
    written = {rel for rel in planned if installed.get(rel) != after[rel]}
    assert (code, err, out.splitlines()[0]) == (0, "", f"{bot_dir}: wrote {len(written)} file(s), removed {len(sales)}, "
                                                       f"{len(planned) - len(written)} unchanged")  # then the next steps
    assert not sales & set(after) and not (bot_dir / "actions/hitl-gen/sales").exists()
    for rel, data in original.items():  # the bot's own files and elements, byte for byte
        if rel.startswith("content-elements/"):
            text = data.decode("utf-8")
            assert text[text.index("[") + 1:text.rindex("]")].rstrip() in after[rel].decode("utf-8")
        else:
            assert after[rel] == data, rel
    elements = {e["id"] for rel in after if rel.startswith("content-elements/") for e in json.loads(after[rel])}
    used = _element_ids(after, [rel for rel in after if rel.startswith("flows/") and rel.endswith(".flow.json")])
    assert not sales_elements & elements and used <= elements  # billing's and the bot's own are all there
    assert not [p for p in manifest["files"] if "/sales" in p] and not sales_elements & set(manifest["elements"])


def test_an_older_hitl_gens_dot_manifest_is_read_then_replaced(tmp_path):
    """Bots installed before the manifest lost its dot: their files are still known."""
    bot_dir = bot_copy(tmp_path, "shop-bot", TWO)
    assert run("build", TWO, "--into", bot_dir)[0] == 0
    (bot_dir / "hitl-gen-manifest.json").rename(bot_dir / ".hitl-gen-manifest.json")
    code, out, err = run("build", _without_sales(tmp_path / "spec"), "--into", bot_dir)
    assert (code, err) == (0, "") and ", removed " in out
    assert (bot_dir / "hitl-gen-manifest.json").is_file() and not (bot_dir / ".hitl-gen-manifest.json").exists()


def test_global_actions_of_a_removed_handoff_are_removed_and_data_global_kept(tmp_path):
    spec = tmp_path / "global" / TWO.name
    spec.parent.mkdir()
    spec.write_text(TWO.read_text().replace("  languages: [en]", "  languages: [en]\n  actions: global"))
    bot_dir = bot_copy(tmp_path, "shop-bot", TWO)
    assert run("build", spec, "--into", bot_dir)[0] == 0
    sales = tmp_path / "data/global/actions/hitl-gen/sales"
    assert (sales / "start.js").is_file()
    smaller = _without_sales(tmp_path / "spec")
    smaller.write_text(smaller.read_text().replace("  languages:\n  - en\n", "  languages:\n  - en\n  actions: global\n"))
    assert run("build", smaller, "--into", bot_dir)[0] == 0
    assert not sales.exists() and (tmp_path / "data/global/actions/hitl-gen/billing/start.js").is_file()


def _as_exported(archive, export, bot):
    """What the Admin's export gives for a bot imported from `archive`: its files, with
    "/bots/<bot>/" replaced by the placeholder in every .json (core bot-service exportBot)."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(export, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.endswith(".json"):
                data = data.replace(f"/bots/{bot}/".encode(), b"/bots/BOT_ID_PLACEHOLDER/")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return export


def test_an_archive_built_on_an_export_of_an_archive_removes_the_stale_files(tmp_path):
    """The manifest travels in the archive (no dot: the Admin's import drops dot-files),
    comes back in the export with the bot id as a placeholder, and a later --base build
    removes what the spec no longer generates, as --into does."""
    first = tmp_path / "first.tgz"
    assert run("build", TWO, "--archive", first, "--base", _export(tmp_path, bot_copy(tmp_path, "shop-bot", TWO)))[0] == 0
    packed = _archive_files(first)
    assert ".hitl-gen-manifest.json" not in packed
    assert all(p.startswith("data/bots/shop-bot/") for p in json.loads(packed["hitl-gen-manifest.json"])["files"])
    sales = _sales_files(packed)
    export = _as_exported(first, tmp_path / "exported.tgz", "shop-bot")
    assert b"BOT_ID_PLACEHOLDER" in _archive_files(export)["hitl-gen-manifest.json"]
    spec, second = _without_sales(tmp_path / "spec"), tmp_path / "second.tgz"

    code, diff, err = run("build", spec, "--archive", second, "--base", export, "--dry-run")
    assert (code, err) == (0, "") and not second.exists()
    assert f"--- {export}/actions/hitl-gen/sales/start.js (on disk)\n+++ /dev/null\n" in diff
    note, *_, would = diff.splitlines()  # notes come first, then the diff, then the summary

    code, out, err = run("build", spec, "--archive", second, "--base", export)
    rebuilt = _archive_files(second)
    assert not sales & set(rebuilt) and "flows/billing.flow.json" in rebuilt
    changed = {name for name, data in rebuilt.items() if name != "hitl-gen-manifest.json" and packed.get(name) != data}
    assert note == (f"{second}: note: the Admin's import never deletes a file of an existing bot, so the files this archive "
                    "no longer has stay in the bot if it is imported over it: delete the bot in the Admin first, then import "
                    "the archive")
    assert would == f"{second}: {len(changed)} file(s) would change, {len(sales)} would be removed"
    assert (code, err, out) == (0, "", f"{note}\n{second}: bot archive with {len(changed)} generated file(s), "
                                       f"{len(sales)} removed from the base\n")
    manifest = json.loads(rebuilt["hitl-gen-manifest.json"])
    assert not [p for p in manifest["files"] if "/sales" in p] and b"BOT_ID_PLACEHOLDER" not in rebuilt["hitl-gen-manifest.json"]


def test_an_edited_file_of_a_removed_handoff_in_the_export_is_a_conflict(tmp_path):
    first = tmp_path / "first.tgz"
    assert run("build", TWO, "--archive", first)[0] == 0
    bot_dir = tmp_path / "edited"
    with tarfile.open(first, "r:gz") as tar:  # the standard library's safety filter where it has one (3.12+ warns without)
        tar.extractall(bot_dir, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (bot_dir / "actions/hitl-gen/sales/start.js").write_text("// mine\n")
    export, spec, second = _export(tmp_path, bot_dir), _without_sales(tmp_path / "spec"), tmp_path / "second.tgz"
    code, out, err = run("build", spec, "--archive", second, "--base", export)
    assert (code, out, err) == (2, "", f"{export}/actions/hitl-gen/sales/start.js: output: changed since hitl-gen wrote it, "
                                       "and the spec no longer generates it; rerun with --force to delete it, or move it "
                                       "elsewhere to keep your edits\n")
    assert not second.exists()
    assert run("build", spec, "--archive", second, "--base", export, "--force")[0] == 0
    assert "actions/hitl-gen/sales/start.js" not in _archive_files(second)


def _server_config(root, modules):
    """data/global/botpress.config.json beside data/bots, listing `modules` (name -> enabled)."""
    config = root / "data" / "global" / "botpress.config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    entries = [{"location": f"MODULES_ROOT/{name}", "enabled": enabled} for name, enabled in modules.items()]
    config.write_text(json.dumps({"modules": entries}, indent=2), encoding="utf-8")
    return config


def _next_lines(out):
    return [line for line in out.splitlines() if line.startswith(("next: ", "done: "))]


SMTP = "set EXPOSED_SMTP_URL where Botpress runs: SMTP connection string, e.g. smtps://user:password@smtp.example.com:465"
SLACK = "set EXPOSED_SLACK_WEBHOOK where Botpress runs: incoming webhook URL (slack) for talk_to_agent"


def test_into_says_what_is_left_to_do_when_data_global_has_no_server_config(tmp_path, monkeypatch):
    example = REPO / "examples" / "bilingual-alerts.yaml"
    bot_copy(tmp_path, "support-bot", example)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("build", example, "--into", "data/bots/support-bot")
    assert (code, err) == (0, "")
    assert _next_lines(out) == [
        'next: enable the hitl module: the modules list of data/global/botpress.config.json must contain '
        '{"location": "MODULES_ROOT/hitl", "enabled": true}',
        f"next: {SLACK}", f"next: {SMTP}",
        "next: install nodemailer where the actions find it: cd data/bots/support-bot/actions/hitl-gen && "
        "npm install nodemailer@6 (or enable the basic-skills module, which ships it)",
        "next: restart Botpress, so it loads the hitl module and the variables and reads the bot's new flows and content elements",
    ]
    # up to date (nothing rendered): the steps are still said, without the files to read
    code, out, _ = run("build", example, "--into", "data/bots/support-bot")
    assert out.splitlines()[0] == "data/bots/support-bot: wrote 0 file(s), up to date"
    assert _next_lines(out)[-1] == "next: restart Botpress, so it loads the hitl module and the variables"


def test_into_checks_the_server_config_and_where_nodemailer_is(tmp_path):
    example = REPO / "examples" / "bilingual-alerts.yaml"
    bot_dir = bot_copy(tmp_path, "support-bot", example)
    config = _server_config(tmp_path, {"basic-skills": False, "hitl": False})
    (bot_dir / "actions" / "node_modules" / "nodemailer").mkdir(parents=True)
    code, out, _ = run("build", example, "--into", bot_dir)
    assert _next_lines(out) == [
        f'next: enable the hitl module: set "enabled": true on MODULES_ROOT/hitl in the modules list of {config}',
        f"next: {SLACK}", f"next: {SMTP}",
        f"done: nodemailer: found in {bot_dir / 'actions' / 'node_modules'}",
        "next: restart Botpress, so it loads the hitl module and the variables and reads the bot's new flows and content elements",
    ]
    _server_config(tmp_path, {"basic-skills": True, "hitl": True})
    code, out, _ = run("build", example, "--into", bot_dir)
    assert _next_lines(out) == [
        f"done: the hitl module is enabled in {config}", f"next: {SLACK}", f"next: {SMTP}",
        "done: nodemailer: the basic-skills module is enabled, and Botpress gives actions its nodemailer",
        "next: restart Botpress, so it loads the variables",
    ]


def test_into_with_nothing_left_but_reading_the_new_files(tmp_path):
    example = REPO / "examples" / "hitlnext-web.yaml"
    bot_dir = bot_copy(tmp_path, bot_of(example), example)
    config = _server_config(tmp_path, {"hitl": True})  # another module: hitlnext must be added
    code, out, _ = run("build", example, "--into", bot_dir)
    assert _next_lines(out)[0] == ('next: enable the hitlnext module: add {"location": "MODULES_ROOT/hitlnext", '
                                   f'"enabled": true}} to the modules list of {config}')
    minimal = REPO / "examples" / "minimal-hitl.yaml"  # no alert: no variable, no nodemailer
    bot_dir_2 = bot_copy(tmp_path / "two", bot_of(minimal), minimal)
    _server_config(tmp_path / "two", {"hitl": True})
    code, out, _ = run("build", minimal, "--into", bot_dir_2)
    reload = f"/api/v1/admin/workspace/bots/{bot_of(minimal)}/reload"
    assert _next_lines(out) == [
        f"done: the hitl module is enabled in {tmp_path / 'two' / 'data' / 'global' / 'botpress.config.json'}",
        f"next: reload the bot, so it reads the bot's new flows and content elements: restart Botpress, or POST {reload} (Admin API)",
    ]
    assert _next_lines(run("build", minimal, "--into", bot_dir_2)[1]) == _next_lines(out)[:1]  # nothing new to read


def test_the_steps_are_not_printed_by_dry_run_check_or_o(tmp_path):
    example = REPO / "examples" / "minimal-hitl.yaml"
    bot_dir = bot_copy(tmp_path, "support-bot", example)
    for flags in (["--into", bot_dir, "--dry-run"], ["--into", bot_dir, "--check"], ["-o", tmp_path / "out"]):
        assert _next_lines(run("build", example, *flags)[1]) == []


def test_an_export_of_another_bot_is_refused_naming_both(tmp_path):
    bot_dir = sample_bot(tmp_path / "bot", "welcome-bot")
    config = json.loads((bot_dir / "bot.config.json").read_text())
    (bot_dir / "bot.config.json").write_text(json.dumps({**config, "id": "sales-bot"}))
    export, spec, archive = _export(tmp_path, bot_dir), _welcome_spec(tmp_path), tmp_path / "merged.tgz"
    code, out, err = run("build", spec, "--archive", archive, "--base", export)
    assert (code, out, err) == (2, "", f"{export}: --base: this export is bot 'sales-bot' (the id in its bot.config.json) "
                                       "but target.bot is 'welcome-bot'; export bot 'welcome-bot' from the Admin, or change target.bot\n")
    assert not archive.exists()
    (bot_dir / "bot.config.json").write_text(json.dumps({**config, "id": "welcome-bot"}))
    assert run("build", spec, "--archive", archive, "--base", _export(tmp_path, bot_dir))[0] == 0


def test_a_language_error_of_an_archive_names_the_export(tmp_path):
    bot_dir = sample_bot(tmp_path / "bot", "welcome-bot", ["de"])
    export, spec, archive = _export(tmp_path, bot_dir), _welcome_spec(tmp_path), tmp_path / "merged.tgz"
    code, out, err = run("build", spec, "--archive", archive, "--base", export)
    assert (code, out, err) == (2, "", f"{export}/bot.config.json: languages: the bot speaks de, which the spec does not "
                                       "have (target.languages: en); add de to target.languages and give every text in it\n")
    assert not archive.exists()
