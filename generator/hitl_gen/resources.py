"""The one loader of hitl-gen's data files, which live inside the package (so an
installed wheel and a checkout read the same paths, with no packaging glue):

- templates/      the action templates (*.j2) and the JavaScript they are built from (lib/)
- botpress/       what Botpress v12 is: v12.json and the Studio's skill formats (skills/)
- spec/           the spec's base JSON Schema and the starter spec
- botpress_module/files/   the JavaScript of hitl-gen's own Botpress module (`hitl-gen module`)

The repository's top-level `actions` and `skills` are links to the first two, and
`schemas/` holds the composed schema as published (tests keep it current).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

TEMPLATES = PACKAGE_DIR / "templates"
SKILL_FORMATS = PACKAGE_DIR / "botpress" / "skills"
BASE_SCHEMA = PACKAGE_DIR / "spec" / "schema.json"
STARTER_SPEC = PACKAGE_DIR / "spec" / "starter.yaml"
BOTPRESS_MODULE = PACKAGE_DIR / "botpress_module" / "files"


def data_files() -> list[Path]:
    """Every file of the package (code and data), for the build fingerprint: a change
    to any of them may change what a build renders."""
    return sorted(p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")

