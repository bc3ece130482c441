"""What a build is made from, as one hash the manifest keeps: a later build with the
same fingerprint would render the same bytes, so it may skip rendering."""

from __future__ import annotations

import hashlib
from functools import cache

from hitl_gen import __version__
from hitl_gen.resources import PACKAGE_DIR, data_files


@cache
def _templates_fingerprint() -> str:
    """hitl-gen itself: its version, its Python code and its templates, so any change
    to how files are rendered makes earlier builds look out of date."""
    digest = hashlib.sha256(__version__.encode())
    for path in data_files():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def inputs(spec_bytes: bytes, into_bot: bool, bot: str) -> dict:
    """The manifest's `inputs`: the spec's bytes, hitl-gen and its templates, and the kind of place the build went."""
    digest = hashlib.sha256(_templates_fingerprint().encode())
    digest.update(spec_bytes)
    digest.update(b"bot folder" if into_bot else b"output folder")
    return {"fingerprint": digest.hexdigest(), "bot": bot}
