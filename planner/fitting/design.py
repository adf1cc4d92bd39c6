"""Plan the scaling experiment: which small runs to train before the big one, what they cost and
how much certainty they buy.

A team that will spend C_T FLOPs on one run first trains a set of small runs and fits its own law
to them. This module turns that habit into a plan with a price and a predicted precision:

``propose(question, kind, fraction=...)``
    A concrete run list (N, D, C = 6ND, a shape, GPU-hours, dollars) whose total stays within an
    experiment budget, a fraction of the target's compute (or a dollar amount). The target is a
    :class:`~planner.question.Question` and its numbers come from :func:`planner.plan`, so the
    design and the plan it serves agree by construction. The prior is the question's law.
``simulate(design, reps=200, noise=NOISE_SD)``
    Draw the runs' losses from the prior law plus noise, fit each draw with the project's fitter
    (:func:`planner.fitting.fitter.fit`, default options, as ``planner fit`` does), re-plan the
    target with every fitted law, and report the spread of N*, D*, the loss (and the budget, when
    a target loss sets it), plus the 95% prediction interval of the target's loss by the
    trusted-fits rule (:mod:`planner.fitting.calibration`).
``compare(precisions)``, ``sweep(question, ...)``
    Which design buys the most precision per dollar; how precision grows with the budget.

The three designs (every number cited; LAWS.md has the laws)
-----------------------------------------------------------------------------------------------
``isoflop``
    Chinchilla's Approach 2 grid (Hoffmann et al. 2022, arXiv 2203.15556, §3.2: nine budgets
    from 6e18 to 3e21 FLOPs, 2.7 decades) as run by Porian et al. 2024 (arXiv 2406.19146: twelve
    budgets a factor 2 apart, 1.25e16 to 2.56e19, 3.3 decades; 7-8 sizes spanning about one decade
    in N at each, tests/data/real_runs): ``n_budgets`` (5) budgets evenly spaced in log C over
    ``span_decades`` (3, between the two) decades, ``n_sizes`` (7) sizes per budget evenly spaced in
    log N over ±``width_decades`` (0.5) around the prior's compute-optimal N*(C), each trained on
    D = C/(6N). The span matters more than the reach: at 2% of a 1e24 target, 3 decades give N*
    to x/÷2.3 where 2 decades give x/÷3.5 for the same cost (200 simulated fits).
``ladder``
    The habit of "five sizes at 20 tokens per parameter": ``n_sizes`` (8) sizes evenly spaced in
    log N over ``span_decades`` (2), each at ``tokens_per_param`` (20; the ~20 of Hoffmann et al.
    2022's Approach 1, Table 3) tokens per parameter. Eight, not five: five runs determine the
    law's five coefficients exactly, leaving nothing to average the noise over (a simulation
    needs at least six runs). OLMo's ladder models cost 1% of their targets' compute (Bhagia et
    al. 2024, arXiv 2412.04403, abstract), hence :data:`DEFAULT_FRACTION`. With every run at one
    tokens-per-parameter ratio, ln N and ln D move together: the ladder measures the loss along
    one line and cannot tell a model-size effect from a data effect, which the simulation shows
    as a wide N* spread.
``overtrained``
    Small over-trained runs after Gadre et al. 2024 (arXiv 2403.08540), who trained 0.011B-6.9B
    models at 5 to 640 tokens per parameter and predicted a 1.4B and a 6.9B run from 300x less
    compute (LAWS.md §2.11): ``n_sizes`` (4) sizes over ``span_decades`` (1.5), each at 20, 80 and
    320 tokens per parameter (``ratios``; every second step of Gadre's factor-2 grid).

Every run lists intermediate checkpoints (25%, 50%, 75% of its tokens) to evaluate: Choshen et
al. 2024 ("A Hitchhiker's Guide to Scaling Law Estimation", arXiv 2410.11840, abstract) found that
fitting intermediate checkpoints, not only final losses, substantially improves accuracy. The
simulation here counts final losses only (a checkpoint of a run whose schedule has not decayed is
not a finished run of that length), so its spread does not credit them.

Sizing and price
-----------------------------------------------------------------------------------------------
N is the law's meaning of N (``law.info.n_meaning``), measured on the shape
:func:`planner.costs.proposal.describe` proposes for the size (the run's N is the shape's, within
1% of the grid's), and D is a whole number of tokens, so C = 6ND holds exactly per run. A run is
priced by its shape's training FLOPs at the question's ``seq_len``, attention included
(:meth:`~planner.costs.architecture.Architecture.train_flops_per_token`), on the question's
GPU, MFU and price: small models spend relatively more on attention than 6N says, so pricing by
6ND would understate a small run's cost. The experiment budget bounds that priced compute.

Noise and the extrapolation error (the default constants)
-----------------------------------------------------------------------------------------------
:data:`NOISE_SD` is the standard deviation of ln(loss) around the law: 0.0123, the median of the
robust residual scale (1.4826 x median |ln residual|, the scale ``--drop-residual-outliers`` uses)
of Chinchilla-form fits (``planner fit`` defaults) to four published run sets vendored in
``tests/data``: Epoch's 240 digitised Chinchilla runs (Besiroglu et al. 2024, arXiv 2404.10102;
Epoch's outlier filter) 0.0048, Porian et al. 2024 0.0125, Gadre et al. 2024 0.0121, Li et al.
2025 ("(Mis)Fitting", arXiv 2502.18969) 0.0199. The plain RMS of the same residuals is larger
(median 0.0244: the residuals have heavy tails, which the Huber fit discounts); give ``--noise``
to simulate with another value. ``benchmarks/make_design_noise.py`` recomputes it.
The simulation draws ln L_i = ln L_prior(N_i, D_i) + NOISE_SD z_i, z_i standard normal.

Simulated runs follow the law exactly, so fits of them cannot see the form's own extrapolation
error (rolling folds on simulated runs would measure noise only). The loss interval at the target
therefore uses the extrapolation error measured on real runs: :data:`PUBLISHED_CALIBRATION` holds
the medians over the same four run sets of the rolling-origin calibration ``planner fit`` computes
(s0 = 0.0181 at the edge of the fitted range, s1 = 0.0267 per decade beyond it), and the interval
is ln L* +- z max(sd_sim, sqrt(s0^2 + s1^2 u^2)), sd_sim being the simulated spread of ln L* (what a
bootstrap estimates) and u the decades from the design's largest run to the target (largest of C,
N and D), by :meth:`~planner.fitting.calibration.Calibration.half_width`, as for every prediction interval. N* and D*
carry the simulated spread only: no published measure of the form's error in the allocation
exists to add.

numpy only at import time; the fitter imports scipy when the first simulation runs.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from planner.costs.architecture import Architecture
from planner.fitting.calibration import Calibration, extrapolation_decades, two_sided_z
from planner.question import Question
from planner.summary import json_safe

__all__ = [
    "DEFAULT_FRACTION",
    "DESIGNS",
    "NOISE_SD",
    "PUBLISHED_CALIBRATION",
    "Comparison",
    "Design",
    "DesignRun",
    "Precision",
    "SimulationCancelled",
    "compare",
    "propose",
    "simulate",
    "sweep",
]

DESIGNS = ("isoflop", "ladder", "overtrained")
"""The design kinds, in the order they are shown."""
DESIGN_TITLES = {"isoflop": "IsoFLOP grid", "ladder": "ladder at fixed tokens per parameter",
                 "overtrained": "over-trained small models"}  # fmt: skip

NOISE_SD = 0.0123
"""Default run-to-run noise: SD of ln(loss) around a Chinchilla-form law (module docstring;
``benchmarks/make_design_noise.py`` recomputes it from the vendored runs)."""
NOISE_SOURCE = (
    "median robust residual scale (1.4826 x median |ln residual|) of Chinchilla-form fits to four published run "
    "sets: Epoch's digitised Chinchilla runs 0.0048 (Besiroglu et al. 2024, arXiv 2404.10102), Porian et al. 2024 "
    "0.0125 (arXiv 2406.19146), Gadre et al. 2024 0.0121 (arXiv 2403.08540), Li et al. 2025 0.0199 "
    "(arXiv 2502.18969)"
)
PUBLISHED_CALIBRATION = Calibration(folds=23, points=600, near_sd=0.0181, growth_sd=0.0267, max_decades=1.22)
"""Rolling-origin extrapolation error measured on real runs (medians over the four run sets of
:data:`NOISE_SOURCE`; ``folds`` and ``points`` are their totals, ``max_decades`` the largest)."""
CALIBRATION_SOURCE = (
    "medians over the same four run sets of planner fit's rolling-origin calibration (s0 0.0135, 0.0123, 0.0227, "
    "0.0318; s1 0.0115, 0.0328, 0.0405, 0.0205 per decade)"
)
DEFAULT_FRACTION = 0.01
"""Experiment budget as a fraction of the target's compute: OLMo's ladder models cost 1% of their
targets' compute (Bhagia et al. 2024, arXiv 2412.04403, abstract)."""
CHECKPOINT_FRACTIONS = (0.25, 0.5, 0.75)
"""Intermediate checkpoints to evaluate, as fractions of a run's tokens (Choshen et al. 2024)."""

