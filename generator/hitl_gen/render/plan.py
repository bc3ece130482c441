"""Everything `hitl-gen build` produces for a spec, rendered in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from hitl_gen.render.actions import action_files, action_path
from hitl_gen.render.install_doc import install_doc
from hitl_gen.spec.model import Spec


@dataclass(frozen=True)
class PlannedFile:
    path: PurePosixPath  # relative to the output root (the folder holding data/)
    content: bytes


def build_plan(spec: Spec) -> list[PlannedFile]:
    spec_name = spec.source.name
    actions = action_files(spec)
    files = [PlannedFile(action_path(spec, a), a.render(spec_name).encode("utf-8")) for a in actions]
    files.append(PlannedFile(PurePosixPath("INSTALL.md"), install_doc(spec, actions).encode("utf-8")))
    return sorted(files, key=lambda f: f.path)
