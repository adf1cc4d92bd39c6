"""Mixture-of-Experts laws: Ling efficiency leverage and Krajewski fine-grained MoE.

**Ling / EL** — Tian et al. 2025, "Towards Greater Leverage: Scaling Laws for Efficient
Mixture-of-Experts Language Models", arXiv 2507.17702 (LAWS.md §4.1):

* A = (E_a + E_s)/(E + E_s) (activation ratio), G = 2·d_model/d_expert (granularity);
* M = non-embedding FLOPs per token, C = M·D;
* EL = C_dense/C_moe at equal compute-optimal loss (Eq. 13); EL > 1: the MoE is cheaper;
* allocation laws M_opt(C), D_opt(C) for dense and for the base MoE (A 7.8%, G 2 only).

**Krajewski** — Krajewski et al. 2024, "Scaling Laws for Fine-Grained Mixture of Experts",
arXiv 2402.07871 (LAWS.md §4.2): L(N, D, G) = c + (g/G^γ + a)/N^α + b/D^β with N total
non-embedding parameters, expansion E = 64, G = d_ff/d_expert (= 2× Ling's G, §4.6.1).

Conventions chosen here (stated, labelled, used everywhere):

* M ↔ active parameters: N_act = M/6 (:data:`M_PER_ACTIVE_PARAM`), the training-FLOPs
  reading of Ling's M (LAWS.md §4.6.2; attention FLOPs are folded into the 6).
* total parameters: N_tot = N_act·(s + (1 − s)/A), s = the non-expert share of active
  parameters (attention, embeddings, dense layers). s = 0 (default) gives N_tot = N_act/A,
  an upper bound; a real model's shared attention makes it smaller (LAWS.md §4.5).
* EL log bases: log10 for C and log2 for G (:data:`EL_LOG_BASE_LABEL`), a reconstruction.

The public API uses ``activation`` (A), ``granularity`` (G), ``flops`` (C), ``n_tokens`` (D),
``n_active`` / ``n_params_total``; formulas use the papers' symbols.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.effects import hyperparams
from planner.solve.problem import Point, Problem, Term
from planner.units import fmt_count, fmt_flops

if TYPE_CHECKING:
    from planner.question import Question

ArrayLike = float | np.ndarray

LING_CITATION = "Tian et al. 2025 (Ling), arXiv 2507.17702, Eq. 13"
KRAJEWSKI_CITATION = "Krajewski et al. 2024, arXiv 2402.07871"

# --- EL law, Eq. 13 (LAWS.md §4.1, CONFIRMED coefficients) --------------------------------
EL_a = 1.23  # α = a + d·log C
EL_d = -7.61e-2  # printed sign kept: EL can only grow with C if d < 0 (LAWS.md §4.1)
EL_gamma = 1.67e-2  # γ·(log G)²
EL_beta = -1.17e-1  # β·log G
EL_A_START = 1.63e-2
EL_A_MAX = 5.28e16

# The log bases are not stated in the paper nor in the Ling 2.0 report (arXiv 2510.22115).
# Reconstruction (LAWS.md §4.1): the only pair satisfying both claims "EL > 7 at A ≈ 3.1%,
# G = 12, C = 1e22" and "optimal G around 12, within 8–12". Change them here only.
EL_LOG_BASE_C = 10.0
EL_LOG_BASE_G = 2.0
EL_LOG_BASE_LABEL = (
    "EL (Ling Eq. 13) uses log10 for C and log2 for G: a reconstruction, not stated in "
    "arXiv 2507.17702; the only choice matching its EL > 7 (A 3.1%, G 12, C 1e22) and "
    "optimal-G 8–12 claims"
)

# --- allocation laws (LAWS.md §4.1, CONFIRMED) -------------------------------------------
LING_DENSE_M = (0.0655, 0.5422)  # M_opt = 0.0655·C^0.5422
LING_DENSE_D = (15.2582, 0.4578)  # D_opt = 15.2582·C^0.4578
LING_MOE_M = (0.1915, 0.5095)  # MoE (A 7.8%, G 2 only): M_opt = 0.1915·C^0.5095
LING_MOE_D = (5.2232, 0.4905)  # D_opt = 5.2232·C^0.4905
LING_BASE_ACTIVATION = 0.078  # 64 experts, 4 active + 1 shared (LAWS.md §4.1)
LING_BASE_GRANULARITY = 2.0

M_PER_ACTIVE_PARAM = 6.0
M_CONVERSION_LABEL = (
    "N_act = M/6: Ling's M (FLOPs/token) read as training FLOPs ≈ 6·N_act, attention folded in "
    "(LAWS.md §4.6.2, UNCONFIRMED reading)"
)
EL_MAPPING_LABEL = (
    "MoE via EL: the MoE acts as a dense model with EL·N_act parameters on the same tokens, so "
    "N_act = N*(EL·C)/EL, D = D*(EL·C), L = L*(EL·C) (LAWS.md §7.4); this reproduces Ling's "
    "MoE allocation law within 2.3% at its base A 7.8%, G 2 over 1e18–1e24"
)
TOTAL_PARAMS_LABEL = (
    "N_tot = N_act·(s + (1 − s)/A), s = non-expert share of active parameters "
    "(s = 0: N_tot = N_act/A, an upper bound; LAWS.md §4.5)"
)

# --- fitted grid and guard-rails (LAWS.md §4.1, §4.4, §4.6, §7.8) ------------------------
LING_FIT_FLOPS = (1e18, 3e20)  # some points to 6e20 (LAWS.md §4.6.3)
LING_FIT_FLOPS_MAX_SPARSE = 6e20
LING_MIN_ACTIVATION = 0.008  # A < 0.8% is extrapolation (LAWS.md §4.6.3)
LING_GRANULARITY_RANGE = (2.0, 16.0)
REASONING_TPP = 20.0  # tokens per total parameter, Nakamura et al. 2025 (SECONDARY, §4.4)
REASONING_TPP_FACTOR = 4.0  # planner heuristic: warn outside [20/4, 20·4]
REASONING_LOW_ACTIVATION = 0.05  # planner heuristic for "low active compute" (no law exists)


# ---------------------------------------------------------------------------------------
# Ling EL
# ---------------------------------------------------------------------------------------
def _log_c(c: ArrayLike) -> ArrayLike:
    return np.log(c) / math.log(EL_LOG_BASE_C)


def _log_g(g: ArrayLike) -> ArrayLike:
    return np.log(g) / math.log(EL_LOG_BASE_G)


def effective_activation(activation: ArrayLike) -> ArrayLike:
    """Â with 1/Â = 1/(A + (1/A_start − 1/A_max)^−1) + 1/A_max (≈ A + 0.0163)."""
    shift = 1.0 / (1.0 / EL_A_START - 1.0 / EL_A_MAX)
    return 1.0 / (1.0 / (np.asarray(activation, dtype=float) + shift) + 1.0 / EL_A_MAX)


def efficiency_leverage(
    activation: ArrayLike, granularity: ArrayLike, flops: ArrayLike, *, clamp_dense: bool = False
) -> ArrayLike:
    """EL(A, G, C) = Â^(α + γ·(log G)² + β·log G), α = a + d·log C (Ling Eq. 13).

    Logs per :data:`EL_LOG_BASE_LABEL`. EL(1, G, C) ≈ 0.99, not 1 (Â ≈ A + 0.0163);
    ``clamp_dense`` returns exactly 1 at A = 1 (LAWS.md §4.6.4). Fitted on EL < 6.
    """
    a_hat = effective_activation(activation)
    lg = _log_g(np.asarray(granularity, dtype=float))
    expo = EL_a + EL_d * _log_c(np.asarray(flops, dtype=float)) + EL_gamma * lg * lg + EL_beta * lg
    el = a_hat**expo
    if clamp_dense:
        el = np.where(np.asarray(activation) >= 1.0, 1.0, el)
    return float(el) if np.ndim(el) == 0 else el


def optimal_granularity() -> float:
    """G maximising EL: log G* = −β/(2γ) (Â < 1), ≈ 11.3 — independent of A and C."""
    return EL_LOG_BASE_G ** (-EL_beta / (2.0 * EL_gamma))


def el_log_affine(activation: float, granularity: float) -> tuple[float, float]:
    """(k0, s) with ln EL(A, G, C) = k0 + s·ln C: Eq. 13 is affine in ln C at fixed A, G.

    k0 = ln Â·(a + γ·(log G)² + β·log G), s = ln Â·d/ln(base of log C). s ≈ 0.03–0.12 is the
    elasticity of EL with respect to compute. A ≥ 1 gives (0, 0): the dense model.
    """
    if activation >= 1.0:
        return 0.0, 0.0
    ln_a_hat = math.log(float(effective_activation(activation)))
    lg = math.log(granularity) / math.log(EL_LOG_BASE_G)
    k0 = ln_a_hat * (EL_a + EL_gamma * lg * lg + EL_beta * lg)
    return k0, ln_a_hat * EL_d / math.log(EL_LOG_BASE_C)


def active_params_for_equivalent(
    n_equivalent: ArrayLike,
    n_tokens: ArrayLike,
    activation: float,
    granularity: float,
    flops_per_param_token: float = 6.0,
) -> ArrayLike:
    """N_act solving N_act·EL(6·N_act·D) = N_eq (closed form, :func:`el_log_affine`).

    Inverse of the EL mapping (:data:`EL_MAPPING_LABEL`) when the budget is not fixed:
    ln N_act = (ln N_eq − k0 − s·ln(6·D))/(1 + s).
    """
    k0, s = el_log_affine(activation, granularity)
    ln_n = (
        np.log(n_equivalent)
        - k0
        - s * np.log(flops_per_param_token * np.asarray(n_tokens, dtype=float))
    ) / (1.0 + s)
    out = np.exp(ln_n)
    return float(out) if np.ndim(out) == 0 else out


def budget_for_dense_equivalent(dense_flops: float, activation: float, granularity: float) -> float:
    """C with EL(A, G, C)·C = ``dense_flops`` (closed form: ln C = (ln C_d − k0)/(1 + s))."""
    k0, s = el_log_affine(activation, granularity)
    return math.exp((math.log(dense_flops) - k0) / (1.0 + s))


def dense_equivalent_flops(
    activation: ArrayLike, granularity: ArrayLike, flops: ArrayLike
) -> ArrayLike:
    """EL·C: the dense budget with the MoE's loss, so L_MoE(C) ≈ L*_dense(EL·C) (§7.4)."""
    return efficiency_leverage(activation, granularity, flops) * flops


