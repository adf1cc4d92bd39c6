"""Unit constants, conversions and the one number formatter used everywhere.

The window, the CLI's table, its ``--json`` ``formatted`` block and the PDF report all
format numbers here, so a number reads the same wherever a user sees it, and in the form the
field reads it: parameters and tokens as 70B and 15T (:func:`fmt_count`), money as $4.21M
(:func:`fmt_usd`), durations in days or hours (:func:`fmt_duration_days`), memory in GiB
(:func:`fmt_bytes`), FLOPs in scientific notation (:func:`fmt_flops`). Exact values go to
tooltips, JSON and copies (:func:`fmt_exact`). :func:`parse_quantity` reads back everything
these write (``parse(display(x))`` is ``x`` to the shown precision), plus what people type:
``3.8e25``, ``400K``, ``$5M``, ``60 days``, ``4,096``, ``1/4``.
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
    if 1e-2 <= ax < 1e5 and 1e-2 <= abs(r := float(f"{x:.{sig}g}")) < 1e5:
        decimals = max(sig - 1 - math.floor(math.log10(abs(r))), 0)  # of the rounded value: 9.9996 reads 10.0, not 10.00
        return f"{r:.{decimals}f}"
    mant, exp = f"{x:.{sig - 1}e}".split("e")  # exact for subnormals and near-overflow too
    return f"{mant}e{int(exp)}"


_MAGNITUDES = (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3))


def _sig(x: float, sig: int) -> str:
    """``x`` (0.001 <= |x| < 1e5) with ``sig`` significant figures, trailing zeros kept."""
    x = float(f"{x:.{sig}g}")  # rounded first, so 9.9996 reads 10.0, not 10.00
    decimals = max(sig - 1 - math.floor(math.log10(abs(x))), 0) if x else sig - 1
    return f"{x:.{decimals}f}"


def fmt_count(x: float | None, sig: int = 3) -> str:
    """A count as the field reads it: ``95.9B``, ``1.74T``, ``350M``, ``48.0K``, ``512``.

    Above 1,000 trillion, scientific notation (``2.16e16``). ``None``/non-finite: an em dash.
    """
    if x is None or not math.isfinite(x):
        return "—"
    r = float(f"{x:.{sig}g}")  # rounded first, so 999.96B reads 1.00T, not 1000B
    if abs(r) >= 1e15:
        return fmt_sci(x, sig)
    for suffix, size in _MAGNITUDES:
        if abs(r) >= size:
            return _sig(r / size, sig) + suffix
    if abs(r) >= 100 or r == round(r):  # a whole number once rounded reads whole: 11.96 and 12 both "12"
        return f"{r:,.0f}"
    return _sig(r, sig)


def fmt_usd(x: float | None, sig: int = 3) -> str:
    """Dollars as a budget owner reads them: ``$4.21M``, ``$923K``, ``$140``, ``$0.923``."""
    if x is None or not math.isfinite(x):
        return "—"
    if abs(x) >= 1e3:
        return "$" + fmt_count(x, sig)
    if abs(x) >= 100:
        return f"${x:,.0f}"
    if x == 0:
        return "$0"
    return f"${_sig(x, sig)}"


def fmt_flops(x: float | None, sig: int = 3) -> str:
    """FLOPs in scientific notation (``3.80e25``); no Python ``e+25``."""
    return fmt_sci(x, sig)


def fmt_exact(x: float | None) -> str:
    """The exact value for tooltips and copies: ``95,860,654,045`` or ``9.5860654045677e10``."""
    if x is None or not math.isfinite(x):
        return "—"
    if abs(x) < 1e15 and x == round(x):
        return f"{x:,.0f}"
    if 1e-3 <= abs(x) < 1e15:
        return f"{x:,.{max(12 - len(str(int(abs(x)))), 0)}f}".rstrip("0").rstrip(".")
    mant, exp = f"{x:.13e}".split("e")
    return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"


def fmt_bytes(x: float | None) -> str:
    """Bytes in binary units (``153.2 GiB``)."""
    if x is None or not math.isfinite(x):
        return "—"
    for unit, size in (("TiB", 1024.0**4), ("GiB", 1024.0**3), ("MiB", 1024.0**2), ("KiB", 1024.0)):
        if abs(x) >= size:
            return f"{x / size:.1f} {unit}"
    return f"{x:.0f} B"


def fmt_duration_days(days: float | None) -> str:
    """Wall-clock time in the most readable unit: ``38.2 days``, ``7.5 h``, ``46 min``, ``2.1 years``."""
    if days is None or not math.isfinite(days):
        return "—"
    hours = days * 24.0
    if hours < 1.0 / 60.0:
        return f"{_sig(hours * 3600.0, 3)} s" if hours > 0 else "0 s"
    if hours < 1:
        return f"{_sig(hours * 60.0, 3)} min"
    if days < 1:
        return f"{_sig(hours, 3)} h"
    if days < 730:
        return f"{_sig(days, 3)} days"
    return f"{_sig(days / 365.25, 3)} years"


def fmt_hours(hours: float | None) -> str:
    """GPU-hours as a count (``702K``)."""
    return fmt_count(hours)


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


_UNIT_WORDS = {
    # duration words -> days
    "years": 365.25, "year": 365.25, "yr": 365.25, "days": 1.0, "day": 1.0, "d": 1.0,
    "hours": 1 / 24, "hour": 1 / 24, "h": 1 / 24, "min": 1 / 1440, "minutes": 1 / 1440, "s": 1 / 86400,
}  # fmt: skip
_MEMORY = {"b": 1.0, "kib": 1024.0, "mib": 1024.0**2, "gib": 1024.0**3, "tib": 1024.0**4,
           "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12}  # fmt: skip
_NOISE = re.compile(r"(?i)\s*(flops?|tokens?|params?|parameters|gpu-?hours?|gpu-h|sequences?|layers?|active)\s*$")


def parse_quantity(text: str, kind: str = "number") -> float:
    """Read back what :func:`fmt_count` and friends write, and what people type.

    ``kind``: ``number`` (counts, FLOPs: ``3.8e25``, ``400K``, ``2.5B``, ``4,096``, a trailing
    unit word such as ``tokens`` is ignored), ``usd`` (``$5M``, ``5M``, ``$0.92``), ``days``
    (``60 days``, ``12 h``, ``1.5 years``; a bare number is days), ``bytes`` (``640 GB``,
    ``80 GiB``), ``fraction`` (``1/4``, ``25%``, ``0.25``). Commas follow
    :func:`parse_number`'s rule. ``ValueError`` with a one-line reason otherwise.
    """
    shown = text.strip()
    s = shown
    if kind == "usd":
        s = s.lstrip("$").strip()
        s = re.sub(r"(?i)\s*(/\s*gpu-?h(our)?|per gpu-?hour)$", "", s)
    elif kind == "days":
        m = re.fullmatch(r"(?i)(.*?)\s*([a-z]+)", s)
        if m and m.group(2).lower() in _UNIT_WORDS:
            return parse_number(m.group(1)) * _UNIT_WORDS[m.group(2).lower()]
    elif kind == "bytes":
        m = re.fullmatch(r"(?i)(.*?)\s*([kmgt]i?b|b)", s)
        if m:
            return parse_number(m.group(1)) * _MEMORY[m.group(2).lower()]
    elif kind == "fraction":
        if "/" in s:
            num, _, den = s.partition("/")
            try:
                value = parse_number(num) / parse_number(den)
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"{shown!r} is not a fraction (expected e.g. 1/4)") from None
            return value
        if s.endswith("%"):
            return parse_number(s[:-1]) / 100.0
    s = _NOISE.sub("", s)
    if not s:
        raise ValueError(f"{shown!r} is not a number (expected e.g. 3.8e25)")
    return parse_number(s)
