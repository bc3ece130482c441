"""Which Botpress v12 release has which SDK call and module (FACTS §7, §9)."""

from __future__ import annotations

Version = tuple[int, int, int]

OLDEST_SUPPORTED: Version = (12, 0, 0)
NEWEST_SUPPORTED: Version = (12, 31, 10)
# bp.notifications.create exists up to 12.21.1 and is undefined from 12.22.0 on.
NOTIFICATIONS_REMOVED: Version = (12, 22, 0)
# The hitlnext module first ships in 12.15.0.
HITLNEXT_ADDED: Version = (12, 15, 0)


def parse(text: str) -> Version:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def show(version: Version) -> str:
    return ".".join(map(str, version))


def is_supported(version: Version) -> bool:
    return OLDEST_SUPPORTED <= version <= NEWEST_SUPPORTED


def has_admin_notifications(version: Version) -> bool:
    return version < NOTIFICATIONS_REMOVED


def has_hitlnext(version: Version) -> bool:
    return version >= HITLNEXT_ADDED
