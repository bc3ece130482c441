"""`hitl-gen module`: the Botpress module that adds the Studio skill "Talk to an agent".

What is written (a folder Botpress loads, or one archive), how it refuses to overwrite,
and the module's backend run in Node against every example as `hitl-gen build` installs
it: the handoffs it lists, the skill flow it generates, and that both agree with what the
render writes (the flag the handoff flow clears on entry, the outcomes it records).
The real server and the Studio are in tests/browser/.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from support.build import run_cli

from hitl_gen import studio_texts
from hitl_gen.botpress_module import NAME, SKILL, module_files
from hitl_gen.render.flow import handoff as handoff_flow
from hitl_gen.render.state import trigger_keys
from hitl_gen.spec.load import load_spec

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
LAYOUT = ["assets/web/full.bundle.js", "dist/backend/index.js", "dist/backend/texts.json", "package.json"]
MANIFEST = ".hitl-gen-module.json"


def test_module_folder_is_what_botpress_loads(tmp_path):
    code, out, err = run_cli("module", "-o", tmp_path / "modules")
    assert (code, err) == (0, "")
    folder = tmp_path / "modules" / NAME
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [MANIFEST, *LAYOUT]
    package = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    assert package["name"] == NAME and (folder / package["main"]).is_file()
    assert f"{folder}: wrote 4 file(s), 0 unchanged" in out
    assert 'next: enable it: add {"location": "MODULES_ROOT/hitl-gen", "enabled": true}' in out


def test_module_written_again_is_up_to_date_and_touches_nothing(tmp_path):
    assert run_cli("module", "-o", tmp_path)[0] == 0
    backend = tmp_path / NAME / "dist" / "backend" / "index.js"
    before = backend.stat()
    code, out, _ = run_cli("module", "-o", tmp_path)
    assert code == 0 and out.startswith(f"{tmp_path / NAME}: up to date")
    assert backend.stat().st_mtime_ns == before.st_mtime_ns and backend.stat().st_ino == before.st_ino


def test_an_edited_module_file_is_a_conflict_and_nothing_is_written(tmp_path):
    assert run_cli("module", "-o", tmp_path)[0] == 0
    package = tmp_path / NAME / "package.json"
    package.write_text("{}\n", encoding="utf-8")
    (tmp_path / NAME / "assets" / "web" / "full.bundle.js").unlink()
    code, out, err = run_cli("module", "-o", tmp_path)
    assert code == 2 and out == ""
    assert err.splitlines() == [f"{package}: output: edited since hitl-gen wrote it; "
                                "use --force to replace it with this version, or write the module elsewhere"]
    assert package.read_text(encoding="utf-8") == "{}\n"
    assert not (tmp_path / NAME / "assets" / "web" / "full.bundle.js").exists()  # the missing one was not written either
    code, out, err = run_cli("module", "-o", tmp_path, "--force")
    assert code == 0 and "wrote 2 file(s), 2 unchanged" in out
    assert package.read_bytes() == module_files()["package.json"]


def test_a_file_hitl_gen_did_not_write_is_a_conflict(tmp_path):
    backend = tmp_path / NAME / "dist" / "backend" / "index.js"
    backend.parent.mkdir(parents=True)
    backend.write_text("// someone else's module\n", encoding="utf-8")
    code, _, err = run_cli("module", "-o", tmp_path)
    assert code == 2 and err.startswith(f"{backend}: output: not written by hitl-gen; use --force")
    assert backend.read_text(encoding="utf-8") == "// someone else's module\n"
    assert not (tmp_path / NAME / "package.json").exists()


def test_an_earlier_version_is_replaced_without_force(tmp_path):
    """What the manifest says hitl-gen wrote, unedited since, is hitl-gen's to replace."""
    folder = tmp_path / NAME
    old = {"package.json": b'{"name": "hitl-gen", "version": "0.0.1"}\n', "dist/backend/index.js": b"// 0.0.1\n"}
    for relative, content in old.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    (folder / MANIFEST).write_text(json.dumps({"files": {r: [hashlib.sha256(c).hexdigest()] for r, c in old.items()}}))
    code, out, err = run_cli("module", "-o", tmp_path)
    assert (code, err) == (0, "") and "wrote 4 file(s), 0 unchanged" in out
    assert {r: (folder / r).read_bytes() for r in LAYOUT} == module_files()
    recorded = json.loads((folder / MANIFEST).read_text())["files"]
    assert recorded == {r: [hashlib.sha256(c).hexdigest()] for r, c in module_files().items()}


