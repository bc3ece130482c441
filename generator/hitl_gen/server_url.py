"""The server's address: an http(s) URL without credentials.

A user name or password in the URL (`http://admin:secret@host`) would be sent by httpx
as Basic auth to every route, printed in every message and stored as the token cache's
key. hitl-gen logs in with `hitl-gen login` (BP_PASSWORD or a prompt) instead, so such a
URL is refused, and shown only without its credentials.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx

from hitl_gen.errors import UsageError
from hitl_gen.terminal import printable

SHOWN_MAX = 200  # characters of a URL quoted in a message


def checked(text: str, where: str) -> str:
    """`text` without its trailing slash, or a UsageError naming `where` it came from."""
    text = text.strip()
    parts = _split(text)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{_quoted(without_credentials(text))} is not an http:// or https:// URL; e.g. http://localhost:3000",
                         subject="hitl-gen", where=where)
    if "@" in parts.netloc:
        safe = without_credentials(text).rstrip("/")
        raise UsageError("the URL carries a user name or password, which hitl-gen never sends, prints or stores; remove it "
                         f"and log in with `hitl-gen login --url {safe} --email EMAIL` (the password from BP_PASSWORD or the "
                         "prompt)", subject=safe, where=where)
    return text.rstrip("/")


def without_credentials(text: str, *, query: bool = True) -> str:
    """The URL to show: no user name or password; without its query too when `query` is
    False (a redirect's query may carry a one-time code)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.rpartition("@")[2]
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query if query else "", ""))


def shown(text: str) -> str:
    """A URL a server gave (a redirect's Location) as it may be printed."""
    cut = without_credentials(text, query=False)
    return printable(cut if len(cut) <= SHOWN_MAX else cut[:SHOWN_MAX] + "...")


def _split(text: str):
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
        httpx.URL(text)  # what httpx would refuse later, with a traceback: spaces, control characters
    except (ValueError, httpx.InvalidURL):
        return None
    return parts


def _quoted(text: str) -> str:
    return repr(text if len(text) <= SHOWN_MAX else text[:SHOWN_MAX] + "...")
