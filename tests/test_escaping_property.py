"""Any text a builder writes reaches the user or the sink byte-identical: spec
strings enter JavaScript only through the JSON-literal filter, so quotes,
backslashes, backticks, `${`, `</script>`, U+2028/U+2029, emoji, right-to-left
text or 10 kB strings cannot break or inject code. (SMTP is left out here: mail
transport re-encodes and folds headers; the webhook and e-mail API carry JSON.)"""

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.build import action, build
from support.emulator import HitlEmulator
from support.events import api_context, incoming

BOT = "support-bot"
TRICKY = ["\"'`\\ \"); temp.injected = true; (\"", "${temp.injected = true}", "`; temp.injected = true; `", "</script><script>alert(1)</script>",
          "a\u2028b\u2029c", "😀 emoji 👩‍💻", "مرحبا بالعالم", "*/ @hidden true /**", "x" * 10_000, "\\u0022 \\n",
          "line1\nline2\r\nline3\ttab", "{single} {{ not closed"]


def _representable(text: str) -> bool:
    """A spec can hold the text: YAML gives it back as written."""
    return yaml.safe_load(yaml.safe_dump({"t": text}, allow_unicode=True))["t"] == text


# Texts a spec can carry: no surrogates or other non-printable characters; `{{x}}`
# would be a placeholder (validated separately), so it is left out. The filter is part
# of the strategy, so every case Hypothesis draws is one the test asserts on: a text YAML
# cannot carry is never drawn, rather than drawn and then skipped.
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"), whitelist_characters="\n\t"),
                min_size=1, max_size=300).filter(lambda t: "{{" not in t and t.strip() != "" and _representable(t))


def _spec(say: str, failure: str, hook: str) -> dict:
    return {"version": 1, "target": {"botpress": "12.22.1", "bot": BOT, "module": "hitl", "languages": ["en"]},
            "handoffs": [{"id": "h", "trigger": {"keywords": ["agent"]},
                          "alert": [{"webhook": {"url_env": "EXPOSED_HOOK", "format": "json", "text": hook}}],
                          "say": say, "on_failure": {"say": failure}}]}


@pytest.fixture(scope="module")
def server():
    emulator = HitlEmulator(bots=(BOT,)).start()
    yield emulator
    emulator.stop()


def test_yaml_round_trips_the_tricky_strings():
    assert [text for text in TRICKY if not _representable(text)] == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(say=texts, failure=texts, hook=texts)
@example(say=TRICKY[0], failure=TRICKY[1], hook=TRICKY[2])
@example(say=TRICKY[3], failure=TRICKY[4], hook=TRICKY[5])
@example(say=TRICKY[6], failure=TRICKY[7], hook=TRICKY[8])
@example(say=TRICKY[9], failure=TRICKY[10], hook=TRICKY[11])
def test_messages_arrive_byte_identical(say, failure, hook, runtime, server):
    # The strategy draws only texts a spec can hold; should it ever draw another, that is
    # a failure here, never a case that passes without being checked.
    assert all(_representable(text) for text in (say, failure, hook))
    with tempfile.TemporaryDirectory() as tmp:
        out = build(_spec(say, failure, hook), Path(tmp) / "out")
        server.webhooks.clear()
        server.sessions.clear()
        server.incoming(BOT, "web", "u1", "1")
        env = {"EXPOSED_HOOK": f"{server.url}/__sinks/webhook/x"}
        ok = runtime.run_action(action(out, BOT, "hitl-gen/h/start"), incoming(BOT, "u1", "1"), **api_context(server, env=env))
        server.sessions.clear()  # no session: the pause fails, the fallback message is said
        failed = runtime.run_action(action(out, BOT, "hitl-gen/h/start"), incoming(BOT, "u1", "1"), **api_context(server, env=env))
    assert ok["record"]["error"] is None and failed["record"]["error"] is None
    assert [m["text"] for m in ok["messages"]] == [say]
    assert [m["text"] for m in failed["messages"]] == [failure]
    assert [w.body["text"] for w in server.webhooks] == [hook, hook]
    assert "injected" not in ok["state"]["temp"]
