"""The one number formatter and parser shared by the window, CLI and report."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.units import (
    fmt_bytes,
    fmt_count,
    fmt_duration_days,
    fmt_flops,
    fmt_sci,
    fmt_usd,
    parse_number,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("x", "sig", "text"),
    [(2778459463.0676327, 5, "2.7785e9"), (2.305528571, 5, "2.3055"), (21.5894, 4, "21.59"),
     (9.99996e9, 5, "1.0000e10"), (1e21, 5, "1.0000e21"), (0.001234, 3, "1.23e-3"),
     (5e-324, 3, "4.94e-324"), (0.0, 5, "0"), (math.nan, 5, "—"), (None, 5, "—")],
)  # fmt: skip
def test_fmt_sci_examples(x: float | None, sig: int, text: str) -> None:
    assert fmt_sci(x, sig) == text


@given(st.floats(min_value=-1e307, max_value=1e307), st.integers(2, 8))  # rounding up near DBL_MAX reads back as inf
def test_fmt_sci_never_fails_and_round_trips(x: float, sig: int) -> None:
    text = fmt_sci(x, sig)
    assert float(text) == pytest.approx(x, rel=10.0 ** (1 - sig), abs=0.0) or x == 0


def test_money_and_bytes() -> None:
    assert fmt_usd(1403.77) == "$1.40K"
    assert fmt_usd(4.21e6) == "$4.21M" and fmt_usd(140) == "$140"
    assert fmt_usd(0.102) == "$0.102"
    assert fmt_bytes(31516688294) == "29.4 GiB"


@pytest.mark.parametrize(("text", "value"), [("3.8e25", 3.8e25), ("400K", 4e5), ("2.5 B", 2.5e9), ("1_000", 1e3)])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "nan", "inf", "1e999", "3.8e25x"])
def test_parse_number_rejects_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="empty|not a number|finite"):
        parse_number(text)


@pytest.mark.parametrize(("x", "text"), [
    (70e9, "70.0B"), (95.861e9, "95.9B"), (15e12, "15.0T"), (1.7386e12, "1.74T"), (245e6, "245M"),
    (48_000, "48.0K"), (512, "512"), (999.96e9, "1.00T"), (999.4e9, "999B"), (2.16e16, "2.16e16"),
])  # fmt: skip
def test_counts_read_as_the_field_reads_them(x: float, text: str) -> None:
    assert fmt_count(x) == text


@pytest.mark.parametrize(("days", "text"), [(38.2, "38.2 days"), (0.5, "12.0 h"), (13 / 1024 / 24, "45.7 s"),
                                            (0.01, "14.4 min"), (1000, "2.74 years")])  # fmt: skip
def test_durations(days: float, text: str) -> None:
    assert fmt_duration_days(days) == text  # a 13-GPU-hour run on 1,024 GPUs is 45.7 s, not "0.0 h"


@pytest.mark.parametrize(("fmt", "kind", "lo", "hi"), [
    ("count", "number", 1e3, 1e15), ("usd", "usd", 1e-2, 1e14), ("days", "days", 1e-4, 1e6),
    ("flops", "number", 1e10, 1e35), ("bytes", "bytes", 1e3, 1e16),
])  # fmt: skip
def test_every_display_reads_back(fmt: str, kind: str, lo: float, hi: float) -> None:
    """parse(display(x)) is x to the shown precision (3 significant figures) over the range."""
    import numpy as np

    show = {"count": fmt_count, "usd": fmt_usd, "days": fmt_duration_days, "flops": fmt_flops,
            "bytes": fmt_bytes}[fmt]  # fmt: skip
    for x in np.concatenate([np.logspace(np.log10(lo), np.log10(hi), 157),
                             [11.96, 9.9996, 99.96, 3652.4, 999.96e9]]):  # values that round up a digit
        text = show(float(x))
        assert parse_quantity(text, kind) == pytest.approx(x, rel=6e-3 if fmt != "bytes" else 0.05), text
        assert show(parse_quantity(text, kind)) == text  # and shows the same text again (9.9996 -> "10.0")


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("1/4", "fraction", 0.25), ("25%", "fraction", 0.25), ("$5M", "usd", 5e6), ("60 days", "days", 60.0),
    ("12 h", "days", 0.5), ("4,096", "number", 4096.0), ("3.8e25 FLOPs", "number", 3.8e25),
    ("400K tokens", "number", 4e5), ("640 GB", "bytes", 640e9), ("$2.00 /GPU-h", "usd", 2.0),
])  # fmt: skip
def test_what_people_type(text: str, kind: str, value: float) -> None:
    assert parse_quantity(text, kind) == pytest.approx(value)


@pytest.mark.parametrize("text", ["3,8", "3,8e25", "1/0", "abc days", "$"])
def test_refused_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text, "fraction" if "/" in text else "days" if "days" in text else "usd" if "$" in text
                       else "number")  # fmt: skip
