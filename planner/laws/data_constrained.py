"""Muennighoff et al. 2023 (arXiv 2305.16264, LAWS.md §2.9): the Chinchilla form on effective
data D′ and parameters N′ (repeated data has decaying value)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from planner.laws.base import ArrayLike, LawInfo
from planner.laws.chinchilla import ChinchillaLaw

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


class DataConstrainedCoefficients(NamedTuple):
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


def loss_grad_log(
    n_params: float, n_tokens: float, unique_tokens: float, coef: DataConstrainedCoefficients = MUENNIGHOFF
) -> tuple[float, float]:
    """(∂L/∂ln N, ∂L/∂ln D) of :func:`loss` for scalars (exact; continuous across U_D = D, N = U_N).

    With e_D = exp(−R_D/R*_D): dD′/dD = e_D (D > U). With the cap U_N = (U_D·G)^(β/α)·G and
    e_N = exp(−R_N/R*_N) (N > U_N): ∂N′/∂N = e_N, ∂N′/∂U_N = 1 + R*_N·(1 − e_N) − (N/U_N)·e_N,
    and d ln U_N/d ln D = β/α while D < U (U_D = D), else 0.
    """
    n, d, u, c = float(n_params), float(n_tokens), float(unique_tokens), coef
    if d <= u:
        d_eff, dlnde = d, 1.0
    else:
        r_d = d / u - 1.0
        d_eff = u - u * c.r_star_d * math.expm1(-r_d / c.r_star_d)
        dlnde = d * math.exp(-r_d / c.r_star_d) / d_eff
    cap = (min(u, d) * c.G) ** (c.beta / c.alpha) * c.G
    if n <= cap:
        n_eff, dlnne_n, dlnne_d = n, 1.0, 0.0
    else:
        r_n = n / cap - 1.0
        e_n = math.exp(-r_n / c.r_star_n)
        n_eff = cap - cap * c.r_star_n * math.expm1(-r_n / c.r_star_n)
        dlnne_n = n * e_n / n_eff
        d_cap = 1.0 - c.r_star_n * math.expm1(-r_n / c.r_star_n) - (n / cap) * e_n
        dlnne_d = d_cap * cap / n_eff * (c.beta / c.alpha if d < u else 0.0)
    t_n = -c.alpha * c.A * n_eff**-c.alpha
    t_d = -c.beta * c.B * d_eff**-c.beta
    return t_n * dlnne_n, t_n * dlnne_d + t_d * dlnde


def unconstrained_allocation(flops: ArrayLike, coef: DataConstrainedCoefficients = MUENNIGHOFF):
    """Closed-form (N*, D*) under C = 6ND (LAWS.md §1)."""
    a = coef.beta / (coef.alpha + coef.beta)
    c6 = np.asarray(flops, dtype=float) / 6.0
    return coef.G * c6**a, c6 ** (1.0 - a) / coef.G



class DataConstrainedLaw(ChinchillaLaw):
    """Chinchilla form on effective data and parameters (Muennighoff et al. 2023, §2.9).

    D′ = U_D + U_D·R*_D·(1 − e^(−R_D/R*_D)), U_D = min(U, D), R_D = D/U_D − 1;
    N′ = U_N + U_N·R*_N·(1 − e^(−R_N/R*_N)), U_N = min((U_D·G)^(β/α)·G, N),
    R_N = max(N/U_N − 1, 0). With U = ∞ it is the plain Chinchilla form.
    """

    __slots__ = ("R_D_star", "R_N_star")
    form = "data_constrained"

    def __init__(self, info: LawInfo, *, R_D_star: float, R_N_star: float, **coef: float) -> None:
        super().__init__(info, **coef)
        object.__setattr__(self, "R_D_star", float(R_D_star))
        object.__setattr__(self, "R_N_star", float(R_N_star))

    def _coef_names(self) -> tuple[str, ...]:
        return ("E", "A", "B", "alpha", "beta", "R_D_star", "R_N_star")

    def formula(self) -> str:
        return (
            "L = E + A / N′^α + B / D′^β;  D′ = U_D + U_D·R*_D·(1 − exp(−R_D/R*_D)), "
            "N′ likewise with R*_N"
        )

    def effective(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike = math.inf
    ) -> tuple[ArrayLike, ArrayLike]:
        """(N′, D′) for training ``n_tokens`` on ``unique_tokens`` unique tokens.

        The formulas live in :mod:`planner.effects.data_limit` (one implementation).
        """
        coef = DataConstrainedCoefficients(
            self.E, self.A, self.B, self.alpha, self.beta, self.R_D_star, self.R_N_star
        )
        return (
            effective_params(n_params, n_tokens, unique_tokens, coef),
            effective_data(n_tokens, unique_tokens, self.R_D_star),
        )

    def loss(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike = math.inf
    ) -> ArrayLike:
        if np.all(np.isinf(unique_tokens)):
            return ChinchillaLaw.loss(self, n_params, n_tokens)
        n_eff, d_eff = self.effective(n_params, n_tokens, unique_tokens)
        return self.E + self.A * n_eff**-self.alpha + self.B * d_eff**-self.beta