RULES: dict[str, dict[str, Any]] = {
    "isoflop": {"n_budgets": 5, "span_decades": 3.0, "n_sizes": 7, "width_decades": 0.5},
    "ladder": {"n_sizes": 8, "span_decades": 2.0, "tokens_per_param": 20.0},
    "overtrained": {"n_sizes": 4, "span_decades": 1.5, "ratios": (20.0, 80.0, 320.0)},
}
"""Each design's knobs and their defaults (module docstring gives the sources)."""
RULE_TEXT = {
    "isoflop": ("{n_budgets} budgets evenly spaced in log C over {span_decades:g} decades up to the largest the budget "
                "allows; at each, {n_sizes} sizes evenly spaced in log N within ±{width_decades:g} decades of the "
                "prior's N*(C), trained on D = C/(6N) (Hoffmann et al. 2022 Approach 2; Porian et al. 2024's grid)"),
    "ladder": ("{n_sizes} sizes evenly spaced in log N over {span_decades:g} decades, each at {tokens_per_param:g} "
               "tokens per parameter, the largest the budget allows (the habit; OLMo's ladder, Bhagia et al. 2024)"),
    "overtrained": ("{n_sizes} sizes evenly spaced in log N over {span_decades:g} decades, each at {ratios_text} tokens "
                    "per parameter, the largest the budget allows (Gadre et al. 2024's over-trained small runs)"),
}  # fmt: skip


class SimulationCancelled(Exception):
    """Raised by :func:`simulate` (and :func:`sweep`) when ``is_cancelled()`` turns true."""


