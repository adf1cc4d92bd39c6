"""Warnings every plan carries (how far it sits outside the law's fitted range), and how several
plans' warnings are said once each, most serious first (the window's strip, the report)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from planner.laws import Law
from planner.units import fmt_sci


def _fmt(x: float) -> str:
    return fmt_sci(x, 3)


def extrapolation_message(quantity: str, value: float, unit: str, edge: float, *, above: bool = True,
                          fitted_on: str = "it") -> str:
    """The one wording of every extrapolation warning, numbers as everywhere else (3 significant
    figures, "x" as the times sign): "<quantity> = <value> <unit> is <ratio>x above the largest
    value <fitted_on> was fitted on (<edge> <unit>; <decades> decades)". No kind prefix ("Far
    extrapolation: ") and no final full stop: the caller adds them."""
    ratio = value / edge if above else edge / value
    side = "above the largest" if above else "below the smallest"
    return (f"{quantity} = {fmt_sci(value, 3)} {unit} is {fmt_sci(ratio, 3)}\u00d7 {side} value {fitted_on} was "
            f"fitted on ({fmt_sci(edge, 3)} {unit}; {math.log10(ratio):.1f} decades)")


def flops_extrapolation_warning(max_flops: float, flops: float, factor: float = 10.0) -> str | None:
    """:func:`extrapolation_warning` from the largest run's compute alone (e.g. a fitted
    preset's ``fitted_range.flops[1]``); ``None`` when ``flops <= factor * max_flops``.
    Worded by :func:`extrapolation_message`, plus what it means."""
    ratio = float(flops) / max_flops
    if ratio <= factor:
        return None
    return extrapolation_message("budget", float(flops), "FLOPs", max_flops) + ": the fitted law is untested there"


def extrapolation_warnings(law: Law, flops: float, n_params: float, n_tokens: float) -> list[str]:
    """Warnings for a plan outside the law's fitted range (far: more than 100×)."""
    info = law.info
    fr = info.fitted_range
    if info.citation.status == "FITTED" and fr.flops is not None:
        far = flops_extrapolation_warning(fr.flops[1], flops)  # > 10x past the largest fitted run
        if far is not None:
            return [f"Far extrapolation: {far}."]
    f, n, d = fr.flops, fr.n_params, fr.n_tokens
    if (f is None or f[0] <= flops <= f[1]) and (n is None or n[0] <= n_params <= n[1]) and (
            d is None or d[0] <= n_tokens <= d[1]):  # fmt: skip
        return []  # the common case: inside every range the law was fitted on
    out: list[str] = []
    for name, value, rng, unit in (
        ("Budget", flops, fr.flops, "FLOPs"),
        ("N", n_params, fr.n_params, "parameters"),
        ("D", n_tokens, fr.n_tokens, "tokens"),
    ):
        if rng is None or not (value > rng[1] or value < rng[0]):  # inside the range (or no range)
            continue
        lo, hi = rng
        ratio, edge = (value / hi, hi) if value > hi else (lo / value, lo)
        kind = "Far extrapolation" if ratio > 100 else "Extrapolation"
        text = extrapolation_message(name, value, unit, edge, above=value > hi, fitted_on=law.id)
        out.append(f"{kind}: {text}.")
        if name == "Budget":
            break  # N and D follow from the budget; one message is enough
    return out



# ---------------------------------------------------------------------------------------------
# several plans' warnings, each said once, the serious ones first

SERIOUS, CAUTION, NOTE = 3, 2, 1
SEVERITY_NAMES = {SERIOUS: "serious", CAUTION: "caution", NOTE: "note"}
SEVERITY_RULES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (SERIOUS, ("cannot hold", "cannot serve", "far extrapolation", "did not converge", "not identified",
               "has no repetition model", "needs a chinchilla-form law", "does not fit")),
    (CAUTION, ("extrapolat", "outside", "beyond", "exceeds", "risk", "ignores", "ignored", "not 6nd-consistent",
               "mismatch", "lose value", "add almost nothing", "flat")),
)  # fmt: skip
"""First matching rule wins (case-insensitive substrings); anything else is a note."""


class PlanWarning(NamedTuple):
    severity: int  # SERIOUS, CAUTION or NOTE
    text: str  # with "{law}" where a law's id stood, when it is shared by several laws
    laws: tuple[str, ...]  # the laws whose plans carry it


def severity(text: str) -> int:
    """How much a warning matters: SERIOUS (the plan is likely wrong or cannot run), CAUTION (an
    extrapolation or a model applied past its data) or NOTE (context)."""
    low = text.lower()
    for level, needles in SEVERITY_RULES:
        if any(n in low for n in needles):
            return level
    return NOTE


def merge_warnings(named: Sequence[tuple[str, Sequence[str]]]) -> list[PlanWarning]:
    """The warnings of one or more laws' plans (``[(law_id, warnings), ...]``), each once.

    A warning that reads the same for several laws once each law's id is set aside is kept once
    with all their ids; the result is sorted most serious first, in the plans' order otherwise.
    """
    merged: dict[str, list[str]] = {}
    for law_id, warnings in named:
        for text in warnings:
            key = text.replace(law_id, "{law}") if law_id else text
            laws = merged.setdefault(key, [])
            if law_id not in laws:
                laws.append(law_id)
    out = [PlanWarning(severity(k), k, tuple(v)) for k, v in merged.items()]
    return sorted(out, key=lambda w: -w.severity)  # stable: the plans' order within a severity


def warning_line(w: PlanWarning, n_laws: int = 1) -> str:
    """A merged warning as one readable line: "both laws: ...", "kaplan-2020: ..." or the text."""
    if n_laws <= 1:
        return w.text.replace("{law}", w.laws[0]) if w.laws else w.text
    if len(w.laws) == n_laws:
        return ("both laws: " if n_laws == 2 else "all laws: ") + w.text.replace("{law}", "each law")
    text = w.text.replace("{law}", w.laws[0]) if len(w.laws) == 1 else w.text.replace("{law}", "each law")
    return f"{', '.join(w.laws)}: {text}"
