"""Sections of RESULTS.md that a benchmark other than run.py owns, between markers:
run.py rewrites the rest and keeps them; their own script replaces only them."""

from __future__ import annotations

import re

MARKER = re.compile(r"<!-- (?P<owner>[\w.]+): section (?P<number>\d+) begins \(run.py keeps it\) -->.*?"
                    r"<!-- (?P=owner): section (?P=number) ends -->\n?", re.S)


class Section:
    def __init__(self, owner: str, number: int):
        self.begin = f"<!-- {owner}: section {number} begins (run.py keeps it) -->"
        self.end = f"<!-- {owner}: section {number} ends -->"

    def wrap(self, body: str) -> str:
        return f"{self.begin}\n{body.strip()}\n{self.end}\n"

    def splice(self, text: str, body: str) -> str:
        """`text` with this section replaced by `body`, or `body` appended."""
        start, stop = text.find(self.begin), text.find(self.end)
        if 0 <= start < stop:
            return text[:start] + self.wrap(body) + text[stop + len(self.end):].lstrip("\n")
        return (text.rstrip("\n") + "\n\n" if text else "") + self.wrap(body)


def kept_sections(text: str) -> str:
    """Every owned section of an existing RESULTS.md, in their order, markers included."""
    return "\n".join(match.group(0).rstrip("\n") + "\n" for match in MARKER.finditer(text))