def test_a_write_stopped_half_way_is_finished_by_the_next_one(tmp_path, monkeypatch):
    """The manifest is written first with the old and the new hashes: after a stop
    between two files, each file holds one of them, and the next run needs no --force."""
    from hitl_gen import atomic

    assert run_cli("module", "-o", tmp_path)[0] == 0
    folder = tmp_path / NAME
    (folder / "package.json").write_bytes(b"{}\n")  # an "older version", as the manifest records it
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"]["package.json"] = [hashlib.sha256(b"{}\n").hexdigest()]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    real_write, writes = atomic.write_atomic, []

    def stop_after_the_manifest(path, content, **options):
        writes.append(Path(path).name)
        if len(writes) == 2:
            raise KeyboardInterrupt
        return real_write(path, content, **options)
    monkeypatch.setattr(atomic, "write_atomic", stop_after_the_manifest)
    assert run_cli("module", "-o", tmp_path)[0] == 130
    monkeypatch.setattr(atomic, "write_atomic", real_write)
    assert writes == [MANIFEST, "package.json"] and (folder / "package.json").read_bytes() == b"{}\n"
    code, out, err = run_cli("module", "-o", tmp_path)
    assert (code, err) == (0, "") and "wrote 1 file(s), 3 unchanged" in out
    assert (folder / "package.json").read_bytes() == module_files()["package.json"]


def test_output_that_is_a_file_is_refused(tmp_path):
    taken = tmp_path / "modules"
    taken.write_text("not a folder", encoding="utf-8")
    code, out, err = run_cli("module", "-o", taken)
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"{taken}: -o: the output path is a file, not a folder; give the server's modules folder"


def test_module_archive_is_deterministic_and_holds_the_module_at_its_top(tmp_path):
    first, second = tmp_path / "a.tgz", tmp_path / "b.tgz"
    assert run_cli("module", "--archive", first)[0] == 0
    assert run_cli("module", "--archive", second)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first, "r:gz") as tar:
        assert sorted(tar.getnames()) == LAYOUT
        assert {m.name: tar.extractfile(m).read() for m in tar.getmembers()} == module_files()
    code, out, _ = run_cli("module", "--archive", first)
    assert code == 0 and out.startswith(f"{first}: up to date")
    first.write_bytes(b"other")
    code, _, err = run_cli("module", "--archive", first)
    assert code == 2 and "exists and differs" in err and first.read_bytes() == b"other"


def test_module_needs_one_destination(capsys):
    code, _, _ = run_cli("module")
    assert code == 2 and "one of the arguments -o/--output --archive is required" in capsys.readouterr().err


# ---- the backend, in Node, against what `hitl-gen build` installs -------------------------

