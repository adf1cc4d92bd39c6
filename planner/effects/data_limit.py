"""Data-constrained mode (Muennighoff et al. 2023, arXiv 2305.16264; LAWS.md §2.9).

"Scaling Data-Constrained Language Models". Repeating data has decaying value:

* effective data D′ = U_D + U_D·R*_D·(1 − e^(−R_D/R*_D)), U_D = min(U, D),
  R_D = D/U_D − 1 (**repeats**, i.e. epochs − 1);
* effective parameters N′ = U_N + U_N·R*_N·(1 − e^(−R_N/R*_N)),
  U_N = min((U_D·G)^(β/α)·G, N), R_N = max(N/U_N − 1, 0), G = (αA/(βB))^(1/(α+β));
* loss L = E + A/N′^α + B/D′^β (C4 nats); R* = ∞ recovers Chinchilla.

Coefficients (CONFIRMED, LAWS.md §2.9): [ln A, ln B, ln E, α, β, R*_D, R*_N] =
[6.255414, 7.3049974, 0.6254804, 0.3526596, 0.3526596, 15.387756, 5.309743].

:func:`allocate` re-optimises N and D under C = 6ND with U unique tokens (one dimension in
ln N: a vectorised grid, then a bounded Brent polish with scipy). When U ≥ the unconstrained
D* (including U = ∞) the unconstrained closed form (LAWS.md §1) is returned unchanged: no
repetition happens and the decay terms vanish at the Chinchilla optimum.

The decay terms can be put on any Chinchilla-form coefficients with
:meth:`DataConstrainedCoefficients.from_chinchilla`; that is an extrapolation and labelled so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.laws.base import ArrayLike
from planner.laws.data_constrained import (
    EXTRAPOLATION_LABEL,
    FIT_MAX_PARAMS,
    FIT_MAX_TOKENS,
    MUENNIGHOFF,
    DataConstrainedCoefficients,
    effective_data,
    effective_params,
    loss,
    unconstrained_allocation,
)


@dataclass(frozen=True, slots=True)
class DataConstrainedPlan:
    """Optimal (N, D) at budget C with U unique tokens, and the unconstrained reference."""

    flops: float
    unique_tokens: float
    n_params: float
    n_tokens: float
    epochs: float
    effective_params: float
    effective_tokens: float
    loss: float
    unconstrained_n_params: float
    unconstrained_n_tokens: float
    unconstrained_loss: float
    constrained: bool  # False: U ≥ D*, the unconstrained plan applies unchanged
    label: str
    warnings: tuple[str, ...]


def allocate(
    flops: float,
    unique_tokens: float = math.inf,
    coef: DataConstrainedCoefficients = MUENNIGHOFF,
    *,
    n_grid: int = 128,
) -> DataConstrainedPlan:
    """Minimise L(N, C/(6N); U) over N: grid in ln N (1e−2…1e4 × N*), then Brent polish.

    U ≥ D* (or ∞) returns the closed form exactly.
    """
    n_star, d_star = (float(x) for x in unconstrained_allocation(flops, coef))
    l_star = float(loss(n_star, d_star, math.inf, coef))
    warnings: list[str] = []
    if coef.extrapolated:
        warnings.append(EXTRAPOLATION_LABEL)
    if not unique_tokens > 0:
        raise ValueError("unique tokens must be > 0")
    if unique_tokens >= d_star:
        n, d, l_opt, constrained = n_star, d_star, l_star, False
    else:
        from scipy.optimize import minimize_scalar

        def f(ln_n: ArrayLike) -> ArrayLike:
            n_ = np.exp(ln_n)
            return loss(n_, flops / (6.0 * n_), unique_tokens, coef)

        ln_star = math.log(n_star)
        grid = np.linspace(ln_star - math.log(1e2), ln_star + math.log(1e4), n_grid)
        i = int(np.argmin(f(grid)))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, n_grid - 1)]
        res = minimize_scalar(
            lambda x: float(f(x)), bounds=(lo, hi), method="bounded", options={"xatol": 1e-10}
        )
        n = math.exp(res.x)
        d = flops / (6.0 * n)
        l_opt = float(res.fun)
        constrained = True
    ep = d / unique_tokens if math.isfinite(unique_tokens) else 0.0
    if ep > 1.0 + 1e-12:
        rd = ep - 1.0
        if rd > coef.r_star_d:
            warnings.append(
                f"data-constrained: {ep:.3g} epochs; beyond ~{1 + coef.r_star_d:.0f} epochs extra "
                "repeats add almost nothing (R*_D)"
            )
        elif ep > 4.0:
            warnings.append(
                f"data-constrained: {ep:.3g} epochs; beyond ~4 epochs repeats lose value"
            )
    if not coef.extrapolated and (n > FIT_MAX_PARAMS or d > FIT_MAX_TOKENS):
        warnings.append("data-constrained: beyond Muennighoff's runs (≤ 9B params, ≤ 900B tokens)")
    return DataConstrainedPlan(
        flops=float(flops),
        unique_tokens=float(unique_tokens),
        n_params=n,
        n_tokens=d,
        epochs=ep,
        effective_params=float(effective_params(n, d, unique_tokens, coef)),
        effective_tokens=float(effective_data(d, unique_tokens, coef.r_star_d)),
        loss=l_opt,
        unconstrained_n_params=n_star,
        unconstrained_n_tokens=d_star,
        unconstrained_loss=l_star,
        constrained=constrained,
        label=coef.label,
        warnings=tuple(warnings),
    )
