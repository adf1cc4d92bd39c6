"""Compute budget planner: the numerical core (numpy, scipy, pandas; never Qt).

Public API
----------
Laws and presets
    :func:`get_law`, :func:`builtin_presets`, :func:`load_preset_file`, :class:`PresetError`,
    law classes in :mod:`planner.laws` (:class:`ChinchillaLaw`, :class:`KaplanLaw`,
    :class:`PowerLawAllocation`, :class:`DataConstrainedLaw`).
Planning
    :func:`plan` → :class:`Plan`; :func:`frontier` (vectorised); :func:`isoflop_curve`;
    inverses :func:`flops_for_loss`, :func:`optimal_tokens_for_params`,
    :func:`optimal_params_for_tokens`.
Hardware and money
    :class:`Hardware`, :data:`CATALOGUE`, :func:`get_accelerator`, conversions in
    :mod:`planner.hardware`; serving cost in :mod:`planner.inference`.
Formatting
    :mod:`planner.units` (one formatter for window, CLI and report), :mod:`planner.summary`.

scipy and pandas are imported lazily inside the functions that need them, so importing
this package stays fast for the window's start-up.
"""

from __future__ import annotations

__version__ = "0.1.0"

from planner.hardware import CATALOGUE, Hardware, get_accelerator
from planner.laws import ChinchillaLaw, DataConstrainedLaw, KaplanLaw, Law, PowerLawAllocation
from planner.optimiser import (
    Frontier,
    Plan,
    flops_for_loss,
    frontier,
    isoflop_curve,
    optimal_params_for_tokens,
    optimal_tokens_for_params,
    plan,
)
from planner.presets import PresetError, builtin_presets, get_law, load_preset_file

__all__ = [
    "CATALOGUE",
    "ChinchillaLaw",
    "DataConstrainedLaw",
    "Frontier",
    "Hardware",
    "KaplanLaw",
    "Law",
    "Plan",
    "PowerLawAllocation",
    "PresetError",
    "__version__",
    "builtin_presets",
    "flops_for_loss",
    "frontier",
    "get_accelerator",
    "get_law",
    "isoflop_curve",
    "load_preset_file",
    "optimal_params_for_tokens",
    "optimal_tokens_for_params",
    "plan",
]
