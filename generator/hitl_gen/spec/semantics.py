"""Checks the schema cannot express: languages, versions, module features,
placeholders and secrets. Runs on schema-valid data only."""

from __future__ import annotations

import re
from typing import Any, Iterator

from hitl_gen import channels, hours, studio_texts, triggers, way_back
from hitl_gen.botpress import hitlnext, versions
from hitl_gen.errors import Problem
from hitl_gen.spec.located_yaml import LocatedDocument
from hitl_gen.texts import PLACEHOLDER, PLACEHOLDERS, placeholder_problems, walk_strings

# Header names whose value is a credential: a literal value there is a leaked secret
# (X-Auth-Key, X-Api-Key, X-Postmark-Server-Token, Cookie...).
SECRET_HEADER = re.compile(r"auth|key|token|secret|passw|signature|credential|cookie|session", re.I)
# Keys of a request body that hold a credential (Mandrill's `key`, `api_key`...).
SECRET_FIELD = re.compile(r"^(key|apikey)$|api[-_]?key|token|secret|passw|credential", re.I)
# A credential in a URL's query string (`?api_key=...`), whatever the URL is for.
SECRET_QUERY = re.compile(r"[?&](api[-_]?key|apikey|key|token|access[-_]?token|secret|password|auth|sig)=[^&#\s]{4,}", re.I)
# Strings that are credentials whatever key they sit under (a Teams Workflows URL is
# signed by its `sig=` parameter).
SECRET_VALUE = re.compile(
    r"hooks\.slack\.com/services/|webhook\.office\.com/webhook|[?&]sig=[A-Za-z0-9_%-]{8,}|xox[abposr]-|"
    r"\bBearer\s+[A-Za-z0-9._~+/-]{8,}|://[^/\s:@]+:[^/\s@]+@|\bsk-[A-Za-z0-9]{16,}|\bSG\.[A-Za-z0-9_-]{16,}"
)


def semantic_problems(doc: LocatedDocument) -> list[Problem]:
    data = doc.data
    target = data["target"]
    languages = target["languages"]
    problems = list(_target_problems(doc, target))
    seen_ids: dict[str, int] = {}
    for index, handoff in enumerate(data["handoffs"]):
        path = ("handoffs", index)
        previous = seen_ids.setdefault(handoff["id"], index)
        if previous != index:
            problems.append(doc.problem(path + ("id",), f"duplicate handoff id {handoff['id']!r} "
                                        f"(also handoffs[{previous}]); give each handoff its own id"))
        problems += _module_problems(doc, path, handoff, target)
        for text_path, text, agent_facing in _texts(path, handoff):
            problems += _text_problems(doc, text_path, text, languages, agent_facing)
        problems += _full_name_problems(doc, path, handoff)
        problems += _alert_problems(doc, path, handoff, target)
        if "hours" in handoff:
            problems += hours.problems(doc, path + ("hours",), handoff["hours"])
        problems += way_back.problems(doc, path, handoff)
        problems += studio_texts.problems(doc, path, handoff)
        for name, value in handoff["trigger"].items():
            problems += triggers.kind(name).problems(doc, path + ("trigger", name), value, target)
    problems += _secret_problems(doc, (), data)
    return problems


def _target_problems(doc: LocatedDocument, target: dict) -> Iterator[Problem]:
    version = versions.parse(target["botpress"])
    if not versions.is_supported(version):
        yield doc.problem(("target", "botpress"), f"Botpress {target['botpress']} is not a v12 release hitl-gen knows; "
                          f"use {versions.show(versions.OLDEST_SUPPORTED)} to {versions.show(versions.NEWEST_SUPPORTED)}")
    elif target["module"] == "hitlnext" and not versions.has_hitlnext(version):
        yield doc.problem(("target", "module"), f"hitlnext does not exist in Botpress {target['botpress']} "
                          f"(it ships from {versions.show(versions.HITLNEXT_ADDED)}); use module: hitl or upgrade Botpress")


def _module_problems(doc: LocatedDocument, path: tuple, handoff: dict, target: dict) -> Iterator[Problem]:
    if target["module"] == "hitl":
        for key in ("check_agents", "no_agent", "timeout"):
            if key in handoff:
                yield doc.problem(path + (key,), f"{key!r} needs module: hitlnext (the classic hitl module "
                                  "cannot tell whether an agent is online); remove it or switch target.module", at_key=True)
    else:
        if "pause" in handoff:
            yield doc.problem(path + ("pause",), "hitlnext hands over by creating a handoff, not by pausing; "
                              "remove 'pause' or use module: hitl", at_key=True)
        if handoff.get("check_agents") and "no_agent" not in handoff:
            yield doc.problem(path + ("check_agents",), "check_agents needs a 'no_agent: {say: ...}' message "
                              "for when no agent is online; add it")
        if "no_agent" in handoff and not handoff.get("check_agents"):
            yield doc.problem(path + ("no_agent",), "'no_agent' is only used with check_agents: true; add it or remove 'no_agent'", at_key=True)
        if "timeout" in handoff and not versions.has(hitlnext.TIMEOUT, versions.parse(target["botpress"])):
            yield doc.problem(path + ("timeout",), f"HITL Next waits for an agent without a time limit before Botpress "
                              f"{versions.since(hitlnext.TIMEOUT)} (target.botpress is {target['botpress']}); raise "
                              "target.botpress if the bot runs a newer release, or remove 'timeout'", at_key=True)


