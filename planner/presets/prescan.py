"""Bound the work of parsing a preset file before the parser sees it.

The size limit alone does not bound the parser: ``tomllib``'s time and memory grow with the
*square* of a dotted key's length, so one 80 KB line ``a.a.a. ... .a = 1`` of 40,000 parts (well
under the 256 KB size limit) took 44 s and 9.4 GB, and 100,000 parts ran out of memory.
:func:`check_structure` scans the text first, in linear time and constant memory per key, and
refuses a file that exceeds one of these limits, saying which:

=====================  ======  =========================================================
limit                  value   what it counts
=====================  ======  =========================================================
``MAX_KEY_DEPTH``      16      levels of one key: table header parts + dotted key parts
                               (+ the key owning an inline table); a preset needs 4
                               (``meta.fit.pinned.E``)
``MAX_NESTING``        32      arrays and inline tables (JSON: arrays and objects)
                               nested inside each other; a preset needs 5
``MAX_KEYS``           5,000   keys and table headers in one file (JSON: object members);
                               a preset has under 100
=====================  ======  =========================================================

The scan only counts; it does not validate. A file it misreads (invalid TOML) is left to the
parser, which reports the syntax error.
"""

from __future__ import annotations

import re

MAX_KEY_DEPTH = 16
MAX_NESTING = 32
MAX_KEYS = 5000

__all__ = ["MAX_KEYS", "MAX_KEY_DEPTH", "MAX_NESTING", "Overlimit", "check_structure"]


class Overlimit(Exception):
    """A structural limit was exceeded; ``reason`` and ``expected`` are message parts."""

    def __init__(self, reason: str, expected: str) -> None:
        super().__init__(reason)
        self.reason, self.expected = reason, expected


_WS = re.compile(r"[ \t]*")
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_VALUE_RUN = re.compile(r"[^\"'\[\]{},#\n]+")  # nothing that opens, closes or separates
_BASIC_BODY = re.compile(r'[^"\\\n]*(?:\\.[^"\\\n]*)*')
_JSON_RUN = re.compile(r'[^"\[\]{}:\n]+')


def check_structure(text: str, fmt: str = "toml") -> None:
    """Raise :class:`Overlimit` if ``text`` exceeds a limit above; linear in ``len(text)``."""
    if fmt == "json":
        _scan_json(text)
    else:
        _scan_toml(text)


def _snippet(text: str, start: int) -> str:
    end = text.find("\n", start)
    piece = text[start : end if end >= 0 else len(text)]
    return repr(piece[:24] + ("..." if len(piece) > 24 else ""))


def _too_many_keys() -> Overlimit:
    return Overlimit(f"has more than {MAX_KEYS:,} keys, over the key-count limit", f"at most {MAX_KEYS:,} keys")


def _key_too_deep(text: str, start: int, line: int, depth: int) -> Overlimit:
    return Overlimit(f"line {line}: key {_snippet(text, start)} is {depth:,} levels deep, over the key-depth limit",
                     f"at most {MAX_KEY_DEPTH} levels, like law.coefficients.alpha")  # fmt: skip


def _too_nested(line: int) -> Overlimit:
    return Overlimit(f"line {line}: values nested more than {MAX_NESTING} deep, over the nesting limit",
                     f"at most {MAX_NESTING} levels of arrays and tables")  # fmt: skip


# -- TOML ---------------------------------------------------------------------------------------


def _skip_basic_line(text: str, i: int) -> int:
    """``text[i]`` is ``"``; index after the closing quote, or of the line end if unterminated."""
    end = _BASIC_BODY.match(text, i + 1).end()  # type: ignore[union-attr]
    return end + 1 if end < len(text) and text[end] == '"' else end


def _skip_literal_line(text: str, i: int) -> int:
    close = text.find("'", i + 1)
    newline = text.find("\n", i + 1)
    if close < 0 or 0 <= newline < close:
        return newline if newline >= 0 else len(text)
    return close + 1


