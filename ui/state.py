"""The window's inputs: one frozen value, held by a QObject that emits only on real change.

:class:`PlanInputs` is everything a user can set (law, budget, hardware, the science sliders,
compare mode). :class:`InputsState` holds the current value; :meth:`InputsState.update`
replaces fields and emits ``changed(frozenset_of_field_names)`` only when something really
changed, so a view that writes the state and repaints on the echo cannot loop (STYLE.md §3).

:meth:`PlanInputs.question` turns the inputs into the core's :class:`~planner.question.Question`,
passing the vocabulary / MoE / inference / unique-data inputs only when the user enabled them
and never restating a default: the Question's own defaults (GPU, count, MFU, MoE granularity,
context, ...) apply to whatever the user left alone, so the window and ``planner plan`` give
the same plan for the same inputs. Values of switched-off controls (the inference slider's
position while its box is unticked) are the window's own state, not question defaults.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from planner.costs.hardware import Hardware, get_accelerator
from planner.laws import Law
from planner.presets.load import DEFAULT_PRESET_ID
from planner.question import NEW_PLAN_FLOPS, Question, default

FLOPS_LIMITS = (1e18, 1e27)
GPU_HOURS_LIMITS = (1e-2, 1e11)
VOCAB_LIMITS = (4096.0, 1048576.0)
MOE_LIMITS = (1.0 / 512.0, 1.0)
INFERENCE_LIMITS = (1e9, 1e16)
UNIQUE_LIMITS = (1e9, 1e15)


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What the user set. ``preset``/``compare_preset`` are keys into the window's preset list."""

    preset: str = DEFAULT_PRESET_ID
    flops: float = NEW_PLAN_FLOPS
    gpu: str = default("gpu")
    n_gpus: int = default("n_gpus")
    mfu: float = default("mfu")
    usd_per_gpu_hour: float | None = default("usd_per_gpu_hour")  # None: the GPU's catalogue price
    vocab_enabled: bool = False
    vocab_size: float = 32768.0
    optimal_vocab: bool = False
    moe_activation: float = 1.0  # 1 = dense (no MoE input)
    moe_granularity: float | None = default("moe_granularity")  # None: the MoE law's default
    inference_enabled: bool = False
    inference_tokens: float = 1e13
    unique_enabled: bool = False
    unique_tokens: float = 1e12
    compare: bool = False
    compare_preset: str = "chinchilla-2022-a3"

    def hardware(self) -> Hardware:
        return Hardware(
            get_accelerator(self.gpu),
            n_gpus=self.n_gpus,
            mfu=self.mfu,
            usd_per_gpu_hour=self.usd_per_gpu_hour,
        )

    def question(self, law: Law) -> Question:
        """The core's question for ``law``: only what the user set, the Question's defaults else."""
        kw: dict[str, Any] = {"flops": self.flops, "gpu": self.gpu, "n_gpus": self.n_gpus, "mfu": self.mfu,
                              "usd_per_gpu_hour": self.usd_per_gpu_hour}  # fmt: skip
        if self.vocab_enabled:
            if self.optimal_vocab:
                kw["optimal_vocab"] = True
            else:
                kw["vocab_size"] = self.vocab_size
        if self.moe_activation < 1.0:
            kw["moe_activation"] = self.moe_activation
            kw["moe_granularity"] = self.moe_granularity
        if self.inference_enabled and self.inference_tokens > 0:
            kw["inference_tokens"] = self.inference_tokens
        if self.unique_enabled:
            kw["unique_tokens"] = self.unique_tokens
        return Question(law=law, **kw)

    def gpu_hours(self) -> float:
        return self.flops / self.hardware().flops_per_gpu_hour

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: Any) -> PlanInputs:
        """Rebuild inputs from saved settings, keeping defaults for anything missing or bad."""
        out = cls()
        if not isinstance(data, dict):
            return out
        changes: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            default = getattr(out, f.name)
            value = data[f.name]
            if value is None or default is None:
                ok = value is None or (isinstance(value, int | float) and not isinstance(value, bool)
                                       and math.isfinite(value))  # fmt: skip
            elif isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            elif isinstance(default, float):
                ok = (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and math.isfinite(value)
                )
                value = float(value) if ok else value
            else:
                ok = isinstance(value, str)
            if ok:
                changes[f.name] = value
        try:
            candidate = replace(out, **changes)
            candidate = clamp(candidate)
            candidate.hardware()
        except (ValueError, KeyError):
            return out
        return candidate


def clamp(inputs: PlanInputs) -> PlanInputs:
    """Keep every slider-backed value inside its slider's limits."""

    def c(x: float, lim: tuple[float, float]) -> float:
        return min(max(x, lim[0]), lim[1])

    return replace(
        inputs,
        flops=c(inputs.flops, FLOPS_LIMITS),
        vocab_size=c(inputs.vocab_size, VOCAB_LIMITS),
        moe_activation=c(inputs.moe_activation, MOE_LIMITS),
        inference_tokens=c(inputs.inference_tokens, INFERENCE_LIMITS),
        unique_tokens=c(inputs.unique_tokens, UNIQUE_LIMITS),
        mfu=c(inputs.mfu, (0.01, 1.0)),
        n_gpus=int(c(inputs.n_gpus, (1, 10_000_000))),
    )


class InputsState(QObject):
    """Holds :class:`PlanInputs`; ``changed(frozenset)`` fires only on a real change."""

    changed = Signal(object)

    def __init__(self, inputs: PlanInputs | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._inputs = inputs or PlanInputs()

    @property
    def inputs(self) -> PlanInputs:
        return self._inputs

    def update(self, **changes: Any) -> frozenset[str]:
        """Set fields; returns (and emits) the names that changed. Raises ValueError for bad hardware."""
        new = clamp(replace(self._inputs, **changes))
        new.hardware()  # validates GPU name, MFU, count and price
        diff = frozenset(
            f.name
            for f in fields(PlanInputs)
            if getattr(new, f.name) != getattr(self._inputs, f.name)
        )
        if diff:
            self._inputs = new
            self.changed.emit(diff)
        return diff

    def replace_all(self, inputs: PlanInputs) -> frozenset[str]:
        return self.update(**{f.name: getattr(inputs, f.name) for f in fields(PlanInputs)})
