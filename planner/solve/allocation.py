"""Allocation along budgets for any law: closed forms, the numerical optimum, frontiers, isoFLOPs.

Two paths give N* and D*: ``method="closed"`` is the law's closed form (LAWS.md §1 for the
Chinchilla form); ``method="numerical"`` minimises the law's loss surface L(N, C/(6N)) over
ln N (scipy brentq on the first-order condition for a scalar budget, a vectorised bisection
for arrays). Both agree to ~1e-12 relative where the closed form is the surface's optimum.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from planner.laws import Law
from planner.solve.result import Frontier

Method = Literal["auto", "closed", "numerical"]


def _foc(law: Law, u: np.ndarray | float, flops: np.ndarray | float) -> np.ndarray | float:
    """dL/d(ln N) at fixed C along C = 6ND: ∂L/∂lnN − ∂L/∂lnD (zero at the optimum)."""
    n = np.exp(u)
    d = flops / (6.0 * n)
    g_n, g_d = law.loss_grad_log(n, d)  # type: ignore[attr-defined]
    return g_n - g_d


def _numerical_scalar(law: Law, flops: float) -> tuple[float, float]:
    """scipy path: root of the first-order condition in ln N (brentq, xtol 1e-13)."""
    from scipy.optimize import brentq, minimize_scalar

    centre = 0.5 * math.log(flops / 6.0)
    lo, hi = centre - 30.0, centre + 30.0
    if hasattr(law, "loss_grad_log"):
        with np.errstate(over="ignore", under="ignore"):
            u = brentq(lambda x: float(_foc(law, x, flops)), lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps)
    else:  # any law with a loss: bounded Brent on the loss itself
        res = minimize_scalar(
            lambda x: float(law.loss(math.exp(x), flops / (6.0 * math.exp(x)))),  # type: ignore[attr-defined]
            bounds=(lo, hi), method="bounded", options={"xatol": 1e-10},
        )  # fmt: skip
        u = res.x
    n = math.exp(u)
    return n, flops / (6.0 * n)


def _numerical_vector(law: Law, flops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised bisection on the first-order condition (monotone for convex laws)."""
    c = np.asarray(flops, dtype=float)
    centre = 0.5 * np.log(c / 6.0)
    lo, hi = centre - 30.0, centre + 30.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            pos = _foc(law, mid, c) > 0
            hi = np.where(pos, mid, hi)
            lo = np.where(pos, lo, mid)
    n = np.exp(0.5 * (lo + hi))
    return n, c / (6.0 * n)


def allocate(law: Law, flops: float | np.ndarray, method: Method = "auto") -> tuple[Any, Any]:
    """N*, D* for a budget or an array of budgets."""
    if method == "numerical":
        if not law.has_loss:
            raise ValueError(f"{law.id} has no loss surface to optimise numerically")
        if np.ndim(flops) == 0:
            return _numerical_scalar(law, float(flops))
        return _numerical_vector(law, np.asarray(flops, dtype=float))
    if np.ndim(flops) == 0:
        return law.allocate_scalar(float(flops))
    return law.allocate(np.asarray(flops, dtype=float))


def frontier(law: Law, flops: np.ndarray, method: Method = "auto") -> Frontier:
    """Compute-optimal N*, D* (and L* where the law has a loss) for every budget in ``flops``."""
    c = np.asarray(flops, dtype=float)
    n, d = allocate(law, c, method)
    loss = None
    if law.has_loss:
        loss = law.frontier_loss(c) if method != "numerical" else law.loss(n, d)  # type: ignore[attr-defined]
    return Frontier(c, n, d, loss)


def frontier_intervals(law: Law, flops: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """Bootstrap bands of the compute-optimal frontier for plots, or ``None`` without samples.

    For a fitted law carrying bootstrap samples (``law.info.bootstrap_samples``): for each
    budget in ``flops`` (FLOP), the percentile interval at ``law.info.bootstrap_level`` of N*
    (``n_params``), D* (``n_tokens``), ``tokens_per_param`` and L* (``loss``) over the samples,
    each as ``(lo_array, hi_array)`` shaped like ``flops``.
    """
    samples = law.info.bootstrap_samples
    if samples is None:
        return None
    level = law.info.bootstrap_level or 0.95
    from planner.fitting.intervals import plan_intervals

    return plan_intervals(samples, np.asarray(flops, dtype=float), level, form=law.form)  # type: ignore[return-value]


def isoflop_curve(law: Law, flops: float, n_params: np.ndarray) -> np.ndarray:
    """Loss along the isoFLOP line D = C/(6N) for the sizes ``n_params``."""
    if not law.has_loss:
        raise ValueError(f"{law.id} has no loss")
    n = np.asarray(n_params, dtype=float)
    return law.loss(n, flops / (6.0 * n))  # type: ignore[attr-defined]

