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
Fitting your own runs
    :func:`load_runs` → :class:`Runs`; :func:`fit`, :func:`bootstrap`, :func:`leave_largest_out`,
    :func:`plan_intervals`; :func:`fitted_law` and :func:`write_fitted_preset` turn a fit into a
    law / preset file; :func:`frontier_intervals` gives bootstrap bands for plots.

Every name above is imported from its module on first use, so ``import planner`` (and so
``import planner.units`` or the command line) loads nothing it does not need; scipy and pandas
are imported inside the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_FROM: dict[str, str] = {
    "CATALOGUE": "planner.costs.hardware", "Hardware": "planner.costs.hardware",
    "get_accelerator": "planner.costs.hardware",
    "ChinchillaLaw": "planner.laws", "DataConstrainedLaw": "planner.laws", "KaplanLaw": "planner.laws",
    "Law": "planner.laws", "PowerLawAllocation": "planner.laws",
    "PresetError": "planner.presets.load", "builtin_presets": "planner.presets.load",
    "get_law": "planner.presets.load", "load_preset_file": "planner.presets.load",
    "LIMITS": "planner.question", "Question": "planner.question",
    "frontier": "planner.solve.allocation", "frontier_intervals": "planner.solve.allocation",
    "isoflop_curve": "planner.solve.allocation",
    "flops_for_loss": "planner.solve.inverses", "optimal_params_for_tokens": "planner.solve.inverses",
    "optimal_tokens_for_params": "planner.solve.inverses",
    "plan": "planner.solve.plan", "Frontier": "planner.solve.result", "Plan": "planner.solve.result",
    # fitting
    **dict.fromkeys(("fit", "bootstrap", "leave_largest_out", "residuals_by_compute", "plan_intervals",
                     "fitted_law", "write_fitted_preset", "BootstrapResult", "FitResult", "HoldoutResult",
                     "load_runs", "Runs", "RunsError"), "planner.fitting"),
}  # fmt: skip
"""Where each public name lives (imported on first access)."""
__all__ = [
    "CATALOGUE",
    "LIMITS",
    "BootstrapResult",
    "ChinchillaLaw",
    "DataConstrainedLaw",
    "FitResult",
    "Frontier",
    "Hardware",
    "HoldoutResult",
    "KaplanLaw",
    "Law",
    "Plan",
    "PowerLawAllocation",
    "PresetError",
    "Question",
    "Runs",
    "RunsError",
    "__version__",
    "bootstrap",
    "builtin_presets",
    "fit",
    "fitted_law",
    "flops_for_loss",
    "frontier",
    "frontier_intervals",
    "get_accelerator",
    "get_law",
    "isoflop_curve",
    "leave_largest_out",
    "load_preset_file",
    "load_runs",
    "optimal_params_for_tokens",
    "optimal_tokens_for_params",
    "plan",
    "plan_intervals",
    "residuals_by_compute",
    "write_fitted_preset",
]  # fmt: skip


def __getattr__(name: str) -> object:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM})


if TYPE_CHECKING:  # the same names for type checkers and editors
    from planner.costs.hardware import CATALOGUE, Hardware, get_accelerator
    from planner.fitting import (
        BootstrapResult,
        FitResult,
        HoldoutResult,
        Runs,
        RunsError,
        bootstrap,
        fit,
        fitted_law,
        leave_largest_out,
        load_runs,
        plan_intervals,
        residuals_by_compute,
        write_fitted_preset,
    )
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