def _skip_unescaped(text: str, start: int, delim: str) -> int:
    """Index after the first ``delim`` at or after ``start`` not preceded by an odd run of backslashes."""
    n = len(text)
    j = start
    while True:
        k = text.find(delim, j)
        if k < 0:
            return n
        b = k - 1
        while b >= j and text[b] == "\\":
            b -= 1
        if (k - 1 - b) % 2 == 0:
            return k + len(delim)
        j = k + 1


def _skip_toml_string(text: str, i: int) -> int:
    quote = text[i]
    if text.startswith(quote * 3, i):
        if quote == '"':
            return _skip_unescaped(text, i + 3, '"""')
        close = text.find("'''", i + 3)
        return len(text) if close < 0 else close + 3
    return _skip_basic_line(text, i) if quote == '"' else _skip_literal_line(text, i)


def _read_key(text: str, i: int) -> tuple[int, int]:
    """Count the parts of the (dotted) key starting at ``text[i]``; returns (parts, index after)."""
    n = len(text)
    parts = 0
    while True:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i >= n:
            break
        c = text[i]
        if c == '"':
            i = _skip_basic_line(text, i)
        elif c == "'":
            i = _skip_literal_line(text, i)
        else:
            m = _BARE.match(text, i)
            if m is None:
                break
            i = m.end()
        parts += 1
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i < n and text[i] == ".":
            i += 1
            continue
        break
    return parts, i


def _scan_toml(text: str) -> None:
    n = len(text)
    i, line, keys = 0, 1, 0
    stack: list[tuple[str, int]] = []  # open arrays "[" / inline tables "{", with the owning key's depth
    header_depth = 0  # parts of the current [table] header
    last_depth = 0  # depth of the last key read (owns the value that follows)
    expect_key = True
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            if not stack:
                expect_key = True
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if expect_key:
            expect_key = False
            if not stack and c == "[":  # [table] or [[array of tables]]
                i += 2 if text.startswith("[[", i) else 1
                start = i
                parts, i = _read_key(text, i)
                keys += 1
                if parts > MAX_KEY_DEPTH:
                    raise _key_too_deep(text, start, line, parts)
                header_depth = last_depth = parts
                continue
            if c == "}" and stack and stack[-1][0] == "{":  # an empty inline table
                stack.pop()
                i += 1
                continue
            start = i
            parts, i = _read_key(text, i)
            if parts == 0:  # not a key: the parser will say what it is
                i += 1
                continue
            keys += 1
            if keys > MAX_KEYS:
                raise _too_many_keys()
            depth = (stack[-1][1] if stack else header_depth) + parts
            if depth > MAX_KEY_DEPTH:
                raise _key_too_deep(text, start, line, depth)
            last_depth = depth
            continue
        if c == '"' or c == "'":
            end = _skip_toml_string(text, i)
            line += text.count("\n", i, end)
            i = end
        elif c == "[" or c == "{":
            stack.append((c, last_depth))
            if len(stack) > MAX_NESTING:
                raise _too_nested(line)
            expect_key = c == "{"
            i += 1
        elif c == "]" or c == "}":
            if stack:
                stack.pop()
            i += 1
        elif c == ",":
            expect_key = bool(stack) and stack[-1][0] == "{"
            i += 1
        else:
            m = _VALUE_RUN.match(text, i)
            i = m.end() if m is not None and m.end() > i else i + 1
    if keys > MAX_KEYS:
        raise _too_many_keys()


# -- JSON ---------------------------------------------------------------------------------------


def _scan_json(text: str) -> None:
    n = len(text)
    i, line, depth, keys = 0, 1, 0, 0
    while i < n:
        c = text[i]
        if c == '"':
            end = _skip_unescaped(text, i + 1, '"')
            line += text.count("\n", i, end)
            i = end
        elif c == "\n":
            line += 1
            i += 1
        elif c == "[" or c == "{":
            depth += 1
            if depth > MAX_NESTING:
                raise _too_nested(line)
            i += 1
        elif c == "]" or c == "}":
            depth = max(depth - 1, 0)
            i += 1
        elif c == ":":
            keys += 1
            if keys > MAX_KEYS:
                raise _too_many_keys()
            i += 1
        else:
            m = _JSON_RUN.match(text, i)
            i = m.end() if m is not None and m.end() > i else i + 1
