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

ArrayLike = float | np.ndarray

CITATION = "Muennighoff et al. 2023, arXiv 2305.16264"

# LAWS.md §2.9 (CONFIRMED)
LN_A = 6.255414
LN_B = 7.3049974
LN_E = 0.6254804
ALPHA = 0.3526596
BETA = 0.3526596
R_STAR_D = 15.387756  # decay constant of repeated data
R_STAR_N = 5.309743  # decay constant of excess parameters
FIT_MAX_PARAMS = 9e9  # runs ≤ 9B params, ≤ 900B tokens
FIT_MAX_TOKENS = 9e11
EXTRAPOLATION_LABEL = (
    "Muennighoff decay terms (R*_D = 15.39, R*_N = 5.31) applied to another preset's "
    "coefficients: an extrapolation (LAWS.md §2.9)"
)


@dataclass(frozen=True, slots=True)
class DataConstrainedCoefficients:
    """Chinchilla-form coefficients plus the two decay constants."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    r_star_d: float = R_STAR_D
    r_star_n: float = R_STAR_N
    label: str = f"{CITATION} (C4 nats)"
    extrapolated: bool = False

    @classmethod
    def muennighoff(cls) -> DataConstrainedCoefficients:
        return cls(E=math.exp(LN_E), A=math.exp(LN_A), B=math.exp(LN_B), alpha=ALPHA, beta=BETA)

    @classmethod
    def from_chinchilla(
        cls,
        E: float,
        A: float,
        B: float,
        alpha: float,
        beta: float,
        r_star_d: float = R_STAR_D,
        r_star_n: float = R_STAR_N,
    ) -> DataConstrainedCoefficients:
        """Muennighoff's decay on another preset's coefficients (labelled extrapolation)."""
        return cls(E, A, B, alpha, beta, r_star_d, r_star_n, EXTRAPOLATION_LABEL, True)

    @property
    def G(self) -> float:
        """G = (αA/(βB))^(1/(α+β)) (LAWS.md §1)."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))


MUENNIGHOFF = DataConstrainedCoefficients.muennighoff()


def plateau_factor(r_star: float) -> float:
    """Limit of D′/U_D (or N′/U_N) for infinitely many repeats: 1 + R*."""
    return 1.0 + r_star


def epochs(n_tokens: ArrayLike, unique_tokens: ArrayLike) -> ArrayLike:
    """Epochs D/U over the unique data (1 epoch = R_D = 0); < 1 when not all data is used."""
    return n_tokens / unique_tokens


def effective_data(
    n_tokens: ArrayLike, unique_tokens: ArrayLike, r_star_d: float = R_STAR_D
) -> ArrayLike:
    """D′ = U_D + U_D·R*_D·(1 − e^(−R_D/R*_D)), U_D = min(U, D), R_D = D/U_D − 1."""
    d = np.asarray(n_tokens, dtype=float)
    u_d = np.minimum(unique_tokens, d)
    r_d = d / u_d - 1.0
    return u_d + u_d * r_star_d * -np.expm1(-r_d / r_star_d)


def effective_params(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    unique_tokens: ArrayLike,
    coef: DataConstrainedCoefficients = MUENNIGHOFF,
) -> ArrayLike:
    """N′ = U_N + U_N·R*_N·(1 − e^(−R_N/R*_N)), U_N = min((U_D·G)^(β/α)·G, N)."""
    n = np.asarray(n_params, dtype=float)
    u_d = np.minimum(unique_tokens, np.asarray(n_tokens, dtype=float))
    G = coef.G
    u_n = np.minimum((u_d * G) ** (coef.beta / coef.alpha) * G, n)
    r_n = np.maximum(n / u_n - 1.0, 0.0)
    return u_n + u_n * coef.r_star_n * -np.expm1(-r_n / coef.r_star_n)


def loss(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    unique_tokens: ArrayLike = math.inf,
    coef: DataConstrainedCoefficients = MUENNIGHOFF,
) -> ArrayLike:
    """L = E + A/N′^α + B/D′^β. Oracle: L(1e9, 2e10) = 2.56464 (U = ∞)."""
    n_eff = effective_params(n_params, n_tokens, unique_tokens, coef)
    d_eff = effective_data(n_tokens, unique_tokens, coef.r_star_d)
    out = coef.E + coef.A * n_eff**-coef.alpha + coef.B * d_eff**-coef.beta
    return float(out) if np.ndim(out) == 0 else out


def unconstrained_allocation(flops: ArrayLike, coef: DataConstrainedCoefficients = MUENNIGHOFF):
    """Closed-form (N*, D*) under C = 6ND (LAWS.md §1)."""
    a = coef.beta / (coef.alpha + coef.beta)
    c6 = np.asarray(flops, dtype=float) / 6.0
    return coef.G * c6**a, c6 ** (1.0 - a) / coef.G


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
