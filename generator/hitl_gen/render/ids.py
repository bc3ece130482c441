"""Stable ids for content elements, nodes and skills.

Each id is derived from the bot, the handoff and the purpose, so a rebuild gives
the same ids; an id already used by something that is not ours is skipped by
deriving again with a counter, so ids never collide with the bot's own.
"""

from __future__ import annotations

import hashlib
import string

NANOID = string.ascii_letters + string.digits + "_-"  # the alphabet of Botpress's element ids


def _digits(seed: str, alphabet: str, length: int) -> str:
    number = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big")
    out = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        out.append(alphabet[index])
    return "".join(out)


class IdAllocator:
    def __init__(self, bot: str, taken: set[str] = frozenset()):
        self.bot = bot
        self.taken = set(taken)

    def _allocate(self, key: str, make) -> str:
        attempt = 0
        while True:
            candidate = make(f"{self.bot}/{key}#{attempt}")
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
            attempt += 1

    def element(self, content_type: str, key: str) -> str:
        return self._allocate(f"element/{key}", lambda seed: f"{content_type}-{_digits(seed, NANOID, 6)}")

    def skill_suffix(self, key: str) -> str:
        return self._allocate(f"skill/{key}", lambda seed: _digits(seed, "0123456789abcdef", 6))

    def node(self, key: str) -> str:
        return self._allocate(f"node/{key}", lambda seed: _digits(seed, "0123456789abcdef", 10))

    def skill_node(self, key: str) -> str:
        return self._allocate(f"skill-node/{key}", lambda seed: _digits(seed, "0123456789", 6))

    def random_id(self, key: str) -> str:
        return self._allocate(f"random/{key}", lambda seed: _digits(seed, string.ascii_lowercase + string.digits, 10))