def ling_dense_allocation(flops: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """Dense M_opt = 0.0655·C^0.5422 (FLOPs/token), D_opt = 15.2582·C^0.4578."""
    c = np.asarray(flops, dtype=float)
    return LING_DENSE_M[0] * c ** LING_DENSE_M[1], LING_DENSE_D[0] * c ** LING_DENSE_D[1]


def ling_moe_allocation(flops: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """MoE M_opt = 0.1915·C^0.5095, D_opt = 5.2232·C^0.4905 (fitted at A 7.8%, G 2 only)."""
    c = np.asarray(flops, dtype=float)
    return LING_MOE_M[0] * c ** LING_MOE_M[1], LING_MOE_D[0] * c ** LING_MOE_D[1]


def active_params_from_m(m: ArrayLike) -> ArrayLike:
    """N_act = M/6 (:data:`M_CONVERSION_LABEL`)."""
    return m / M_PER_ACTIVE_PARAM


def m_from_active_params(n_active: ArrayLike) -> ArrayLike:
    """M = 6·N_act (:data:`M_CONVERSION_LABEL`)."""
    return M_PER_ACTIVE_PARAM * n_active


def total_params_from_active(
    n_active: ArrayLike, activation: ArrayLike, non_expert_fraction: float = 0.0
) -> ArrayLike:
    """N_tot = N_act·(s + (1 − s)/A) (:data:`TOTAL_PARAMS_LABEL`); A = 1 gives N_act."""
    s = non_expert_fraction
    return n_active * (s + (1.0 - s) / np.asarray(activation, dtype=float))


def ling_learning_rate(flops: ArrayLike) -> ArrayLike:
    """Ling MoE η_opt = 1.1576·C^−0.1529 (see :func:`planner.effects.hyperparams.ling_moe`)."""
    return hyperparams.ling_moe(flops).learning_rate


def ling_batch_size(flops: ArrayLike) -> ArrayLike:
    """Ling MoE B_opt = 0.0694·C^0.3644 tokens (presumed; :func:`planner.effects.hyperparams.ling_moe`)."""
    return hyperparams.ling_moe(flops).batch_size_tokens


def moe_warnings(
    activation: float,
    granularity: float,
    flops: float,
    *,
    n_tokens: float | None = None,
    n_params_total: float | None = None,
    allocation_law: bool = True,
) -> tuple[str, ...]:
    """Extrapolation limits of Ling's EL (§4.6.3) and the reasoning guard-rail (§4.4, §7.8).

    ``allocation_law``: warn that Ling's M/D law covers A 7.8%, G 2 only (when it is used).
    """
    out: list[str] = []
    if activation >= 1.0:
        return ()
    lo, hi = LING_FIT_FLOPS
    if flops < lo or flops > LING_FIT_FLOPS_MAX_SPARSE:
        out.append(
            f"MoE EL: C = {fmt_flops(flops)} FLOPs is outside Ling's fitted 1e18–3e20 (some points to 6e20); "
            "EL is extrapolated"
        )
    elif flops > hi:
        out.append("MoE EL: C between 3e20 and 6e20 is covered by few of Ling's points")
    if activation < LING_MIN_ACTIVATION:
        out.append(f"MoE EL: activation ratio A = {activation:.3%} is below the fitted 0.8%")
    g_lo, g_hi = LING_GRANULARITY_RANGE
    if not g_lo <= granularity <= g_hi:
        out.append(f"MoE EL: granularity G = {granularity:g} is outside the fitted 2–16")
    if allocation_law and (
        activation != LING_BASE_ACTIVATION or granularity != LING_BASE_GRANULARITY
    ):
        out.append(
            "MoE allocation: Ling's M/D law was fitted at A = 7.8%, G = 2 only; "
            "the split is approximate here"
        )
    if activation < REASONING_LOW_ACTIVATION:
        out.append(
            f"MoE reasoning risk: low active compute (A = {activation:.2%}); at equal loss, "
            "sparser models reason worse (Abnar 2025, Nakamura 2025; no law exists)"
        )
    if n_tokens is not None and n_params_total:
        tpp = n_tokens / n_params_total
        if not REASONING_TPP / REASONING_TPP_FACTOR <= tpp <= REASONING_TPP * REASONING_TPP_FACTOR:
            out.append(
                f"MoE reasoning risk: {fmt_count(tpp)} tokens per total parameter is far from ~20 "
                "(Nakamura 2025, TPP ≈ 20 SECONDARY)"
            )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class MoEPlan:
    """An MoE allocation at budget C (active/total parameters, tokens, EL and labels)."""

    law: str  # "ling" or "krajewski"
    flops: float
    activation: float
    granularity: float
    n_params_active: float
    n_params_total: float
    n_tokens: float
    flops_per_token: float
    efficiency_leverage: float
    dense_equivalent_flops: float
    loss: float | None  # the law's own loss (Krajewski: C4 nats), None for Ling
    labels: tuple[str, ...]
    warnings: tuple[str, ...]
    source: str


def ling_plan(
    flops: float,
    activation: float,
    granularity: float,
    *,
    non_expert_fraction: float = 0.0,
    clamp_dense: bool = True,
) -> MoEPlan:
    """Ling MoE plan: EL from Eq. 13, (M, D) from the MoE allocation law, N_act = M/6.

    A = 1 is the dense model: Ling's dense allocation and EL = 1 (clamped, §4.6.4).
    """
    dense = activation >= 1.0
    m, d = ling_dense_allocation(flops) if dense else ling_moe_allocation(flops)
    m, d = float(m), float(d)
    n_act = float(active_params_from_m(m))
    n_tot = float(total_params_from_active(n_act, activation, non_expert_fraction))
    el = float(efficiency_leverage(activation, granularity, flops, clamp_dense=clamp_dense))
    return MoEPlan(
        law="ling",
        flops=float(flops),
        activation=float(activation),
        granularity=float(granularity),
        n_params_active=n_act,
        n_params_total=n_tot,
        n_tokens=d,
        flops_per_token=m,
        efficiency_leverage=el,
        dense_equivalent_flops=el * flops,
        loss=None,
        labels=(EL_LOG_BASE_LABEL, M_CONVERSION_LABEL, TOTAL_PARAMS_LABEL),
        warnings=moe_warnings(activation, granularity, flops, n_tokens=d, n_params_total=n_tot),
        source=LING_CITATION,
    )


# ---------------------------------------------------------------------------------------
# Krajewski
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class KrajewskiCoefficients:
    """L = c + (g/G^γ + a)/N^α + b/D^β (Krajewski et al. 2024; LAWS.md §4.2)."""

    a: float
    alpha: float
    b: float
    beta: float
    g: float
    gamma: float
    c: float
    expansion: float  # E, experts' parameters / dense FFN parameters
    label: str


KRAJEWSKI_E64 = KrajewskiCoefficients(
    18.1, 0.115, 30.8, 0.147, 2.1, 0.58, 0.47, 64.0, "MoE, E = 64 (main fit)"
)
KRAJEWSKI_DENSE = KrajewskiCoefficients(16.3, 0.126, 26.7, 0.127, 0.0, 0.0, 0.47, 1.0, "dense")
KRAJEWSKI_E64_ROBUST = KrajewskiCoefficients(
    17.6, 0.114, 26.7, 0.140, 2.07, 0.570, 0.472, 64.0, "MoE, E = 64, without best 20% (Table 5)"
)
KRAJEWSKI_E16 = KrajewskiCoefficients(
    19.64, 0.124, 57.07, 0.169, 1.18, 0.986, 0.472, 16.0, "MoE, E = 16 (Table 8)"
)
KRAJEWSKI_C_F = 6.0  # dense FLOPs factor c_f (LAWS.md §4.2)
KRAJEWSKI_C_R = 14.0  # routing FLOPs factor c_r (paper argues 6–20)
KRAJEWSKI_WIDTH_PER_BLOCK = 64.0  # d = 64·n_blocks
KRAJEWSKI_FIT_TOTAL_PARAMS = (1.29e8, 3.7e9)
KRAJEWSKI_FIT_TOKENS = (1.6e10, 1.3e11)
KRAJEWSKI_MAX_GRANULARITY = 16.0


def krajewski_loss(
    n_params_total: ArrayLike,
    n_tokens: ArrayLike,
    granularity: ArrayLike,
    coef: KrajewskiCoefficients = KRAJEWSKI_E64,
) -> ArrayLike:
    """L(N, D, G) = c + (g/G^γ + a)/N^α + b/D^β, N = total non-embedding params (C4 nats)."""
    g_term = coef.g / np.asarray(granularity, dtype=float) ** coef.gamma if coef.g else 0.0
    return coef.c + (g_term + coef.a) / n_params_total**coef.alpha + coef.b / n_tokens**coef.beta


def krajewski_dense_loss(n_params: ArrayLike, n_tokens: ArrayLike) -> ArrayLike:
    """Krajewski's dense fit: L = 0.47 + 16.3/N^0.126 + 26.7/D^0.127 (2.9803 at 1e9, 2e10)."""
    return krajewski_loss(n_params, n_tokens, 1.0, KRAJEWSKI_DENSE)


def krajewski_total_params(n_active: ArrayLike, expansion: float = 64.0) -> ArrayLike:
    """N_tot = d²(8E + 4)·n_blocks = N_act·(8E + 4)/12 (= 43·N_act for E = 64)."""
    return n_active * (8.0 * expansion + 4.0) / 12.0


def krajewski_shape(n_active: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """(n_blocks, d) with d = 64·n_blocks and N_act = 12·d²·n_blocks."""
    n_blocks = np.cbrt(np.asarray(n_active, dtype=float) / (12.0 * KRAJEWSKI_WIDTH_PER_BLOCK**2))
    return n_blocks, KRAJEWSKI_WIDTH_PER_BLOCK * n_blocks


def krajewski_flops_per_token(
    n_active: ArrayLike,
    granularity: ArrayLike,
    expansion: float = 64.0,
    c_f: float = KRAJEWSKI_C_F,
    c_r: float = KRAJEWSKI_C_R,
) -> ArrayLike:
    """(12·d²·c_f + d·E·G·c_r)·n_blocks: 6·N_act plus routing, no embeddings."""
    n_blocks, d = krajewski_shape(n_active)
    return (
        12.0 * d * d * c_f + d * expansion * np.asarray(granularity, dtype=float) * c_r
    ) * n_blocks


def krajewski_flops(
    n_active: ArrayLike, granularity: ArrayLike, n_tokens: ArrayLike, expansion: float = 64.0
) -> ArrayLike:
    """F = (12·d²·c_f + d·E·G·c_r)·D·n_blocks (LAWS.md §4.2)."""
    return krajewski_flops_per_token(n_active, granularity, expansion) * n_tokens


def krajewski_dense_flops_for_loss(loss: ArrayLike) -> ArrayLike:
    """Budget at which Krajewski's *dense* fit reaches ``loss`` compute-optimally (C = 6ND).

    The dense fit is Chinchilla-form, so LAWS.md §1's C(ℓ) applies; ``inf`` for ℓ ≤ c.
    """
    k = KRAJEWSKI_DENSE
    al, be = k.alpha, k.beta
    G = (al * k.a / (be * k.b)) ** (1.0 / (al + be))
    K = k.a * G**-al + k.b * G**be
    excess = np.asarray(loss, dtype=float) - k.c
    with np.errstate(over="ignore"):
        ln_ratio = np.log(np.maximum(excess, 1e-300) / K)
        out = np.where(excess > 0, 6.0 * np.exp(-(al + be) / (al * be) * ln_ratio), np.inf)
    return float(out) if np.ndim(out) == 0 else out


def krajewski_grad_log(
    n_active: float, n_tokens: float, granularity: float, coef: KrajewskiCoefficients = KRAJEWSKI_E64
) -> tuple[float, float]:
    """(∂L/∂ln N_act, ∂L/∂ln D) of :func:`krajewski_loss` (N_tot ∝ N_act)."""
    g_term = coef.g / granularity**coef.gamma if coef.g else 0.0
    n_tot = float(krajewski_total_params(n_active, coef.expansion))
    return -coef.alpha * (g_term + coef.a) * n_tot**-coef.alpha, -coef.beta * coef.b * n_tokens**-coef.beta


def krajewski_elasticity(n_active: float, granularity: float, expansion: float = 64.0) -> float:
    """d ln F/d ln N_act of the FLOPs per token: c_f·N_act grows as N, routing as N^(2/3)."""
    dense = KRAJEWSKI_C_F * n_active
    routing = float(krajewski_flops_per_token(n_active, granularity, expansion)) - dense
    return (dense + routing * 2.0 / 3.0) / (dense + routing)


def krajewski_allocate(
    flops: float, granularity: float, coef: KrajewskiCoefficients = KRAJEWSKI_E64
) -> tuple[float, float, float]:
    """Compute-optimal (N_act, D, loss) under F(N_act, G, D) = C, numerically.

    One dimension in ln N_act (D = C/FLOPs-per-token): the root of dL/d ln N_act along the
    budget, ∂L/∂ln N − (d ln F/d ln N)·∂L/∂ln D = 0 (brentq, analytic derivatives).
    """
    from scipy.optimize import brentq

    e = coef.expansion

    def tokens(n: float) -> float:
        return flops / float(krajewski_flops_per_token(n, granularity, e))

    def slope(x: float) -> float:
        n = math.exp(x)
        g_n, g_d = krajewski_grad_log(n, tokens(n), granularity, coef)
        return g_n - krajewski_elasticity(n, granularity, e) * g_d

    centre = 0.5 * math.log(flops / 6.0)
    n_act = math.exp(brentq(slope, centre - 30.0, centre + 30.0, xtol=1e-13, rtol=1e-15))
    d = tokens(n_act)
    return n_act, d, float(krajewski_loss(krajewski_total_params(n_act, e), d, granularity, coef))


def krajewski_warnings(
    n_params_total: float,
    n_tokens: float,
    granularity: float,
    activation: float | None = None,
    coef: KrajewskiCoefficients = KRAJEWSKI_E64,
) -> tuple[str, ...]:
    """Fit-range warnings (129M–3.7B total params, 16B–130B tokens, G ≤ 16; E fixed)."""
    out: list[str] = []
    lo, hi = KRAJEWSKI_FIT_TOTAL_PARAMS
    if not lo <= n_params_total <= hi:
        out.append(
            f"Krajewski: {fmt_count(n_params_total)} total parameters is outside the fitted 129M–3.7B"
        )
    lo, hi = KRAJEWSKI_FIT_TOKENS
    if not lo <= n_tokens <= hi:
        out.append(f"Krajewski: {fmt_count(n_tokens)} tokens is outside the fitted 16B–130B")
    if granularity > KRAJEWSKI_MAX_GRANULARITY or granularity < 1.0:
        out.append(f"Krajewski: granularity G = {granularity:g} is outside the fitted 1–16")
    if activation is not None and not math.isclose(activation, 1.0 / coef.expansion, rel_tol=0.05):
        out.append(
            f"Krajewski: the fit has expansion E = {coef.expansion:g} (A ≈ 1/{coef.expansion:g}); "
            f"A = {activation:.3%} is not modelled, E = {coef.expansion:g} is used"
        )
    out.append("Krajewski: loss in C4 nats (GPT-2 tokenizer), not comparable with the dense preset")
    return tuple(out)


def krajewski_plan(
    flops: float,
    granularity: float,
    *,
    coef: KrajewskiCoefficients = KRAJEWSKI_E64,
    activation: float | None = None,
) -> MoEPlan:
    """Krajewski compute-optimal MoE at C, with EL against Krajewski's own dense fit.

    EL = C_dense(L_MoE)/C, C_dense from the dense fit's closed-form frontier (§1). ``G`` is
    Krajewski's G = d_ff/d_expert (Ling's G × 2, LAWS.md §4.6.1).
    """
    n_act, d, loss = krajewski_allocate(flops, granularity, coef)
    n_tot = float(krajewski_total_params(n_act, coef.expansion))
    c_dense = float(krajewski_dense_flops_for_loss(loss))
    return MoEPlan(
        law="krajewski",
        flops=float(flops),
        activation=1.0 / coef.expansion,
        granularity=float(granularity),
        n_params_active=n_act,
        n_params_total=n_tot,
        n_tokens=d,
        flops_per_token=float(krajewski_flops_per_token(n_act, granularity, coef.expansion)),
        efficiency_leverage=c_dense / flops,
        dense_equivalent_flops=c_dense,
        loss=loss,
        labels=(
            f"Krajewski {coef.label}: N_tot = N_act·(8E + 4)/12, d = 64·n_blocks, routing c_r = 14",
            "EL = C_dense/C_MoE against Krajewski's dense fit at equal loss",
        ),
        warnings=krajewski_warnings(n_tot, d, granularity, activation, coef),
        source=KRAJEWSKI_CITATION,
    )


@dataclass(frozen=True, slots=True)
class KrajewskiInferencePlan:
    """Sardana's problem on Krajewski's surface: lifetime FLOPs at Krajewski loss ℓ_K."""

    target_loss: float  # Krajewski C4 nats
    inference_tokens: float
    n_params_active: float
    n_tokens: float
    train_flops: float
    total_flops: float
    compute_optimal_n_params_active: float
    compute_optimal_n_tokens: float
    compute_optimal_train_flops: float
    compute_optimal_total_flops: float


def krajewski_inference_aware(
    target_loss: float,
    inference_tokens: float,
    granularity: float,
    coef: KrajewskiCoefficients = KRAJEWSKI_E64,
    *,
    n_grid: int = 96,
) -> KrajewskiInferencePlan:
    """Minimise F(N_act, G)·D + 2·N_act·D_inf subject to L_K(N_tot, D, G) = ℓ_K (numerical).

    N_tot(D) = ((g/G^γ + a)/(ℓ − c − b/D^β))^(1/α) and N_act = N_tot·12/(8E + 4); a grid in
    ln D above D_min = (b/(ℓ − c))^(1/β), then a bounded Brent polish (scipy). Training
    FLOPs include routing, so with D_inf = 0 this is the dual of :func:`krajewski_allocate`
    (same point for the loss that plan reaches).
    """
    from scipy.optimize import minimize_scalar

    e = coef.expansion
    num = (coef.g / granularity**coef.gamma if coef.g else 0.0) + coef.a
    gap0 = target_loss - coef.c
    if not gap0 > 0:
        raise ValueError(f"Krajewski loss {target_loss} must exceed its floor c = {coef.c}")
    ln_dmin = math.log(coef.b / gap0) / coef.beta

    def n_act(x: ArrayLike) -> ArrayLike:
        gap = gap0 - coef.b * np.exp(-coef.beta * np.asarray(x))
        return (num / gap) ** (1.0 / coef.alpha) * 12.0 / (8.0 * e + 4.0)

    def cost(x: ArrayLike, d_inf: float) -> ArrayLike:
        n = n_act(x)
        d = np.exp(x)
        return krajewski_flops_per_token(n, granularity, e) * d + 2.0 * n * d_inf

    def solve(d_inf: float) -> tuple[float, float]:
        grid = ln_dmin + np.geomspace(1e-3, 40.0, n_grid)
        with np.errstate(over="ignore"):
            i = int(np.argmin(cost(grid, d_inf)))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, n_grid - 1)]
        res = minimize_scalar(
            lambda x: float(cost(x, d_inf)),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-11},
        )
        return float(n_act(res.x)), math.exp(res.x)

    n, d = solve(inference_tokens)
    n0, d0 = solve(0.0) if inference_tokens > 0 else (n, d)
    train = float(krajewski_flops_per_token(n, granularity, e)) * d
    train0 = float(krajewski_flops_per_token(n0, granularity, e)) * d0
    return KrajewskiInferencePlan(
        target_loss=target_loss,
        inference_tokens=inference_tokens,
        n_params_active=n,
        n_tokens=d,
        train_flops=train,
        total_flops=train + 2.0 * n * inference_tokens,
        compute_optimal_n_params_active=n0,
        compute_optimal_n_tokens=d0,
        compute_optimal_train_flops=train0,
        compute_optimal_total_flops=train0 + 2.0 * n0 * inference_tokens,
    )