HARNESS = r"""
const fs = require('fs'), path = require('path')
const [backend, botDir, request] = process.argv.slice(1)
const ghost = {
  directoryListing: async (folder, pattern) => fs.readdirSync(path.join(botDir, folder)).filter(n => n.endsWith('.flow.json')),
  readFileAsObject: async (folder, name) => JSON.parse(fs.readFileSync(path.join(botDir, folder, name), 'utf8'))
}
const routes = {}
const bp = {
  ghost: { forBot: () => ghost },
  http: { createRouterForBot: () => ({ get: (route, permission, handler) => { routes[route] = handler } }), deleteRouterForBot: () => {},
          needPermission: (operation, resource) => (operation === 'read' && resource === 'bot.flows' ? 'checked' : null) },
  logger: { forBot: () => ({ warn: () => {} }) }
}
const loaded = require(backend)
const entry = loaded.default
;(async () => {
  const { op, data } = JSON.parse(request)
  if (op !== 'generate-in-studio') {  // 12.31's Studio process loads the module and starts nothing
    await entry.onServerStarted(bp)
    await entry.onServerReady(bp)
  }
  let answer
  if (op === 'list') {
    answer = await new Promise(resolve => routes['/handoffs']({ params: { botId: 'bot' } }, { send: resolve, status: () => ({ send: resolve }) }))
  } else if (op === 'generate' || op === 'generate-in-studio') {
    try {
      answer = await entry.skills[0].flowGenerator(data, { botId: 'bot' })
    } catch (err) {
      answer = { error: err.message }
    }
  } else {
    answer = { keys: Object.keys(entry).sort(), definition: entry.definition, skills: entry.skills.map(s => ({ id: s.id, name: s.name, icon: s.icon })), translations: entry.translations }
  }
  process.stdout.write(JSON.stringify(answer))
})().catch(err => { console.error(err); process.exit(1) })
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH: install Node.js (the README's test command needs it)")
    folder = tmp_path_factory.mktemp("module")
    assert run_cli("module", "-o", folder)[0] == 0
    index = folder / NAME / "dist" / "backend" / "index.js"

    def call(op: str, bot_dir: Path | None = None, data: dict | None = None):
        done = subprocess.run([node, "-e", HARNESS, str(index), str(bot_dir or folder), json.dumps({"op": op, "data": data})],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return call


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every example built with -o, by example name: (spec model, its bot folder)."""
    out = {}
    for example in EXAMPLES:
        target = tmp_path_factory.mktemp(example.stem)
        assert run_cli("build", example, "-o", target)[0] == 0
        spec = load_spec(example)
        out[example.stem] = (spec, target / "data" / "bots" / spec.target.bot)
    return out


@pytest.mark.node
def test_entry_point_has_only_what_botpress_12_accepts(backend):
    seen = backend("describe")
    # core/modules/module-loader.ts (12.22.1) validates the entry point with a closed joi schema.
    allowed = {"onServerStarted", "onServerReady", "onBotMount", "onBotUnmount", "onModuleUnmount", "onTopicChanged",
               "onFlowChanged", "onFlowRenamed", "onElementChanged", "skills", "translations", "botTemplates",
               "dialogConditions", "definition"}
    assert set(seen["keys"]) <= allowed
    assert seen["definition"]["name"] == NAME
    assert seen["skills"] == [{"id": SKILL, "name": f"module.{NAME}.talkToAgent", "icon": "headset"}]
    assert seen["translations"]["en"]["talkToAgent"] == "Talk to an agent"


@pytest.mark.node
@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_lists_each_handoff_the_build_installed_with_its_exits(example, backend, built):
    spec, bot_dir = built[example]
    listed = backend("list", bot_dir)
    assert listed["version"] == 1
    by_id = {h["id"]: h for h in listed["handoffs"]}
    assert sorted(by_id) == sorted(h.id for h in spec.handoffs)
    for handoff in spec.handoffs:
        found = by_id[handoff.id]
        assert found["flow"] == f"{handoff.id}.flow.json"
        assert found["flag"] == trigger_keys(handoff).flag
        assert found["module"] == spec.target.module
        exits = ["handed"] + (["no_agent_found"] if spec.target.module == "hitlnext" and handoff.check_agents else [])
        exits += ["timed_out"] if handoff.timeout else []  # hitlnext 12.28+ only (the spec checks make sure)
        exits += ["closed"] if handoff.hours and not handoff.hours.hand_over else []
        assert found["exits"] == exits + ["failed"]
        first = spec.target.languages[0]
        assert found["says"]["handed"][first] == handoff.say[first]
        assert found["says"]["failed"][first] == handoff.failure_say[first]
        # The texts the spec lets the Studio change, with the spec's text, and the action that takes them.
        if handoff.studio_texts:
            spec_texts = {"say": handoff.say, "on_failure": handoff.failure_say, "no_agent": handoff.no_agent_say,
                          "resume": handoff.resume_say, "timeout": handoff.timeout and handoff.timeout.say,
                          "off_hours": handoff.hours and handoff.hours.off_hours_say}
            assert found["texts"] == [{"key": key, "said": dict(spec_texts[key])} for key in studio_texts.KEYS
                                      if key in handoff.studio_texts]
            assert found["textsAction"] == f"{spec.target.namespace}/{handoff.id}/studio_texts"
            assert found["languages"] == list(spec.target.languages)
        else:
            assert "texts" not in found and "textsAction" not in found


