"""What happens after an agent hands the conversation back (`resume:` in the spec,
besides its `say`): an optional satisfaction question, then where the dialog goes.

The model, and the checks the schema cannot make. The flow is built in
render/flow/way_back.py.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

from hitl_gen.texts import PLACEHOLDER, Text, text_of

BACK = "back"
# User attributes hitl-gen or Botpress read: storing an answer there would break them.
RESERVED_ATTRIBUTES = ("language", "full_name", "fullName", "timezone")


class Then(NamedTuple):
    """Where the dialog goes after the hand-back: back where the user was (flow None),
    or a node of another flow (node None: its start node)."""

    flow: str | None = None
    node: str | None = None

    def target(self) -> str:
        """The transition that leads there: `<flow>.flow.json[#<node>]` (seen working on a real 12.22.1)."""
        return f"{self.flow}#{self.node}" if self.node else str(self.flow)


class Answer(NamedTuple):
    value: str  # stored on the user; declared in the spec, never typed by the user
    label: Text


class Satisfaction(NamedTuple):
    question: Text
    answers: tuple[Answer, ...]
    store_as: str  # the user attribute that gets the answer's value


class WayBack(NamedTuple):
    then: Then = Then()
    satisfaction: Satisfaction | None = None


def build(raw: dict | None, languages: tuple[str, ...]) -> WayBack:
    raw = raw or {}
    then = raw.get("then", BACK)
    flow_then = Then() if then == BACK else Then(flow_file(then["flow"]), then.get("node"))
    asked = raw.get("satisfaction")
    if not asked:
        return WayBack(flow_then)
    answers = tuple(Answer(a["value"], text_of(a["label"], languages)) for a in asked["answers"])
    return WayBack(flow_then, Satisfaction(text_of(asked["question"], languages), answers, asked["store_as"]))


def flow_file(name: str) -> str:
    return name if name.endswith(".flow.json") else f"{name}.flow.json"


def problems(doc, path: tuple, handoff: dict) -> Iterator:
    resume = handoff.get("resume", {})
    then = resume.get("then")
    if isinstance(then, dict) and flow_file(then["flow"]) == f"{handoff['id']}.flow.json":
        yield doc.problem(path + ("resume", "then", "flow"), "this is the handoff's own flow, which would start the "
                          "handoff again; name another flow, or write `then: back` to return where the user was")
    asked = resume.get("satisfaction")
    if not asked:
        return
    values = [answer["value"] for answer in asked["answers"]]
    for index, value in enumerate(values):
        if value in values[:index]:
            yield doc.problem(path + ("resume", "satisfaction", "answers", index, "value"),
                              f"the value {value!r} is given twice; give each answer its own value")
    for index, answer in enumerate(asked["answers"]):
        yield from _label_problems(doc, path + ("resume", "satisfaction", "answers", index, "label"), answer["label"])
    if asked["store_as"] in RESERVED_ATTRIBUTES:
        yield doc.problem(path + ("resume", "satisfaction", "store_as"), f"user.{asked['store_as']} is used by "
                          "Botpress or hitl-gen; store the answer under another name, e.g. satisfaction")


def _label_problems(doc, path: tuple, label) -> Iterator:
    # A button's label is shown as written: the placeholders of messages are not filled there.
    for where, text in ([((), label)] if isinstance(label, str) else [((lang,), v) for lang, v in label.items()]):
        if PLACEHOLDER.search(text):
            yield doc.problem(path + where, "a button label cannot hold placeholders; write the label as shown")


def user_texts(path: tuple, handoff: dict) -> Iterator[tuple[tuple, object]]:
    """The texts users read, for the language and placeholder checks."""
    asked = handoff.get("resume", {}).get("satisfaction")
    if asked:
        yield path + ("resume", "satisfaction", "question"), asked["question"]
        for index, answer in enumerate(asked["answers"]):
            yield path + ("resume", "satisfaction", "answers", index, "label"), answer["label"]
