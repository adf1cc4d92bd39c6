"""A log-scale slider with an exact numeric field: the one place that maps ticks to values.

An integer :class:`QSlider` runs over ``0 … steps``; tick ``t`` is the value
``10 ** (log_lo + t·(log_hi − log_lo)/steps)``. The field beside it shows the value in the
form of its ``kind`` (:data:`ui.widgets.fields.FORMATS`: ``95.9B``, ``1.00e24``, ``1/4``) and
accepts that text and anything :func:`planner.units.parse_quantity` reads for the kind
(``3.8e25``, ``400K``, ``2.5B``, ``4,096``), keeping the exact typed value even between ticks.
The field accepts values in ``[field_lo, field_hi]`` (default: the slider's range); beyond the
slider's own range the slider pins at its end.

``valueChanged(float)`` is emitted for user edits only (slider moves or a committed field);
:meth:`setValue` updates both widgets silently, so a model-driven update never echoes back.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QSlider, QWidget

from planner.units import fmt_exact, parse_quantity
from ui.widgets.fields import FORMATS, snap_to_limit


def value_to_tick(value: float, lo: float, hi: float, steps: int) -> int:
    """Nearest slider tick for ``value`` on a log scale from ``lo`` to ``hi`` (clamped)."""
    if not value > 0 or not math.isfinite(value):
        return 0
    t = (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * steps
    return int(min(max(round(t), 0), steps))


def tick_to_value(tick: int, lo: float, hi: float, steps: int) -> float:
    """Value of slider tick ``tick`` on a log scale from ``lo`` to ``hi``."""
    llo, lhi = math.log10(lo), math.log10(hi)
    if tick <= 0:
        return lo
    if tick >= steps:
        return hi
    return 10.0 ** (llo + (lhi - llo) * tick / steps)


class LogSlider(QWidget):
    """Log-scale slider + exact numeric field + unit label.

    Parameters
    ----------
    lo, hi : float
        Range of the slider (positive, ``lo < hi``). The field accepts the same range.
    steps : int
        Number of slider ticks (resolution of dragging).
    unit : str
        Unit shown after the field.
    fmt : callable
        Formats a value for the field (default :func:`fmt_sci` with 4 significant digits).
    """

    valueChanged = Signal(float)
    editRejected = Signal(str)  # a typed value that was refused, with the reason

    def __init__(
        self,
        lo: float,
        hi: float,
        *,
        steps: int = 900,
        unit: str = "",
        fmt: Callable[[float], str] | None = None,
        kind: str = "count",
        field_range: tuple[float, float] | None = None,
        snap: Callable[[float], float] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not 0 < lo < hi:
            raise ValueError(f"log slider range must satisfy 0 < lo < hi, got {lo!r}, {hi!r}")
        self.lo, self.hi, self.steps = float(lo), float(hi), int(steps)
        self.field_lo, self.field_hi = field_range or (self.lo, self.hi)
        self._fmt = fmt or FORMATS[kind][0]
        self._parse_kind = FORMATS[kind][1]
        self._value = self.lo
        self._snap = snap  # dragging lands on these values only (e.g. 1/n for activation ratios)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.steps)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(max(self.steps // 18, 1))
        self.slider.setMinimumWidth(120)
        self.field = QLineEdit()
        self.field.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.field.setFixedWidth(76)
        self.unit_label = QLabel(unit)
        self.unit_label.setMinimumWidth(56)
        self.unit_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.field)
        lay.addWidget(self.unit_label)

        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.field.editingFinished.connect(self._on_field_edited)
        self._show_field()

    # ---------------------------------------------------------------- public API
    def value(self) -> float:
        return self._value

    def setValue(self, value: float) -> None:
        """Show ``value`` without emitting ``valueChanged`` (the slider pins at its ends)."""
        value = min(max(float(value), self.field_lo), self.field_hi)
        self._value = value
        with QSignalBlocker(self.slider):
            self.slider.setValue(value_to_tick(value, self.lo, self.hi, self.steps))
        self._show_field()

    def setUnit(self, unit: str) -> None:
        if self.unit_label.text() != unit:
            self.unit_label.setText(unit)

    def setFieldEnabled(self, enabled: bool) -> None:
        self.slider.setEnabled(enabled)
        self.field.setEnabled(enabled)

    # ---------------------------------------------------------------- handlers
    def _show_field(self) -> None:
        text = self._fmt(self._value)
        if self.field.text() != text:
            self.field.setText(text)
            self.field.setToolTip(f"{fmt_exact(self._value)} {self.unit_label.text()}; type e.g. 3.8e25, 400K, 2.5B")

    def _on_slider_value_changed(self, tick: int) -> None:
        value = tick_to_value(tick, self.lo, self.hi, self.steps)
        if self._snap is not None:
            value = self._snap(value)
        if value == self._value:
            return
        self._value = value
        self._show_field()
        self.valueChanged.emit(value)

    def _on_field_edited(self) -> None:
        text = self.field.text()
        if text == self._fmt(self._value):
            return  # the shown text of the current value: nothing was typed
        try:
            value = parse_quantity(text, self._parse_kind)
        except ValueError as exc:
            self._show_field()
            self.editRejected.emit(str(exc))
            return
        value = snap_to_limit(value, self.field_lo, self.field_hi, self._fmt)
        if not self.field_lo <= value <= self.field_hi:
            self._show_field()
            self.editRejected.emit(
                f"{text.strip()} is outside {self._fmt(self.field_lo)} to {self._fmt(self.field_hi)} "
                f"{self.unit_label.text()}".strip()
            )
            return
        if value == self._value:
            self._show_field()
            return
        self.setValue(value)
        self.valueChanged.emit(value)