# ============================================================================================
# The run list
# ============================================================================================
@dataclass(frozen=True)
class DesignRun:
    """One planned training run. Units: parameters (the law's meaning of N), tokens, FLOPs, GPU-hours, USD."""

    index: int  # 1-based run number within the design
    design: str
    n_params: float  # the shape's N in the law's meaning
    n_tokens: float  # whole tokens
    flops: float  # C = 6 N D (the law's convention)
    shape_flops: float  # the shape's training FLOPs, attention included, at seq_len
    gpu_hours: float
    usd: float
    arch: Architecture
    isoflop_budget: float | None = None  # the grid budget of an IsoFLOP run (C up to rounding)
    offset_decades: float | None = None  # log10(N / prior N*(budget)) of an IsoFLOP run
    loss: float | None = None  # a finished run's measured loss (``--update``), else None
    checkpoints: tuple[float, ...] = ()

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params


@dataclass(frozen=True)
class Design:
    """A proposed experiment: the runs, the target they serve and the budget they fit in."""

    kind: str
    runs: tuple[DesignRun, ...]
    question: Question
    target: Any  # planner.solve.result.Plan of ``question``
    budget_flops: float  # experiment budget, priced FLOPs (shape FLOPs)
    fraction: float  # budget_flops / target.flops
    rule: str
    knobs: Mapping[str, Any]
    notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return DESIGN_TITLES[self.kind]

    @property
    def total_flops(self) -> float:
        """Sum of C = 6ND over the runs (the law's convention)."""
        return float(sum(r.flops for r in self.runs))

    @property
    def total_shape_flops(self) -> float:
        """Sum of the shapes' training FLOPs: what the budget bounds and the price is of."""
        return float(sum(r.shape_flops for r in self.runs))

    @property
    def total_gpu_hours(self) -> float:
        return float(sum(r.gpu_hours for r in self.runs))

    @property
    def total_usd(self) -> float:
        return float(sum(r.usd for r in self.runs))

    @property
    def budget_usd(self) -> float:
        hw = self.question.hardware
        return self.budget_flops / hw.flops_per_gpu_hour * hw.price

    @property
    def n_params(self) -> np.ndarray:
        return np.array([r.n_params for r in self.runs])

    @property
    def n_tokens(self) -> np.ndarray:
        return np.array([r.n_tokens for r in self.runs])

    @property
    def flops(self) -> np.ndarray:
        return np.array([r.flops for r in self.runs])

    @property
    def finished(self) -> np.ndarray:
        """Mask of runs with a measured loss (an updated design)."""
        return np.array([r.loss is not None for r in self.runs], dtype=bool)

    def decades_to_target(self) -> float:
        """u: decades from the design's largest run to the target (largest of C, N and D)."""
        t = self.target
        u = extrapolation_decades(t.n_params, t.n_tokens, t.flops, max_n=float(self.n_params.max()),
                                  max_d=float(self.n_tokens.max()), max_c=float(self.flops.max()))  # fmt: skip
        return float(u)


def _prior(question: Question) -> Any:
    from planner.laws import ChinchillaLaw

    law = question.law
    if not (isinstance(law, ChinchillaLaw) and law.form == "chinchilla"):
        raise ValueError(f"a design simulates losses from a Chinchilla-form law (E + A/N^alpha + B/D^beta); "
                         f"{law.id} is {law.form or type(law).__name__}: choose a law with that form, e.g. epoch-2024 "
                         "or a preset fitted by planner fit")  # fmt: skip
    if law.info.n_meaning not in ("total", "non_embedding"):
        raise ValueError(f"{law.id} counts N as {law.info.n_meaning}; a design needs total or non-embedding parameters")
    return law


def _target_plan(question: Question) -> Any:
    from planner.solve.plan import plan

    target = plan(question)
    if not target.success:
        raise ValueError(f"no plan for the target: {target.message}")
    return target


@lru_cache(maxsize=4096)
def _shape(n_target: int, meaning: str, vocab: int | None, seq_len: int) -> tuple[Architecture, float, tuple[str, ...]]:
    from planner.costs.proposal import describe

    ap = describe(float(n_target), meaning, vocab_size=vocab, seq_len=seq_len)
    return ap.architecture, float(ap.architecture.measure(meaning, seq_len)), ap.notes  # type: ignore[arg-type]


def _make_run(question: Question, kind: str, index: int, n_wanted: float, tokens_for: Callable[[float], float],
              **extra: Any) -> tuple[DesignRun, tuple[str, ...]]:
    law = question.law
    meaning = law.info.n_meaning
    vocab = None if question.vocab_size is None else int(question.vocab_size)
    arch, n, notes = _shape(max(1, round(n_wanted)), meaning, vocab, int(question.seq_len))
    d = float(max(1, round(tokens_for(n))))
    hw = question.hardware
    shape_flops = arch.train_flops_per_token(question.seq_len) * d
    gpu_hours = shape_flops / hw.flops_per_gpu_hour
    checkpoints = tuple(float(round(f * d)) for f in CHECKPOINT_FRACTIONS)
    run = DesignRun(index=index, design=kind, n_params=n, n_tokens=d, flops=6.0 * n * d, shape_flops=shape_flops,
                    gpu_hours=gpu_hours, usd=gpu_hours * hw.price, arch=arch, checkpoints=checkpoints, **extra)
    return run, notes


def _geometric(top: float, count: int, span: float) -> list[float]:
    """``count`` values evenly spaced in log10 over ``span`` decades, ending at ``top`` (ascending)."""
    if count == 1:
        return [top]
    return [top * 10.0 ** (-span * (count - 1 - i) / (count - 1)) for i in range(count)]


