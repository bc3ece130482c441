"""Spec file -> validated model, or one SpecError listing every problem."""

from __future__ import annotations

import io
from pathlib import Path

from hitl_gen.errors import Problem, SpecError
from hitl_gen.spec.located_yaml import LocatedDocument, load_located
from hitl_gen.spec.model import Spec, build_model
from hitl_gen.spec.read import read_spec_bytes
from hitl_gen.spec.schema_check import schema_problems
from hitl_gen.spec.semantics import semantic_problems


def parse_document(data: bytes, name: str) -> LocatedDocument:
    try:
        # Decoded as Path.read_text would: UTF-8, universal newlines.
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
    except UnicodeDecodeError as err:
        raise SpecError([Problem(name, None, None, "", f"not UTF-8 text ({err.reason}); save the spec as UTF-8")]) from None
    return load_located(text, name)


def parse_spec(data: bytes, path: Path, display_name: str | None = None) -> Spec:
    """Parse, check against the schema, then check meaning; semantic checks run
    only on schema-valid data because they rely on its shape."""
    doc = parse_document(data, display_name or str(path))
    problems = schema_problems(doc)
    if not problems:
        problems = semantic_problems(doc)
    if problems:
        raise SpecError(problems)
    return build_model(doc.data, path)


def load_spec(path: Path, display_name: str | None = None) -> Spec:
    return parse_spec(read_spec_bytes(path, display_name), path, display_name)
