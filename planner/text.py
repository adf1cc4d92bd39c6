"""Text from files, shown safely: :func:`printable` for terminals and one-line messages.

A preset's ``meta.name``, notes, citation and even its file name are whatever the file's author
wrote. Printed raw, an ESC sequence recolours or rewrites the user's terminal, a CR overwrites
the line, an LF forges a line of output, a NUL truncates it in some tools, and a bidirectional
override (U+202E) makes text read differently from what it is. Every place the command line
prints file content passes it through :func:`printable`; the window shows file content as plain
text (never as markup) instead.

``printable(text)`` replaces each such character by a visible escape in Python's notation:
``\\n``, ``\\r``, ``\\t``, ``\\x1b``, ``\\x00``, ``\\u202e``. Everything else, including
non-ASCII letters, is kept. Escaped: every control character (Unicode category Cc: C0, DEL, C1),
line and paragraph separators (Zl, Zp), lone surrogates (Cs), and the bidirectional formatting
characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069).
"""

from __future__ import annotations

import re

__all__ = ["printable"]

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``str(text)`` with control, separator, surrogate and bidi characters escaped (see module doc).

    ``keep_newlines=True`` keeps ``\n`` (only) as a line break, for output that is several lines
    by design: ``print(printable(text_table(plan), keep_newlines=True))``.
    """
    s = text if isinstance(text, str) else str(text)
    if keep_newlines:
        return "\n".join(printable(line) for line in s.split("\n"))
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s
