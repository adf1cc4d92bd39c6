"""Turn a fit of a team's runs into a law and a preset file (``planner fit -o``, the GUI's
"Fit from runs..." dialog).

Public (re-exported by :mod:`planner.fitting.fitter`)::

    fitted_law(boot_or_fit, runs, *, preset_id, name, holdout=None) -> Law
    write_fitted_preset(path, boot_or_fit, runs, *, preset_id, name, holdout=None, author="") -> Preset
    fit_provenance(boot_or_fit, runs, holdout=None) -> dict   # the [meta.fit] table

A fitted law is a normal :class:`planner.laws.forms.Law` with citation status ``FITTED``, the
citation text "Fitted to <file> (<n> runs, sha256 <first 12 hex digits>)", ``fitted_range``
from the runs, ``uncertainty`` = bootstrap standard errors and, when bootstrapped, the
bootstrap samples (``law.info.bootstrap_samples``, read-only, at most
:data:`planner.presets.load.MAX_BOOTSTRAP_ROWS` rows) from which :func:`planner.plan` derives plan
intervals. A Kaplan fit gives a *loss-only* Kaplan law (N_c, D_c, alpha_N, alpha_D; the
allocation is the minimum of its surface on C = 6ND).

The law is built through the same validation as a preset file (``law_from_document``), so
the law in memory is exactly the law the written file loads back to; coefficients the loader
refuses (e.g. an exponent above 3) raise :class:`planner.presets.load.PresetError`.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

import numpy as np

from planner import __version__
from planner.fitting.calibration import Calibration
from planner.fitting.fitter import BootstrapResult, FitResult, HoldoutResult, used_runs
from planner.fitting.runs import Runs, data_range, drop_highest_loss
from planner.laws import ChinchillaLaw, Citation, FittedRange, KaplanLaw, Law, LawInfo
from planner.presets.load import MAX_BOOTSTRAP_ROWS, Preset, law_from_document

__all__ = ["fit_provenance", "fitted_law", "write_fitted_preset"]


def _parts(boot_or_fit: BootstrapResult | FitResult) -> tuple[FitResult, BootstrapResult | None]:
    if isinstance(boot_or_fit, BootstrapResult):
        return boot_or_fit.fit, boot_or_fit
    if isinstance(boot_or_fit, FitResult):
        return boot_or_fit, None
    raise TypeError(f"expected a BootstrapResult or FitResult, got {type(boot_or_fit).__name__}")


def _used_runs(fit: FitResult, runs: Runs) -> Runs:
    """The runs the fit used: ``runs`` itself, or ``runs`` after the fit's outlier filters."""
    if fit.dropped:
        used = used_runs(runs, fit)
        if len(used) == fit.n_points:
            return used
    if fit.n_dropped and len(runs) == fit.n_points + fit.n_dropped:
        used = drop_highest_loss(runs, fit.n_dropped)  # same set: the k-th largest is the threshold
        if len(used) == fit.n_points:
            return used
    return runs


def _usable_samples(boot: BootstrapResult | None) -> np.ndarray | None:
    if boot is None or len(boot.samples) == 0:
        return None
    s = np.asarray(boot.samples, dtype=float)
    ok = np.isfinite(s).all(1) & (s > 0).all(1)
    if boot.fit.form == "chinchilla":
        ok = np.isfinite(s).all(1) & (s[:, 1:] > 0).all(1) & (s[:, 0] >= 0)
    s = s[ok][:MAX_BOOTSTRAP_ROWS]
    return s if len(s) else None


def samples_ok(boot: BootstrapResult | None) -> bool:
    return _usable_samples(boot) is not None


def _bootstrap_extra(boot: BootstrapResult | None, runs: Runs) -> dict[str, Any] | None:
    if boot is None:
        return None
    extra: dict[str, Any] = {"seed": boot.seed, "data_file": _data_label(runs)}
    if runs.sha256:
        extra["data_sha256"] = runs.sha256
    return extra


def _data_label(runs: Runs) -> str:
    return runs.source.name if runs.source is not None else "in-memory runs"