@pytest.mark.node
@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_generated_skill_flow_runs_the_handoff_and_offers_its_exits(example, backend, built):
    spec, bot_dir = built[example]
    handoff = spec.handoffs[0]
    generated = backend("generate", bot_dir, {"handoff": handoff.id})
    flag = trigger_keys(handoff).flag
    node, *after = generated["flow"]["nodes"]
    assert node["name"] == "entry"
    outcome = {"type": "run", "name": "builtin/setVariable", "args": {"type": "temp", "name": handoff_flow.OUTCOME, "value": ""}}
    raise_flag = {"type": "run", "name": "builtin/setVariable", "args": {"type": "temp", "name": flag, "value": "true"}}
    # Into the handoff flow while the flag is up; that flow clears it on entry, so its
    # return (`#`, same turn) goes back to the skill-call node instead of in again.
    into = {"condition": f"temp.{flag}", "node": f"{handoff.id}.flow.json"}
    if handoff.studio_texts:
        # No texts typed: texts an interrupted skill left are forgotten, by Botpress's own action.
        forget = {"type": "run", "name": "builtin/setVariable", "args": {"type": "temp", "name": studio_texts.state_key(handoff.id), "value": ""}}
        assert node["onEnter"] == [outcome, forget, raise_flag]
        assert node["next"] == [into, {"condition": "true", "node": "done"}]
        assert after == [{"name": "done", "onEnter": [forget], "next": [{"condition": "true", "node": "#"}]}]
    else:
        assert node["onEnter"] == [outcome, raise_flag]
        assert node["next"] == [into, {"condition": "true", "node": "#"}]
        assert after == []
    flow = json.loads((bot_dir / "flows" / f"{handoff.id}.flow.json").read_text(encoding="utf-8"))
    start = next(n for n in flow["nodes"] if n["name"] == flow["startNode"])
    assert start["onEnter"][0] == f'builtin/setVariable {{"type":"temp","name":"{flag}","value":""}}'
    conditions = [t["condition"] for t in generated["transitions"]]
    assert conditions[0] == f"temp.{handoff_flow.OUTCOME} === '{handoff_flow.HANDED}'"
    assert conditions[-1] == "true" and all(t["node"] == "" for t in generated["transitions"])
    recorded = {handoff_flow.HANDED, handoff_flow.NOT_HANDED, handoff_flow.NO_AGENT, handoff_flow.CLOSED, handoff_flow.TIMED_OUT}
    for condition in conditions[:-1]:
        assert condition.split("=== '")[1].rstrip("'") in recorded


@pytest.mark.node
def test_generating_for_a_handoff_the_bot_lacks_says_what_to_do(backend, built):
    _, bot_dir = built["minimal-hitl"]
    assert backend("generate", bot_dir, {"handoff": "nope"}) == {
        "error": 'bot bot has no hitl-gen handoff "nope"; run hitl-gen build for it first'}
    assert backend("generate", bot_dir, {}) == {"error": "pick a handoff"}


