"""Which Botpress v12 release has which SDK call and module (FACTS §7, §9), from v12.json."""

from __future__ import annotations

from hitl_gen.botpress.knowledge import lookup, table

Version = tuple[int, int, int]


def parse(text: str) -> Version:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def show(version: Version) -> str:
    return ".".join(map(str, version))


_TABLE = table()
OLDEST_SUPPORTED: Version = parse(_TABLE["versions"]["oldest"])
NEWEST_SUPPORTED: Version = parse(_TABLE["versions"]["newest"])
# bp.notifications.create exists up to 12.21.1 and is undefined from 12.22.0 on.
NOTIFICATIONS_REMOVED: Version = parse(_TABLE["sdk"]["admin_notifications"]["until"])
HITLNEXT_ADDED: Version = parse(_TABLE["modules"]["hitlnext"]["since"])


def is_supported(version: Version) -> bool:
    return OLDEST_SUPPORTED <= version <= NEWEST_SUPPORTED


def has_admin_notifications(version: Version) -> bool:
    return version < NOTIFICATIONS_REMOVED


def has_hitlnext(version: Version) -> bool:
    return version >= HITLNEXT_ADDED


def has_module(module: str, version: Version) -> bool:
    return version >= parse(_TABLE["modules"][module]["since"])


def has(feature: str, version: Version) -> bool:
    """Whether `version` has the table entry `feature` (a dotted name such as
    `modules.hitlnext.exits`): from its `since`, and before its `until` if it has one."""
    entry = lookup(feature)
    return parse(entry.get("since", "12.0.0")) <= version and ("until" not in entry or version < parse(entry["until"]))


def since(feature: str) -> str:
    """The first release with `feature`, as the table writes it."""
    return lookup(feature)["since"]