def fit_provenance(boot_or_fit: BootstrapResult | FitResult, runs: Runs,
                   holdout: HoldoutResult | None = None) -> dict[str, Any]:
    """The ``[meta.fit]`` table for a fit of ``runs`` (keys in :data:`planner.presets.load.FIT_KEYS`).

    ``runs`` are the runs handed to :func:`planner.fitting.fitter` / ``bootstrap`` (before any
    ``drop_highest`` filter, whose removals are ``n_dropped``).
    """
    fit, boot = _parts(boot_or_fit)
    out: dict[str, Any] = {
        "objective": fit.objective, "n_points": fit.n_points, "n_dropped": fit.n_dropped,
        "n_skipped": len(runs.skipped), "data_file": _data_label(runs), "data_sha256": runs.sha256,
        "date": _dt.datetime.now(_dt.UTC).replace(microsecond=0), "form": fit.form, "loss_fn": fit.loss_fn,
        "delta": fit.delta if math.isfinite(fit.delta) else None, "pinned": dict(fit.pinned) or None,
        "converged": bool(fit.converged), "seconds": fit.seconds, "message": fit.message[:4000],
        "n_starts": fit.n_starts, "n_refined": fit.n_refined, "n_at_best": fit.n_at_best,
        "grad_norm": fit.grad_norm if math.isfinite(fit.grad_norm) else None,
        "tool": "planner fit", "planner_version": __version__,
    }  # fmt: skip
    if boot is not None:
        out.update({"n_bootstrap": boot.n_requested, "n_bootstrap_ok": boot.n_ok, "seed": boot.seed,
                    "level": boot.level, "se": {k: v for k, v in boot.se.items() if math.isfinite(v)} or None})
    if holdout is not None:
        out.update({"holdout_n": len(holdout.rows), "holdout_mean_abs_rel_error": holdout.mean_abs_rel_error,
                    "holdout_max_abs_rel_error": holdout.max_abs_rel_error,
                    "holdout_train_max_flops": holdout.train_max_flops})  # fmt: skip
    return {k: v for k, v in out.items() if v is not None}


def _raw_law(fit: FitResult, boot: BootstrapResult | None, runs: Runs, preset_id: str, name: str,
             holdout: HoldoutResult | None, n_meaning: str, loss_unit: str, notes: str,
             calibration: Calibration | None = None) -> Law:
    used = _used_runs(fit, runs)
    rng = data_range(used)
    sha = f", sha256 {runs.sha256[:12]}" if runs.sha256 else ""
    form_text = {"chinchilla": "L = E + A/N^alpha + B/D^beta", "kaplan": "L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D"}
    objective = f"Huber delta {fit.delta:g} on ln loss" if fit.loss_fn == "huber" else "least squares on ln loss"
    locator = (f"planner fit: {fit.form} form ({form_text[fit.form]}), {objective}, "
               f"{fit.n_points} runs used, {fit.n_dropped} dropped as outliers, {len(runs.skipped)} skipped")
    if fit.pinned:
        locator += "; pinned " + ", ".join(f"{k} = {v:g}" for k, v in fit.pinned.items())
    citation = Citation(text=f"Fitted to {_data_label(runs)} ({fit.n_points} runs{sha})", arxiv="",
                        locator=locator, status="FITTED")  # fmt: skip
    warnings: list[str] = []
    if not fit.converged:
        warnings.append(f"The fit did not converge: {fit.message}"[:4000])
    warnings += [f"Not identified: {issue}."[:4000] for issue in fit.identification]
    note_lines = [notes] if notes else []
    note_lines.append(f"Fitted on {rng.n_runs} runs spanning {rng.flops[0]:.3g} to {rng.flops[1]:.3g} FLOP, "
                      f"N {rng.n_params[0]:.3g} to {rng.n_params[1]:.3g}, D {rng.n_tokens[0]:.3g} to "
                      f"{rng.n_tokens[1]:.3g}.")  # fmt: skip
    if runs.loss_note:
        note_lines.append(f"Loss: {runs.loss_note}.")
    if fit.dropped:
        note_lines.append(f"{len(fit.dropped)} runs dropped by outlier filters (rows "
                          + ", ".join(str(d.row) for d in fit.dropped[:20]) + (", ..." if len(fit.dropped) > 20 else "")
                          + ").")
    if boot is not None:
        note_lines.append(f"Intervals: {boot.level:.0%} percentile bootstrap, {boot.n_ok} of {boot.n_requested} "
                          f"resamples (seed {boot.seed}).")  # fmt: skip
        if calibration is not None and samples_ok(boot):
            note_lines.append(f"Loss intervals are {boot.level:.0%} prediction intervals, bootstrap + extrapolation "
                              f"error: {calibration.describe()}.")
    if holdout is not None:
        note_lines.append(f"Leave-largest-out check: refitted without the {len(holdout.rows)} largest-compute runs, "
                          f"the law predicts their loss with mean |relative error| "
                          f"{holdout.mean_abs_rel_error:.2%} (max {holdout.max_abs_rel_error:.2%}).")  # fmt: skip
    se = {k: v for k, v in (boot.se.items() if boot is not None else ()) if math.isfinite(v)}
    samples = _usable_samples(boot)
    info = LawInfo(
        id=preset_id, title=name, citation=citation, n_meaning=n_meaning,  # type: ignore[arg-type]
        loss_unit=loss_unit, compute="C = 6ND",
        fitted_range=FittedRange(rng.n_params, rng.n_tokens, rng.flops),
        uncertainty=se, notes=" ".join(note_lines), warnings=tuple(warnings), source="<fitted>",  # type: ignore[arg-type]
        bootstrap_samples=samples, bootstrap_level=boot.level if samples is not None else None,
        calibration=calibration.to_table() if (calibration is not None and samples is not None) else None,
    )  # fmt: skip
    if fit.form == "chinchilla":
        return ChinchillaLaw(info, **fit.params)
    return KaplanLaw(info, **fit.params)