@pytest.mark.node
def test_where_the_bot_cannot_be_read_the_skill_data_the_form_gave_is_used_checked(backend, built):
    """Botpress 12.31 runs flow generators in its Studio process, which starts nothing in
    the module: the skill's data (from the listing) is used, and checked."""
    spec, bot_dir = built["hitlnext-agents"]
    listed = backend("list", bot_dir)["handoffs"][0]
    data = {key: listed[key] for key in ("flow", "flag", "exits")} | {"handoff": listed["id"]}
    assert backend("generate-in-studio", bot_dir, data) == backend("generate", bot_dir, {"handoff": listed["id"]})
    # With texts: what the listing said of them travels in the data too.
    spec, web_dir = built["hitlnext-web"]
    web = backend("list", web_dir)["handoffs"][0]
    typed = {"say": {"fr": "Bonjour {{full_name}}"}}
    texts_data = {"handoff": web["id"], "flow": web["flow"], "flag": web["flag"], "exits": web["exits"], "textsAction": web["textsAction"],
                  "overridable": [t["key"] for t in web["texts"]], "languages": web["languages"], "texts": typed}
    assert backend("generate-in-studio", web_dir, texts_data) == backend("generate", web_dir, {"handoff": web["id"], "texts": typed})
    for bad in ({"textsAction": "hitl-gen/other/studio_texts"}, {"textsAction": "x y"}, {"overridable": ["anything"]}):
        assert "is incomplete" in backend("generate-in-studio", web_dir, texts_data | bad)["error"]
    for bad in ({"flag": "x"}, {"flow": "other.flow.json"}, {"exits": ["handed", "anything"]}, {"flag": None}):
        assert backend("generate-in-studio", bot_dir, data | bad) == {
            "error": 'the skill\'s data for handoff "live_agent" is incomplete; choose the handoff again in the skill\'s form'}
    assert backend("generate-in-studio", bot_dir, {"handoff": "../x"}) == {"error": "pick a handoff"}


@pytest.mark.node
def test_the_builders_texts_go_to_the_handoffs_action_as_typed(backend, built):
    """Nested under `texts`, where Botpress renders nothing; empty fields are left out."""
    spec, bot_dir = built["hitlnext-web"]
    typed = {"say": {"en": "Hi {{full_name}}, {{user.first_name}} a person comes", "fr": ""}, "resume": {"fr": "Re-{{full_name}}"}}
    node = backend("generate", bot_dir, {"handoff": "human", "texts": typed})["flow"]["nodes"][0]
    assert node["onEnter"][1] == {"type": "run", "name": f"{spec.target.namespace}/human/studio_texts", "args": {"texts": {
        "say": {"en": "Hi {{full_name}}, {{user.first_name}} a person comes"}, "resume": {"fr": "Re-{{full_name}}"}}}}


@pytest.mark.node
@pytest.mark.parametrize("texts, error", [
    ({"timeout": {"en": "x"}}, 'handoff "human" lets the Studio change say, on_failure, resume, not "timeout"'),
    ({"say": {"de": "Hallo"}}, '"say" in "de": the bot speaks en, fr'),
    ({"say": {"en": "x" * (studio_texts.MAX_LENGTH + 1)}}, f'"say" in "en": write a text of at most {studio_texts.MAX_LENGTH} characters'),
    ({"say": {"en": "Hi {{event.payload.text}}"}}, '"say" in "en": unknown placeholder {{event.payload.text}}; use one of '
     + ", ".join("{{" + name + "}}" for name in studio_texts.PLACEHOLDERS) + ", {{user.<attribute>}}"),
    (["say"], "the texts must be given per text and language"),
], ids=["not-overridable", "language", "length", "placeholder", "shape"])
def test_texts_the_handoff_does_not_allow_are_refused_with_the_fix(texts, error, backend, built):
    _, bot_dir = built["hitlnext-web"]
    assert backend("generate", bot_dir, {"handoff": "human", "texts": texts}) == {"error": error}


@pytest.mark.node
def test_a_handoff_the_spec_keeps_fixed_refuses_texts(backend, built):
    _, bot_dir = built["hitlnext-agents"]
    assert backend("generate", bot_dir, {"handoff": "live_agent", "texts": {"say": {"en": "x"}}}) == {"error": (
        'handoff "live_agent" does not let the Studio change its texts; list them in the spec\'s studio.texts and build again')}


