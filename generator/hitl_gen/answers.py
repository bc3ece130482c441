"""What a Botpress 12 answer must look like before hitl-gen believes it.

A 2xx alone proves little: a proxy's login page, a captive portal or another site also
answers 200. Each check takes the response and returns what the caller uses, or raises
Malformed, whose text continues `... answered 200 `; the client adds where and the fix.
Only the fields hitl-gen reads are checked, so what Botpress adds stays welcome.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

# Visible ASCII, no space: what an Authorization header can carry as one token. A
# newline would forge a header, a space or non-ASCII make httpx refuse to send it.
BEARER = re.compile(r"[\x21-\x7e]+")
BEARER_MAX = 16 * 1024
VERSION = re.compile(r"\d+\.\d+\.\d+[0-9A-Za-z.+-]{0,30}")
EXCERPT = 40  # characters of an unexpected text quoted in a message


class Malformed(Exception):
    """The answer is not what Botpress sends."""


def is_bearer_token(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= BEARER_MAX and BEARER.fullmatch(value) is not None


def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except RecursionError:  # "[[[[..." deeper than Python's stack
        raise Malformed("with JSON nested too deeply to be Botpress's") from None
    except ValueError:  # not JSON, or not UTF-8
        raise Malformed(_not_json(response)) from None


def json_object(response: httpx.Response) -> dict:
    body = json_body(response)
    if not isinstance(body, dict):
        raise Malformed(f"with JSON {_kind(body)} where an object belongs")
    return body


def object_list(response: httpx.Response) -> list[dict]:
    body = json_body(response)
    if not isinstance(body, list):
        raise Malformed(f"with JSON {_kind(body)} where a list belongs")
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            raise Malformed(f"with a list whose item {index} is {_kind(item)}, not an object")
    return body


def login(response: httpx.Response) -> tuple[str, Any]:
    """The token and the answer's `exp` (its lifetime in ms on 12.22.1)."""
    payload = json_object(response).get("payload")
    jwt = payload.get("jwt") if isinstance(payload, dict) else None
    if jwt is None:
        raise Malformed("without a token (no payload.jwt)")
    if not is_bearer_token(jwt):
        raise Malformed("with a payload.jwt that is not a token (spaces, control characters or non-ASCII, or too long)")
    return jwt, payload.get("exp")


def profile(response: httpx.Response) -> dict:
    payload = json_object(response).get("payload")
    if not isinstance(payload, dict):
        raise Malformed("without the user's profile (no payload object)")
    return payload


def bot(response: httpx.Response) -> dict:
    body = json_object(response)
    if not isinstance(body.get("id", ""), str):
        raise Malformed(f"with a bot whose id is {_kind(body['id'])}, not a text")
    return body


def sessions(response: httpx.Response) -> list[dict]:
    """The hitl listing, with what `status` and `sessions` read from each item."""
    items = object_list(response)
    for index, item in enumerate(items):
        problem = _session_problem(item)
        if problem:
            raise Malformed(f"with a session list whose item {index} {problem}")
    return items


def paused(response: httpx.Response) -> None:
    """The hitl pause and unpause routes answer Express's sendStatus(200): `OK`."""
    if response.text.strip() != "OK":
        raise Malformed(f"with {_excerpt(response.text)} where Botpress answers OK")


def handoff(response: httpx.Response) -> dict:
    """A HITL Next handoff: an object with its id and status."""
    item = json_object(response)
    if not isinstance(item.get("id"), _ID) or not isinstance(item.get("status"), str):
        raise Malformed(f"with {_excerpt(response.text)} where a handoff (an object with an id and a status) belongs")
    return item


def version(response: httpx.Response) -> str:
    text = response.text.strip()
    if not VERSION.fullmatch(text):
        raise Malformed(f"with {_excerpt(text)} where a version such as 12.22.1 belongs")
    return text


# ---- helpers -----------------------------------------------------------------------
_NONE = type(None)
_ID = (int, str)
_OPTIONAL_TEXT = (str, _NONE)


def _session_problem(item: dict) -> str | None:
    user, last = item.get("user"), item.get("lastMessage")
    # isPaused is 0/1 on sqlite, a boolean on PostgreSQL.
    fields = [("id", item.get("id"), _ID), ("isPaused", item.get("isPaused"), (bool, int)), ("user", user, (dict,)),
              ("channel", item.get("channel"), _OPTIONAL_TEXT), ("threadId", item.get("threadId"), (*_ID, _NONE)),
              ("lastMessage", last, (dict, _NONE))]
    if isinstance(user, dict):
        fields += [("user.id", user.get("id"), _ID), ("user.fullName", user.get("fullName"), _OPTIONAL_TEXT)]
    if isinstance(last, dict):
        fields += [("lastMessage.text", last.get("text"), _OPTIONAL_TEXT)]
    for name, value, types in fields:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return f"has no {name}" if value is None else f"has {_kind(value)} as {name}"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a text", bool: "a boolean"}.get(type(value), "a number")


def _not_json(response: httpx.Response) -> str:
    text = response.text.strip()
    if not text:
        return "with an empty body, not JSON"
    if "html" in response.headers.get("content-type", "") or text.startswith("<"):
        return "with an HTML page, not JSON"
    return f"with {_excerpt(text)}, not JSON"


def _excerpt(text: str) -> str:
    """A server's text, quoted short; its control characters are escaped when printed."""
    text = " ".join(text.split())
    return repr(text if len(text) <= EXCERPT else text[:EXCERPT] + "...") if text else "an empty body"
