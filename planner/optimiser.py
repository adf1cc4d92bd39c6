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

from planner.hardware import Hardware, flops_to_gpu_hours, gpu_hours_to_days, gpu_hours_to_flops, gpu_hours_to_usd
from planner.inference import DEFAULT_CONTEXT, DEFAULT_DECODE_BATCH, inference_cost
from planner.laws import ChinchillaLaw, Law

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
        """Plain JSON-able dict; ``formatted`` holds the strings the window and report show."""
        from planner.summary import formatted_values

        d = asdict(self)
        d["warnings"] = list(self.warnings)
        d["hyperparameter_sources"] = list(self.hyperparameter_sources)
        d["formatted"] = formatted_values(self)
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
    moe_law: str = "ling",
    inference_tokens: float = 0.0,
    target_loss: float | None = None,
    unique_tokens: float | None = None,
) -> Plan:
    """Plan a training run for ``law`` and a budget.

    Parameters
    ----------
    law : Law
        A law from :mod:`planner.presets` (e.g. ``get_law("epoch-2024")``).
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
        D = C/(6N) (or N = C/(6D)).

    The remaining keyword arguments (vocabulary, MoE, inference demand, target loss, unique
    data) belong to the sliders' science.
    """
    hw = hardware or _DEFAULT_HW
    if (flops is None) == (gpu_hours is None):
        raise ValueError("give exactly one budget: flops or gpu_hours")
    if gpu_hours is not None:
        if not math.isfinite(gpu_hours) or gpu_hours <= 0:
            raise ValueError(f"GPU-hours {gpu_hours!r} must be a positive finite number")
        flops = gpu_hours_to_flops(gpu_hours, hw)
    c = _check_flops(flops)  # type: ignore[arg-type]
    if context < 1 or context > 10_000_000:
        raise ValueError(f"context {context} tokens is out of range (expected 1 to 1e7)")
    science = (vocab_size, moe_activation, target_loss, unique_tokens)
    if optimal_vocab or inference_tokens or any(x is not None for x in science):
        raise NotImplementedError("vocabulary, MoE, inference-demand and data-limit planning land with issue 3")

    warnings = list(law.info.warnings)
    used = "closed" if method in ("auto", "closed") else "numerical"
    if n_params is not None:
        n, d = float(n_params), c / (6.0 * n_params)
        used = "fixed N"
    elif n_tokens is not None:
        n, d = c / (6.0 * n_tokens), float(n_tokens)
        used = "fixed D"
    else:
        n, d = allocate(law, c, method)
    loss = float(law.loss(n, d)) if law.has_loss else None  # type: ignore[attr-defined]
    if law.form == "kaplan" and used == "closed":
        loss = float(law.frontier_loss(c))
    train_flops = float(law.train_flops(n, d))
    warnings += extrapolation_warnings(law, c, n, d)

    gh = flops_to_gpu_hours(c, hw)
    inf = inference_cost(n, hw, context=context, batch=decode_batch)
    return Plan(
        preset=law.id,
        law_title=law.info.title,
        n_meaning=law.info.n_meaning,
        loss_unit=law.info.loss_unit,
        flops=c,
        n_params=n,
        n_tokens=d,
        tokens_per_param=d / n,
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
        warnings=tuple(warnings),
        n_params_total=n,
        n_params_active=n,
    )


_DEFAULT_HW = Hardware()