@pytest.mark.node
def test_an_element_the_builder_edited_in_the_cms_is_not_offered(backend, built, tmp_path):
    """The override lives in the element's text: once the builder rewrote it, the form
    has nothing to override it with, and says the element's text as it is now."""
    _, bot_dir = built["bilingual-alerts"]
    bot = tmp_path / "bot"
    shutil.copytree(bot_dir, bot)
    elements_file = bot / "content-elements" / "builtin_text.json"
    elements = json.loads(elements_file.read_text(encoding="utf-8"))
    edited = next(e for e in elements if "studio.say.en" in e["formData"]["text$en"])
    edited["formData"]["text$en"] = "Someone is coming."
    elements_file.write_text(json.dumps(elements), encoding="utf-8")
    listed = backend("list", bot)["handoffs"][0]
    # Rewritten in one of its two languages: the form no longer offers that text at all.
    assert [text["key"] for text in listed["texts"]] == ["on_failure", "resume"]
    assert listed["says"]["handed"] == {"en": "Someone is coming.", "fr": "Un agent va vous répondre."}


@pytest.mark.node
def test_a_bot_without_handoffs_lists_none(backend, tmp_path):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "main.flow.json").write_text(json.dumps({"description": "mine", "nodes": []}), encoding="utf-8")
    assert backend("list", tmp_path) == {"version": 1, "handoffs": []}


# The globals the Studio gives a module's web bundle, as far as the form uses them.
FORM_PRELUDE = r"""
const vm = require('vm'), fs = require('fs')
function Component(props) { this.props = props }
Component.prototype.setState = function (s) { Object.assign(this.state, s) }
const h = (type, props, ...children) => ({ type, props, children })
const window = { React: { Component, createElement: h } }
vm.runInNewContext(fs.readFileSync(process.argv[1], 'utf8'), { window })
const Form = window.botpress['hitl-gen'].TalkToAgent
"""


