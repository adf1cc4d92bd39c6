"""Loss of a given run (N parameters, D tokens or C FLOPs) from any law, with a stated interval.

Public API::

    predict(law, n_params, n_tokens=None, flops=None, level=None) -> Prediction   # vectorised
    loss_prediction_interval(law, n_params, n_tokens, level=None) -> (lo, hi, kind)
    interval_kind(law, level=None) -> str

The interval depends on what the law carries (``law.info``):

- bootstrap samples and a calibration (a law fitted by ``planner fit``, Epoch's preset): a
  "95% prediction interval: bootstrap + extrapolation error from k rolling folds", i.e.
  ln L +- z max(sd_boot, sqrt(s0^2 + s1^2 u^2)) (:mod:`planner.fitting.calibration`), which
  widens with the distance u (decades) past the fitted range;
- bootstrap samples only: the percentile interval of the samples' losses, labelled a
  confidence interval of parameter noise only;
- published standard errors only: no interval ("no interval: the paper gives standard errors
  only"), never silently none;
- nothing: "no interval: this law carries no uncertainty".

The point prediction is always the law's own loss L(N, D); intervals never move it. This
module does not import the solver, so the solver (and the window) can call it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.fitting.calibration import Calibration, extrapolation_decades
from planner.fitting.memo import ByIdentity
from planner.solve.warnings import extrapolation_message

__all__ = ["FAR_FACTOR", "Prediction", "interval_kind", "loss_prediction_interval", "predict"]

#: Past this factor beyond the largest fitted compute, a point gets a "Far extrapolation" warning.
FAR_FACTOR = 10.0
NO_INTERVAL_SE = "no interval: the paper gives standard errors only"
NO_INTERVAL = "no interval: this law carries no uncertainty"


@dataclass(frozen=True, eq=False)
class Prediction:
    """Predicted loss at one or more (N, D) points.

    Attributes
    ----------
    n_params, n_tokens, flops : numpy.ndarray
        The points: parameters (as the law counts them, ``law.info.n_meaning``), tokens, FLOPs
        (C = 6ND when not given).
    loss : numpy.ndarray
        L(N, D) in the law's loss unit (``loss_unit``).
    loss_interval : tuple of numpy.ndarray
        (lo, hi) per point; NaN when the law has no interval (see ``interval_kind``).
    interval_kind : str
        What the interval is, e.g. "95% prediction interval: bootstrap + extrapolation error
        from 5 rolling folds", or why there is none.
    decades : numpy.ndarray
        Distance past the fitted range in decades (0 inside it; NaN when the law has no range).
    warnings : tuple of str
        Every distinct warning of the points (extrapolation, the law's own warnings).
    point_warnings : tuple of tuple of str
        The warnings of each point.
    loss_unit, n_meaning, preset : str
        Labels of the law: the loss unit, what N counts, the law's id.
    """

    n_params: np.ndarray
    n_tokens: np.ndarray
    flops: np.ndarray
    loss: np.ndarray
    loss_interval: tuple[np.ndarray, np.ndarray]
    interval_kind: str
    decades: np.ndarray
    warnings: tuple[str, ...]
    point_warnings: tuple[tuple[str, ...], ...] = field(default=())
    loss_unit: str = "nats/token"
    n_meaning: str = "total"
    preset: str = ""

    def __len__(self) -> int:
        return len(self.loss)

    def point(self, i: int = 0) -> dict[str, Any]:
        """Point ``i`` as plain JSON-ready values (NaN -> None)."""

        def num(x: Any) -> float | None:
            x = float(x)
            return x if math.isfinite(x) else None

        lo, hi = self.loss_interval
        return {"n_params": num(self.n_params[i]), "n_tokens": num(self.n_tokens[i]), "flops": num(self.flops[i]),
                "loss": num(self.loss[i]), "loss_interval": [num(lo[i]), num(hi[i])],
                "interval_kind": self.interval_kind, "decades_past_fitted_range": num(self.decades[i]),
                "loss_unit": self.loss_unit, "n_meaning": self.n_meaning, "preset": self.preset,
                "warnings": list(self.point_warnings[i]) if self.point_warnings else list(self.warnings)}

    def to_dicts(self) -> list[dict[str, Any]]:
        return [self.point(i) for i in range(len(self))]


_CALIBRATIONS: ByIdentity[Calibration | None] = ByIdentity(64)


def _calibration(law: Any) -> Calibration | None:
    """The law's calibration, read once per table (a dragged slider asks at every step)."""
    table = getattr(law.info, "calibration", None)
    return _CALIBRATIONS.get(table, _read_calibration) if table else None


def _read_calibration(table: Any) -> Calibration | None:
    try:
        return Calibration.from_table(table)
    except (KeyError, TypeError, ValueError):
        return None


def interval_kind(law: Any, level: float | None = None) -> str:
    """The sentence that labels this law's loss intervals (or says why there are none)."""
    info = law.info
    level = level or info.bootstrap_level or 0.95
    if info.bootstrap_samples is not None:
        cal = _calibration(law)
        if cal is not None:
            return f"{level:.0%} prediction interval: bootstrap + extrapolation error from {cal.folds} rolling folds"
        return (f"{level:.0%} confidence interval: bootstrap of the runs (parameter noise only; "
                "no extrapolation error measured)")
    if info.uncertainty:
        return NO_INTERVAL_SE
    return NO_INTERVAL


def _sample_log_losses(samples: np.ndarray, form: str, n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """ln L of every sample (rows) at every point (columns); NaN where not finite."""
    s = np.asarray(samples, dtype=float)
    with np.errstate(all="ignore"):
        if form == "chinchilla":  # (x^-a as exp(-a ln x): a third of the time of a power)
            E, A, B, al, be = (c[:, None] for c in s.T)
            loss = E + A * np.exp(-al * np.log(n)[None, :]) + B * np.exp(-be * np.log(d)[None, :])
        elif form == "kaplan":
            nc, dc, an, ad = (c[:, None] for c in s.T)
            loss = ((nc / n[None, :]) ** (an / ad) + dc / d[None, :]) ** ad
        else:
            raise ValueError(f"bootstrap intervals need chinchilla or kaplan samples, not {form!r}")
        out = np.log(loss)
    return np.where(np.isfinite(out), out, np.nan)



def _decades(law: Any, n: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
    fr = law.info.fitted_range
    if fr.flops is None and fr.n_params is None and fr.n_tokens is None:
        return np.full(n.shape, np.nan)
    top = {k: (None if v is None else float(v[1])) for k, v in
           (("max_c", fr.flops), ("max_n", fr.n_params), ("max_d", fr.n_tokens))}
    return extrapolation_decades(n, d, c, **top)


def loss_prediction_interval(law: Any, n_params: Any, n_tokens: Any, level: float | None = None,
                             *, loss: Any = None) -> tuple[np.ndarray, np.ndarray, str]:
    """(lo, hi, kind) of the loss at (N, D) (arrays broadcast; NaN where there is no interval).

    The solver's entry point for a plan's loss interval: call it with the plan's N* and D*
    (or the fixed N and D) and show ``kind`` beside the interval. ``loss`` is the law's loss
    at the points when already computed.
    """
    n, d = np.broadcast_arrays(np.asarray(n_params, dtype=float), np.asarray(n_tokens, dtype=float))
    info = law.info
    level = level or info.bootstrap_level or 0.95
    kind = interval_kind(law, level)
    shape = n.shape
    n1, d1 = n.reshape(-1), d.reshape(-1)
    nan = np.full(shape, np.nan)
    samples = info.bootstrap_samples
    if samples is None or law.form not in ("chinchilla", "kaplan"):
        return nan, nan.copy(), kind
    ls = _sample_log_losses(samples, law.form, n1, d1)
    cal = _calibration(law)
    with np.errstate(all="ignore"), _quiet():
        if cal is None:
            lo, hi = np.nanpercentile(ls, [50 * (1 - level), 50 * (1 + level)], axis=0)
            return np.exp(lo).reshape(shape), np.exp(hi).reshape(shape), kind
        centre = np.log(np.asarray(law.loss(n1, d1) if loss is None else loss, dtype=float).reshape(-1))
        sd_boot = _sample_sd(ls)
        u = _decades(law, n1, d1, 6.0 * n1 * d1)
        u = np.where(np.isfinite(u), u, 0.0)
        half = cal.half_width(sd_boot, u, level)
    return np.exp(centre - half).reshape(shape), np.exp(centre + half).reshape(shape), kind


def _sample_sd(ls: np.ndarray) -> np.ndarray:
    """Standard deviation (ddof 1) of every column of the samples, NaN rows left out."""
    if len(ls) < 2:
        return np.zeros(ls.shape[1])
    if np.isfinite(ls).all():  # (the usual case: a quarter of nanstd's time)
        dev = ls - ls.mean(axis=0)
        return np.sqrt(np.einsum("ij,ij->j", dev, dev) / (len(ls) - 1))
    return np.nanstd(ls, axis=0, ddof=1)


class _quiet:
    """Silence numpy's RuntimeWarnings (all-NaN slices) inside a block."""

    def __enter__(self) -> None:
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


def predict(law: Any, n_params: Any, n_tokens: Any = None, flops: Any = None,
            level: float | None = None) -> Prediction:
    """Loss of runs of ``n_params`` parameters trained on ``n_tokens`` tokens (or ``flops``
    FLOPs, D = C / (6N)), with an interval and warnings. Arguments broadcast; scalars give
    one point.

    Raises ValueError when the law has no loss, or a value is not a positive finite number.
    """
    if not getattr(law, "has_loss", False):
        raise ValueError(f"preset {law.id} gives no loss (only N* and D*): choose a law with a loss")
    if (n_tokens is None) == (flops is None):
        raise ValueError("give the tokens D or the training FLOPs C, not both and not neither")
    n = np.asarray(n_params, dtype=float)
    if n_tokens is not None:
        d = np.asarray(n_tokens, dtype=float)
        n, d = np.broadcast_arrays(n, d)
        with np.errstate(all="ignore"):
            c = 6.0 * n * d
    else:
        c = np.asarray(flops, dtype=float)
        n, c = np.broadcast_arrays(n, c)
        with np.errstate(all="ignore"):
            d = c / (6.0 * n)
    n, d, c = (np.atleast_1d(v).reshape(-1).astype(float) for v in (n, d, c))
    for name, v in (("parameters N", n), ("tokens D", d), ("FLOPs C", c)):
        bad = ~(np.isfinite(v) & (v > 0))
        if bad.any():
            raise ValueError(f"{name} must be positive finite numbers; got {v[bad][0]!r} (point {int(np.argmax(bad)) + 1})")
    with np.errstate(all="ignore"):
        loss = np.asarray(law.loss(n, d), dtype=float).reshape(-1)
    lo, hi, kind = loss_prediction_interval(law, n, d, level, loss=loss)
    decades = _decades(law, n, d, c)
    cal = _calibration(law)
    info = law.info
    fr = info.fitted_range
    per_point: list[tuple[str, ...]] = []
    for i in range(len(n)):
        w: list[str] = []
        if fr.flops is not None and c[i] > FAR_FACTOR * fr.flops[1]:
            w.append("Far extrapolation: " + extrapolation_message("C", c[i], "FLOPs", fr.flops[1],
                                                                      fitted_on=info.id) + ".")
        else:
            for q, value, rng, unit in (("C", c[i], fr.flops, "FLOPs"), ("N", n[i], fr.n_params, "parameters"),
                                        ("D", d[i], fr.n_tokens, "tokens")):
                if rng is not None and value > rng[1] * (1 + 1e-6):
                    w.append("Extrapolation: " + extrapolation_message(q, value, unit, rng[1], fitted_on=info.id) + ".")
                    break
        if cal is not None and math.isfinite(decades[i]) and decades[i] > cal.max_decades:
            w.append(f"The interval's error model was measured up to {cal.max_decades:.2g} decades past the runs; "
                     f"this point is {decades[i]:.2g} decades out, so the interval is itself an extrapolation.")
        if not math.isfinite(loss[i]):
            w.append("The law gives no finite loss here.")
        per_point.append(tuple(w) + tuple(info.warnings))
    distinct = tuple(dict.fromkeys(x for p in per_point for x in p))
    return Prediction(n, d, c, loss, (lo, hi), kind, decades, distinct, tuple(per_point), info.loss_unit,
                      info.n_meaning, info.id)
