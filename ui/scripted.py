"""Scripted edits for checks that drive the real app from outside (``planner-gui --set``).

This is test support, documented as such: ``tests/ui/test_autosave_kill.py`` starts the real
app, changes inputs with ``--set NAME=VALUE``, kills it with SIGKILL and starts it again with
``--print-inputs`` to see what was restored. Each edit goes through the widget a user would
touch and the same signals a user edit emits (a typed value committed with Enter, a spin box
step, a ticked box), so the controller, state and autosave see exactly a user's edit.

Names (``INPUT_NAMES``): the sliders' typed fields ``flops``, ``gpu_hours``, ``vocab_size``,
``moe_activation``, ``inference_tokens``, ``unique_tokens`` (text as typed: ``3.8e25``,
``400K``); the spin boxes ``n_gpus``, ``mfu`` (percent, as shown), ``usd_per_gpu_hour``,
``moe_granularity``; the check boxes ``vocab_enabled``, ``optimal_vocab``,
``inference_enabled``, ``unique_enabled`` (``on``/``off``); ``gpu`` (a catalogue name).
"""

from __future__ import annotations

import json
from typing import Any

from planner.units import parse_number

_SPINS = {"n_gpus": "n_gpus", "mfu": "mfu", "usd_per_gpu_hour": "price", "moe_granularity": "moe_granularity"}
_CHECKS = {"vocab_enabled": "vocab_check", "optimal_vocab": "vocab_optimal", "inference_enabled": "inference_check",
           "unique_enabled": "unique_check"}  # fmt: skip
_SLIDERS = ("flops", "gpu_hours", "vocab_size", "moe_activation", "inference_tokens", "unique_tokens")
INPUT_NAMES = (*_SLIDERS, *_SPINS, *_CHECKS, "gpu")

__all__ = ["INPUT_NAMES", "enter", "inputs_line"]


def enter(window: Any, assignment: str) -> None:
    """Apply one ``NAME=VALUE`` edit through the window's widgets; ``ValueError`` if refused."""
    name, sep, text = assignment.partition("=")
    name = name.strip()
    if not sep or name not in INPUT_NAMES:
        raise ValueError(f"--set {assignment!r}: expected NAME=VALUE with NAME one of {', '.join(INPUT_NAMES)}")
    panel = window.budget_panel
    if name in _SLIDERS:
        slider = panel.sliders()[name]
        rejected: list[str] = []
        slider.editRejected.connect(rejected.append)
        try:
            slider.field.setText(text)
            slider.field.editingFinished.emit()  # what the field emits when the user presses Enter
        finally:
            slider.editRejected.disconnect(rejected.append)
        if rejected:
            raise ValueError(f"--set {name}: {rejected[0]}")
    elif name in _SPINS:
        spin = getattr(panel, _SPINS[name])
        value = parse_number(text)
        if not spin.minimum() <= value <= spin.maximum():
            raise ValueError(f"--set {name}: {text!r} is outside {spin.minimum():g} to {spin.maximum():g}")
        spin.setValue(value)
    elif name in _CHECKS:
        on = text.strip().lower()
        if on not in ("on", "off", "true", "false", "1", "0"):
            raise ValueError(f"--set {name}: {text!r} is not on or off")
        getattr(panel, _CHECKS[name]).setChecked(on in ("on", "true", "1"))
    else:
        index = panel.gpu.findText(text.strip())
        if index < 0:
            raise ValueError(f"--set gpu: {text!r} is not in the GPU catalogue")
        panel.gpu.setCurrentIndex(index)


def inputs_line(window: Any) -> str:
    """``inputs <json>``: the window's current inputs in the autosave document's form."""
    from ui.autosave import inputs_to_autosave

    return "inputs " + json.dumps(inputs_to_autosave(window.state.inputs), sort_keys=True)
