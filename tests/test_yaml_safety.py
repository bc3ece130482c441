"""YAML is read through PyYAML's SafeLoader only: no object construction."""

import pytest

from hitl_gen.errors import SpecError
from hitl_gen.spec.located_yaml import load_located


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['touch /tmp/pwned']",
    "!!python/name:os.system",
    "!!python/object:collections.OrderedDict {}",
    "!!python/module:os",
])
def test_python_tags_are_refused(tag, tmp_path):
    with pytest.raises(SpecError) as caught:
        load_located(f"version: 1\nbot: {tag}\n", "spec.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.col, problem.where) == (2, 6, "bot")
    assert "no tags such as !!python/" in problem.message


def test_merge_keys_and_anchors_still_work():
    doc = load_located("base: &b {a: 1}\nother:\n  <<: *b\n  c: 2\n", "spec.yaml")
    assert doc.data["other"] == {"a": 1, "c": 2}
    assert doc.value_at(("other", "c")) == (4, 6)
    assert doc.key_at(("other", "c")) == (4, 3)