def _run_form(tmp_path: Path, script: str):
    """`script` run in Node after the module's web bundle, in a stand-in for the Studio
    (FORM_PRELUDE, which binds Form); what it writes to stdout, as JSON."""
    bundle = tmp_path / "full.bundle.js"
    bundle.write_bytes(module_files()["assets/web/full.bundle.js"])
    done = subprocess.run([shutil.which("node"), "-e", FORM_PRELUDE + script, str(bundle)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.node
def test_web_bundle_registers_the_skill_form_over_the_studios_react(tmp_path):
    """The Studio loads assets/web/full.bundle.js and takes window.botpress['hitl-gen'].TalkToAgent."""
    script = r"""
const seen = []
const form = new Form({ initialData: { handoff: 'billing' }, onDataChanged: d => seen.push(d), onValidChanged: v => seen.push(v),
  bp: { axios: { get: () => new Promise(() => {}) } } })
form.componentDidMount()
const listed = { id: 'billing', flow: 'billing.flow.json', flag: 'hitl_start_billing', module: 'hitl', exits: ['handed', 'failed'], says: {} }
form.state.handoffs = [listed]
const tree = JSON.stringify(form.render())
form.choose('billing')
process.stdout.write(JSON.stringify({ seen, hasSelect: tree.includes('"select"'), keeps: form.state.handoff }))
"""
    seen = _run_form(tmp_path, script)
    # Editing: the skill's data as saved until the listing is there; then what it says of the handoff.
    assert seen == {"seen": [{"handoff": "billing"}, True, {"handoff": "billing", "flow": "billing.flow.json",
                                                            "flag": "hitl_start_billing", "exits": ["handed", "failed"]}, True],
                    "hasSelect": True, "keeps": "billing"}


# ---- the skill's flow in the dialog double, in every bot language ---------------------

def _finalized(generated: dict) -> dict:
    """What Botpress makes of a flow generator's answer (core/dialog/skill-service.ts
    finalizeFlow, 12.22.1): instructions as strings, `name {args as JSON}`, the first node
    as start node, a 6-digit id per node."""
    flow = generated["flow"]
    nodes = [{"id": str(100000 + i), "onReceive": None, **node,
              "onEnter": [f"{i['name']} {json.dumps(i['args'], separators=(',', ':'), ensure_ascii=False)}" for i in node["onEnter"]]}
             for i, node in enumerate(flow["nodes"])]
    return {"version": "0.0", "startNode": nodes[0]["name"], **flow, "nodes": nodes}


def _with_skill(backend, bot_dir: Path, handoff: str, texts: dict) -> None:
    """bot_dir's main flow: the skill at its start (as the Studio inserts it, see
    support/studio_skill.py), its "Handed over" exit to a node that says so."""
    generated = backend("generate", bot_dir, {"handoff": handoff, "texts": texts})
    name = "skills/TalkToAgent-abc123.flow.json"
    (bot_dir / "flows" / "skills").mkdir(exist_ok=True)
    (bot_dir / "flows" / name).write_text(json.dumps({**_finalized(generated), "skillData": {"handoff": handoff}}), encoding="utf-8")
    transitions = generated["transitions"]
    transitions[0]["node"] = "after_agent"
    main = {"version": "0.0.1", "startNode": "skill", "catchAll": {"next": []}, "nodes": [
        {"id": "s1", "name": "skill", "type": "skill-call", "skill": SKILL, "flow": name, "next": transitions, "onEnter": None, "onReceive": None},
        {"id": "a1", "name": "after_agent", "type": "standard", "onReceive": None, "next": [{"condition": "true", "node": ""}],
         "onEnter": []}]}
    (bot_dir / "flows" / "main.flow.json").write_text(json.dumps(main), encoding="utf-8")


@pytest.mark.node
def test_the_builders_texts_are_said_in_the_users_language_filled_and_inert(backend, runtime, emulator, smtp_sink, tmp_path):
    """bilingual-alerts in French: the builder's French texts (say, resume) are said,
    their placeholders filled by the runtime with what the user typed left inert; the
    English one is not said to a French user; after the skill, its texts are gone."""
    from test_flows_in_runtime import install, texts
    from support.events import api_context
    from support.node_runtime import install_beside

    data, bot_dir = install(REPO / "examples" / "bilingual-alerts.yaml", tmp_path)
    install_beside(bot_dir / "actions", "nodemailer")
    env = {"EXPOSED_SMTP_URL": smtp_sink.url, "EXPOSED_SLACK_WEBHOOK": f"{emulator.url}/__sinks/webhook/slack"}
    _with_skill(backend, bot_dir, "talk_to_agent", {
        "say": {"fr": "Bonjour {{full_name}}, {{user.first_name}} : un agent arrive.", "en": "Hello {{full_name}}"},
        "resume": {"fr": "Le bot est de retour, {{full_name}}."}})
    who = {"channel": "web", "target": "zoe", "threadId": "2", "language": "fr",
           "attributes": {"first_name": "Zoé", "last_name": "{{temp.hitl_api}}"}}
    steps = [{"text": "bonjour"}, {"type": "quick_reply", "text": "Parler à un agent", "payload": "agent"},
             {"agent": "unpause"}, {"text": "merci"}]
    ran = runtime.conversation(botDir=str(bot_dir), dataDir=str(data), botId=bot_dir.name, emulatorUrl=emulator.url,
                               startFlow="main.flow.json", user=who, steps=steps, **api_context(emulator, env=env))
    asked, handed, _, back = ran["turns"]
    assert texts(asked) == ["Voulez-vous parler à une personne ?"]
    [said] = texts(handed)
    assert said.replace("\u200b", "") == "Bonjour Zoé {{temp.hitl_api}}, Zoé :\u00a0un agent arrive."
    assert texts(back) == ["Le bot est de retour, Zoé \u200b{\u200b\u200b{\u200btemp.hitl_api}}."]  # opening braces fenced
    assert back["ended"] is True and "main.flow.json#after_agent" in back["visited"]
    assert "hitl_studio_talk_to_agent" not in ran["state"]["temp"]  # forgotten once the handoff returned


@pytest.mark.node
def test_a_failed_pause_says_the_builders_failure_text_and_a_refused_text_the_specs(backend, runtime, emulator, smtp_sink, tmp_path):
    """The pause fails (a fault the real server cannot make on demand): the builder's
    on_failure text. The say text the action refuses (a placeholder hitl-gen does not
    know, written past the form) is logged, and the spec's text said instead."""
    from test_flows_in_runtime import converse, install, texts

    data, bot_dir = install(REPO / "examples" / "bilingual-alerts.yaml", tmp_path)
    generated_ok = {"on_failure": {"en": "No luck, {{full_name}}."}}
    _with_skill(backend, bot_dir, "talk_to_agent", generated_ok)
    skill_file = bot_dir / "flows" / "skills" / "TalkToAgent-abc123.flow.json"
    skill = json.loads(skill_file.read_text(encoding="utf-8"))
    entry = skill["nodes"][0]
    entry["onEnter"][1] = entry["onEnter"][1].replace('"texts":{', '"texts":{"say":{"en":"Hi {{event.payload.text}}"},', 1)
    skill_file.write_text(json.dumps(skill), encoding="utf-8")
    emulator.fault("user_action", 500, only={"action": "pause"})
    turns = converse(runtime, emulator, data, bot_dir, flow="main.flow.json",
                     user={"attributes": {"first_name": "Ann", "last_name": "Lee"}, "language": "en"},
                     steps=[{"text": "hello"}, {"type": "quick_reply", "text": "Talk to an agent", "payload": "agent"}])
    asked, failed = turns
    assert texts(failed)[-1] == "No luck, Ann Lee."
    logged = [line["message"] for line in asked["logs"] if line["level"] == "warn"]
    assert logged == ['hitl-gen: Studio text "say" in "en": unknown placeholder {{event.payload.text}}; the spec\'s text is said instead']


@pytest.mark.node
def test_the_form_offers_a_field_per_text_and_language_and_reports_what_was_typed(tmp_path):
    """Where the listing says the spec lets texts be changed: one field per text and bot
    language, the spec's text as its placeholder; the skill's data gets what was typed,
    blank fields left out, and what the flow generator needs where it cannot read the bot."""
    script = r"""
const seen = []
const form = new Form({ onDataChanged: d => seen.push(d), bp: { axios: { get: () => new Promise(() => {}) } } })
form.componentDidMount()
form.state.handoffs = [{ id: 'desk', flow: 'desk.flow.json', flag: 'hitl_start_desk', module: 'hitl', exits: ['handed', 'failed'], says: {},
  texts: [{ key: 'say', said: { en: 'An agent comes.', fr: 'Un agent arrive.' } }], textsAction: 'hitl-gen/desk/studio_texts', languages: ['en', 'fr'] }]
form.choose('desk')
const fields = []
const walk = node => { if (node && typeof node === 'object') { if (node.type === 'textarea') fields.push([node.props.name, node.props.placeholder]); (node.children || []).flat(9).forEach(walk) } }
walk(form.render())
form.type('say', 'fr', 'Bonjour {{full_name}}')
form.type('say', 'en', '   ')
process.stdout.write(JSON.stringify({ fields, last: seen[seen.length - 1] }))
"""
    seen = _run_form(tmp_path, script)
    assert seen["fields"] == [["text-say-en", "An agent comes."], ["text-say-fr", "Un agent arrive."]]
    assert seen["last"] == {"handoff": "desk", "flow": "desk.flow.json", "flag": "hitl_start_desk", "exits": ["handed", "failed"],
                            "textsAction": "hitl-gen/desk/studio_texts", "overridable": ["say"], "languages": ["en", "fr"],
                            "texts": {"say": {"fr": "Bonjour {{full_name}}"}}}
