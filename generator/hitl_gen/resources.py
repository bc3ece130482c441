"""Find the template and schema folders, installed or in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """`actions`, `skills` or `schemas`: inside the wheel they sit in `_data/`;
    in an editable install or a checkout they are top-level folders of the repo."""
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"hitl-gen data folder {name!r} is missing from the installation")


def schema_path() -> Path:
    return data_dir("schemas") / "hitl-gen.schema.json"
