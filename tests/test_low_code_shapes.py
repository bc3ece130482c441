"""Generated flows, skills, layouts and content elements have the shapes Botpress
itself writes (../shared/botpress12/samples)."""

import json
import re

import pytest
from conftest import EXAMPLES, SAMPLES
from support.build import build


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


CALLAPI_SAMPLE = _load(SAMPLES / "callapi-skill/flows/skills/CallAPI-example.flow.json")
CALLAPI_PARENT = next(n for n in _load(SAMPLES / "callapi-skill/flows/main.flow.excerpt.json")["nodes"] if n.get("type") == "skill-call")
STANDARD_SAMPLE = next(n for n in _load(SAMPLES / "callapi-skill/flows/main.flow.excerpt.json")["nodes"] if n.get("type") == "standard")
CHOICE_SAMPLE = _load(SAMPLES / "learn-botpress/flows/skills/choice-28389b.flow.json")
CHOICE_UI_SAMPLE = _load(SAMPLES / "learn-botpress/flows/skills/choice-28389b.ui.json")
TEXT_SAMPLE = _load(SAMPLES / "welcome-bot/content-elements/builtin_text.json")[0]
CHOICE_ELEMENT_SAMPLE = _load(SAMPLES / "welcome-bot/content-elements/builtin_single-choice.json")[0]
MAIN_UI_SAMPLE = _load(SAMPLES / "welcome-bot/flows/main.ui.json")


def _instruction(text):
    name, _, args = text.partition(" ")
    if name == "say":
        return name, args.split(" ", 1)[0][:2]  # "#!": a content element
    return name, json.loads(args) if args else {}


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def example(request):
    return request.param


@pytest.fixture(scope="module")
def bot(example, tmp_path_factory):
    out = build(example, tmp_path_factory.mktemp("build") / example.stem)
    [bot_dir] = (out / "data" / "bots").iterdir()
    return bot_dir


def test_callapi_skills_match_the_studio(bot):
    files = sorted((bot / "flows" / "skills").glob("CallAPI-*.flow.json"))
    assert files
    for file in files:
        assert re.fullmatch(r"CallAPI-[0-9a-f]{6}\.flow\.json", file.name)
        flow = _load(file)
        assert flow.keys() == CALLAPI_SAMPLE.keys()
        assert flow["skillData"].keys() == CALLAPI_SAMPLE["skillData"].keys()
        [entry] = flow["nodes"]
        assert entry.keys() == CALLAPI_SAMPLE["nodes"][0].keys() and entry["next"] == CALLAPI_SAMPLE["nodes"][0]["next"]
        name, args = _instruction(entry["onEnter"][0])
        sample_name, sample_args = _instruction(CALLAPI_SAMPLE["nodes"][0]["onEnter"][0])
        assert name == sample_name and list(args) == list(sample_args)
        assert {k: v for k, v in flow["skillData"].items() if k != "invalidJson"} == args


def test_skill_call_nodes_match_the_studio(bot):
    for flow_file in (bot / "flows").glob("*.flow.json"):
        for node in _load(flow_file)["nodes"]:
            if node.get("type") == "skill-call":
                assert node.keys() == CALLAPI_PARENT.keys()
                assert (bot / "flows" / node["flow"]).is_file()
                if node["skill"] == "CallAPI":
                    assert [t["condition"] for t in node["next"]] == [t["condition"] for t in CALLAPI_PARENT["next"]]
            else:
                assert node.keys() == STANDARD_SAMPLE.keys()
                assert re.fullmatch(r"[0-9a-f]{10}", node["id"])


def test_choice_skill_matches_the_studio(bot):
    files = list((bot / "flows" / "skills").glob("choice-*.flow.json"))
    if not files:
        pytest.skip("this example has no button")
    flow = _load(files[0])
    assert flow.keys() == CHOICE_SAMPLE.keys() and flow["skillData"].keys() == CHOICE_SAMPLE["skillData"].keys()
    assert [n["name"] for n in flow["nodes"]] == [n["name"] for n in CHOICE_SAMPLE["nodes"]]
    for ours, theirs in zip(flow["nodes"], CHOICE_SAMPLE["nodes"]):
        assert ours.keys() == theirs.keys()
        assert [_instruction(i)[0] for i in ours.get("onEnter", []) + ours.get("onReceive", [])] == \
               [_instruction(i)[0] for i in theirs.get("onEnter", []) + theirs.get("onReceive", [])]
    random_id = flow["skillData"]["randomId"]
    theirs_id = CHOICE_SAMPLE["skillData"]["randomId"]
    # The retry count is the skill's own setting (the satisfaction question allows none).
    def shape(condition, rid):
        return re.sub(r"Number\(\d+\)", "Number(N)", condition.replace(rid, "ID"))

    assert [shape(t["condition"], random_id) for n in flow["nodes"] for t in n["next"]] == \
           [shape(t["condition"], theirs_id) for n in CHOICE_SAMPLE["nodes"] for t in n["next"]]
    ui = _load(files[0].with_name(files[0].name.replace(".flow.json", ".ui.json")))
    assert ui.keys() == CHOICE_UI_SAMPLE.keys() and len(ui["nodes"]) == len(flow["nodes"])


def test_content_elements_match_the_studio(bot):
    for kind, sample in (("builtin_text", TEXT_SAMPLE), ("builtin_single-choice", CHOICE_ELEMENT_SAMPLE)):
        path = bot / "content-elements" / f"{kind}.json"
        if not path.exists():
            continue
        for element in _load(path):
            assert element.keys() == sample.keys()
            assert re.fullmatch(rf"{kind}-[A-Za-z0-9_-]{{6}}", element["id"])
            assert all(re.fullmatch(r"[A-Za-z]+\$[a-z]{2}", key) for key in element["formData"])
            assert {k.split("$")[0] for k in element["formData"]} <= {"text", "typing", "markdown", "choices", "disableFreeText"}


def test_every_said_element_exists_in_every_language(bot, example):
    import yaml

    languages = yaml.safe_load(example.read_text(encoding="utf-8"))["target"]["languages"]
    elements = {e["id"]: e for kind in ("builtin_text", "builtin_single-choice")
                if (bot / "content-elements" / f"{kind}.json").exists()
                for e in _load(bot / "content-elements" / f"{kind}.json")}
    said = [instruction.split()[1][2:] for flow_file in (bot / "flows").rglob("*.flow.json")
            for node in _load(flow_file)["nodes"] for instruction in node.get("onEnter") or [] if instruction.startswith("say #!")]
    assert said
    for element_id in said:
        assert {f"text${lang}" for lang in languages} <= elements[element_id]["formData"].keys()


def test_handoff_flow_layout_is_left_to_right(bot):
    for flow_file in (bot / "flows").glob("*.flow.json"):
        ui = _load(flow_file.with_name(flow_file.name.replace(".flow.json", ".ui.json")))
        assert ui.keys() == MAIN_UI_SAMPLE.keys()
        flow = _load(flow_file)
        positions = {n["id"]: n["position"] for n in ui["nodes"]}
        assert set(positions) == {n["id"] for n in flow["nodes"]}
        by_name = {n["name"]: positions[n["id"]] for n in flow["nodes"]}
        assert by_name["entry"]["x"] < by_name["prepare"]["x"] < by_name["handed_over"]["x"] < by_name["back"]["x"]
