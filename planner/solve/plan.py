"""The planner: one call, one frozen result.

:func:`plan` answers "what should we train with this budget?" for any law: N*, D*,
tokens per parameter, loss (``None`` for allocation-only laws), training compute, GPU-hours,
wall-clock, dollars, serving cost and warnings. :func:`frontier` does the allocation for an
array of budgets at once (plots). The inverse questions are :func:`flops_for_loss`,
:func:`optimal_tokens_for_params` and :func:`optimal_params_for_tokens`.

Two paths give N* and D*:

* ``method="closed"``: the law's closed form (LAWS.md §1 for the Chinchilla form);
* ``method="numerical"``: minimise the law's loss surface L(N, C/(6N)) over ln N with scipy
  (scalar) or a vectorised bisection on the first-order condition (arrays). It works for any
  law with a loss and agrees with the closed form to ~1e-12 relative.

Failures are reported (``success``/``message``), not raised, so a window can say why a
plan is infeasible. Invalid *arguments* (negative budgets, unknown presets) raise
``ValueError``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from planner.costs.hardware import (
    Hardware,
    flops_to_gpu_hours,
    gpu_hours_to_days,
    gpu_hours_to_flops,
    gpu_hours_to_usd,
)
from planner.costs.serving import DEFAULT_CONTEXT, DEFAULT_DECODE_BATCH, inference_cost
from planner.effects import data_limit as data_constrained
from planner.effects import demand as inference_aware
from planner.effects import hyperparams, moe, vocab
from planner.fitting.intervals import loss_interval, plan_intervals
from planner.fitting.runs import flops_extrapolation_warning
from planner.laws import ChinchillaLaw, DataConstrainedLaw, Law

Method = Literal["auto", "closed", "numerical"]
MIN_FLOPS, MAX_FLOPS = 1e10, 1e35


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the planner says about one budget. Units are in the field names or docs.

    ``n_params`` follows the law's convention (``n_meaning``); for a dense model
    ``n_params_total == n_params_active == n_params``.
    """

    preset: str
    law_title: str
    n_meaning: str
    loss_unit: str
    flops: float  # training budget, FLOPs
    n_params: float
    n_tokens: float
    tokens_per_param: float
    loss: float | None
    train_flops: float  # compute of (N, D) under the law's own FLOP convention
    gpu: str
    n_gpus: int
    mfu: float
    usd_per_gpu_hour: float
    gpu_hours: float
    wall_clock_days: float
    cost_usd: float
    context: int
    inference_flops_per_token: float
    inference_usd_per_million_tokens: float
    inference_bound: str
    serving_memory_bytes: float
    method: str
    success: bool = True
    message: str = ""
    warnings: tuple[str, ...] = ()
    n_params_total: float | None = None
    n_params_active: float | None = None
    # --- filled by the sliders' science (vocabulary, MoE, inference demand, data, hyperparameters)
    vocab_size: float | None = None
    optimal_vocab_size: float | None = None
    vocab_band: tuple[float, float] | None = None
    vocab_loss_change: float | None = None
    efficiency_leverage: float | None = None
    moe_activation: float | None = None
    moe_granularity: float | None = None
    moe_law: str | None = None
    unique_tokens: float | None = None
    epochs: float | None = None
    learning_rate: float | None = None
    batch_size_tokens: float | None = None
    hyperparameter_sources: tuple[str, ...] = ()
    inference_tokens: float = 0.0
    inference_aware: dict[str, Any] | None = None
    # --- filled for fitted presets: {"n_params": (lo, hi), ...}
    intervals: dict[str, tuple[float, float]] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain Python values (full precision); see :func:`planner.summary.plan_json`."""
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        d["hyperparameter_sources"] = list(self.hyperparameter_sources)
        return d


@dataclass(frozen=True, slots=True)
class Frontier:
    """Vectorised allocation over budgets (arrays of equal shape)."""

    flops: np.ndarray
    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray | None


def _check_flops(flops: float) -> float:
    if not isinstance(flops, int | float) or isinstance(flops, bool) or not math.isfinite(flops):
        raise ValueError(f"budget {flops!r} is not a finite number of FLOPs")
    if not MIN_FLOPS <= flops <= MAX_FLOPS:
        raise ValueError(f"budget {flops:g} FLOPs is out of range (expected {MIN_FLOPS:g} to {MAX_FLOPS:g})")
    return float(flops)


# ---------------------------------------------------------------------------------------------
# numerical allocation


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
    return plan_intervals(samples, np.asarray(flops, dtype=float), level, form=law.form)  # type: ignore[return-value]


def isoflop_curve(law: Law, flops: float, n_params: np.ndarray) -> np.ndarray:
    """Loss along the isoFLOP line D = C/(6N) for the sizes ``n_params``."""
    if not law.has_loss:
        raise ValueError(f"{law.id} has no loss")
    n = np.asarray(n_params, dtype=float)
    return law.loss(n, flops / (6.0 * n))  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# inverse questions


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
        raise ValueError(f"{target:g} is outside what {law.id} allocates for budgets {MIN_FLOPS:g}-{MAX_FLOPS:g}")
    return 10.0 ** brentq(f, lo, hi, xtol=1e-13)


def optimal_tokens_for_params(law: Law, n_params: float) -> float:
    """Best D for a model of fixed size: the D* of the budget at which N* = ``n_params``."""
    c = law.flops_for_params(n_params) if isinstance(law, ChinchillaLaw) else _flops_where(law, 0, n_params)
    return law.allocate_scalar(c)[1]


def optimal_params_for_tokens(law: Law, n_tokens: float) -> float:
    """Best N for a fixed token supply: the N* of the budget at which D* = ``n_tokens``."""
    c = law.flops_for_tokens(n_tokens) if isinstance(law, ChinchillaLaw) else _flops_where(law, 1, n_tokens)
    return law.allocate_scalar(c)[0]


# ---------------------------------------------------------------------------------------------
# warnings


def _fmt(x: float) -> str:
    from planner.units import fmt_sci

    return fmt_sci(x, 3)


def extrapolation_warnings(law: Law, flops: float, n_params: float, n_tokens: float) -> list[str]:
    """Warnings for a plan outside the law's fitted range (far: more than 100×)."""
    out: list[str] = []
    fr = law.info.fitted_range
    if law.info.citation.status == "FITTED" and fr.flops is not None:
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


