"""What `sims-case` prints of a case is shown, never obeyed: a summary, a message or a name
may hold anything the bounds let through (DESIGN §13), and some of that would drive the
terminal (ESC starts an escape sequence, U+202E turns the line around).

Control characters (Cc), format characters (Cf), lone surrogates (Cs) and the line and
paragraph separators (Zl, Zp) are written as Python writes them in a string (`\\x1b`,
`\\u202e`, `\\n`). A backslash is left as it is: `C:\\temp` reads as typed, so a `\\x1b`
a person typed looks like an escaped ESC, which is harmless. JSON keeps every other
character as UTF-8 and writes these as `\\uXXXX`, which is still JSON and reads back the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sims_support.reports.format import table as plain_table

ESCAPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# Printable ASCII never needs a look at its category; everything else does.
MAYBE = re.compile(r"[^\x20-\x7e]")


def python_escape(char: str) -> str:
    code = ord(char)
    if char in NAMED:
        return NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    # JSON has no escape past the BMP: a surrogate pair, as RFC 8259 writes one.
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escaped(text: str, keep: str = "") -> str:
    """`text` with every character that could drive a terminal written as an escape; the
    characters in `keep` (say a table's own newlines) left as they are."""

    def one(found: re.Match[str]) -> str:
        char = found.group()
        if char in keep or unicodedata.category(char) not in ESCAPED:
            return char
        return python_escape(char)

    return MAYBE.sub(one, text)


def json_safe(text: str) -> str:
    """JSON text with the same characters escaped as `\\uXXXX`: they can only be inside its
    strings (its own syntax is ASCII), and newlines of its own (indented JSON) are kept."""

    def one(found: re.Match[str]) -> str:
        char = found.group()
        if char == "\n" or unicodedata.category(char) not in ESCAPED:
            return char
        return json_escape(char)

    return MAYBE.sub(one, text)


def printable(output: str, *, as_json: bool) -> str:
    """What a command prints, escaped once more as a whole: whatever a renderer left raw
    (a report's text, say) cannot drive the terminal either."""
    return json_safe(output) if as_json else escaped(output, keep="\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """A table whose every cell is shown escaped: a newline inside a field is `\\n`, so a
    row stays one line."""
    return plain_table(
        [escaped(h) for h in headers], [[escaped(str(c)) for c in row] for row in rows], indent
    )
