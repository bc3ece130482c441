"""Business hours of a handoff (`hours:` in the spec): the model, the checks the
schema cannot make, and what the generated JavaScript reads.

The time of day in the hours' zone is computed in JavaScript from a table of UTC
offsets made here, from Python's time-zone database, rather than with
`Intl.DateTimeFormat({timeZone})`. A real 12.22.1 runs Node 12.22.12, whose ICU 67
does know IANA zones (English only), but its tz data is 2021a: it refuses names
given since (Europe/Kyiv, America/Ciudad_Juarez) and applies rules that changed
since (Mexico City still moves to summer time there, America/Nuuk is an hour
off since 2023), and Botpress 12 cannot move to a newer Node. A table is as current
as the machine that builds, and rebuilding refreshes it.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime, timedelta, timezone
from functools import cache
from typing import Iterator, Mapping, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from hitl_gen.texts import Text, text_of

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The offsets table covers these years (fixed, so a build does not depend on its date);
# past its end the last offset stays.
TABLE_FROM, TABLE_UNTIL = datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2046, 1, 1, tzinfo=timezone.utc)
CLOSED = "closed"  # {{hours}} and temp.hitl_hours_<handoff> are "open" or this (lib/hours.js)


class Hours(NamedTuple):
    time_zone: str
    open: Mapping[str, tuple[str, ...]]  # day -> "HH:MM-HH:MM" ranges, as written
    closed: tuple[str, ...]               # "YYYY-MM-DD" (that day) or "MM-DD" (every year)
    off_hours_say: Text
    hand_over: bool = False               # closed: still pause / create the handoff


def build(raw: dict | None, languages: tuple[str, ...]) -> Hours | None:
    if raw is None:
        return None
    off = raw["off_hours"]
    return Hours(raw["time_zone"], {day: tuple(raw["open"][day]) for day in DAYS if day in raw["open"]},
                 tuple(raw.get("closed", ())), text_of(off["say"], languages), off.get("hand_over", False))


def state_key(handoff_id: str) -> str:
    """temp.<key>: "open" or "closed", decided once per handoff start (flow or start action)."""
    return f"hitl_hours_{handoff_id}"


def config(hours: Hours) -> dict:
    """What lib/hours.js reads (CONFIG.hours; it keeps its decision in CONFIG.hoursKey)."""
    return {"timeZone": hours.time_zone, "utcOffsets": list(utc_offsets(hours.time_zone)),
            "open": {day: list(ranges) for day, ranges in hours.open.items()}, "closed": list(hours.closed)}


# ---- the UTC offsets table ------------------------------------------------------

@cache
def utc_offsets(zone: str) -> tuple[str, ...]:
    """"<UTC instant> <offset>" from the table's start, one entry per change, e.g.
    "2025-03-30T01:00Z +02:00" (readable in the generated file, parsed by Date.parse)."""
    tz = ZoneInfo(zone)
    entries = [(TABLE_FROM, _offset(tz, TABLE_FROM))]
    day = TABLE_FROM
    while day < TABLE_UNTIL:
        following = day + timedelta(days=1)
        if _offset(tz, following) != entries[-1][1]:
            entries.append(_change(tz, day, following))
        day = following
    return tuple(f"{moment:%Y-%m-%dT%H:%MZ} {_signed(minutes)}" for moment, minutes in entries)


def _offset(tz: ZoneInfo, moment: datetime) -> int:
    return int(moment.astimezone(tz).utcoffset().total_seconds() // 60)


def _change(tz: ZoneInfo, before: datetime, after: datetime) -> tuple[datetime, int]:
    """The first minute in (before, after] with the offset `after` has."""
    low, high, wanted = 0, int((after - before).total_seconds() // 60), _offset(tz, after)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(tz, before + timedelta(minutes=middle)) == wanted:
            high = middle
        else:
            low = middle
    return before + timedelta(minutes=high), wanted


def _signed(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ---- checks the schema cannot make -------------------------------------------

def problems(doc, path: tuple, raw: dict) -> Iterator:
    yield from _zone_problems(doc, path + ("time_zone",), raw["time_zone"])
    for day, ranges in raw["open"].items():
        yield from _range_problems(doc, path + ("open", day), day, ranges)
    for index, when in enumerate(raw.get("closed", ())):
        if not _is_date(when):
            yield doc.problem(path + ("closed", index), f"{when!r} is not a date of the calendar; "
                              "write YYYY-MM-DD for one day or MM-DD for that day every year, e.g. \"2026-12-25\" or \"12-25\"")


def user_texts(path: tuple, raw: dict) -> Iterator[tuple[tuple, object]]:
    """The texts users read, for the language and placeholder checks."""
    if "hours" in raw:
        yield path + ("hours", "off_hours", "say"), raw["hours"]["off_hours"]["say"]


def _zone_problems(doc, path: tuple, name: str) -> Iterator:
    try:
        ZoneInfo(name)
        return
    except (ZoneInfoNotFoundError, ValueError):
        pass
    known = available_timezones()
    if not known:
        yield doc.problem(path, f"cannot check the time zone {name!r}: this machine has no time-zone database; "
                          "install one (pip install tzdata) and build again")
        return
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else "use an IANA name such as Europe/Paris or America/New_York"
    yield doc.problem(path, f"unknown time zone {name!r}; {hint}")


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _range_problems(doc, path: tuple, day: str, ranges: list[str]) -> Iterator:
    spans = []
    for index, text in enumerate(ranges):
        start, end = (_minutes(part) for part in text.split("-"))
        if end == start:
            yield doc.problem(path + (index,), f"{text!r} ends when it starts; give a range that lasts, "
                              "e.g. \"09:00-18:00\" (\"00:00-24:00\" for the whole day)")
        elif end < start:
            first, last = text.split("-")
            yield doc.problem(path + (index,), f"{text!r} ends before it starts; a range that runs past midnight is two: "
                              f"\"{first}-24:00\" on {day} and \"00:00-{last}\" on the next day")
        else:
            spans.append((start, end, index, text))
    spans.sort()
    for (_, end, _, before), (start, _, index, text) in zip(spans, spans[1:]):
        if start < end:
            yield doc.problem(path + (index,), f"{text!r} overlaps {before!r} on {day}; merge them into one range or fix one")


def _is_date(text: str) -> bool:
    try:
        if text.count("-") == 2:
            date.fromisoformat(text)
        else:
            date(2024, *map(int, text.split("-")))  # a leap year: "02-29" is a date every fourth year
        return True
    except ValueError:
        return False