# ---------------------------------------------------------------------------------------------
# the sliders' science: vocabulary (planner.effects.vocab), MoE (planner.effects.moe), data limit
# (planner.effects.data_limit), inference demand (planner.effects.demand), hyperparameters

MoELaw = Literal["ling", "krajewski"]
MOE_LAWS = ("ling", "krajewski")
DEFAULT_GRANULARITY = {"ling": 2.0, "krajewski": 8.0}
"""G when none is given: Ling's base G = 2 (arXiv 2507.17702), Krajewski's common G = 8."""
REFERENCE_VOCAB = {"kaplan-2020": 50_257, "deepseek-2024": 102_400}
"""Vocabulary a preset's token counts refer to: Kaplan GPT-2 BPE (LAWS.md §0.3), DeepSeek
Table 3 (§2.6); every other preset uses planner.effects.vocab.DEFAULT_REFERENCE_VOCAB (32,000)."""


def _finite_or_none(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


def _chinchilla_coefficients(law: Law) -> inference_aware.Coefficients | None:
    if isinstance(law, ChinchillaLaw):
        return inference_aware.Coefficients(law.E, law.A, law.B, law.alpha, law.beta)
    return None


def _data_constrained_coefficients(law: Law) -> data_constrained.DataConstrainedCoefficients | None:
    """Muennighoff's own law, or its decay terms on another Chinchilla-form law (labelled)."""
    dc = data_constrained
    if isinstance(law, DataConstrainedLaw):
        return dc.DataConstrainedCoefficients(law.E, law.A, law.B, law.alpha, law.beta,
                                              law.R_D_star, law.R_N_star)  # fmt: skip
    if isinstance(law, ChinchillaLaw):
        return dc.DataConstrainedCoefficients.from_chinchilla(law.E, law.A, law.B, law.alpha, law.beta)
    return None


def _check_science(
    vocab_size: float | None, moe_activation: float | None, moe_granularity: float | None,
    moe_law: str, inference_tokens: float, target_loss: float | None, unique_tokens: float | None,
) -> None:  # fmt: skip
    def bad(x: Any) -> bool:
        return not isinstance(x, int | float) or isinstance(x, bool) or math.isnan(x)

    if vocab_size is not None and (bad(vocab_size) or not 256 <= vocab_size <= 1e7):
        raise ValueError(f"vocabulary size {vocab_size!r} is out of range (expected 256 to 1e7)")
    if moe_activation is not None and (bad(moe_activation) or not 0 < moe_activation <= 1):
        raise ValueError(f"MoE activation ratio {moe_activation!r} must be in (0, 1]")
    if moe_granularity is not None and (bad(moe_granularity) or not 1 <= moe_granularity <= 4096):
        raise ValueError(f"MoE granularity {moe_granularity!r} is out of range (expected 1 to 4096)")
    if moe_law not in MOE_LAWS:
        raise ValueError(f"unknown MoE law {moe_law!r} (expected one of {', '.join(MOE_LAWS)})")
    if bad(inference_tokens) or not 0 <= inference_tokens < math.inf:
        raise ValueError(f"inference tokens {inference_tokens!r} must be a finite number >= 0")
    if target_loss is not None and (bad(target_loss) or not 0 < target_loss < math.inf):
        raise ValueError(f"target loss {target_loss!r} must be a positive finite number")
    if unique_tokens is not None and (bad(unique_tokens) or not unique_tokens > 0):
        raise ValueError(f"unique tokens {unique_tokens!r} must be > 0 (or infinite)")


def _budget_for_target(law: Law, target_loss: float, moe_on: bool, activation: float, granularity: float,
                       moe_law: str) -> float:  # fmt: skip
    """Smallest budget whose (MoE) compute-optimal plan reaches ``target_loss``."""
    c_dense = flops_for_loss(law, target_loss)
    if not math.isfinite(c_dense):
        raise ValueError(f"target loss {target_loss:g} is unreachable with {law.id} (at or below its floor)")
    if not moe_on:
        return c_dense
    if moe_law == "ling":
        return moe.budget_for_dense_equivalent(c_dense, activation, granularity)
    c = c_dense / 20.0  # Krajewski: EL varies slowly with C, so a fixed point converges fast
    for _ in range(30):
        c_new = c_dense / moe.krajewski_plan(c, granularity).efficiency_leverage
        if abs(c_new - c) <= 1e-10 * c:
            break
        c = c_new
    return c_new


def _unique_in_reference_tokens(law: Law, c_eq: float, method: Method, el: float, unique_tokens: float,
                                vocab_size: float | None, optimal_vocab: bool) -> float:  # fmt: skip
    """U in the law's reference-vocabulary tokens: U·f(V_ref)/f(V) (the same text, LAWS.md §3).

    With ``optimal_vocab`` the V is the optimum at the unconstrained allocation (V moves only
    at second order with the data limit).
    """
    if vocab_size is None and not optimal_vocab:
        return unique_tokens
    ref = REFERENCE_VOCAB.get(law.id, vocab.DEFAULT_REFERENCE_VOCAB)
    v = vocab_size
    if v is None:
        n_eq, d = allocate(law, c_eq, method)
        conv = "total" if law.info.n_meaning == "total" else "non_embedding"
        v = vocab.plan_vocab(n_eq / el, d, reference_vocab=ref, params_convention=conv).optimal_vocab_size
    return unique_tokens * float(vocab.tokens_per_char(ref)) / float(vocab.tokens_per_char(v))


def _krajewski_point(flops: float, granularity: float, n_params: float | None,
                     n_tokens: float | None) -> tuple[float, float, float, float]:  # fmt: skip
    """(N_act, D, Krajewski loss, EL) for a fixed N_act, fixed D, or the compute optimum."""
    if n_params is not None:
        n_act = float(n_params)
        d = flops / float(moe.krajewski_flops_per_token(n_act, granularity))
    elif n_tokens is not None:
        from scipy.optimize import brentq

        d = float(n_tokens)
        per_token = flops / d
        n_act = math.exp(brentq(lambda x: math.log(float(moe.krajewski_flops_per_token(math.exp(x), granularity)))
                                - math.log(per_token), 0.0, 80.0, xtol=1e-13))  # fmt: skip
    else:
        p = moe.krajewski_plan(flops, granularity)
        return p.n_params_active, p.n_tokens, float(p.loss), p.efficiency_leverage
    loss_k = float(moe.krajewski_loss(moe.krajewski_total_params(n_act), d, granularity))
    return n_act, d, loss_k, float(moe.krajewski_dense_flops_for_loss(loss_k)) / flops


# ---------------------------------------------------------------------------------------------
# the plan


def plan(
    law: Law,
    flops: float | None = None,
    *,
    gpu_hours: float | None = None,
    hardware: Hardware | None = None,
    context: int = DEFAULT_CONTEXT,
    decode_batch: int = DEFAULT_DECODE_BATCH,
    method: Method = "auto",
    n_params: float | None = None,
    n_tokens: float | None = None,
    vocab_size: float | None = None,
    optimal_vocab: bool = False,
    moe_activation: float | None = None,
    moe_granularity: float | None = None,
    moe_law: MoELaw = "ling",
    inference_tokens: float = 0.0,
    target_loss: float | None = None,
    unique_tokens: float | None = None,
) -> Plan:
    """Plan a training run for ``law`` and a budget.

    Parameters
    ----------
    law : Law
        A law from :mod:`planner.presets.load` (e.g. ``get_law("epoch-2024")``).
    flops : float, optional
        Training budget in FLOPs. Give this or ``gpu_hours``.
    gpu_hours : float, optional
        Budget in GPU-hours; converted with ``hardware`` (C = GPU-h × 3600 × peak × MFU).
    hardware : Hardware, optional
        Accelerator, count, MFU and price (default 1024 × H100 SXM at MFU 0.40).
    context : int
        Context length (tokens) for inference FLOPs and KV-cache memory.
    method : {"auto", "closed", "numerical"}
        How N* and D* are found; ``auto`` uses the closed form where the law has one.
    n_params, n_tokens : float, optional
        Fix the model size (or the token count) and spend the budget on the other:
        D = C/(6N) (or N = C/(6D)). With an MoE, ``n_params`` fixes the active parameters.
    vocab_size : float, optional
        Vocabulary V (Tao et al. 2024, :mod:`planner.effects.vocab`). The text is fixed in characters
        (H = D/f(V_ref)) and the law's N·D is kept, so D = H·f(V) and N = N_law·f(V_ref)/f(V);
        for total-parameter laws V·d is carved out of N (no double counting). Fills
        ``vocab_size``, ``optimal_vocab_size`` (approach 3 at the plan's N_nv and budget,
        a fixed point in V), ``vocab_band`` (approaches 1–2) and ``vocab_loss_change`` (the
        relative L_u change vs the optimum: its own indicator, never added to the loss).
    optimal_vocab : bool
        Use the approach-3 optimum as V (when ``vocab_size`` is not given).
    moe_activation, moe_granularity : float, optional
        Mixture of experts with activation ratio A ∈ (0, 1] (1 = dense) and granularity G
        (default 2 for Ling, 8 for Krajewski), :mod:`planner.effects.moe`.
    moe_law : {"ling", "krajewski"}
        ``ling``: EL(A, G, C) (Eq. 13); the MoE acts as a dense model with EL·N_act
        parameters, so N_act = N*(EL·C)/EL, D = D*(EL·C), loss L*(EL·C) (LAWS.md §7.4).
        ``krajewski``: its own E = 64 law, optimised numerically (routing FLOPs included),
        EL against its dense fit; the preset's loss is L*(EL·C).
    inference_tokens : float
        Lifetime inference tokens D_inf; fills ``inference_aware`` (Sardana et al. 2024,
        :mod:`planner.effects.demand`) at the target loss or the plan's loss. The main plan
        stays the compute-optimal one for the budget.
    target_loss : float, optional
        Loss ℓ for the inference-aware plan. Without a budget, the budget is the smallest
        whose (MoE) compute-optimal plan reaches ℓ.
    unique_tokens : float, optional
        Unique tokens U (in the plan's vocabulary's tokens); ``inf`` or ``None`` is no limit.
        Chinchilla-form laws are re-optimised with Muennighoff's decay terms (an
        extrapolation except for ``muennighoff-2023``); other laws report epochs only.

    Hyperparameters are always filled: Step Law (dense) or Ling (MoE) first, then the others,
    all named in ``hyperparameter_sources`` (details in ``extras["hyperparameters"]``).
    """
    hw = hardware or _DEFAULT_HW
    _check_science(vocab_size, moe_activation, moe_granularity, moe_law, inference_tokens, target_loss,
                   unique_tokens)  # fmt: skip
    moe_on = moe_activation is not None and moe_activation < 1.0
    activation = 1.0 if moe_activation is None else float(moe_activation)
    g = float(moe_granularity) if moe_granularity is not None else DEFAULT_GRANULARITY[moe_law]
    if flops is not None and gpu_hours is not None:
        raise ValueError("give exactly one budget: flops or gpu_hours")
    if flops is None and gpu_hours is None:
        if target_loss is None:
            raise ValueError("give exactly one budget: flops or gpu_hours (or a target loss)")
        flops = _budget_for_target(law, target_loss, moe_on, activation, g, moe_law)
    if gpu_hours is not None:
        if not math.isfinite(gpu_hours) or gpu_hours <= 0:
            raise ValueError(f"GPU-hours {gpu_hours!r} must be a positive finite number")
        flops = gpu_hours_to_flops(gpu_hours, hw)
    c = _check_flops(flops)  # type: ignore[arg-type]
    if context < 1 or context > 10_000_000:
        raise ValueError(f"context {context} tokens is out of range (expected 1 to 1e7)")
    if unique_tokens is not None and math.isinf(unique_tokens):
        unique_tokens = None  # U = ∞: no data limit, the plan is unchanged

    warnings = list(law.info.warnings)
    extras: dict[str, Any] = {}
    success, message = True, ""
    used = "closed" if method in ("auto", "closed") else "numerical"
    el = 1.0
    dc_coef = _data_constrained_coefficients(law) if unique_tokens is not None else None
    if moe_on and moe_law == "krajewski":
        n, d, loss_k, el = _krajewski_point(c, g, n_params, n_tokens)
        used = "fixed N" if n_params is not None else "fixed D" if n_tokens is not None else "numerical (Krajewski)"
        n_total = float(moe.krajewski_total_params(n))
        loss = float(law.frontier_loss(el * c)) if law.has_loss else None
        train_flops = c  # Krajewski's FLOPs include routing: F(N_act, G, D) = C
        extras["moe"] = {"law": "krajewski", "krajewski_loss_c4_nats": loss_k, "labels": [
            "Krajewski (arXiv 2402.07871), E = 64: N_tot = 43·N_act, F = (72d² + 14·d·E·G)·D·n_blocks",
            "EL = C_dense/C at equal Krajewski loss; the preset's loss is L*(EL·C)",
            f"G = {g:g} in Krajewski's definition d_ff/d_expert (= 2 × Ling's G)"]}  # fmt: skip
        warnings += moe.krajewski_warnings(n_total, d, g, activation)
        dc_coef = None  # Krajewski has no repetition model: epochs only
    else:
        if moe_on:
            el = float(moe.efficiency_leverage(activation, g, c))
        c_eq = el * c  # the dense budget with the MoE's loss (LAWS.md §7.4); C itself when dense
        if dc_coef is not None:
            u_ref = _unique_in_reference_tokens(law, c_eq, method, el, unique_tokens, vocab_size, optimal_vocab)  # type: ignore[arg-type]
        if n_params is not None:
            n, d = float(n_params), c / (6.0 * n_params)
            used = "fixed N"
        elif n_tokens is not None:
            n, d = c / (6.0 * n_tokens), float(n_tokens)
            used = "fixed D"
        elif dc_coef is not None:
            dcp = data_constrained.allocate(c_eq, u_ref, dc_coef)
            n, d = dcp.n_params / el, dcp.n_tokens
            if dcp.constrained:
                used = "numerical (data-constrained)"
                warnings += dcp.warnings
        else:
            n_eq, d = allocate(law, c_eq, method)
            n = n_eq / el
        n_eq = el * n  # dense-equivalent parameters: N_eq = EL·N_act
        if dc_coef is not None:
            loss = float(data_constrained.loss(n_eq, d, u_ref, dc_coef))
        else:
            loss = float(law.loss(n_eq, d)) if law.has_loss else None  # type: ignore[attr-defined]
            if law.form == "kaplan" and used == "closed":
                loss = float(law.frontier_loss(c_eq))
        train_flops = float(law.train_flops(n, d))
        n_total = float(moe.total_params_from_active(n, activation)) if moe_on else n
        if moe_activation is not None:
            extras["moe"] = {"law": "ling", "labels": [moe.EL_LOG_BASE_LABEL, moe.EL_MAPPING_LABEL,
                                                       moe.TOTAL_PARAMS_LABEL]}  # fmt: skip
            warnings += moe.moe_warnings(activation, g, c, n_tokens=d, n_params_total=n_total, allocation_law=False)
    if moe_activation is None and moe_granularity is not None:
        warnings.append("MoE granularity ignored: give an activation ratio to plan a mixture of experts.")
    extra = extrapolation_warnings(law, el * c, el * n, d)
    if el != 1.0:  # the law is evaluated at the MoE's dense-equivalent budget and size
        extra = [w.replace("Budget =", "Dense-equivalent budget EL·C =").replace("N =", "Dense-equivalent N =")
                 for w in extra]  # fmt: skip
    warnings += extra

    # vocabulary: a sub-allocation at fixed characters and compute (LAWS.md §3, §7.3)
    n_active, n_field = n, n
    v_chosen = v_opt = v_change = None
    v_band = None
    n_nonvocab = n
    if vocab_size is not None or optimal_vocab:
        conv = "total" if law.info.n_meaning == "total" else "non_embedding"
        vp = vocab.plan_vocab(n, d, vocab_size, reference_vocab=REFERENCE_VOCAB.get(law.id, vocab.DEFAULT_REFERENCE_VOCAB),
                              params_convention=conv)  # fmt: skip
        sp = vp.split
        v_chosen, v_opt, v_band = sp.vocab_size, vp.optimal_vocab_size, vp.band
        v_change = _finite_or_none(vp.loss_change)
        n_field = sp.n_params_total if conv == "total" else sp.n_nonvocab
        n_active, d, n_nonvocab = sp.n_params_total, sp.n_tokens, sp.n_nonvocab
        shared = sp.n_vocab_params / sp.n_params_total  # the vocabulary matrix is never an expert
        n_total = float(moe.total_params_from_active(n_active, activation, shared)) if moe_on else n_active
        train_flops = float(law.train_flops(n_field, d)) if not (moe_on and moe_law == "krajewski") else c
        warnings += vp.warnings
        if sp.n_nonvocab <= 0:  # V·d is the whole model: report, do not plan a negative N_nv
            success = False
            message = (f"vocabulary {sp.vocab_size:,.0f} × width {sp.d_model} = {sp.n_vocab_params:.3g} parameters "
                       f"leaves nothing for the rest of a {sp.n_params_total:.3g}-parameter model")  # fmt: skip
            n_nonvocab = n_active
        if moe_on:
            warnings.append("Vocabulary law fitted on dense models; applied to the MoE's active parameters.")
        extras["vocab"] = {
            "n_nonvocab": sp.n_nonvocab, "n_vocab_params": sp.n_vocab_params, "d_model": sp.d_model,
            "n_chars": sp.n_chars, "reference_vocab": sp.reference_vocab, "iterations": vp.iterations,
            "loss_change_label": vocab.LOSS_LABEL, "source": vocab.CITATION,
            "rule": "characters and compute held fixed; D = H·f(V); N·D of the law kept",
        }  # fmt: skip
    else:
        n_active = n_field = n

    # unique data: U counts tokens of the plan's own vocabulary, like n_tokens
    epochs = None
    if unique_tokens is not None:
        epochs = d / unique_tokens
        if dc_coef is None and epochs > 1.0:
            warnings.append(f"{epochs:.3g} epochs over the unique data: {law.id} has no repetition model, "
                            "so the loss treats repeated tokens as new.")  # fmt: skip
        extras["data_constrained"] = {"label": dc_coef.label if dc_coef else "epochs only (no repetition model)"}

    # hyperparameters (Step Law, DeepSeek; Ling for an MoE), each labelled
    estimates = hyperparams.recommend(n_nonvocab, d, c, moe=moe_on)
    extras["hyperparameters"] = [
        {"source": e.source, "learning_rate": e.learning_rate, "batch_size_tokens": e.batch_size_tokens,
         "schedule": e.schedule, "warnings": list(e.warnings)} for e in estimates
    ]  # fmt: skip

    # inference demand (Sardana): lifetime compute at the plan's (or the target) loss
    ia_dict = None
    if inference_tokens > 0 or target_loss is not None:
        loss_k = extras.get("moe", {}).get("krajewski_loss_c4_nats")
        ia_dict, ia_warn, ia_fail = _inference_aware(law, loss, target_loss, inference_tokens, moe_on, moe_law,
                                                     activation, g, hw, unique_tokens, loss_k)  # fmt: skip
        warnings += ia_warn
        if ia_fail:
            success, message = False, ia_fail

    intervals = None
    samples = law.info.bootstrap_samples
    if samples is not None and el == 1.0 and v_chosen is None and dc_coef is None:
        level = law.info.bootstrap_level or 0.95
        if used in ("closed", "numerical"):
            intervals = plan_intervals(samples, c, level, form=law.form)
        elif used in ("fixed N", "fixed D"):
            intervals = {"loss": loss_interval(samples, law.form, n, d, level)}

    gh = flops_to_gpu_hours(c, hw)
    inf = inference_cost(n_active, hw, n_total=n_total, context=context, batch=decode_batch)
    return Plan(
        preset=law.id,
        law_title=law.info.title,
        n_meaning=law.info.n_meaning,
        loss_unit=law.info.loss_unit,
        flops=c,
        n_params=n_field,
        n_tokens=d,
        tokens_per_param=d / n_field,
        loss=loss,
        train_flops=train_flops,
        gpu=hw.accelerator.name,
        n_gpus=hw.n_gpus,
        mfu=hw.mfu,
        usd_per_gpu_hour=hw.price,
        gpu_hours=gh,
        wall_clock_days=gpu_hours_to_days(gh, hw),
        cost_usd=gpu_hours_to_usd(gh, hw),
        context=context,
        inference_flops_per_token=inf.flops_per_token,
        inference_usd_per_million_tokens=inf.usd_per_million_tokens,
        inference_bound=inf.bound,
        serving_memory_bytes=inf.serving_memory_bytes,
        method=used,
        success=success,
        message=message,
        warnings=tuple(dict.fromkeys(warnings)),
        n_params_total=n_total,
        n_params_active=n_active,
        vocab_size=v_chosen,
        optimal_vocab_size=v_opt,
        vocab_band=v_band,
        vocab_loss_change=v_change,
        efficiency_leverage=el if moe_activation is not None else None,
        moe_activation=moe_activation,
        moe_granularity=g if moe_activation is not None else None,
        moe_law=moe_law if moe_activation is not None else None,
        unique_tokens=unique_tokens,
        epochs=epochs,
        learning_rate=estimates[0].learning_rate,
        batch_size_tokens=estimates[0].batch_size_tokens,
        hyperparameter_sources=tuple(e.source for e in estimates),
        inference_tokens=float(inference_tokens),
        inference_aware=ia_dict,
        intervals=intervals,
        extras=extras,
    )


def _inference_aware(law: Law, loss: float | None, target_loss: float | None, inference_tokens: float,
                     moe_on: bool, moe_law: str, activation: float, granularity: float, hw: Hardware,
                     unique_tokens: float | None, krajewski_loss: float | None,
                     ) -> tuple[dict[str, Any] | None, list[str], str]:  # fmt: skip
    """Sardana's plan at loss ℓ (the target, else the plan's loss) as a JSON-able dict.

    Dense and Ling MoE: :func:`planner.effects.demand.inference_aware_plan` on the preset's
    coefficients (MoE with EL(C) varying). Krajewski: the same problem on Krajewski's own
    surface (:func:`planner.effects.moe.krajewski_inference_aware`), at the Krajewski loss the MoE
    reaches (for a target loss: at the budget whose plan reaches it).
    """
    if moe_on and moe_law == "krajewski":
        return _inference_aware_krajewski(law, loss, target_loss, inference_tokens, activation, granularity, hw,
                                          krajewski_loss)  # fmt: skip
    coef = _chinchilla_coefficients(law)
    if coef is None:
        return None, [f"Inference-aware allocation needs a Chinchilla-form law (L = E + A/N^α + B/D^β); "
                      f"{law.id} has none."], ""  # fmt: skip
    ell = target_loss if target_loss is not None else loss
    if ell is None or not ell > coef.E:
        return None, [], f"target loss {ell:g} is unreachable with {law.id} (its floor is E = {coef.E:g})"
    warn: list[str] = []
    if moe_on:
        leverage, how = moe.el_log_affine(activation, granularity), "MoE: EL(C) varies with C; brentq on the FOC"
    else:
        leverage, how = inference_aware.DENSE, "dense: closed first-order condition, Newton in ln D"
    r = inference_aware.inference_aware_plan(ell, inference_tokens, coef, leverage=leverage)
    if target_loss is not None and loss is not None and loss > target_loss * (1 + 1e-12):
        warn.append(f"The budget's plan reaches loss {loss:.4g}, above the target {target_loss:.4g}; the "
                    f"inference-aware plan needs {r.train_flops:.3g} training FLOPs.")  # fmt: skip
    if unique_tokens is not None:
        warn.append("Inference-aware allocation ignores the unique-data limit (Sardana has no repetition model).")
    n_tot = float(moe.total_params_from_active(r.n_params, activation)) if moe_on else r.n_params
    gh = flops_to_gpu_hours(r.train_flops, hw)
    d = {
        "target_loss": r.target_loss, "inference_tokens": r.inference_tokens,
        "n_params": r.n_params, "n_params_total": n_tot, "n_tokens": r.n_tokens,
        "tokens_per_param": r.n_tokens / r.n_params,
        "train_flops": r.train_flops, "inference_flops": r.inference_flops, "total_flops": r.total_flops,
        "compute_optimal_n_params": r.compute_optimal_n_params,
        "compute_optimal_n_tokens": r.compute_optimal_n_tokens,
        "compute_optimal_train_flops": r.compute_optimal_train_flops,
        "compute_optimal_total_flops": r.compute_optimal_total_flops,
        "total_flops_saving": r.total_flops_saving,
        "total_flops_saving_fraction": r.total_flops_saving_fraction,
        "crossover_inference_tokens": r.crossover_inference_tokens,
        "crossover_threshold": r.crossover_threshold,
        "crossover_definition": "smallest lifetime inference tokens at which the optimal N is "
                                f"{r.crossover_threshold:.0%} below the compute-optimal N",
        "train_gpu_hours": gh, "train_cost_usd": gpu_hours_to_usd(gh, hw),
        "method": how, "source": r.source,
    }  # fmt: skip
    return {k: _finite_or_none(v) for k, v in d.items()}, warn, ""


def _inference_aware_krajewski(law: Law, loss: float | None, target_loss: float | None, inference_tokens: float,
                               activation: float, granularity: float, hw: Hardware, krajewski_loss: float | None,
                               ) -> tuple[dict[str, Any] | None, list[str], str]:  # fmt: skip
    warn: list[str] = []
    ell_k = krajewski_loss
    if target_loss is not None:
        try:
            c_t = _budget_for_target(law, target_loss, True, activation, granularity, "krajewski")
        except ValueError as exc:
            return None, [], str(exc)
        ell_k = moe.krajewski_plan(c_t, granularity).loss
        if loss is not None and loss > target_loss * (1 + 1e-12):
            warn.append(f"The budget's plan reaches loss {loss:.4g}, above the target {target_loss:.4g}.")
    r = moe.krajewski_inference_aware(float(ell_k), inference_tokens, granularity)  # type: ignore[arg-type]
    saving = max(r.compute_optimal_total_flops - r.total_flops, 0.0)
    gh = flops_to_gpu_hours(r.train_flops, hw)
    d = {
        "target_loss": target_loss if target_loss is not None else loss, "krajewski_loss_c4_nats": ell_k,
        "inference_tokens": inference_tokens, "n_params": r.n_params_active,
        "n_params_total": float(moe.krajewski_total_params(r.n_params_active)), "n_tokens": r.n_tokens,
        "tokens_per_param": r.n_tokens / r.n_params_active, "train_flops": r.train_flops,
        "inference_flops": r.total_flops - r.train_flops, "total_flops": r.total_flops,
        "compute_optimal_n_params": r.compute_optimal_n_params_active,
        "compute_optimal_n_tokens": r.compute_optimal_n_tokens,
        "compute_optimal_train_flops": r.compute_optimal_train_flops,
        "compute_optimal_total_flops": r.compute_optimal_total_flops,
        "total_flops_saving": saving, "total_flops_saving_fraction": saving / r.compute_optimal_total_flops,
        "crossover_inference_tokens": None, "crossover_threshold": None,
        "crossover_definition": "not computed on Krajewski's surface",
        "train_gpu_hours": gh, "train_cost_usd": gpu_hours_to_usd(gh, hw),
        "method": "MoE (Krajewski): numerical on its own surface, routing FLOPs included",
        "source": inference_aware.CITATION + "; " + moe.KRAJEWSKI_CITATION,
    }  # fmt: skip
    return {k: _finite_or_none(v) for k, v in d.items()}, warn, ""


_DEFAULT_HW = Hardware()
