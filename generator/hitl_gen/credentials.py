"""Tokens from `hitl-gen login`, cached per server in the user's config directory
(mode 0600) with their expiry, and reused until they expire. Passwords are never stored."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

from hitl_gen.atomic import write_atomic
from hitl_gen.client import Token


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hitl-gen"


class TokenCache:
    def __init__(self, path: Path | None = None, now: Callable[[], float] = time.time):
        self.path = path or config_dir() / "tokens.json"
        self.now = now

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, url: str) -> str | None:
        """The cached token of this server while it is valid, else None (log in again)."""
        entry = self._read().get(url.rstrip("/"))
        try:
            token = Token(entry["jwt"], float(entry["expires_at"]))
        except (KeyError, TypeError, ValueError):  # no entry, or one this version cannot read
            return None
        if isinstance(token.jwt, str) and token.jwt and token.valid(self.now()):
            return token.jwt
        return None

    def put(self, url: str, token: Token, email: str) -> None:
        data = self._read()
        data[url.rstrip("/")] = {"jwt": token.jwt, "expires_at": token.expires_at, "email": email}
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.path, json.dumps(data, indent=2).encode("utf-8"), mode=0o600, make_parent=False)
        os.chmod(self.path, 0o600)  # a strict umask may have left the owner less than read-write
