"""Python side of the Botpress-faithful Node runtime in tests/runtime/."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
OPTIONAL_MODULES = RUNTIME_DIR / "optional" / "node_modules"


class NodeRuntime:
    def __init__(self) -> None:
        if not (RUNTIME_DIR / "node_modules" / "vm2").is_dir():
            raise RuntimeError(f"run `npm ci --prefix {RUNTIME_DIR}` first (the README's test command does)")
        self.node = shutil.which("node") or "node"

    def call(self, request: dict, timeout: float = 60) -> dict | list:
        done = subprocess.run([self.node, str(RUNTIME_DIR / "cli.js")], input=json.dumps(request),
                              capture_output=True, text=True, timeout=timeout, encoding="utf-8")
        if done.returncode != 0:
            raise RuntimeError(f"node runtime failed:\n{done.stderr}")
        return json.loads(done.stdout)

    def metadata(self, files: list[Path]) -> list[dict]:
        return self.call({"op": "metadata", "files": [str(f) for f in files]})

    def run_action(self, file: Path, event: dict, **context) -> dict:
        return self.call({"op": "action", "file": str(file), "event": event, **context})

    def conversation(self, **request) -> dict:
        return self.call({"op": "conversation", **request})


def install_beside(action_dir: Path, package: str) -> None:
    """What INSTALL.md tells a builder: put a package in the actions' node_modules."""
    target = action_dir / "node_modules" / package
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(OPTIONAL_MODULES / package, target)