def _tables(fit: FitResult, boot: BootstrapResult | None, runs: Runs,
            holdout: HoldoutResult | None) -> dict[str, Any]:
    intervals = None
    if boot is not None:
        intervals = {k: v for k, v in boot.ci.items() if all(map(math.isfinite, v))} or None
    return {"fit": fit_provenance(boot or fit, runs, holdout), "intervals": intervals}


def fitted_law(boot_or_fit: BootstrapResult | FitResult, runs: Runs, *, preset_id: str, name: str,
               holdout: HoldoutResult | None = None, n_meaning: str = "total",
               loss_unit: str = "nats/token", notes: str = "", calibration: Calibration | None = None) -> Law:
    """The in-memory law of a fit (or bootstrap) of ``runs``, validated like a preset file.

    Parameters
    ----------
    boot_or_fit : BootstrapResult or FitResult
        With a BootstrapResult the law carries its samples (plan intervals) and standard
        errors (``info.uncertainty``).
    runs : Runs
        The runs given to the fit (before its ``drop_highest`` filter).
    preset_id, name : str
        ``meta.id`` (letters, digits, ``-_.``) and the title shown in the menu.
    holdout : HoldoutResult, optional
        A leave-largest-out check, summarised in the law's notes.
    n_meaning, loss_unit, notes : str
        What the runs' N counts (``total``/``non_embedding``), the loss unit, extra notes.
    calibration : Calibration, optional
        The rolling-origin extrapolation error (:func:`planner.fitting.calibration.calibrate`):
        kept with the bootstrap samples, it turns loss intervals into prediction intervals
        that widen past the fitted range.

    Raises
    ------
    planner.presets.load.PresetError
        The fitted coefficients are outside what a preset may hold (message names the key).
    """
    from planner.presets.write import preset_document

    fit, boot = _parts(boot_or_fit)
    law = _raw_law(fit, boot, runs, preset_id, name, holdout, n_meaning, loss_unit, notes, calibration)
    doc = preset_document(law, bootstrap_extra=_bootstrap_extra(boot, runs), **_tables(fit, boot, runs, holdout))
    return law_from_document(doc, f"<fitted {preset_id}>").law


def write_fitted_preset(path: str | Path, boot_or_fit: BootstrapResult | FitResult, runs: Runs, *,
                        preset_id: str, name: str, holdout: HoldoutResult | None = None, author: str = "",
                        n_meaning: str = "total", loss_unit: str = "nats/token", notes: str = "",
                        calibration: Calibration | None = None) -> Preset:
    """Write the fitted law to ``path`` (TOML, or JSON for ``.json``) atomically; returns the preset
    as the loader reads it back. Tables: ``[law.coefficients]``, ``[law.uncertainty]`` (bootstrap
    SEs), ``[law.intervals]``, ``[law.fitted_range]``, ``[law.bootstrap]`` and ``[meta.fit]``.
    Raises :class:`planner.presets.load.PresetError` (nothing written) or ``OSError``."""
    from planner.presets.write import write_preset

    fit, boot = _parts(boot_or_fit)
    law = _raw_law(fit, boot, runs, preset_id, name, holdout, n_meaning, loss_unit, notes, calibration)
    header = (f"Fitted by planner fit {__version__} from {_data_label(runs)}"
              + (f" (sha256 {runs.sha256})" if runs.sha256 else "") + ".")
    return write_preset(path, law, meta_extra={"author": author} if author else None, header=header,
                        bootstrap_extra=_bootstrap_extra(boot, runs), **_tables(fit, boot, runs, holdout))  # fmt: skip