def _builder(question: Question, kind: str, knobs: Mapping[str, Any]) -> tuple[Callable[[float], tuple], float, float]:
    """(build(scale) -> (runs, notes), first scale, power of the total in the scale)."""
    law = _prior(question)
    if kind == "isoflop":
        k, span, m, width = knobs["n_budgets"], knobs["span_decades"], knobs["n_sizes"], knobs["width_decades"]
        offsets = [0.0] if m == 1 else list(np.linspace(-width, width, m))

        def build(c_top: float) -> tuple:
            runs, notes = [], []
            for c in _geometric(c_top, k, span):
                n_star = float(law.allocate_scalar(c)[0])
                for x in offsets:
                    run, more = _make_run(question, kind, len(runs) + 1, n_star * 10.0**x, lambda n, c=c: c / (6.0 * n),
                                          isoflop_budget=c, offset_decades=float(x))  # fmt: skip
                    runs.append(run)
                    notes += more
            return runs, notes

        first = sum(_geometric(1.0, k, span)) * m
        return build, 1.0 / first, 1.0
    if kind in ("ladder", "overtrained"):
        m, span = knobs["n_sizes"], knobs["span_decades"]
        ratios = (knobs["tokens_per_param"],) if kind == "ladder" else tuple(knobs["ratios"])

        def build(n_top: float) -> tuple:
            runs, notes = [], []
            for n in _geometric(n_top, m, span):
                for rho in ratios:
                    run, more = _make_run(question, kind, len(runs) + 1, n, lambda n_, rho=rho: rho * n_)
                    runs.append(run)
                    notes += more
            return runs, notes

        first = 6.0 * sum(ratios) * sum(x * x for x in _geometric(1.0, m, span))
        return build, 1.0 / first, 2.0
    raise ValueError(f"unknown design {kind!r}; use one of {', '.join(DESIGNS)}")


def _check_knobs(kind: str, knobs: Mapping[str, Any]) -> dict[str, Any]:
    if kind not in RULES:
        raise ValueError(f"unknown design {kind!r}; use one of {', '.join(DESIGNS)}")
    unknown = sorted(set(knobs) - set(RULES[kind]))
    if unknown:
        raise ValueError(f"the {kind} design has no setting {unknown[0]!r} (settings: {', '.join(RULES[kind])})")
    out = {**RULES[kind], **{k: v for k, v in knobs.items() if v is not None}}
    for name in ("n_budgets", "n_sizes"):
        if name in out and not (isinstance(out[name], int | np.integer) and 1 <= out[name] <= 64):
            raise ValueError(f"{name} = {out[name]!r} must be a whole number from 1 to 64")
    for name in ("span_decades", "width_decades"):
        if name in out and not (math.isfinite(out[name]) and 0.0 <= out[name] <= 6.0):
            raise ValueError(f"{name} = {out[name]!r} must be between 0 and 6 decades")
    if kind != "isoflop":
        ratios = [out["tokens_per_param"]] if kind == "ladder" else list(out["ratios"])
        if not ratios or not all(math.isfinite(r) and 0.1 <= r <= 1e5 for r in ratios):
            raise ValueError(f"tokens per parameter {ratios!r} must be between 0.1 and 100,000")
    return out


def propose(question: Question, kind: str = "isoflop", *, fraction: float | None = None, usd: float | None = None,
            **knobs: Any) -> Design:
    """The run list of design ``kind`` for ``question``'s target, within the experiment budget.

    Parameters
    ----------
    question : Question
        The target: its law is the prior (Chinchilla form), its budget, hardware and ``seq_len``
        price the runs; ``planner.plan(question)`` gives the target's N*, D* and loss.
    kind : {"isoflop", "ladder", "overtrained"}
        The design (module docstring).
    fraction : float, optional
        Experiment budget as a fraction of the target's compute (default
        :data:`DEFAULT_FRACTION`), in (0, 1].
    usd : float, optional
        Experiment budget in dollars at the question's price (instead of ``fraction``).
    knobs
        The design's settings (:data:`RULES`), e.g. ``n_sizes=9``.

    Raises ValueError for a law that is not Chinchilla-form, a target that cannot be planned or
    a budget too small for the smallest shape.
    """
    _prior(question)
    knobs = _check_knobs(kind, knobs)
    target = _target_plan(question)
    hw = question.hardware
    if fraction is not None and usd is not None:
        raise ValueError("give the experiment budget as a fraction of the target's compute or in dollars, not both")
    if usd is not None:
        if not (math.isfinite(usd) and usd > 0):
            raise ValueError(f"experiment budget ${usd!r} must be a positive number of dollars")
        if not hw.price > 0:
            raise ValueError("an experiment budget in dollars needs a price above $0 per GPU-hour")
        budget = usd / hw.price * hw.flops_per_gpu_hour
    else:
        fraction = DEFAULT_FRACTION if fraction is None else float(fraction)
        if not (math.isfinite(fraction) and 0.0 < fraction <= 1.0):
            raise ValueError(f"fraction {fraction!r} must be above 0 and at most 1 (of the target's compute)")
        budget = fraction * target.flops
    build, scale, power = _builder(question, kind, knobs)
    scale *= budget
    runs, notes = build(scale)
    for _ in range(12):  # shapes are discrete and priced with attention: close in on the budget
        total = sum(r.shape_flops for r in runs)
        if 0.99 * budget <= total <= budget:
            break
        scale *= (0.998 * budget / total) ** (1.0 / power)
        runs, notes = build(scale)
    while sum(r.shape_flops for r in runs) > budget:
        scale *= (budget / sum(r.shape_flops for r in runs)) ** (1.0 / power) * 0.99
        runs, notes = build(scale)
        if scale < 1e-30:
            raise ValueError("the experiment budget is too small for any run")
    extra = _summarise_notes(notes)
    smallest = [r for r in runs if r.arch.n_layers <= 2 and r.arch.d_model <= 256]
    if smallest:
        extra.append(f"{len(smallest)} run(s) are at the smallest shape the planner proposes (2 layers x 256): "
                     "raise the experiment budget or narrow the design")  # fmt: skip
    if any(r.tokens_per_param < 1.0 for r in runs):
        extra.append("some runs see fewer tokens than they have parameters: the law was not fitted there")
    if max(r.flops for r in runs) >= target.flops:
        extra.append("the design's largest run is as large as the target: lower the fraction")
    text_knobs = {**knobs, "ratios_text": ", ".join(f"{r:g}" for r in knobs.get("ratios", ()))}
    return Design(kind=kind, runs=tuple(runs), question=question, target=target, budget_flops=float(budget),
                  fraction=float(budget / target.flops), rule=RULE_TEXT[kind].format(**text_knobs),
                  knobs=dict(knobs), notes=tuple(extra))  # fmt: skip


