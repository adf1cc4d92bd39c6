"""The window's autosave: inputs saved shortly after every change, restored at start-up.

Without it, inputs were saved only when the window closed, so a kill or a power cut a few
seconds after an edit lost them. Now every real change of :class:`ui.state.InputsState` (its
``changed`` signal) starts a debounce timer; when the inputs have been quiet for
:data:`DEBOUNCE_MS`, or at the latest :data:`MAX_WAIT_MS` after the first unsaved change (a long
drag), they are written with :func:`planner.files.autosave.save` (atomic, and skipped when
nothing changed). Closing the window writes any pending change at once. Start-up restores the
autosave without asking (falling back to the settings' last plan when there is none); a corrupt
autosave is moved aside by the core and reported in the status bar.

The window installs it in three lines::

    inputs, note = restore_inputs(settings.load_json("last_plan")) if restore else (PlanInputs(), None)
    ...
    self.autosave = WindowAutosave(self.state, self)

**The adapter.** Only :func:`inputs_to_autosave` and :func:`inputs_from_autosave` know the fields
of the window's inputs value; they map it to and from the JSON-able document of
:mod:`planner.files.autosave` (``preset``, ``budget``, ``hardware``, and everything else as
``sliders``). When the inputs value changes shape, these two functions are all that changes;
``tests/ui/test_autosave.py`` round-trips every field so a forgotten one fails loudly.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from planner.files import autosave
from planner.presets.load import PresetError
from ui.state import InputsState, PlanInputs

DEBOUNCE_MS = 750
"""Save this long after the last change..."""
MAX_WAIT_MS = 2000
"""...but never later than this after the first unsaved change."""

_HARDWARE_FIELDS = ("gpu", "n_gpus", "mfu", "usd_per_gpu_hour", "precision")

__all__ = ["DEBOUNCE_MS", "MAX_WAIT_MS", "WindowAutosave", "inputs_from_autosave", "inputs_to_autosave",
           "restore_inputs"]  # fmt: skip


# -- the adapter: the only code here that knows the inputs' fields -----------------------------


def inputs_to_autosave(inputs: PlanInputs) -> dict[str, Any]:
    """The window's inputs as a :func:`planner.files.autosave.save` document (JSON-able).

    ``budget`` holds the budget in the form it was set (``{"usd": 5e6}``), checked by the core
    like a preset's ``[budget]``; a field holding None ("the default": e.g. the GPU's catalogue
    price) is left out, and :func:`inputs_from_autosave` gives it its default back.
    """
    flat = {k: v for k, v in inputs.to_json_dict().items() if v is not None}
    kind = flat.pop("budget_kind")
    value = flat.pop("flops") if kind == "flops" else flat.pop("budget_value")
    return {
        "preset": flat.pop("preset"),
        "budget": {kind: value},
        "hardware": {name: flat.pop(name) for name in _HARDWARE_FIELDS if name in flat},
        "sliders": flat,  # the other inputs and switches (and the FLOPs when the budget is set otherwise)
    }


def inputs_from_autosave(doc: dict[str, Any]) -> PlanInputs:
    """Inverse of :func:`inputs_to_autosave` (input already validated by the core); bad or
    missing fields keep their defaults."""
    flat: dict[str, Any] = {}
    if "preset" in doc:
        flat["preset"] = doc["preset"]
    for kind, value in doc.get("budget", {}).items():
        if kind == "flops":
            flat.update(flops=value, budget_kind="flops")
        else:
            flat.update(budget_kind=kind, budget_value=value)
    flat.update({k: v for k, v in doc.get("hardware", {}).items() if k in _HARDWARE_FIELDS})
    flat.update({k: v for k, v in doc.get("sliders", {}).items() if k not in ("budget_kind", "budget_value")})
    return PlanInputs.from_json_dict(flat)


# -- start-up ------------------------------------------------------------------------------------


def restore_inputs(fallback: Any = None, path: Any = None) -> tuple[PlanInputs, str | None]:
    """The inputs to start with and a one-line note for the status bar (None if all went well).

    The autosave wins when there is a usable one (it is at least as recent as anything else:
    it is written on every change and on close); otherwise ``fallback`` (the settings' last
    plan, a JSON dict) is used. A corrupt autosave is moved aside by the core and named in
    the note.
    """
    got = autosave.restore(path)
    if got.inputs is not None:
        return inputs_from_autosave(got.inputs), None
    note = f"The autosaved inputs could not be restored: {got.error}" if got.error else None
    return PlanInputs.from_json_dict(fallback), note


# -- saving --------------------------------------------------------------------------------------


class WindowAutosave(QObject):
    """Saves ``state``'s inputs after each change (debounced) and when ``parent`` closes.

    ``failed(str)`` carries a one-line reason when a save fails (once per distinct reason, so a
    full disk does not flood the status bar); the window keeps working either way.
    """

    failed = Signal(str)

    def __init__(self, state: InputsState, parent: QObject | None = None, *, path: Any = None,
                 delay_ms: int = DEBOUNCE_MS, max_wait_ms: int = MAX_WAIT_MS) -> None:  # fmt: skip
        super().__init__(parent)
        self._state = state
        self._path = path
        self.delay_ms, self.max_wait_ms = int(delay_ms), int(max_wait_ms)
        self._first_unsaved: float | None = None
        self.last_error: str | None = None
        self.saves = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save_now)
        state.changed.connect(self._on_changed)
        if parent is not None:
            parent.installEventFilter(self)  # save a pending change when the window closes

    def pending(self) -> bool:
        """Whether a change waits to be saved."""
        return self._timer.isActive()

    def _on_changed(self, _names: object = None) -> None:
        now = time.monotonic()
        if self._first_unsaved is None:
            self._first_unsaved = now
        left_ms = self.max_wait_ms - (now - self._first_unsaved) * 1000.0
        self._timer.start(int(max(0.0, min(float(self.delay_ms), left_ms))))

    def save_now(self) -> bool:
        """Write the current inputs now; returns True if the file was (re)written."""
        self._timer.stop()
        self._first_unsaved = None
        try:
            written = autosave.save(inputs_to_autosave(self._state.inputs), self._path)
        except (PresetError, ValueError, OSError) as exc:  # never let a save take the window down
            message = f"Autosave failed: {exc}"
            if message != self.last_error:
                self.last_error = message
                self.failed.emit(message)
            return False
        self.last_error = None
        self.saves += int(written)
        return written

    def flush(self) -> None:
        """Save now if a change is pending."""
        if self.pending():
            self.save_now()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.flush()
        return False
