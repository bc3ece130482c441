"""A handoff removed from the spec, on a real Botpress 12.22.1: the rebuild leaves no
file of it in the bot (actions, flows, skill flows, content elements), the bot mounts
again with no error in the server log, and the handoff left still holds a conversation.
Once with `build --into`, once with `--archive --base` on an export downloaded from the
server and imported back: the manifest travels inside the archive (the import keeps
`hitl-gen-manifest.json`, the export gives it back), and Botpress's import only adds
and replaces files, so the bot is deleted before the smaller archive is imported."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import yaml
from support.build import run_cli as run
from support.builder_wiring import smtp_for_skills, wire

from hitl_gen.spec.load import load_spec

from .test_conformance import REPO, Watch, install, texts

ELEMENT_ID = re.compile(r"builtin_[a-z_-]+-[A-Za-z0-9_-]{6}")
NO_SALES = "A billing agent will answer you, kim."


def _spec(tmp_path: Path, bot: str, *, sales: bool) -> Path:
    """two-handoffs.yaml for `bot`, with or without its sales handoff, under its own name
    (generated files name their spec, so billing's files stay byte for byte)."""
    raw = yaml.safe_load((REPO / "examples" / "two-handoffs.yaml").read_text(encoding="utf-8"))
    raw["target"]["bot"] = bot
    if not sales:
        raw["handoffs"] = [h for h in raw["handoffs"] if h["id"] != "sales"]
    folder = tmp_path / ("with-sales" if sales else "without-sales")
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "two-handoffs.yaml"
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return spec


def _files(bot_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(bot_dir).as_posix(): p.read_bytes() for p in bot_dir.rglob("*") if p.is_file()}


def _of_sales(files: dict[str, bytes]) -> tuple[set[str], set[str]]:
    """The sales handoff's files (its actions, its flow, the skill flows it calls) and the
    ids of the content elements those flows send."""
    flow = json.loads(files["flows/sales.flow.json"])
    skills = {f"flows/{node['flow']}" for node in flow["nodes"] if node.get("type") == "skill-call"}
    flows = {"flows/sales.flow.json", *skills}
    paths = {rel for rel in files if rel.startswith("actions/hitl-gen/sales/")} | flows
    paths |= {rel.replace(".flow.json", ".ui.json") for rel in flows}
    return paths, {found for rel in flows for found in ELEMENT_ID.findall(files[rel].decode("utf-8"))}


def _assert_no_sales_left(botpress, bot: str, bot_dir: Path, paths: set[str], element_ids: set[str]) -> None:
    files = _files(bot_dir)
    assert not paths & set(files) and not (bot_dir / "actions" / "hitl-gen" / "sales").exists()
    elements = {e["id"] for rel in files if rel.startswith("content-elements/") for e in json.loads(files[rel])}
    assert not element_ids & elements
    # and as the server sees the bot, not only on disk
    flows = botpress.http.get(f"/api/v1/studio/{bot}/flows", headers=botpress.admin_headers())
    flows.raise_for_status()
    names = {flow["name"] for flow in flows.json()}
    assert "billing.flow.json" in names and not {p.removeprefix("flows/") for p in paths} & names
    actions = botpress.http.get(botpress.actions_path(bot), headers=botpress.bot_api(bot)).json()
    assert not [a["name"] for a in actions if a["name"].startswith("hitl-gen/sales/")]


def _billing_still_answers(botpress, sinks, bot: str, watch: Watch) -> None:
    assert texts(botpress.converse(bot, "kim", "refund please")) == [NO_SALES]
    [mail] = watch.mails_(1)
    assert mail.subject.replace("\u00a0", " ") == "Billing: kim"
    assert texts(botpress.converse(bot, "sam", "I want to buy a boat")) == ["bot heard: I want to buy a boat"]
    assert watch.webhooks(settle=0.5) == []  # the sales alert is gone with its handoff
    watch.assert_clean()


def test_a_handoff_removed_from_the_spec_leaves_no_file_in_the_bot_built_into(botpress, sinks, tmp_path):
    bot = "stale-into"
    installed = install(botpress, sinks, tmp_path, "two-handoffs", bot)
    paths, element_ids = _of_sales(_files(installed.bot_dir))
    assert len(paths) >= 10 and element_ids

    smaller = _spec(tmp_path, bot, sales=False)
    code, out, err = run("build", smaller, "--into", installed.bot_dir)
    assert (code, err) == (0, "") and f", removed {len(paths)}, " in out
    wire(installed.bot_dir, load_spec(smaller, str(smaller)))  # the builder's own flow, as INSTALL.md says
    watch = Watch(botpress, sinks)
    botpress.reload(bot)
    _assert_no_sales_left(botpress, bot, installed.bot_dir, paths, element_ids)
    _billing_still_answers(botpress, sinks, bot, watch)


def _export(botpress, bot: str, to: Path) -> dict[str, bytes]:
    answer = botpress.http.get(f"/api/v1/admin/workspace/bots/{bot}/export", headers=botpress.admin_headers())
    answer.raise_for_status()
    to.write_bytes(answer.content)
    with tarfile.open(fileobj=io.BytesIO(answer.content), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def _import(botpress, bot: str, archive: Path, *, overwrite: bool) -> None:
    answer = botpress.http.post(f"/api/v1/admin/workspace/bots/{bot}/import" + ("?overwrite=true" if overwrite else ""),
                                content=archive.read_bytes(),
                                headers={**botpress.admin_headers(), "Content-Type": "application/tar+gzip"})
    assert answer.status_code == 200, answer.text


def test_a_handoff_removed_from_the_spec_leaves_no_file_in_the_bot_through_archives(botpress, sinks, tmp_path):
    bot = "stale-archive"
    bot_dir = botpress.create_bot(bot)
    _export(botpress, bot, tmp_path / "created.tgz")
    full, smaller = _spec(tmp_path, bot, sales=True), _spec(tmp_path, bot, sales=False)
    assert run("build", full, "--archive", tmp_path / "full.tgz", "--base", tmp_path / "created.tgz")[0] == 0
    _import(botpress, bot, tmp_path / "full.tgz", overwrite=True)
    # the import kept the manifest (a dot-file would have been dropped)
    assert (bot_dir / "hitl-gen-manifest.json").is_file() and not (bot_dir / ".hitl-gen-manifest.json").exists()
    smtp_for_skills(bot_dir, sinks[1].url)
    wire(bot_dir, load_spec(full, str(full)))
    botpress.reload(bot)
    paths, element_ids = _of_sales(_files(bot_dir))
    assert len(paths) >= 10 and element_ids

    exported = _export(botpress, bot, tmp_path / "exported.tgz")
    # the export gives the manifest back, its paths with the bot id as a placeholder
    assert "data/bots/BOT_ID_PLACEHOLDER/flows/sales.flow.json" in json.loads(exported["hitl-gen-manifest.json"])["files"]
    code, out, err = run("build", smaller, "--archive", tmp_path / "smaller.tgz", "--base", tmp_path / "exported.tgz")
    assert (code, err) == (0, "") and out.endswith(f", {len(paths)} removed from the base\n")
    assert "delete the bot in the Admin first, then import the archive" in out

    _import(botpress, bot, tmp_path / "smaller.tgz", overwrite=True)
    if botpress.import_replaces_the_bot:  # 12.31: the note's advice is not needed there, and does no harm
        assert not paths & set(_files(bot_dir))
    else:  # what the note says: an import over the bot deletes nothing
        assert paths <= set(_files(bot_dir))
    answer = botpress.http.post(f"/api/v1/admin/workspace/bots/{bot}/delete", headers=botpress.admin_headers())
    assert answer.status_code == 200, answer.text
    watch = Watch(botpress, sinks)
    _import(botpress, bot, tmp_path / "smaller.tgz", overwrite=False)
    _assert_no_sales_left(botpress, bot, bot_dir, paths, element_ids)
    _billing_still_answers(botpress, sinks, bot, watch)