def _summarise_notes(notes: Sequence[str]) -> list[str]:
    """The shape search's notes, with the many "FFN width ... to meet N" ones folded into one line."""
    import re

    ffn, other = [], []
    for note in dict.fromkeys(notes):
        m = re.match(r"FFN width [0-9,]+ is ([+-][0-9.]+)% from the rule", note)
        (ffn if m else other).append(abs(float(m.group(1))) if m else note)
    if ffn:
        other.append(f"{len(ffn)} shape(s) have an FFN width moved off the Llama 3 rule to meet N (by up to "
                     f"{max(ffn):.1f}%): planner.costs.proposal's search")  # fmt: skip
    return other


def with_runs(design: Design, runs: Sequence[DesignRun], **changes: Any) -> Design:
    """``design`` with other runs (renumbered 1..n), e.g. an updated design."""
    runs = tuple(dataclasses.replace(r, index=i + 1) for i, r in enumerate(runs))
    return dataclasses.replace(design, runs=runs, **changes)


# ============================================================================================
# Predicted precision
# ============================================================================================
QUANTITIES = ("n_params", "n_tokens", "loss", "flops")
"""What the target's plan says that a fitted law can move: N*, D*, the loss, the budget."""


@dataclass(frozen=True, eq=False)
class Precision:
    """What a design's simulated fits say about the target (see :func:`simulate`).

    ``values[q]`` holds, per simulated fit that gave a plan, the target's ``q`` (N* parameters,
    D* tokens, loss in the law's unit, budget FLOPs); ``intervals[q]`` its percentile interval at
    ``level``; ``sd_log[q]`` the robust SD of ln q (interval width / (2 z)). ``loss_interval`` is
    the prediction interval of the target's loss (simulated spread and the published
    extrapolation error, module docstring) around the prior's point prediction.
    """

    design: Design
    reps: int
    noise_sd: float
    seed: int
    level: float
    params: np.ndarray  # (n_ok, 5) fitted E, A, B, alpha, beta of the fits that gave a plan
    values: dict[str, np.ndarray]
    intervals: dict[str, tuple[float, float]]
    sd_log: dict[str, float]
    n_converged: int  # fits the fitter reports as converged (of ``reps``)
    n_failed: int  # fits that raised or whose law gave no plan for the target
    loss_interval: tuple[float, float]
    decades: float
    calibration: Calibration
    seconds: float
    fit_seconds: float  # wall-clock seconds per simulated fit (fits and plans over reps)

    @property
    def n_ok(self) -> int:
        return len(self.params)

    @property
    def cost_usd(self) -> float:
        """Dollars still to spend: the runs without a measured loss."""
        return float(sum(r.usd for r in self.design.runs if r.loss is None))

    @property
    def loss_half_width(self) -> float:
        """Half-width of the loss prediction interval, relative to the prior's loss at the target."""
        lo, hi = self.loss_interval
        centre = self.design.target.loss
        return (hi - lo) / 2.0 / centre if centre else math.nan

    @property
    def sd_log_loss_predicted(self) -> float:
        """SD of ln L* the prediction interval stands for (its half-width in ln over z)."""
        lo, hi = self.loss_interval
        return math.log(hi / lo) / 2.0 / two_sided_z(self.level)

    @property
    def target_loss_question(self) -> bool:
        """The question sets the loss (``--target-loss``): the budget to reach it is what is uncertain."""
        return self.design.target.budget_kind == "target_loss"

    @property
    def sd_log_outcome(self) -> float:
        """SD of the log of what the target is uncertain about: its loss, or, when the question sets
        the loss, the budget that reaches it (simulated spread)."""
        return self.sd_log["flops"] if self.target_loss_question else self.sd_log_loss_predicted

    def spread_factor(self, q: str) -> float:
        """×/÷ factor of the interval of ``q`` (sqrt(hi/lo))."""
        lo, hi = self.intervals[q]
        return math.sqrt(hi / lo) if lo > 0 else math.inf

    @property
    def interval_kind(self) -> str:
        return (f"{self.level:.0%} prediction interval: simulated spread + extrapolation error measured on published "
                f"runs (s0 {self.calibration.near_sd:.3g}, s1 {self.calibration.growth_sd:.3g} per decade), "
                f"{self.decades:.2g} decades past the design's largest run")  # fmt: skip

    def loss_interval_at(self, flops: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(prior L*(C), lo, hi) of the compute-optimal loss at budgets ``flops`` (FLOPs), by the rule
        of :attr:`loss_interval` (simulated spread of the fits' frontier loss at C, and the published
        extrapolation error at C's distance past the design's largest run)."""
        from planner.fitting.intervals import sample_curves

        c = np.atleast_1d(np.asarray(flops, dtype=float))
        law = self.design.question.law
        n_star, d_star = law.allocate(c)
        centre = np.asarray(law.frontier_loss(c), dtype=float)
        ln = np.log(sample_curves(np.ascontiguousarray(self.params), "chinchilla").evaluate(np.log(c))[3])
        zq = two_sided_z(self.level)
        lo_q, hi_q = np.nanpercentile(ln, [50 * (1 - self.level), 50 * (1 + self.level)], axis=0)
        sd_sim = (hi_q - lo_q) / (2 * zq)
        d = self.design
        u = extrapolation_decades(n_star, d_star, c, max_n=float(d.n_params.max()), max_d=float(d.n_tokens.max()),
                                  max_c=float(d.flops.max()))  # fmt: skip
        half = self.calibration.half_width(sd_sim, u, self.level)
        return centre, centre * np.exp(-half), centre * np.exp(half)

    def warnings(self) -> tuple[str, ...]:
        out = []
        if self.decades > self.calibration.max_decades:
            out.append(f"The target is {self.decades:.2g} decades past the design's largest run; the extrapolation "
                       f"error was measured up to {self.calibration.max_decades:.2g} decades, so the loss interval is "
                       "itself an extrapolation.")  # fmt: skip
        if self.n_failed:
            out.append(f"{self.n_failed} of {self.reps} simulated fits gave no plan for the target (left out).")
        if self.n_converged < self.reps:
            out.append(f"{self.reps - self.n_converged} of {self.reps} simulated fits did not converge: this design "
                       "does not pin every coefficient (kept in the spread, which they widen).")  # fmt: skip
        return tuple(out)



def _replicate_plan(question: Question, info: Any, params: Mapping[str, float]) -> Any:
    from planner.laws import ChinchillaLaw
    from planner.solve.plan import plan

    law = ChinchillaLaw(info, E=params["E"], A=params["A"], B=params["B"], alpha=params["alpha"], beta=params["beta"])
    return plan(dataclasses.replace(question, law=law))


def simulate(design: Design, *, reps: int = 200, noise: float = NOISE_SD, seed: int = 0, level: float = 0.95,
             calibration: Calibration = PUBLISHED_CALIBRATION, progress: Callable[[int, int], None] | None = None,
             is_cancelled: Callable[[], bool] | None = None) -> Precision:
    """Simulate ``design`` ``reps`` times and report the spread it leaves at the target.

    Each repetition draws ln L_i = ln L_prior(N_i, D_i) + ``noise`` z_i for every run (also the
    finished runs of an updated design: their measured losses enter through the updated law, the
    prior here, and the spread stays that of the whole design), fits the Chinchilla form the way ``planner fit`` does
    (:func:`planner.fitting.batch.fit_batch`: the fitter's grid starts, Newton steps and
    convergence test, summed Huber with delta 1e-3; the L-BFGS-B polish only where Newton did not
    converge), and plans the target question again with the fitted law (:func:`planner.plan`).
    Same seed, same result. ``progress(done, reps)`` is called after every chunk of fits;
    ``is_cancelled()`` is checked between chunks and raises :class:`SimulationCancelled`.
    """
    from planner.fitting.batch import CHUNK, fit_batch

    if not (isinstance(reps, int | np.integer) and 2 <= reps <= 100_000):
        raise ValueError(f"reps = {reps!r} must be a whole number from 2 to 100,000")
    if not (math.isfinite(noise) and 0.0 <= noise <= 1.0):
        raise ValueError(f"noise = {noise!r} must be an SD of ln(loss) between 0 and 1")
    if not 0.5 <= level < 1.0:
        raise ValueError(f"level {level!r} must be in [0.5, 1)")
    if len(design.runs) <= 5:
        raise ValueError(f"{len(design.runs)} runs cannot determine the law's 5 coefficients with any left over to "
                         "measure noise: a design needs at least 6 runs")  # fmt: skip
    law = _prior(design.question)
    t0 = time.perf_counter()
    n, d = design.n_params, design.n_tokens
    true_loss = np.asarray(law.loss(n, d), dtype=float)
    z = np.random.default_rng(seed).standard_normal((int(reps), len(n)))
    losses = true_loss * np.exp(noise * z)
    info = dataclasses.replace(law.info, id=f"{law.id}-simulated", bootstrap_samples=None, calibration=None,
                               warnings=())  # fmt: skip
    params, rows = [], {q: [] for q in QUANTITIES}
    converged = failed = 0
    for a in range(0, int(reps), CHUNK):
        if is_cancelled is not None and is_cancelled():
            raise SimulationCancelled
        b = min(int(reps), a + CHUNK)
        batch = fit_batch(n, d, losses[a:b], skip_converged_polish=True, chunk=CHUNK)
        converged += int(batch.converged.sum())
        for i in range(b - a):
            try:
                p = _replicate_plan(design.question, info, batch.row(i))
            except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError, ArithmeticError):
                failed += 1
                continue
            vals = (p.n_params, p.n_tokens, p.loss, p.flops)
            if p.success and all(v is not None and math.isfinite(v) and v > 0 for v in vals):
                params.append(batch.params[i])
                for q, v in zip(QUANTITIES, vals, strict=True):
                    rows[q].append(float(v))
            else:
                failed += 1
        if progress is not None:
            progress(b, int(reps))
    if len(params) < 2:
        raise ValueError(f"only {len(params)} of {reps} simulated fits gave a plan for the target: this design does "
                         "not determine the law")  # fmt: skip
    values = {q: np.asarray(v) for q, v in rows.items()}
    zq = two_sided_z(level)
    intervals, sd_log = {}, {}
    for q, v in values.items():
        lo, hi = np.percentile(v, [50 * (1 - level), 50 * (1 + level)])
        intervals[q] = (float(lo), float(hi))
        sd_log[q] = float(math.log(hi / lo) / (2 * zq)) if lo > 0 else math.inf
    u = design.decades_to_target()
    target_loss = float(design.target.loss)
    half = float(calibration.half_width(sd_log["loss"], u, level))
    loss_interval = (target_loss * math.exp(-half), target_loss * math.exp(half))
    seconds = time.perf_counter() - t0
    return Precision(design=design, reps=int(reps), noise_sd=float(noise), seed=seed, level=level,
                     params=np.asarray(params), values=values, intervals=intervals, sd_log=sd_log,
                     n_converged=converged, n_failed=failed, loss_interval=loss_interval, decades=u,
                     calibration=calibration, seconds=seconds, fit_seconds=seconds / int(reps))  # fmt: skip


# ============================================================================================
# Which design, and how precision grows with the budget
# ============================================================================================
@dataclass(frozen=True)
class Comparison:
    """Designs side by side: precision per dollar and the pick.

    ``efficiency[kind]`` is 1 / (dollars x sd(ln N*) x sd(ln L*)), sd(ln L*) being the SD the loss
    prediction interval stands for (for a target-loss question, sd(ln C) of the budget instead):
    the geometric mean of the inverse-variance-per-dollar of N* and of the loss, which repeating a
    design k times (k x the cost, 1/k x the variance) leaves unchanged. ``relative`` divides by the
    best; ``pick`` is the best.
    """

    precisions: tuple[Precision, ...]
    efficiency: dict[str, float]
    relative: dict[str, float]
    pick: str
    reason: str


def compare(precisions: Sequence[Precision]) -> Comparison:
    """Rank simulated designs by precision per dollar (see :class:`Comparison`)."""
    if not precisions:
        raise ValueError("nothing to compare")
    eff = {}
    for p in precisions:
        cost = p.cost_usd if p.cost_usd > 0 else p.design.total_usd
        denom = cost * p.sd_log["n_params"] * p.sd_log_outcome
        eff[p.design.kind] = 1.0 / denom if denom > 0 else math.inf
    best = max(eff, key=lambda k: eff[k])
    rel = {k: (v / eff[best] if eff[best] not in (0.0, math.inf) else math.nan) for k, v in eff.items()}
    bp = next(p for p in precisions if p.design.kind == best)
    outcome = (f"the budget to reach the loss to x/÷{bp.spread_factor('flops'):.3g}" if bp.target_loss_question
               else f"the loss to ±{bp.loss_half_width:.1%}")
    title = DESIGN_TITLES[best][:1].upper() + DESIGN_TITLES[best][1:]
    reason = (f"{title}: N* known to x/÷{bp.spread_factor('n_params'):.3g} and {outcome} for "
              f"${bp.design.total_usd:,.0f}")
    others = [k for k in eff if k != best]
    if others:
        reason += "; " + ", ".join(f"{DESIGN_TITLES[k]} {rel[k]:.2g}x as much precision per dollar" for k in others)
    return Comparison(tuple(precisions), eff, rel, best, reason)


@dataclass(frozen=True)
class SweepPoint:
    kind: str
    fraction: float
    cost_usd: float
    n_runs: int
    sd_log_n: float
    loss_half_width: float
    spread_loss: float  # simulated half-width of the loss, relative


def sweep(question: Question, kinds: Sequence[str] = DESIGNS,
          fractions: Sequence[float] = (0.0025, 0.005, 0.01, 0.02, 0.04), *, reps: int = 100, noise: float = NOISE_SD,
          seed: int = 0, knobs: Mapping[str, Mapping[str, Any]] | None = None,
          progress: Callable[[int, int], None] | None = None,
          is_cancelled: Callable[[], bool] | None = None) -> list[SweepPoint]:  # fmt: skip
    """Precision of each design at each experiment budget (fractions of the target's compute)."""
    total = len(kinds) * len(fractions) * reps
    done = 0
    out = []
    for kind in kinds:
        for f in fractions:
            design = propose(question, kind, fraction=f, **dict((knobs or {}).get(kind, {})))

            def step(i: int, _n: int, base: int = done) -> None:
                if progress is not None:
                    progress(base + i, total)

            p = simulate(design, reps=reps, noise=noise, seed=seed, progress=step, is_cancelled=is_cancelled)
            done += reps
            lo, hi = p.intervals["loss"]
            out.append(SweepPoint(kind, design.fraction, design.total_usd, len(design.runs), p.sd_log["n_params"],
                                  p.loss_half_width, (hi - lo) / 2.0 / design.target.loss))  # fmt: skip
    return out


# ============================================================================================
# Plain values for JSON, CSV and the window
# ============================================================================================
def run_row(run: DesignRun, seq_len: int) -> dict[str, Any]:
    """One run as the CSV's columns (names that ``planner fit`` ignores, besides params, tokens and loss)."""
    a = run.arch
    return {
        "run": run.index, "design": run.design, "params": round(run.n_params), "tokens": int(run.n_tokens),
        "loss": "" if run.loss is None else run.loss, "train_flops_6nd": run.flops,
        "isoflop_budget": "" if run.isoflop_budget is None else run.isoflop_budget,
        "offset_decades": "" if run.offset_decades is None else round(run.offset_decades, 6),
        "d_over_n": round(run.tokens_per_param, 4), "layers": a.n_layers, "d_model": a.d_model, "heads": a.n_heads,
        "kv_heads": a.n_kv_heads, "head_dim": a.head_dim, "d_ff": a.d_ff, "vocab": a.vocab_size,
        "seq_len": seq_len, "shape_flops": run.shape_flops, "gpu_hours": run.gpu_hours, "usd": run.usd,
        "checkpoints": ";".join(f"{int(c)}" for c in run.checkpoints),
    }  # fmt: skip


COLUMNS = {
    "run": "run number",
    "design": "isoflop, ladder or overtrained",
    "params": "N: parameters in the law's meaning (see n_meaning), the shape's count",
    "tokens": "D: training tokens",
    "loss": "final loss to fill in (nats/token, or the unit you give planner fit); empty = not finished",
    "train_flops_6nd": "C = 6ND, FLOPs (the law's convention)",
    "isoflop_budget": "the IsoFLOP budget of the run's curve, FLOPs (IsoFLOP runs only)",
    "offset_decades": "log10(N / prior N*(budget)) (IsoFLOP runs only)",
    "d_over_n": "training tokens per parameter",
    "layers": "shape: layers", "d_model": "shape: width", "heads": "shape: query heads",
    "kv_heads": "shape: key/value heads", "head_dim": "shape: head size", "d_ff": "shape: FFN width (SwiGLU)",
    "vocab": "shape: vocabulary", "seq_len": "training sequence length, tokens",
    "shape_flops": "the shape's training FLOPs at seq_len, attention included",
    "gpu_hours": "GPU-hours at the target's GPU and MFU (from shape_flops)",
    "usd": "dollars at the target's price per GPU-hour",
    "checkpoints": "token counts of intermediate checkpoints to evaluate (25%, 50%, 75%), separated by ';'",
}  # fmt: skip
"""The export's columns and what they hold (units)."""


def target_dict(design: Design) -> dict[str, Any]:
    t = design.target
    return {"preset": t.preset, "law_title": t.law_title, "n_meaning": t.n_meaning, "loss_unit": t.loss_unit,
            "flops": t.flops, "n_params": t.n_params, "n_tokens": t.n_tokens, "tokens_per_param": t.tokens_per_param,
            "loss": t.loss, "gpu": t.gpu, "n_gpus": t.n_gpus, "mfu": t.mfu, "usd_per_gpu_hour": t.usd_per_gpu_hour,
            "gpu_hours": t.gpu_hours, "cost_usd": t.cost_usd, "wall_clock_days": t.wall_clock_days,
            "budget_kind": t.budget_kind, "warnings": list(t.warnings)}  # fmt: skip


def precision_dict(p: Precision) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reps": p.reps, "n_ok": p.n_ok, "n_converged": p.n_converged, "n_failed": p.n_failed, "seed": p.seed,
        "level": p.level, "noise_sd": p.noise_sd, "noise_unit": "SD of ln(loss)",
        "noise_source": NOISE_SOURCE if p.noise_sd == NOISE_SD else "given",
        "intervals": {q: list(v) for q, v in p.intervals.items()},
        "median": {q: float(np.median(v)) for q, v in p.values.items()},
        "sd_log": dict(p.sd_log), "spread_factor": {q: p.spread_factor(q) for q in ("n_params", "n_tokens")},
        "loss_interval": list(p.loss_interval), "loss_half_width": p.loss_half_width,
        "interval_kind": p.interval_kind, "decades_past_largest_run": p.decades,
        "calibration": p.calibration.to_table() | {"source": CALIBRATION_SOURCE},
        "cost_usd": p.cost_usd, "seconds": p.seconds, "fit_seconds": p.fit_seconds, "warnings": list(p.warnings()),
    }  # fmt: skip
    return json_safe(out)


def design_dict(design: Design, precision: Precision | None = None) -> dict[str, Any]:
    """Everything about a design as JSON-ready values (full precision)."""
    q = design.question
    hw = q.hardware
    out = {
        "design": design.kind, "title": design.title, "rule": design.rule, "settings": dict(design.knobs),
        "target": target_dict(design),
        "experiment_budget": {"flops": design.budget_flops, "usd": design.budget_usd, "fraction": design.fraction,
                              "priced_as": "the shapes' training FLOPs at seq_len, attention included"},
        "hardware": {"gpu": hw.accelerator.name, "mfu": hw.mfu, "usd_per_gpu_hour": hw.price, "seq_len": q.seq_len},
        "totals": {"runs": len(design.runs), "flops_6nd": design.total_flops, "shape_flops": design.total_shape_flops,
                   "gpu_hours": design.total_gpu_hours, "usd": design.total_usd,
                   "share_of_budget": design.total_shape_flops / design.budget_flops},
        "notes": list(design.notes), "columns": COLUMNS,
        "runs": [run_row(r, q.seq_len) | {"checkpoints": [int(c) for c in r.checkpoints]} for r in design.runs],
        "simulation": None if precision is None else precision_dict(precision),
    }  # fmt: skip
    for r in out["runs"]:
        for k in ("loss", "isoflop_budget", "offset_decades"):
            if r[k] == "":
                r[k] = None
    return json_safe(out)


def isoflop_curves(law: Any, budgets: Sequence[float], width_decades: float = 1.0,
                   points: int = 60) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(C, N grid, prior loss) along D = C/(6N) around the prior's N*(C), for plots."""
    out = []
    for c in budgets:
        n_star = float(law.allocate_scalar(c)[0])
        n = n_star * np.logspace(-width_decades, width_decades, points)
        out.append((float(c), n, np.asarray(law.loss(n, c / (6.0 * n)), dtype=float)))
    return out

