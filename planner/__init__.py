"""Compute budget planner: the numerical core (numpy, scipy, pandas; never Qt).

Public API
----------
Laws and presets
    :func:`get_law`, :func:`builtin_presets`, :func:`load_preset_file`, :class:`PresetError`,
    law classes in :mod:`planner.laws` (:class:`ChinchillaLaw`, :class:`KaplanLaw`,
    :class:`PowerLawAllocation`, :class:`DataConstrainedLaw`).
Planning
    :class:`Question` (every input, the only defaults; :data:`LIMITS`) → :func:`plan` →
    :class:`Plan`; :func:`frontier` (vectorised); :func:`isoflop_curve`;
    inverses :func:`flops_for_loss`, :func:`optimal_tokens_for_params`,
    :func:`optimal_params_for_tokens`.
Hardware and money
    :class:`Hardware`, :data:`CATALOGUE`, :func:`get_accelerator`, conversions in
    :mod:`planner.costs.hardware`; serving cost in :mod:`planner.costs.serving`.
Formatting
    :mod:`planner.units` (one formatter for window, CLI and report), :mod:`planner.summary`.
Fitting your own runs (loaded on first use)
    :func:`load_runs` → :class:`Runs`; :func:`fit`, :func:`bootstrap`, :func:`leave_largest_out`,
    :func:`plan_intervals`; :func:`fitted_law` and :func:`write_fitted_preset` turn a fit into a
    law / preset file; :func:`frontier_intervals` gives bootstrap bands for plots.

scipy and pandas are imported lazily inside the functions that need them, so importing
this package stays fast for the window's start-up.
"""

from __future__ import annotations

__version__ = "0.1.0"

from planner.costs.hardware import CATALOGUE, Hardware, get_accelerator
from planner.laws import ChinchillaLaw, DataConstrainedLaw, KaplanLaw, Law, PowerLawAllocation
from planner.presets.load import PresetError, builtin_presets, get_law, load_preset_file
from planner.question import LIMITS, Question
from planner.solve.allocation import frontier, frontier_intervals, isoflop_curve
from planner.solve.inverses import (
    flops_for_loss,
    optimal_params_for_tokens,
    optimal_tokens_for_params,
)
from planner.solve.plan import plan
from planner.solve.result import Frontier, Plan

__all__ = [
    "CATALOGUE",
    "ChinchillaLaw",
    "DataConstrainedLaw",
    "Frontier",
    "Hardware",
    "KaplanLaw",
    "LIMITS",
    "Law",
    "Plan",
    "PowerLawAllocation",
    "PresetError",
    "Question",
    "__version__",
    "builtin_presets",
    "flops_for_loss",
    "frontier",
    "frontier_intervals",
    "get_accelerator",
    "get_law",
    "isoflop_curve",
    "load_preset_file",
    "optimal_params_for_tokens",
    "optimal_tokens_for_params",
    "plan",
]

#: Fitting API, imported on first access so ``import planner`` stays light (numpy only).
_LAZY = ("fit", "bootstrap", "leave_largest_out", "residuals_by_compute", "plan_intervals", "fitted_law",
         "write_fitted_preset", "BootstrapResult", "FitResult", "HoldoutResult", "load_runs", "Runs", "RunsError")
__all__ += sorted(_LAZY)


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    import planner.fitting

    value = getattr(planner.fitting, name)
    globals()[name] = value
    return value

