"""The inverse questions of one law: the budget for a loss, the best D for a fixed N and back."""

from __future__ import annotations

import math

from planner.laws import ChinchillaLaw, Law
from planner.question import LIMITS
from planner.units import fmt_count, fmt_flops

MIN_FLOPS, MAX_FLOPS = LIMITS["flops"].lo, LIMITS["flops"].hi


def flops_for_loss(law: Law, target_loss: float) -> float:
    """Smallest budget whose compute-optimal plan reaches ``target_loss``.

    ``inf`` when the loss is at or below the law's floor (unreachable).
    """
    if not law.has_loss:
        raise ValueError(f"{law.id} has no loss, so no budget can be derived for a target loss")
    if isinstance(law, ChinchillaLaw):
        return law.flops_for_loss(target_loss)
    from scipy.optimize import brentq

    def f(logc: float) -> float:
        return float(law.frontier_loss(10.0**logc)) - target_loss

    lo, hi = math.log10(MIN_FLOPS), math.log10(MAX_FLOPS)
    if f(hi) > 0:
        return math.inf
    if f(lo) < 0:
        return MIN_FLOPS
    return 10.0 ** brentq(f, lo, hi, xtol=1e-12)


def _flops_where(law: Law, index: int, target: float) -> float:
    """Budget at which the law's allocation gives ``target`` for N (index 0) or D (1)."""
    from scipy.optimize import brentq

    def f(logc: float) -> float:
        return math.log(law.allocate_scalar(10.0**logc)[index]) - math.log(target)

    lo, hi = math.log10(MIN_FLOPS), math.log10(MAX_FLOPS)
    if f(lo) > 0 or f(hi) < 0:
        raise ValueError(f"{fmt_count(target)} is outside what {law.id} allocates for budgets {fmt_flops(MIN_FLOPS)} to {fmt_flops(MAX_FLOPS)} FLOPs")
    return 10.0 ** brentq(f, lo, hi, xtol=1e-13)


def optimal_tokens_for_params(law: Law, n_params: float) -> float:
    """Best D for a model of fixed size: the D* of the budget at which N* = ``n_params``."""
    c = law.flops_for_params(n_params) if isinstance(law, ChinchillaLaw) else _flops_where(law, 0, n_params)
    return law.allocate_scalar(c)[1]


def optimal_params_for_tokens(law: Law, n_tokens: float) -> float:
    """Best N for a fixed token supply: the N* of the budget at which D* = ``n_tokens``."""
    c = law.flops_for_tokens(n_tokens) if isinstance(law, ChinchillaLaw) else _flops_where(law, 1, n_tokens)
    return law.allocate_scalar(c)[0]

