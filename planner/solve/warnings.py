"""Warnings every plan carries: how far it sits outside the law's fitted range."""

from __future__ import annotations

import math

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