def ling_to_krajewski_granularity(granularity: ArrayLike) -> ArrayLike:
    """Ling G = 2·d/d_e, Krajewski G = 4·d/d_e (d_ff = 4d): G_K = 2·G_L (LAWS.md §4.6.1)."""
    return 2.0 * granularity


__all__ = [
    "EL_LOG_BASE_LABEL",
    "EL_MAPPING_LABEL",
    "KRAJEWSKI_DENSE",
    "KRAJEWSKI_E16",
    "KRAJEWSKI_E64",
    "KRAJEWSKI_E64_ROBUST",
    "M_CONVERSION_LABEL",
    "TOTAL_PARAMS_LABEL",
    "KrajewskiCoefficients",
    "KrajewskiInferencePlan",
    "MoEPlan",
    "active_params_for_equivalent",
    "active_params_from_m",
    "budget_for_dense_equivalent",
    "dense_equivalent_flops",
    "effective_activation",
    "efficiency_leverage",
    "el_log_affine",
    "krajewski_allocate",
    "krajewski_dense_flops_for_loss",
    "krajewski_dense_loss",
    "krajewski_flops",
    "krajewski_flops_per_token",
    "krajewski_inference_aware",
    "krajewski_loss",
    "krajewski_plan",
    "krajewski_shape",
    "krajewski_total_params",
    "krajewski_warnings",
    "ling_batch_size",
    "ling_dense_allocation",
    "ling_learning_rate",
    "ling_moe_allocation",
    "ling_plan",
    "ling_to_krajewski_granularity",
    "m_from_active_params",
    "moe_warnings",
    "optimal_granularity",
    "total_params_from_active",
]


