"""Warnings every plan carries: how far it sits outside the law's fitted range."""

from __future__ import annotations

from planner.laws import Law
from planner.units import fmt_sci


def _fmt(x: float) -> str:
    return fmt_sci(x, 3)


def extrapolation_warnings(law: Law, flops: float, n_params: float, n_tokens: float) -> list[str]:
    """Warnings for a plan outside the law's fitted range (far: more than 100×)."""
    out: list[str] = []
    fr = law.info.fitted_range
    if law.info.citation.status == "FITTED" and fr.flops is not None:
        from planner.fitting.runs import flops_extrapolation_warning

        far = flops_extrapolation_warning(fr.flops[1], flops)  # > 10x past the largest fitted run
        if far is not None:
            return [f"Far extrapolation: {far}."]
    for name, value, rng, unit in (
        ("Budget", flops, fr.flops, "FLOPs"),
        ("N", n_params, fr.n_params, "parameters"),
        ("D", n_tokens, fr.n_tokens, "tokens"),
    ):
        if rng is None:
            continue
        lo, hi = rng
        if value > hi:
            ratio, edge, side = value / hi, hi, "above the largest"
        elif value < lo:
            ratio, edge, side = lo / value, lo, "below the smallest"
        else:
            continue
        kind = "Far extrapolation" if ratio > 100 else "Extrapolation"
        out.append(
            f"{kind}: {name} = {_fmt(value)} {unit} is {_fmt(ratio)}× {side} "
            f"value {law.id} was fitted on ({_fmt(edge)})."
        )
        if name == "Budget":
            break  # N and D follow from the budget; one message is enough
    return out

