"""Fitting a law to a team's own runs: read the table, fit, bootstrap, intervals, preset files.

Modules: :mod:`~planner.fitting.runs` (reading CSV/TSV/Parquet), :mod:`~planner.fitting.fitter`
(multi-start Huber fit, bootstrap, leave-largest-out), :mod:`~planner.fitting.intervals`
(plan intervals from bootstrap samples), :mod:`~planner.fitting.calibration` (rolling-origin
extrapolation error), :mod:`~planner.fitting.predict` (loss of a given run with an interval) and :mod:`~planner.fitting.preset` (a fit as a law or a
preset file). The names below are resolved on first use, so importing the package stays cheap.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "fit": "fitter", "bootstrap": "fitter", "leave_largest_out": "fitter", "residuals_by_compute": "fitter",
    "summarise_bootstrap": "fitter", "BootstrapResult": "fitter", "FitResult": "fitter",
    "HoldoutResult": "fitter", "ComputeResiduals": "fitter", "CHINCHILLA_PARAMS": "fitter", "KAPLAN_PARAMS": "fitter",
    "plan_intervals": "intervals", "loss_interval": "intervals",
    "load_runs": "runs", "Runs": "runs", "RunsError": "runs", "data_range": "runs",
    "fitted_law": "preset", "write_fitted_preset": "preset", "fit_provenance": "preset",
    "drop_residual_outliers": "fitter", "used_runs": "fitter", "identification_issues": "fitter",
    "calibrate": "calibration", "Calibration": "calibration", "extrapolation_decades": "calibration",
    "predict": "predict", "Prediction": "predict", "loss_prediction_interval": "predict",
    "interval_kind": "predict",
}  # fmt: skip
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
