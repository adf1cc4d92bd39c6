"""Vocabulary size as a sub-allocation of the budget (Tao et al. 2024, arXiv 2407.13623).

"Scaling Laws with Vocabulary: Larger Models Deserve Larger Vocabularies", LAWS.md §3.
Constants are AUTHORS' CODE OR DATA ONLY (public repository sail-sg/scaling-with-vocab);
the 3B / 2.3e21 FLOPs / 43K claim is CONFIRMED (abstract).

Counting (LAWS.md §0.3, §3):

* N_nv = non-vocabulary parameters; N_v = V·d counts **one** V×d matrix (untied models:
  FLOPs use one copy, memory holds two);
* data is budgeted in characters H; tokens D = H·f(V), f(V) = a·(ln V)² + b·ln V + c
  with V capped at 200K inside the log;
* FLOPs C = 6·(N_nv + V·d)·D (no attention term).

Three ways to pick V:

* approach 1 (IsoFLOP power laws): N_v = e^−1.5890·C^0.41636, V = N_v/d;
* approach 2 (derivative): N_v = 3,145,728·(N_nv/3.3e7)^0.8353974, V = N_v/d; the
  H-independent root of ∂C/∂V = 0 at fixed H is :func:`approach2_root`;
* approach 3 (parametric, any budget): V solving ∂L_u/∂V = 0 for
  L_u = −E + A1/N_nv^α1 + A2/N_v^α2 + B/D^β in the shipped units (N_nv in millions,
  N_v = (V/1e3)(d/1e3), D in billions, F in 1e15 FLOPs).

Use Tao only to **choose V** (§3 pitfall 1, §7.3): the unigram-normalised loss L_u is not a
cross-entropy, so its change is reported as its own indicator and never added to a CE loss.
When V moves, characters H are held fixed and D = H·f(V) recomputed (§3 pitfall 2); see
:func:`plan_vocab_split` for the no-double-counting rule.

Symbols follow the paper (N_nv, N_v, V, d, H, D, F); the public API uses ``n_nonvocab``,
``vocab_size``, ``d_model``, ``n_chars``, ``n_tokens`` and ``flops``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from planner.laws.base import DEFAULT_REFERENCE_VOCAB, REFERENCE_VOCAB, reference_vocab  # noqa: F401 (re-exported)
from planner.solve.problem import Conflict, Point, Problem, Term
from planner.units import fmt_count

if TYPE_CHECKING:
    from planner.question import Question

ArrayLike = float | np.ndarray

CITATION = "Tao et al. 2024, arXiv 2407.13623 (constants: sail-sg/scaling-with-vocab)"

# --- f(V): tokens per character (LAWS.md §3 "Characters and FLOPs"; authors' code) --------
F_COEF_A = 0.00639222  # (ln V)² coefficient, Tao et al. 2024 utils (LAWS.md §3)
F_COEF_B = -0.15811069  # ln V coefficient, LAWS.md §3
F_COEF_C = 1.20470122  # constant, LAWS.md §3
F_VOCAB_CAP = 200_000  # V is capped at 200K inside the log (LAWS.md §3, pitfall 3)

# --- width lookup d(N_nv), intervals (lo, hi] (LAWS.md §3 "Counting"; authors' code) ------
WIDTH_BOUNDS = (5e7, 2e8, 5e8, 1e9, 2e9, 5e9, 1e10, 2e10, 5e10, 1e11, 2e11, 5e11, 1e12)
WIDTHS = (512, 768, 1024, 1536, 2048, 3200, 4096, 5120, 6048, 8192, 12288, 16384, 20480, 24576)

# --- Approach 1: IsoFLOP power laws (LAWS.md §3 "Approach 1") ----------------------------
APP1_LN_NNV_COEF = -2.4846510161625193  # N_nv = e^coef·C^0.5
APP1_LN_NV_COEF = -1.589031299255507  # N_v = e^coef·C^0.4163622634135234
APP1_NV_EXP = 0.4163622634135234
APP1_LN_H_COEF = 1.85958504  # H = e^coef·C^0.5 (characters)

# --- Approach 2: derivative-based slope with the 33M / 2.7e17 anchor (LAWS.md §3) ---------
APP2_GAMMA = 0.8353974035228025  # slope of N_v vs N_nv over the ∂C/∂V = 0 roots
APP2_ANCHOR_NV = 3_145_728.0  # best empirical N_v of the 33M model at 2.7e17 FLOPs
APP2_ANCHOR_NNV = 3.3e7

# --- Approach 3: parametric L_u fit (LAWS.md §3 "Approach 3"; authors' code) --------------
APP3_E = 5.5327846803337435
APP3_A1 = 1.8313851559554126
APP3_A2 = 0.19584238398665638
APP3_B = 2.1241123120064955
APP3_BETA = 0.44660634152009615  # α1 = β by construction
APP3_ALPHA2 = 0.6707374679896795

N_NONVOCAB_FIT_MAX = 3e9  # fits stop at ~3B N_nv (LAWS.md §3 pitfall 6)
VOCAB_FIT_RANGE = (4096, 96_000)  # experiments used V 4K–96K (LAWS.md §3 "Loss")

LOSS_LABEL = "Tao L_u (unigram-normalised, not CE) — relative change vs optimal V"


# ---------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------
def width_for_params(n_nonvocab: ArrayLike) -> ArrayLike:
    """Model width d for ``n_nonvocab`` non-vocabulary parameters (Tao lookup, (lo, hi]).

    Returns an ``int`` for a scalar, an int array otherwise.
    """
    if isinstance(n_nonvocab, float | int):  # scalar fast path (called per slider move)
        return WIDTHS[bisect.bisect_left(WIDTH_BOUNDS, n_nonvocab)]
    idx = np.searchsorted(np.asarray(WIDTH_BOUNDS), n_nonvocab, side="left")
    out = np.asarray(WIDTHS)[idx]
    return int(out) if np.ndim(out) == 0 else out


def tokens_per_char(vocab_size: ArrayLike) -> ArrayLike:
    """f(V) = 0.00639222·(ln V)² − 0.15811069·ln V + 1.20470122, V capped at 200K."""
    if isinstance(vocab_size, float | int):
        lv = math.log(min(vocab_size, F_VOCAB_CAP))
        return F_COEF_A * lv * lv + F_COEF_B * lv + F_COEF_C
    lv = np.log(np.minimum(vocab_size, F_VOCAB_CAP))
    return F_COEF_A * lv * lv + F_COEF_B * lv + F_COEF_C


def tokens_from_chars(n_chars: ArrayLike, vocab_size: ArrayLike) -> ArrayLike:
    """D = H·f(V)."""
    return n_chars * tokens_per_char(vocab_size)


def chars_from_tokens(n_tokens: ArrayLike, vocab_size: ArrayLike) -> ArrayLike:
    """H = D/f(V)."""
    return n_tokens / tokens_per_char(vocab_size)


def train_flops(
    n_nonvocab: ArrayLike, vocab_size: ArrayLike, d_model: ArrayLike, n_tokens: ArrayLike
) -> ArrayLike:
    """C = 6·(N_nv + V·d)·D (Tao's convention: one V×d matrix, no attention term)."""
    return 6.0 * (n_nonvocab + vocab_size * d_model) * n_tokens


# ---------------------------------------------------------------------------------------
# Approaches 1 and 2 (the compute-optimal band)
# ---------------------------------------------------------------------------------------
def approach1_optimal_flops(n_nonvocab: ArrayLike) -> ArrayLike:
    """C*(N_nv) = (N_nv·e^2.4846510161625193)², the budget at which N_nv is optimal."""
    return (n_nonvocab * math.exp(-APP1_LN_NNV_COEF)) ** 2


def approach1_vocab_params(flops: ArrayLike) -> ArrayLike:
    """Approach 1: N_v = e^−1.589031299255507·C^0.4163622634135234."""
    return math.exp(APP1_LN_NV_COEF) * np.asarray(flops, dtype=float) ** APP1_NV_EXP


def approach1_vocab_size(flops: ArrayLike, d_model: ArrayLike) -> ArrayLike:
    """Approach 1 vocabulary V = N_v(C)/d (float; LAWS.md tables truncate with int())."""
    return approach1_vocab_params(flops) / d_model


def approach2_vocab_params(n_nonvocab: ArrayLike) -> ArrayLike:
    """Approach 2: N_v = 3,145,728·(N_nv/3.3e7)^0.8353974035228025."""
    return APP2_ANCHOR_NV * (np.asarray(n_nonvocab, dtype=float) / APP2_ANCHOR_NNV) ** APP2_GAMMA


def approach2_vocab_size(n_nonvocab: ArrayLike, d_model: ArrayLike) -> ArrayLike:
    """Approach 2 vocabulary V = N_v(N_nv)/d."""
    return approach2_vocab_params(n_nonvocab) / d_model


def approach2_root(n_nonvocab: float, d_model: float) -> float:
    """V minimising the FLOPs at fixed characters H (independent of H).

    Root of d·f(V) + (N_nv + V·d)·(2a·ln V + b)/V = 0 (LAWS.md §3 "Approach 2"). Only the
    slope over these roots enters approach 2; the root itself is a diagnostic (e.g. 54,683
    for N_nv = 1e9, d = 1536). Solved in ln V with Newton's method (the left side is
    increasing in V on the bracket) and bisection as a safeguard.
    """
    a, b = F_COEF_A, F_COEF_B

    def g(x: float) -> float:
        v = math.exp(x)
        lv = min(x, math.log(F_VOCAB_CAP))
        f = a * lv * lv + b * lv + F_COEF_C
        return d_model * f + (n_nonvocab + v * d_model) * (2.0 * a * x + b) / v

    lo, hi = math.log(16.0), math.log(1e9)
    glo, ghi = g(lo), g(hi)
    if glo > 0 or ghi < 0:
        return math.nan
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if g(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return math.exp(0.5 * (lo + hi))


# ---------------------------------------------------------------------------------------
# Approach 3 (parametric L_u)
# ---------------------------------------------------------------------------------------
def _app3_units(n_nonvocab: ArrayLike, d_model: ArrayLike, flops: ArrayLike):
    return (
        np.asarray(n_nonvocab, dtype=float) / 1e6,
        np.asarray(d_model, dtype=float) / 1e3,
        np.asarray(flops, dtype=float) / 1e15,
    )


def unigram_normalised_loss(
    n_nonvocab: ArrayLike, vocab_size: ArrayLike, d_model: ArrayLike, flops: ArrayLike
) -> ArrayLike:
    """L_u = −E + A1/N_nv^β + A2/N_v^α2 + B/D^β in the shipped units (LAWS.md §3).

    N_nv in millions, N_v = (V/1e3)(d/1e3), D = F/(6(N_nv + N_v)) in billions, F in 1e15
    FLOPs. Negative when the model beats unigram frequencies. **Not a cross-entropy.**
    """
    if all(isinstance(x, float | int) for x in (n_nonvocab, vocab_size, d_model, flops)):
        nm, dk, fu = n_nonvocab / 1e6, d_model / 1e3, flops / 1e15
        nv = vocab_size / 1e3 * dk
        if nm <= 0 or nv <= 0 or fu <= 0:
            return math.nan
    else:
        nm, dk, fu = _app3_units(n_nonvocab, d_model, flops)
        nv = np.asarray(vocab_size, dtype=float) / 1e3 * dk
    u = fu / (6.0 * (nm + nv))
    return -APP3_E + APP3_A1 * nm**-APP3_BETA + APP3_A2 * nv**-APP3_ALPHA2 + APP3_B * u**-APP3_BETA


def approach3_dloss_dvocab(
    vocab_size: ArrayLike, n_nonvocab: ArrayLike, d_model: ArrayLike, flops: ArrayLike
) -> ArrayLike:
    """∂L_u/∂V (per 1000 vocabulary entries), exactly the shipped condition.

    −α2·A2·d/(V·d)^(α2+1) + β·B·[F·d/(6(N_nv + V·d)²)]/u^(β+1), u = F/(6(N_nv + V·d)), in
    the units of :func:`unigram_normalised_loss` (V and d in thousands).
    """
    nm, dk, fu = _app3_units(n_nonvocab, d_model, flops)
    v = np.asarray(vocab_size, dtype=float) / 1e3
    u = fu / (6.0 * (nm + v * dk))
    du_dv = fu * dk / (6.0 * (nm + v * dk) ** 2)
    return -APP3_ALPHA2 * APP3_A2 * dk / (v * dk) ** (
        APP3_ALPHA2 + 1.0
    ) + APP3_BETA * APP3_B * du_dv / u ** (APP3_BETA + 1.0)


def approach3_optimal_vocab(
    n_nonvocab: ArrayLike, d_model: ArrayLike, flops: ArrayLike
) -> ArrayLike:
    """Approach 3 optimal V: the root of ∂L_u/∂V = 0 (vectorised).

    With y = ln N_v (N_v in millions), the two terms' log-ratio is
    h(y) = ln(β·B·(6/F)^β/(α2·A2)) + (β − 1)·ln(N_nv + e^y) + (α2 + 1)·y, whose slope lies in
    [α2 + β, α2 + 1] > 0: the root is unique and Newton's method converges from the
    N_v ≪ N_nv start in a few steps. Oracle (LAWS.md §3, DERIVED): N_nv = 2.87e9,
    d = 3200, F = 2.3e21 → V ≈ 42,211.
    """
    if all(isinstance(x, float | int) for x in (n_nonvocab, d_model, flops)):
        return _approach3_scalar(n_nonvocab / 1e6, d_model / 1e3, flops / 1e15)
    nm, dk, fu = _app3_units(n_nonvocab, d_model, flops)
    beta, a2 = APP3_BETA, APP3_ALPHA2
    const = math.log(beta * APP3_B / (a2 * APP3_A2)) + beta * np.log(6.0 / fu)
    ln_nm = np.log(nm)
    y = (-const + (1.0 - beta) * ln_nm) / (a2 + 1.0)
    for _ in range(50):
        s = np.logaddexp(ln_nm, y)  # ln(N_nv + N_v)
        h = const + (beta - 1.0) * s + (a2 + 1.0) * y
        slope = (a2 + 1.0) + (beta - 1.0) * np.exp(y - s)
        step = h / slope
        y = y - step
        if np.all(np.abs(step) < 1e-12):  # quadratic convergence: the next error is ~step²
            break
    return np.exp(y) * 1e6 / (dk * 1e3)


def _approach3_scalar(nm: float, dk: float, fu: float) -> float:
    """:func:`approach3_optimal_vocab` for Python floats (same iteration, math module)."""
    if nm <= 0 or dk <= 0 or fu <= 0:
        return math.nan
    beta, a2 = APP3_BETA, APP3_ALPHA2
    const = math.log(beta * APP3_B / (a2 * APP3_A2)) + beta * math.log(6.0 / fu)
    ln_nm = math.log(nm)
    y = (-const + (1.0 - beta) * ln_nm) / (a2 + 1.0)
    for _ in range(50):
        hi, lo = (ln_nm, y) if ln_nm > y else (y, ln_nm)
        s = hi + math.log1p(math.exp(lo - hi))  # ln(N_nv + N_v)
        step = (const + (beta - 1.0) * s + (a2 + 1.0) * y) / (
            (a2 + 1.0) + (beta - 1.0) * math.exp(y - s)
        )
        y -= step
        if abs(step) < 1e-12:
            break
    return math.exp(y) * 1e6 / (dk * 1e3)


def vocab_loss_change(
    n_nonvocab: ArrayLike, vocab_size: ArrayLike, d_model: ArrayLike, flops: ArrayLike
) -> ArrayLike:
    """Relative change of L_u at ``vocab_size`` against the approach-3 optimum (same N_nv, d, F).

    (L_u(V) − L_u(V*))/|L_u(V*)| ≥ 0. An indicator of how far from Tao's optimum a choice
    is; **never** add it to a cross-entropy loss (LAWS.md §3 pitfall 1).
    """
    v_opt = approach3_optimal_vocab(n_nonvocab, d_model, flops)
    l_opt = unigram_normalised_loss(n_nonvocab, v_opt, d_model, flops)
    l_v = unigram_normalised_loss(n_nonvocab, vocab_size, d_model, flops)
    if isinstance(l_v, float) and isinstance(l_opt, float):
        return max((l_v - l_opt) / abs(l_opt), 0.0)  # ≥ 0 by construction; clip rounding
    out = np.maximum((l_v - l_opt) / np.abs(l_opt), 0.0)
    return float(out) if np.ndim(out) == 0 else out


def vocab_warnings(n_nonvocab: float, vocab_size: float | None = None) -> tuple[str, ...]:
    """Extrapolation warnings for Tao's fits (LAWS.md §3 pitfalls 3 and 6)."""
    out: list[str] = []
    if n_nonvocab > N_NONVOCAB_FIT_MAX:
        out.append(
            f"vocabulary law: {fmt_count(n_nonvocab)} non-vocabulary parameters is beyond Tao et al.'s "
            "fits (≤ ~3B); the optimal V is an extrapolation"
        )
    if vocab_size is not None and vocab_size > F_VOCAB_CAP:
        out.append(
            f"vocabulary law: V = {vocab_size:,.0f} exceeds 200K, where the tokens-per-character "
            "fit f(V) is held flat (saturated); tokens per character are not modelled above it"
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class VocabOptimum:
    """Optimal vocabulary for (N_nv, d, C): approach 3 plus the approaches 1–2 band."""

    vocab_size: float
    approach1: float
    approach2: float
    band: tuple[float, float]
    d_model: int
    warnings: tuple[str, ...]
    source: str = CITATION


def optimal_vocab(n_nonvocab: float, flops: float, d_model: float | None = None) -> VocabOptimum:
    """Approach-3 optimal V at the actual budget, with approaches 1–2 as the band (§7.3).

    ``d_model`` defaults to the Tao width lookup; pass the user's d when fixed (§3 pitfall 4).
    """
    d = int(width_for_params(n_nonvocab)) if d_model is None else d_model
    v3 = float(approach3_optimal_vocab(n_nonvocab, d, flops))
    v1 = float(approach1_vocab_size(flops, d))
    v2 = float(approach2_vocab_size(n_nonvocab, d))
    return VocabOptimum(
        vocab_size=v3,
        approach1=v1,
        approach2=v2,
        band=(min(v1, v2), max(v1, v2)),
        d_model=int(d),
        warnings=vocab_warnings(n_nonvocab, v3),
    )


# ---------------------------------------------------------------------------------------
# Vocabulary as a sub-allocation of a dense plan
# ---------------------------------------------------------------------------------------
ParamsConvention = Literal["total", "non_embedding"]
Hold = Literal["flops", "params"]


@dataclass(frozen=True, slots=True)
class VocabSplit:
    """One vocabulary choice inside a dense allocation; characters H are fixed."""

    vocab_size: float
    n_chars: float  # H, fixed from the reference vocabulary
    n_tokens: float  # D(V) = H·f(V)
    n_nonvocab: float  # N_nv
    n_vocab_params: float  # N_v = V·d (one matrix)
    n_params_total: float  # N_nv + V·d
    d_model: int
    flops: float  # 6·(N_nv + V·d)·D(V)
    reference_vocab: float
    warnings: tuple[str, ...]


def _split_nonvocab(n_total: float, vocab_size: float, d_model: float | None) -> tuple[float, int]:
    """N_nv = N_total − V·d with d = d(N_nv) from the lookup (fixed point) or user-fixed."""
    if d_model is not None:
        return n_total - vocab_size * d_model, int(d_model)
    d = int(width_for_params(n_total))
    seen: set[int] = set()
    for _ in range(8):
        n_nv = n_total - vocab_size * d
        d_new = int(width_for_params(max(n_nv, 1.0)))
        if d_new == d or d_new in seen:
            d = min(d, d_new)  # a 2-cycle at a table edge: take the narrower width
            break
        seen.add(d)
        d = d_new
    return n_total - vocab_size * d, d


def plan_vocab_split(
    n_params: float,
    n_tokens: float,
    vocab_size: float,
    *,
    reference_vocab: float = DEFAULT_REFERENCE_VOCAB,
    d_model: float | None = None,
    params_convention: ParamsConvention = "total",
    hold: Hold = "flops",
) -> VocabSplit:
    """Split a dense allocation (n_params, n_tokens) for vocabulary V without double counting.

    The dense law's tokens refer to ``reference_vocab``; the data are fixed in characters,
    H = n_tokens/f(V_ref), and D(V) = H·f(V) (LAWS.md §3 pitfall 2). Two ways to count:

    * ``hold="flops"`` (default): the law's compute N·D is kept, so the parameter count
      scales as N(V) = n_params·f(V_ref)/f(V). A larger V packs the same text into fewer
      tokens and frees compute for parameters; at V = V_ref the dense plan is returned
      unchanged.
    * ``hold="params"``: the parameter count stays n_params and the FLOPs move (Tao's
      approach-2 view: at fixed N_nv and H the FLOPs have a minimum in V).

    ``params_convention="total"`` (Hoffmann/Epoch, embeddings included): N_nv = N − V·d,
    so the vocabulary matrix is carved out of the law's N, never added on top of it.
    ``"non_embedding"`` (Kaplan, Step Law): N is N_nv itself, and V·d comes on top (its
    FLOPs then exceed the law's 6ND, as they do in Kaplan's own convention).
    d is the Tao lookup d(N_nv) unless ``d_model`` is given.
    """
    f_ref = float(tokens_per_char(reference_vocab))
    f_v = float(tokens_per_char(vocab_size))
    n_chars = n_tokens / f_ref
    d_tokens = n_chars * f_v
    n_law = n_params * f_ref / f_v if hold == "flops" else n_params
    if params_convention == "total":
        n_nv, d = _split_nonvocab(n_law, vocab_size, d_model)
    else:
        n_nv = n_law
        d = int(width_for_params(n_nv)) if d_model is None else int(d_model)
    n_v = vocab_size * d
    warnings = list(vocab_warnings(n_nv, vocab_size))
    if n_nv <= 0:
        warnings.append(
            f"vocabulary: V·d = {fmt_count(n_v)} leaves no non-vocabulary parameters out of {fmt_count(n_law)}"
        )
    elif n_v > n_nv:
        warnings.append("vocabulary: the vocabulary matrix is larger than the rest of the model")
    return VocabSplit(
        vocab_size=float(vocab_size),
        n_chars=n_chars,
        n_tokens=d_tokens,
        n_nonvocab=n_nv,
        n_vocab_params=n_v,
        n_params_total=n_nv + n_v,
        d_model=d,
        flops=6.0 * (n_nv + n_v) * d_tokens,
        reference_vocab=float(reference_vocab),
        warnings=tuple(warnings),
    )


@dataclass(frozen=True, slots=True)
class VocabPlan:
    """A dense plan's vocabulary: the chosen split, the optimal V and the L_u indicator."""

    split: VocabSplit  # at the chosen V
    optimal: VocabSplit  # at the approach-3 optimal V (joint fixed point with N_nv)
    optimal_vocab_size: float
    band: tuple[float, float]  # approaches 1–2 at the optimal split
    loss_change: float  # vocab_loss_change at the chosen split's (N_nv, d, C); not CE
    iterations: int
    warnings: tuple[str, ...]
    source: str = CITATION


def plan_vocab(
    n_params: float,
    n_tokens: float,
    vocab_size: float | None = None,
    *,
    reference_vocab: float = DEFAULT_REFERENCE_VOCAB,
    d_model: float | None = None,
    params_convention: ParamsConvention = "total",
    hold: Hold = "flops",
    max_iter: int = 20,
) -> VocabPlan:
    """Optimal and chosen vocabulary for a dense allocation, jointly in (N_nv, D, V).

    The approach-3 optimum depends on N_nv and d, which depend on V through the split
    (:func:`plan_vocab_split`); V* is the fixed point V = V3(N_nv(V), d(V), C(V)), found by
    iteration (the coupling is weak: N_v ≪ N_nv, LAWS.md §7.3, so it converges in a few
    steps; a width-table edge can make it alternate, then the last iterate is kept).
    ``vocab_size=None`` chooses the optimum.

    Tao's condition is used as shipped: ∂L_u/∂V = 0 at the split's own N_nv and FLOPs.
    Minimising L_u along the split path instead (where a larger V·d is carved out of N_nv)
    would trade non-vocabulary parameters for vocabulary through A1/N_nv^β and pick V several
    times smaller than every Tao approach; the fit was never meant for that trade-off.
    ``loss_change`` is :func:`vocab_loss_change` at the chosen split, ≥ 0, 0 at the optimum.
    """
    kw = {
        "reference_vocab": reference_vocab,
        "d_model": d_model,
        "params_convention": params_convention,
        "hold": hold,
    }
    v = float(reference_vocab)
    opt = plan_vocab_split(n_params, n_tokens, v, **kw)
    it = 0
    while it < max_iter:
        it += 1
        if opt.n_nonvocab <= 0:
            break
        v_new = float(approach3_optimal_vocab(opt.n_nonvocab, opt.d_model, opt.flops))
        opt = plan_vocab_split(n_params, n_tokens, v_new, **kw)
        if abs(v_new - v) <= 1e-9 * v:
            v = v_new
            break
        v = v_new
    chosen = opt if vocab_size is None else plan_vocab_split(n_params, n_tokens, vocab_size, **kw)
    if chosen.n_nonvocab > 0:
        change = float(
            vocab_loss_change(chosen.n_nonvocab, chosen.vocab_size, chosen.d_model, chosen.flops)
        )
    else:
        change = math.nan
    v1 = float(approach1_vocab_size(opt.flops, opt.d_model))
    v2 = float(approach2_vocab_size(max(opt.n_nonvocab, 1.0), opt.d_model))
    # N_nv warnings from the chosen split only (the optimum's N_nv differs by N_v);
    # V > 200K from both
    warnings = tuple(dict.fromkeys(chosen.warnings + vocab_warnings(0.0, v)))
    return VocabPlan(
        split=chosen,
        optimal=opt,
        optimal_vocab_size=v,
        band=(min(v1, v2), max(v1, v2)),
        loss_change=change,
        iterations=it,
        warnings=warnings,
    )


# ---------------------------------------------------------------------------------------
# the vocabulary's contribution to a plan
def _convention(p: Problem) -> ParamsConvention:
    return "total" if p.law.info.n_meaning == "total" else "non_embedding"


def chosen_vocab(p: Problem, n: float, d: float) -> float | None:
    """The V a question plans with: the one given, or Tao's optimum at (N, D); None when off."""
    q = p.question
    if q.vocab_size is not None:
        return q.vocab_size
    if not q.optimal_vocab:
        return None
    return plan_vocab(n, d, reference_vocab=reference_vocab(p.law.id), params_convention=_convention(p)).optimal_vocab_size


class VocabTerm(Term):
    """A sub-allocation at fixed characters and compute (LAWS.md §3, §7.3): D = H·f(V), the law's
    N·D kept, V·d carved out of N for total-parameter laws. Tao's L_u change is reported as its
    own indicator, never added to the loss."""

    name = "vocabulary"

    def applies(self, q: Question) -> bool:
        return q.vocab_size is not None or q.optimal_vocab

    def refine(self, p: Problem, pt: Point) -> Point:
        conv = _convention(p)
        vp = plan_vocab(pt.n, pt.d, p.question.vocab_size, reference_vocab=reference_vocab(p.law.id),
                        params_convention=conv)  # fmt: skip
        sp = vp.split
        if sp.n_nonvocab <= 0:  # V·d is the whole model: nothing sensible to plan
            raise Conflict(f"vocabulary {sp.vocab_size:,.0f} × width {sp.d_model} = {fmt_count(sp.n_vocab_params)} "
                           f"parameters leaves nothing for the rest of a {fmt_count(sp.n_params_total)}-parameter model: "
                           "choose a smaller vocabulary or a larger budget")  # fmt: skip
        p.extras = {**(p.extras or {}), "vocab_plan": vp}
        n_field = sp.n_params_total if conv == "total" else sp.n_nonvocab
        return Point(n_field, sp.n_tokens, pt.loss, pt.method, pt.binding)

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        vp = p.extras["vocab_plan"]  # type: ignore[index]
        sp = vp.split
        q = p.question
        out.update(vocab_size=sp.vocab_size, optimal_vocab_size=vp.optimal_vocab_size, vocab_band=vp.band,
                   vocab_loss_change=vp.loss_change if math.isfinite(vp.loss_change) else None,
                   n_params_active=sp.n_params_total)  # fmt: skip
        moe_on = q.moe_activation is not None and q.moe_activation < 1.0
        if moe_on and q.moe_law == "ling":  # the vocabulary matrix is never an expert
            from planner.effects.moe import total_params_from_active

            shared = sp.n_vocab_params / sp.n_params_total
            out["n_params_total"] = float(total_params_from_active(sp.n_params_total, q.moe_activation, shared))
        elif not moe_on:
            out["n_params_total"] = sp.n_params_total
        if not (moe_on and q.moe_law == "krajewski"):
            out["train_flops"] = float(p.law.train_flops(pt.n, pt.d))
        out["warnings"] += vp.warnings
        if moe_on:
            out["warnings"].append("Vocabulary law fitted on dense models; applied to the MoE's active parameters.")
        out["extras"]["vocab"] = {
            "n_nonvocab": sp.n_nonvocab, "n_vocab_params": sp.n_vocab_params, "d_model": sp.d_model,
            "n_chars": sp.n_chars, "reference_vocab": sp.reference_vocab, "iterations": vp.iterations,
            "loss_change_label": LOSS_LABEL, "source": CITATION,
            "rule": "characters and compute held fixed; D = H·f(V); N·D of the law kept",
        }  # fmt: skip


TERM = VocabTerm()
