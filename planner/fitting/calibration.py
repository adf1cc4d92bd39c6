"""Calibrated extrapolation error: how wrong a fit of these runs gets past the runs' range.

Bootstrap resampling of the runs measures parameter noise only. Used the way a team uses a
law, fitted on small runs and read at a larger budget, a fit is also wrong because the form
itself does not extrapolate exactly, and that error grows with distance. This module measures
it from the runs themselves, by rolling-origin validation:

1. Group the runs by compute level (log10 C to 0.02 decades, so an isoFLOP set is one level).
   Every cut between two levels in the upper ``1 - origin_frac`` of the runs' log-compute span
   is a candidate origin; at most ``max_folds`` are taken, evenly spread.
2. For each origin (fold) fit the law, with the same options, on the runs at or below the cut
   and predict the runs above it, up to ``horizon`` times the cut (16x by default). Record each
   held-out run's ln-error r = ln(predicted / actual) and its distance u beyond the fold's
   fitted range in decades: u = max(0, log10 C/C_max, log10 N/N_max, log10 D/D_max).
3. Model the error's variance as growing with distance, E[r^2] = s0^2 + s1^2 u^2, fitted by
   non-negative least squares with every fold weighted equally. ``s0`` (``near_sd``) is the
   error of a new run at the edge of the range, run-to-run scatter included; ``s1``
   (``growth_sd``) the added error per decade of extrapolation.

A 95% prediction interval at a point x is then ln L(x) +- z_0.975 max(sd_boot(x), sd(u(x))),
sd(u) = sqrt(s0^2 + s1^2 u^2), with sd_boot the bootstrap standard deviation of ln L(x)
(parameter noise) and u(x) its distance beyond the full fit's range. The folds' errors already
contain the parameter noise of fits on fewer runs than the final one, so the two are not added:
the bootstrap only counts where it is the larger (past the folds' reach, or when the final fit
is less determined than its folds). The point prediction is never moved. ``benchmarks/bench_calibration.py`` scores this on
three public studies' runs (fit on the small runs, predict the large ones).

numpy only at import time (the folds call the fitter, which imports scipy lazily).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # (annotations only: the window's first plan reads a calibration, not runs)
    from planner.fitting.runs import Runs

__all__ = ["METHOD", "Calibration", "calibrate", "extrapolation_decades", "fold_origins"]

METHOD = "rolling-origin"
_LEVEL_DECADES = 0.02  # runs closer than this in log10 C share a compute level
_MIN_FOLDS = 2


@dataclass(frozen=True)
class Calibration:
    """The fitted growth of extrapolation error with distance (see the module docstring).

    Attributes
    ----------
    folds : int
        Rolling origins used (k).
    points : int
        Held-out (fold, run) errors the model was fitted to.
    near_sd : float
        s0: standard deviation of ln(predicted/actual) at the edge of the fitted range.
    growth_sd : float
        s1: added standard deviation of ln(predicted/actual) per decade past the range.
    max_decades : float
        Largest distance (decades) any fold measured; farther predictions extrapolate the
        error model itself.
    horizon : float
        Each fold scored the runs up to this factor past its cut-off.
    method : str
        ``"rolling-origin"``.
    """

    folds: int
    points: int
    near_sd: float
    growth_sd: float
    max_decades: float
    horizon: float = 16.0
    method: str = METHOD

    def sd(self, decades: np.ndarray | float) -> np.ndarray:
        """Model standard deviation of ln(predicted/actual) at ``decades`` past the range."""
        u = np.maximum(np.asarray(decades, dtype=float), 0.0)
        return np.sqrt(self.near_sd**2 + (self.growth_sd * u) ** 2)

    def half_width(self, sd_sampled: Any, decades: Any, level: float) -> np.ndarray:
        """Half-width in ln of the loss of a ``level`` prediction interval ``decades`` past the
        fitted range: z·max(sd_sampled, :meth:`sd`). The folds' errors already hold the parameter
        noise of fits on fewer runs, so the sampled spread (bootstrap or simulated fits) counts
        only where it is larger (beyond the folds' reach, or a fit less determined)."""
        return two_sided_z(level) * np.maximum(sd_sampled, self.sd(decades))

    def describe(self) -> str:
        return (f"ln-error SD {self.near_sd:.3g} at the edge of the fitted range, growing by "
                f"{self.growth_sd:.3g} per decade beyond it ({self.folds} rolling folds, {self.points} held-out runs, "
                f"measured up to {self.max_decades:.2g} decades)")

    def to_table(self) -> dict[str, Any]:
        """The ``[law.bootstrap.extrapolation]`` table of a preset file."""
        return {"method": self.method, "folds": self.folds, "points": self.points, "near_sd": self.near_sd,
                "growth_sd": self.growth_sd, "max_decades": self.max_decades, "horizon": self.horizon}

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> Calibration:
        return cls(int(table["folds"]), int(table["points"]), float(table["near_sd"]),
                   float(table["growth_sd"]), float(table["max_decades"]), float(table.get("horizon", 16.0)),
                   str(table.get("method", METHOD)))


@lru_cache(maxsize=16)
def two_sided_z(level: float) -> float:
    """z with P(|Z| <= z) = ``level`` for a standard normal Z (1.959963984540054 at 0.95).

    Newton's method on erf from z = 2 (a few steps to full precision; a test compares it with
    ``statistics.NormalDist``, whose import would cost the window's first plan ~5 ms)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval level must be between 0 and 1, not {level!r}")
    z = 2.0
    for _ in range(60):
        step = (math.erf(z / math.sqrt(2.0)) - level) / (math.sqrt(2.0 / math.pi) * math.exp(-0.5 * z * z))
        z = max(z - step, 0.5 * z)  # (never past zero: the curve is flat far out)
        if abs(step) <= 1e-15 * z:
            break
    return z


def extrapolation_decades(n_params: Any, n_tokens: Any, flops: Any, *, max_n: float | None,
                          max_d: float | None, max_c: float | None) -> np.ndarray:
    """Decades past the fitted range: max(0, log10 C/C_max, log10 N/N_max, log10 D/D_max)
    (a missing maximum is left out)."""
    n, d, c = (np.asarray(v, dtype=float) for v in (n_params, n_tokens, flops))
    out = np.zeros(np.broadcast(n, d, c).shape)
    with np.errstate(all="ignore"):
        for value, edge in ((c, max_c), (n, max_n), (d, max_d)):
            if edge is not None and edge > 0:
                out = np.maximum(out, np.log10(value / edge))
    out = np.where(out < 1e-6, 0.0, out)  # rounding of C = 6ND at the largest run itself
    return np.where(np.isfinite(out), out, np.inf)


def _distances(train: Runs, test: Runs) -> np.ndarray:
    return extrapolation_decades(test.n_params, test.n_tokens, test.flops, max_n=float(train.n_params.max()),
                                 max_d=float(train.n_tokens.max()), max_c=float(train.flops.max()))


def fold_origins(runs: Runs, *, max_folds: int = 6, horizon: float = 16.0, origin_frac: float = 0.5,
                 min_train: int = 8) -> np.ndarray:
    """log10 C cut-offs of the rolling folds (see the module docstring); may be empty."""
    lc = np.log10(runs.flops)
    levels = np.unique(np.round(lc / _LEVEL_DECADES) * _LEVEL_DECADES)
    lo, hi = float(lc.min()), float(lc.max())
    cands = []
    for a, b in itertools.pairwise(levels):
        cut = 0.5 * (a + b)
        n_train = int(np.sum(lc <= cut))
        n_test = int(np.sum((lc > cut) & (lc <= cut + math.log10(horizon))))
        if cut - lo >= origin_frac * (hi - lo) and n_train >= min_train and n_test >= 1:
            cands.append(cut)
    cuts = np.array(cands)
    if len(cuts) > max_folds:
        cuts = cuts[np.unique(np.round(np.linspace(0, len(cuts) - 1, max_folds)).astype(int))]
    return cuts


def calibrate(runs: Runs, fit_kwargs: Mapping[str, Any] | None = None, *, max_folds: int = 6,
              horizon: float = 16.0, origin_frac: float = 0.5,
              progress: Callable[[int], None] | None = None) -> Calibration | None:
    """Rolling-origin calibration of ``runs`` (the runs the final fit used, after its filters).

    ``fit_kwargs`` go to :func:`planner.fitting.fitter.fit` for every fold (form, loss,
    pins, residual filter; ``drop_highest`` is not re-applied to a fold). Returns ``None``
    when fewer than two folds can be formed (too few compute levels), and then intervals are
    bootstrap-only. ``progress`` is called with 1 after each fold.
    """
    from planner.fitting.fitter import fit

    kw = dict(fit_kwargs or {})
    kw.pop("drop_highest", None)
    free = {"chinchilla": 5, "kaplan": 4}.get(str(kw.get("form", "chinchilla")), 5) - len(kw.get("pin") or {})
    cuts = fold_origins(runs, max_folds=max_folds, horizon=horizon, origin_frac=origin_frac,
                        min_train=max(8, 2 * free + 2))
    if len(cuts) < _MIN_FOLDS:
        return None
    lc = np.log10(runs.flops)
    us, rs, ws = [], [], []
    for cut in cuts:
        train = runs.subset(lc <= cut)
        test = runs.subset((lc > cut) & (lc <= cut + math.log10(horizon)))
        try:
            result = fit(train, **kw)
        except ValueError:
            continue
        with np.errstate(all="ignore"):
            r = np.log(np.asarray(result.predict(test.n_params, test.n_tokens)) / test.loss)
        u = _distances(train, test)
        ok = np.isfinite(r) & np.isfinite(u)
        if ok.any():
            us.append(u[ok])
            rs.append(r[ok])
            ws.append(np.full(int(ok.sum()), 1.0 / ok.sum()))
        if progress is not None:
            progress(1)
    if len(us) < _MIN_FOLDS:
        return None
    u, r, w = np.concatenate(us), np.concatenate(rs), np.concatenate(ws)
    from scipy.optimize import nnls

    sw = np.sqrt(w)
    (a, b), _ = nnls(np.stack([np.ones_like(u), u**2], axis=1) * sw[:, None], r**2 * sw)
    return Calibration(folds=len(us), points=len(u), near_sd=float(math.sqrt(a)), growth_sd=float(math.sqrt(b)),
                       max_decades=float(u.max()), horizon=float(horizon))
