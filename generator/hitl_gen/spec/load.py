"""Spec file -> validated model, or one SpecError listing every problem."""

from __future__ import annotations

from pathlib import Path

from hitl_gen.errors import Problem, SpecError
from hitl_gen.spec.located_yaml import LocatedDocument, load_located
from hitl_gen.spec.model import Spec, build_model
from hitl_gen.spec.schema_check import schema_problems
from hitl_gen.spec.semantics import semantic_problems


def read_document(path: Path, display_name: str | None = None) -> LocatedDocument:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem(name, 1, 1, "", "no such file; check the path, or run `hitl-gen init` to create a spec")]) from None
    except UnicodeDecodeError as err:
        raise SpecError([Problem(name, 1, 1, "", f"not UTF-8 text ({err.reason}); save the spec as UTF-8")]) from None
    except OSError as err:
        raise SpecError([Problem(name, 1, 1, "", f"cannot read the spec: {err.strerror}")]) from None
    return load_located(text, name)


def load_spec(path: Path, display_name: str | None = None) -> Spec:
    """Parse, check against the schema, then check meaning; semantic checks run
    only on schema-valid data because they rely on its shape."""
    doc = read_document(path, display_name)
    problems = schema_problems(doc)
    if not problems:
        problems = semantic_problems(doc)
    if problems:
        raise SpecError(problems)
    return build_model(doc.data, path)
