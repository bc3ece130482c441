"""Text made safe to print. What a server sends (an error message, a user's name, a last
message) reaches the terminal, where an escape sequence could clear the screen, retitle
the window, hide text or fake a line of output, a newline could forge a second error
line, and a bidi control could reorder what is shown. Such characters are shown
escaped (`\\x1b`), line breaks as a space; everything else, accents and scripts
included, is kept as is.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators and the bidi marks, embeddings,
# overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BREAKS = set("\n\r\t\v\f\x85\u2028\u2029")
# json.dumps already escapes C0 inside strings, and its own newlines (indent) are structure.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """One line, without anything a terminal would act on."""
    return _UNSAFE.sub(lambda m: " " if m.group() in _BREAKS else _escaped(m.group()), text)


def printable_json(text: str) -> str:
    """json.dumps(..., ensure_ascii=False) output with the characters it leaves raw escaped
    as \\uXXXX: they only occur inside strings, so the JSON stays valid and means the same."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
