"""Unit constants, conversions and the one number formatter used everywhere.

The window, the CLI's table, its ``--json`` ``formatted`` block and the PDF report all
format numbers through :func:`fmt_sci` and friends, so a number reads the same wherever a
user sees it.
"""

from __future__ import annotations

import math
import re

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
PF_DAY_FLOPS = 8.64e19
"""One petaflop/s-day in FLOPs (Kaplan et al. 2020, arXiv 2001.08361, Sec. 1.3)."""

BYTES_PER_GIB = 1024.0**3
BYTES_PER_GB = 1e9


def fmt_sci(x: float | None, sig: int = 5) -> str:
    """Format ``x`` in compact scientific notation, e.g. ``2.7785e9``.

    Values between 0.01 and 1e5 are written as plain decimals with ``sig``
    significant figures (``2.3055``, ``21.591``). ``None`` and non-finite values
    give an em dash.
    """
    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    ax = abs(x)
    if 1e-2 <= ax < 1e5:
        decimals = max(sig - 1 - math.floor(math.log10(ax)), 0)
        return f"{x:.{decimals}f}"
    mant, exp = f"{x:.{sig - 1}e}".split("e")  # exact for subnormals and near-overflow too
    return f"{mant}e{int(exp)}"


def fmt_usd(x: float | None) -> str:
    """Dollars with thousands separators (``$1,234,567``); cents below $100."""
    if x is None or not math.isfinite(x):
        return "—"
    if abs(x) < 1:
        return f"${x:.3g}"
    if abs(x) < 100:
        return f"${x:,.2f}"
    if abs(x) >= 1e12:
        return f"${fmt_sci(x, 4)}"
    return f"${x:,.0f}"


def fmt_bytes(x: float | None) -> str:
    """Bytes in binary units (``153.2 GiB``)."""
    if x is None or not math.isfinite(x):
        return "—"
    for unit, size in (("TiB", 1024.0**4), ("GiB", 1024.0**3), ("MiB", 1024.0**2), ("KiB", 1024.0)):
        if abs(x) >= size:
            return f"{x / size:.1f} {unit}"
    return f"{x:.0f} B"


def fmt_duration_days(days: float | None) -> str:
    """Wall-clock time in the most readable unit (hours, days or years)."""
    if days is None or not math.isfinite(days):
        return "—"
    if days < 1:
        return f"{days * 24:.1f} h"
    if days < 730:
        return f"{days:.1f} days"
    return f"{days / 365.25:.1f} years"


_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
_GROUPED = {
    sep: re.compile(rf"[+-]?[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
    for sep in (",", " ")
}


def parse_number(text: str) -> float:
    """Parse a user-typed number such as ``3.8e25``, ``1_000``, ``4,096``, ``2.5 B`` or ``400K``.

    One rule for every field (command line and window): a comma, or a space, is only a
    thousands separator between groups of three digits (``4,096``, ``1,000,000``,
    ``1 000 000``); anything else holding one is refused rather than misread, so ``3,8``
    (a decimal comma) is an error, never 38, and ``3,8e25`` is never 3.8e26. A space may also
    stand between the number and its suffix (``2.5 B``). Raises ``ValueError`` with a
    one-line reason for anything else (including NaN and infinities, which no field of the
    planner accepts).
    """
    shown = text.strip()
    s = shown.replace("_", "")
    if not s:
        raise ValueError("empty value")
    scale = 1.0
    if s[-1].lower() in _SUFFIXES:
        scale = _SUFFIXES[s[-1].lower()]
        s = s[:-1].rstrip()
    for sep, name in ((",", "comma"), (" ", "space")):
        if sep in s:
            if ("," in s and " " in s) or not _GROUPED[sep].fullmatch(s):
                raise ValueError(f"{shown!r} is not a number: a {name} may only separate thousands, as in "
                                 f"4{sep}096 or 1{sep}000{sep}000 (write a decimal with a point: 3.8)")  # fmt: skip
            s = s.replace(sep, "")
    try:
        value = float(s) * scale
    except ValueError:
        raise ValueError(f"{shown!r} is not a number (expected e.g. 3.8e25)") from None
    if not math.isfinite(value):
        raise ValueError(f"{shown!r} is not a finite number")
    return value
