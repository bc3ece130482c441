"""Tokens from `hitl-gen login`, cached per server in the user's config directory
(mode 0600) with their expiry, and reused until they expire. Passwords are never stored.

A cache that cannot be read, is not JSON or has another shape counts as empty, silently,
and so does each entry that is not a usable token: a cache only saves logging in again,
and the command that needed the token says so (a 401 naming `hitl-gen login`), which
rewrites the file whole (atomic.py) with the readable entries only. A warning would be
a second line on stderr for every command until then, and the core never prints.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Callable

from hitl_gen.answers import is_bearer_token
from hitl_gen.atomic import write_atomic
from hitl_gen.client import Token
from hitl_gen.errors import HitlGenError


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hitl-gen"


class TokenCache:
    def __init__(self, path: Path | None = None, now: Callable[[], float] = time.time):
        self.path = path or config_dir() / "tokens.json"
        self.now = now

    def _read(self) -> dict:
        """The readable entries; {} for a missing, unreadable or corrupt file."""
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError, RecursionError):  # a folder, no permission, not JSON, nested too deep
            return {}
        if not isinstance(data, dict):
            return {}
        return {url: entry for url, entry in data.items() if _token(entry) is not None}

    def get(self, url: str) -> str | None:
        """The cached token of this server while it is valid, else None (log in again)."""
        token = _token(self._read().get(url.rstrip("/")))
        return token.jwt if token is not None and token.valid(self.now()) else None

    def put(self, url: str, token: Token, email: str) -> None:
        data = self._read()
        data[url.rstrip("/")] = {"jwt": token.jwt, "expires_at": token.expires_at, "email": email}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(self.path, json.dumps(data, indent=2).encode("utf-8"), mode=0o600, make_parent=False)
            os.chmod(self.path, 0o600)  # a strict umask may have left the owner less than read-write
        except OSError as err:
            raise HitlGenError(f"cannot write the token cache ({err.strerror or err}); make it a file you can write, or "
                               "remove it (it holds only login tokens), then log in again", subject=self.path,
                               where="token cache") from None


def _token(entry) -> Token | None:
    """An entry as `put` writes it, with a token that may go in a header, else None."""
    if not isinstance(entry, dict) or not is_bearer_token(entry.get("jwt")):
        return None
    expires = entry.get("expires_at")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        return None
    try:
        expires = float(expires)
    except OverflowError:  # an integer too large for a float
        return None
    return Token(entry["jwt"], expires) if math.isfinite(expires) else None
