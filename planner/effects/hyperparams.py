"""Learning-rate and batch-size laws (optional hyperparameter panel, LAWS.md §7.7).

Each law returns a :class:`HyperparameterEstimate`: the value(s) plus a source label, the
schedule the law was fitted under, and warnings. Values are in the law's own units: the
peak learning rate of the stated schedule and the batch size in **tokens**.

=====================  =====================================================================
:func:`step_law`        η = 1.79·N^−0.713·D^0.307, B = 0.58·D^0.571 tokens; N non-vocabulary
                        (Li et al. 2025, "Predictable Scale: Part I", arXiv 2503.04715;
                        LAWS.md §2.8)
:func:`deepseek`        η = 0.3118·C^−0.1250, B = 0.2920·C^0.3271 tokens (Bi et al. 2024,
                        DeepSeek LLM, arXiv 2401.02954, Eq. 1; LAWS.md §2.6)
:func:`ling_moe`        η = 1.1576·C^−0.1529, B = 0.0694·C^0.3644 (Tian et al. 2025,
                        arXiv 2507.17702; LAWS.md §4.1; batch unit presumed tokens)
:func:`kaplan_critical_batch`  B_crit(L) = B*/L^(1/α_B), B* = 2e8 tokens, α_B = 0.21
                        (Kaplan et al. 2020, arXiv 2001.08361, Eq. 1.4; LAWS.md §2.1)
=====================  =====================================================================

All functions accept floats or numpy arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from planner.solve.problem import Point, Problem, Term

if TYPE_CHECKING:
    from planner.question import Question

ArrayLike = float | np.ndarray

# Step Law, Li et al. 2025, arXiv 2503.04715 (LAWS.md §2.8, CONFIRMED)
STEP_LR_COEF = 1.79
STEP_LR_N_EXP = -0.713
STEP_LR_D_EXP = 0.307
STEP_BATCH_COEF = 0.58
STEP_BATCH_D_EXP = 0.571
STEP_LAW_SOURCE = (
    "Step Law (Li et al. 2025, arXiv 2503.04715): η = 1.79·N^−0.713·D^0.307, B = 0.58·D^0.571"
)
STEP_LAW_SCHEDULE = "AdamW, 2000 warmup steps, cosine decay to a fixed minimum LR"
STEP_LAW_REFIT_WARNING = (
    "Step Law: public issue #10 in step-law/steplaw reports different refit values "
    "(lr 4.375·N^−0.767·D^0.197; batch 3.53·N^−0.271·D^0.624); the paper's values are used"
)

# DeepSeek LLM Eq. 1, Bi et al. 2024, arXiv 2401.02954 (LAWS.md §2.6, CONFIRMED)
DEEPSEEK_LR_COEF = 0.3118
DEEPSEEK_LR_EXP = -0.1250
DEEPSEEK_BATCH_COEF = 0.2920
DEEPSEEK_BATCH_EXP = 0.3271
DEEPSEEK_SOURCE = (
    "DeepSeek LLM Eq. 1 (Bi et al. 2024, arXiv 2401.02954): η = 0.3118·C^−0.125, "
    "B = 0.2920·C^0.3271"
)
DEEPSEEK_SCHEDULE = "multi-step: peak, 31.6% of peak at 80% of tokens, 10% at 90%"
DEEPSEEK_FIT_FLOPS = (1e17, 2e19)  # fitted 1e17–2e19, validated at 1e20 (LAWS.md §2.6)

# Ling MoE, Tian et al. 2025, arXiv 2507.17702 (LAWS.md §4.1, CONFIRMED)
LING_LR_COEF = 1.1576
LING_LR_EXP = -0.1529
LING_BATCH_COEF = 0.0694
LING_BATCH_EXP = 0.3644
LING_SOURCE = (
    "Ling MoE (Tian et al. 2025, arXiv 2507.17702): η = 1.1576·C^−0.1529, B = 0.0694·C^0.3644"
)
LING_SCHEDULE = "fitted on MoE models, base A 7.8%, G 2 (schedule: see arXiv 2507.17702)"
LING_FIT_FLOPS = (3e17, 3e20)  # LAWS.md §4.1

# Kaplan Eq. 1.4 / Table 5 (LAWS.md §2.1, CONFIRMED)
KAPLAN_B_STAR = 2e8  # tokens (Table 5 prints 2.1e8)
KAPLAN_ALPHA_B = 0.21
KAPLAN_SOURCE = "Kaplan et al. 2020 (arXiv 2001.08361) Eq. 1.4: B_crit = 2e8/L^(1/0.21) tokens"


class HyperparameterEstimate(NamedTuple):
    """A law's peak learning rate and batch size (tokens), with its label."""

    learning_rate: ArrayLike
    batch_size_tokens: ArrayLike
    source: str
    schedule: str = ""
    warnings: tuple[str, ...] = ()


def _outside(x: ArrayLike, fit: tuple[float, float], factor: float = 1.0) -> bool:
    """Whether ``x`` (any element) lies more than ``factor`` outside the fitted range ``fit``."""
    lo, hi = fit[0] / factor, fit[1] * factor
    if isinstance(x, float):
        return x < lo or x > hi
    x = np.asarray(x, dtype=float)
    return bool(np.any(x < lo) or np.any(x > hi))