def _texts(path: tuple, handoff: dict) -> Iterator[tuple[tuple, Any, bool]]:
    """Every message of a handoff, and whether agents (not users) read it."""
    yield path + ("say",), handoff["say"], False
    for key in ("on_failure", "no_agent", "timeout", "resume"):
        if "say" in handoff.get(key, {}):
            yield path + (key, "say"), handoff[key]["say"], False
    for name, value in handoff["trigger"].items():
        for key in triggers.kind(name).user_texts:
            yield path + ("trigger", name, key), value[key], False
    for text_path, text in [*hours.user_texts(path, handoff), *way_back.user_texts(path, handoff)]:
        yield text_path, text, False
    for i, alert in enumerate(handoff.get("alert", [])):
        kind, body = next(iter(alert.items()))
        for key in channels.channel(kind).agent_texts:
            if key in body:
                yield path + ("alert", i, kind, key), body[key], True


def _text_problems(doc, path, text, languages: list[str], agent_facing: bool) -> list[Problem]:
    """Users get their own language, so each user-facing text needs every language;
    agents read one language, so a plain string is enough for alerts."""
    problems = []
    if isinstance(text, str):
        if len(languages) > 1 and not agent_facing:
            problems.append(doc.problem(path, f"the bot speaks {', '.join(languages)}; give one text per language, "
                                        f"e.g. {{{', '.join(f'{lang}: ...' for lang in languages)}}}"))
        strings = [((), text)]
    else:
        for lang in languages:
            if lang not in text:
                problems.append(doc.problem(path, f"missing the {lang!r} text (target.languages is {', '.join(languages)}); add '{lang}: ...'"))
        for lang in text:
            if lang not in languages:
                problems.append(doc.problem(path + (lang,), f"language {lang!r} is not in target.languages "
                                            f"({', '.join(languages)}); add it there or remove this text", at_key=True))
        strings = [((lang,), value) for lang, value in text.items()]
    for sub, value in strings:
        problems += placeholder_problems(doc, path + sub, value, PLACEHOLDERS, allow_user=True)
    return problems


def _full_name_problems(doc, path, handoff) -> list[Problem]:
    template = handoff.get("full_name", {}).get("template")
    if template is None:
        return []
    problems = placeholder_problems(doc, path + ("full_name", "template"), template, (), allow_user=True)
    if not PLACEHOLDER.search(template):
        problems.append(doc.problem(path + ("full_name", "template"),
                                    "the template has no {{user.<attribute>}} placeholder, so every user gets the same name; "
                                    "add one such as {{user.first_name}}"))
    return problems


def _alert_problems(doc, path, handoff, target) -> Iterator[Problem]:
    for i, alert in enumerate(handoff.get("alert", [])):
        kind, body = next(iter(alert.items()))
        yield from channels.channel(kind).problems(doc, path + ("alert", i, kind), body, target)


def _secret_problems(doc: LocatedDocument, path: tuple, data: Any) -> list[Problem]:
    return [doc.problem(where, message) for where, value in walk_strings(data, path)
            for message in [_secret_message(where, value)] if message]


def _secret_message(where: tuple, value: str) -> str | None:
    key, parent = str(where[-1]), (where[-2] if len(where) >= 2 else None)
    if parent == "headers" and SECRET_HEADER.search(key):
        return (f"header {key!r} carries a credential and must not be written inline; "
                "use {env: EXPOSED_..., prefix: \"Bearer \"} and set that variable on the server")
    if "http_api" in where and "body" in where and SECRET_FIELD.search(key) and PLACEHOLDER.sub("", value).strip():
        return (f"{key!r} in the request body would put a credential in the spec and the generated actions; send it "
                "in a header with {env: EXPOSED_...} (a body value cannot be read from a variable)")
    if SECRET_VALUE.search(value):
        return ("this looks like a secret (token, webhook URL or password); "
                "never write it in the spec: put it in an EXPOSED_* environment variable and reference that")
    query = SECRET_QUERY.search(value)
    if query:
        home = ("store the whole URL in an EXPOSED_* variable and name it with url_env" if key == "url"
                else "put it in an EXPOSED_* environment variable and reference that")
        return f"this URL carries a credential in its query ({query.group(1)}=...); {home}"
    return None
