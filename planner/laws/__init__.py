"""Scaling laws as immutable value objects, one module per form.

=============================  ==================================================================
:class:`ChinchillaLaw`         L = E + A/N^α + B/D^β, C = 6ND (Hoffmann et al. 2022, arXiv
                               2203.15556, Eq. 2, 4; closed forms LAWS.md §1)
:class:`DataConstrainedLaw`    Chinchilla form on effective data D′ and parameters N′
                               (Muennighoff et al. 2023, arXiv 2305.16264, LAWS.md §2.9)
:class:`KaplanLaw`             L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D with non-embedding N, C
                               in PF-days; allocation from Table 6 (Kaplan et al. 2020)
:class:`PowerLawAllocation`    N* = k_N·C^a_N, D* = k_D·C^a_D, no loss (Chinchilla Approach 1,
                               Porian, Llama 3 token law, DeepSeek M*(C) via an architecture rule)
=============================  ==================================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from planner.laws.base import Citation, FittedRange, Law, LawInfo, NMeaning

_FORMS = {"ChinchillaLaw": "chinchilla", "DataConstrainedLaw": "data_constrained", "KaplanLaw": "kaplan",
          "PowerLawAllocation": "allocation", "AllocationRule": "allocation", "deepseek_m": "allocation"}  # fmt: skip
"""Each form's names, imported from its module on first use (a plan needs its own form only)."""

__all__ = [
    "AllocationRule", "ChinchillaLaw", "Citation", "DataConstrainedLaw", "FittedRange", "KaplanLaw", "Law",
    "LawInfo", "NMeaning", "PowerLawAllocation", "deepseek_m",
]  # fmt: skip


def __getattr__(name: str) -> object:
    module = _FORMS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from planner.laws.allocation import AllocationRule, PowerLawAllocation, deepseek_m
    from planner.laws.chinchilla import ChinchillaLaw
    from planner.laws.data_constrained import DataConstrainedLaw
    from planner.laws.kaplan import KaplanLaw