def _arr(x: ArrayLike) -> ArrayLike:
    """Numbers become floats (the planner's fast scalar path: it calls these for every plan), so the
    estimates are floats too; anything else becomes a float array."""
    if type(x) is float:
        return x
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


def step_law(n_nonvocab: ArrayLike, n_tokens: ArrayLike) -> HyperparameterEstimate:
    """Step Law: η = 1.79·N^−0.713·D^0.307, B = 0.58·D^0.571 tokens (N non-vocabulary).

    Oracle (LAWS.md §2.8, DERIVED): (1e9, 1e11) → 1.632e−3, 1.108e6. The LR rises with D,
    opposite to DeepSeek's C-only law; the sign is tied to the schedule.
    """
    n = _arr(n_nonvocab)
    d = _arr(n_tokens)
    lr = STEP_LR_COEF * n**STEP_LR_N_EXP * d**STEP_LR_D_EXP
    batch = STEP_BATCH_COEF * d**STEP_BATCH_D_EXP
    return HyperparameterEstimate(lr, batch, STEP_LAW_SOURCE, STEP_LAW_SCHEDULE, (STEP_LAW_REFIT_WARNING,))


def deepseek(flops: ArrayLike) -> HyperparameterEstimate:
    """DeepSeek Eq. 1: η = 0.3118·C^−0.1250, B = 0.2920·C^0.3271 tokens (C = M·D).

    Oracle (LAWS.md §2.6, DERIVED): C = 1e20 → 9.86e−4, 1.017e6.
    """
    c = _arr(flops)
    warnings = ()
    if _outside(c, DEEPSEEK_FIT_FLOPS, 100.0):
        warnings = ("DeepSeek hyperparameter law: budget more than 100× outside its 1e17–2e19 fit",)
    return HyperparameterEstimate(
        DEEPSEEK_LR_COEF * c**DEEPSEEK_LR_EXP,
        DEEPSEEK_BATCH_COEF * c**DEEPSEEK_BATCH_EXP,
        DEEPSEEK_SOURCE,
        DEEPSEEK_SCHEDULE,
        warnings,
    )


def ling_moe(flops: ArrayLike) -> HyperparameterEstimate:
    """Ling MoE: η = 1.1576·C^−0.1529, B = 0.0694·C^0.3644 (batch in tokens, presumed).

    Oracle (LAWS.md §4.1, DERIVED): C = 1e22 → η 5.01e−4, B 7.21e6.
    """
    c = _arr(flops)
    warnings = ["Ling MoE batch law: unit presumed tokens (grid 2^18–2^21; UNCONFIRMED)"]
    if _outside(c, LING_FIT_FLOPS):
        warnings.append(
            "Ling MoE hyperparameter law: budget outside its 3e17–3e20 fit (extrapolation)"
        )
    return HyperparameterEstimate(
        LING_LR_COEF * c**LING_LR_EXP,
        LING_BATCH_COEF * c**LING_BATCH_EXP,
        LING_SOURCE,
        LING_SCHEDULE,
        tuple(warnings),
    )


def kaplan_critical_batch(loss: ArrayLike) -> ArrayLike:
    """Kaplan critical batch B_crit(L) = 2e8/L^(1/0.21) tokens, L in Kaplan nats.

    Oracle (LAWS.md §2.1, DERIVED): B_crit(3.0) = 1.069e6, B_crit(2.5) = 2.547e6.
    """
    return KAPLAN_B_STAR / _arr(loss) ** (1.0 / KAPLAN_ALPHA_B)


def recommend(
    n_nonvocab: float, n_tokens: float, flops: float, *, moe: bool = False
) -> tuple[HyperparameterEstimate, ...]:
    """All applicable estimates, the primary first: Ling for an MoE, else Step Law; then
    DeepSeek (and Step Law for an MoE as a dense cross-check)."""
    dense = (step_law(n_nonvocab, n_tokens), deepseek(flops))
    return (ling_moe(flops), *dense) if moe else dense


class HyperparamsTerm(Term):
    """Peak learning rate and batch size for the plan: Step Law (dense) or Ling (MoE) first, then
    the others, each named with its schedule (the non-vocabulary N when a vocabulary is set)."""

    name = "hyperparameters"

    def applies(self, q: Question) -> bool:
        return True

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        q = p.question
        vp = p.extras.get("vocab_plan") if p.extras else None
        n_nv = vp.split.n_nonvocab if vp is not None else pt.n
        moe_on = q.moe_activation is not None and q.moe_activation < 1.0
        estimates = recommend(n_nv, out["n_tokens"], p.flops, moe=moe_on)
        out["learning_rate"], out["batch_size_tokens"] = estimates[0].learning_rate, estimates[0].batch_size_tokens
        out["hyperparameter_sources"] = tuple([e.source for e in estimates])
        out["extras"]["hyperparameters"] = estimates  # JSON: one object per estimate


TERM = HyperparamsTerm()