# ---------------------------------------------------------------------------------------
# the MoE's contribution to a plan
DEFAULT_GRANULARITY = {"ling": LING_BASE_GRANULARITY, "krajewski": 8.0}
"""G when none is given: Ling's base G = 2 (arXiv 2507.17702), Krajewski's common G = 8 (his
G = d_ff/d_expert = 2 × Ling's, LAWS.md §4.6.1). The only place these defaults live."""


def granularity_of(question: Question) -> float:
    """The question's G, or its MoE law's default."""
    g = question.moe_granularity
    return DEFAULT_GRANULARITY[question.moe_law] if g is None else g


class MoETerm(Term):
    """Ling: the law sees a dense model with EL·N_act parameters (L = L*(EL·C) at the optimum,
    LAWS.md §7.4). Krajewski: his E = 64 surface and routing FLOPs replace the law's; the
    preset's loss is L*(EL·C) with EL against his dense fit."""

    name = "moe"

    def applies(self, q: Question) -> bool:
        return q.moe_activation is not None or q.moe_granularity is not None

    def pose(self, p: Problem) -> None:
        q = p.question
        if q.moe_activation is None or q.moe_activation >= 1.0:
            return
        g = granularity_of(q)
        if q.moe_law == "krajewski":
            self._pose_krajewski(p, g)
            return
        el = efficiency_leverage(q.moe_activation, g, p.flops)
        base_loss, base_grad, base_closed, base_closed_loss = p.loss, p.grad_log, p.closed, p.closed_loss
        p.leverage, p.pristine = el, False
        p.total_per_active = 1.0 / q.moe_activation
        if base_loss is not None:
            p.loss = lambda n, d: base_loss(el * n, d)
        if base_grad is not None:
            p.grad_log = lambda n, d: base_grad(el * n, d)
        if base_closed is not None:
            def closed(c: float) -> tuple[float, float]:
                n_eq, d = base_closed(el * c)
                return n_eq / el, d

            p.closed = closed
        if base_closed_loss is not None:
            p.closed_loss = lambda c: base_closed_loss(el * c)

    def _pose_krajewski(self, p: Problem, g: float) -> None:
        law, c = p.law, p.flops
        p.pristine, p.closed, p.closed_loss = False, None, None
        p.total_per_active = float(krajewski_total_params(1.0))
        p.loss = lambda n, d: krajewski_loss(krajewski_total_params(n), d, g)
        p.grad_log = lambda n, d: krajewski_grad_log(n, d, g)
        p.per_token = lambda n: float(krajewski_flops_per_token(n, g))
        p.elasticity = lambda n: krajewski_elasticity(n, g)

        def law_loss(n: float, d: float, loss_k: float | None) -> float | None:
            el = float(krajewski_dense_flops_for_loss(loss_k)) / c
            p.leverage = el
            return float(law.frontier_loss(el * c)) if law.has_loss else None

        p.law_loss = law_loss

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        q = p.question
        warnings = out["warnings"]
        if q.moe_activation is None:
            warnings.append("MoE granularity ignored: give an activation ratio to plan a mixture of experts.")
            return
        a, g = q.moe_activation, granularity_of(q)
        out.update(moe_activation=a, moe_granularity=g, moe_law=q.moe_law, efficiency_leverage=p.leverage)
        if q.moe_law == "krajewski" and a < 1.0:
            n_total = float(krajewski_total_params(pt.n))
            out["train_flops"] = p.flops  # Krajewski's F(N_act, G, D) includes routing
            out["extras"]["moe"] = {"law": "krajewski", "krajewski_loss_c4_nats": pt.loss, "labels": [
                "Krajewski (arXiv 2402.07871), E = 64: N_tot = 43·N_act, F = (72d² + 14·d·E·G)·D·n_blocks",
                "EL = C_dense/C at equal Krajewski loss; the preset's loss is L*(EL·C)",
                f"G = {g:g} in Krajewski's definition d_ff/d_expert (= 2 × Ling's G)"]}  # fmt: skip
            warnings += krajewski_warnings(n_total, pt.d, g, a)
        else:
            n_total = float(total_params_from_active(pt.n, a)) if a < 1.0 else pt.n
            out["extras"]["moe"] = {"law": "ling", "labels": [EL_LOG_BASE_LABEL, EL_MAPPING_LABEL, TOTAL_PARAMS_LABEL]}
            warnings += moe_warnings(a, g, p.flops, n_tokens=pt.d, n_params_total=n_total, allocation_law=False)
        out["n_params_total"] = n_total


TERM = MoETerm()
