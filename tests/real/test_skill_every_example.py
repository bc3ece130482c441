"""Every example's first handoff as hitl-gen's Studio skill "Talk to an agent", on a
release whose web interfaces ../shared does not hold (12.31.10): inserted as the Studio
inserts it (support/studio_skill.py), the skill in the builder's main flow runs the
handoff through channel-web, an agent hands back, and the skill's "Handed over" exit
leads into the builder's own node. tests/browser does the same through the Studio
itself on 12.22.1, so this module is not collected there (real/conftest.py).
"""

from __future__ import annotations

import pytest
from support.real_server import session_version
from support.studio_skill import ASK, examples_up_to, heard
from support.webchat import Webchat

from .test_conformance import Watch, _agent_online, texts
from .test_skill_module import BACK, _back_with_the_bot, _hand_back, _with_skill


EXAMPLES = examples_up_to(session_version())


@pytest.mark.parametrize("example", [e.stem for e in EXAMPLES])
def test_every_example_runs_as_a_skill_and_leaves_by_its_handed_over_exit(example, studio_botpress, sinks, tmp_path):
    server = studio_botpress
    bot, spec, listed = _with_skill(server, sinks, tmp_path, example, f"skill-{example}")
    handoff = spec.handoffs[0]
    watch = Watch(server, sinks)
    if spec.target.module == "hitlnext":
        _agent_online(server, bot)
    with Webchat(server.url, bot) as chat:
        assert texts(chat.say("/me Alice Martin")) == ["profile saved"]
        replies = chat.say(ASK)
        if handoff.trigger.button:
            [(title, value)] = replies[-1]["choices"]
            replies = chat.click(title, value)
        assert texts(replies) == [heard(handoff.say[spec.target.languages[0]])]
        _hand_back(server, bot, spec, chat)
        said = _back_with_the_bot(chat, handoff)
        assert said[-1] == BACK and said.count(BACK) == 1, said
    watch.assert_clean()


