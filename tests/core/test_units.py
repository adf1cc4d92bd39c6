"""The one number formatter and parser shared by the window, CLI and report."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.units import fmt_bytes, fmt_sci, fmt_usd, parse_number


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
    assert fmt_usd(1403.77) == "$1,404"
    assert fmt_usd(0.102) == "$0.102"
    assert fmt_bytes(31516688294) == "29.4 GiB"


@pytest.mark.parametrize(("text", "value"), [("3.8e25", 3.8e25), ("400K", 4e5), ("2.5 B", 2.5e9), ("1_000", 1e3)])
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "nan", "inf", "1e999", "3.8e25x"])
def test_parse_number_rejects_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="empty|not a number|finite"):
        parse_number(text)
