"""Small input widgets: a field that accepts what it displays, and a collapsible section.

:class:`QuantityField` shows a value through one of :mod:`planner.units`' formatters and reads
back anything :func:`planner.units.parse_quantity` reads (``400K``, ``$5M``, ``60 days``, ``1/4``,
``4,096``), so every field accepts its own text. A refused entry restores the last value and
emits ``rejected`` with the reason (shown in the status bar); ``valueEdited`` is emitted for user
edits only, :meth:`QuantityField.setValue` is silent.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from planner.units import fmt_count, fmt_duration_days, fmt_exact, fmt_sci, fmt_usd, parse_quantity

FORMATS: dict[str, tuple[Callable[[float], str], str]] = {
    "count": (fmt_count, "number"),
    "flops": (lambda x: fmt_sci(x, 3), "number"),
    "usd": (fmt_usd, "usd"),
    "days": (fmt_duration_days, "days"),
    "int": (lambda x: f"{x:,.0f}", "number"),
    "fraction": (lambda x: fraction_text(x), "fraction"),
}
"""Field kinds: (formatter, parse_quantity kind)."""


def fraction_text(x: float) -> str:
    """An activation ratio as people write it: ``1/4``, ``1/64`` when it is one, else ``0.155``."""
    if x >= 1.0:
        return "1"
    n = round(1.0 / x)
    return f"1/{n}" if abs(x * n - 1.0) < 1e-9 else fmt_sci(x, 3)


def one_over_n(x: float) -> float:
    """The nearest ratio 1/n (a slider over activation ratios moves through 1/2, 1/3, ... 1/512)."""
    return 1.0 / max(round(1.0 / x), 1)


def snap_to_limit(value: float, lo: float, hi: float, fmt: Callable[[float], str]) -> float:
    """A limit typed as it is displayed (rounded) is the limit: "0.000864 s" for 0.00086400...1 s."""
    for edge in (lo, hi):
        if value != edge and fmt(value) == fmt(edge):
            return edge
    return value


class QuantityField(QLineEdit):
    """A numeric field of one kind (see :data:`FORMATS`) within ``[lo, hi]``."""

    valueEdited = Signal(float)
    rejected = Signal(str)

    def __init__(self, kind: str, lo: float, hi: float, *, what: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind, self.lo, self.hi, self.what = kind, lo, hi, what
        self._fmt, self._parse_kind = FORMATS[kind]
        self._value = lo
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.editingFinished.connect(self._on_edited)

    def value(self) -> float:
        return self._value

    def setValue(self, value: float) -> None:
        """Show ``value`` without emitting (the exact value goes to the tooltip)."""
        self._value = float(value)
        text = self._fmt(self._value)
        if self.text() != text:
            self.setText(text)
        tip = f"{self.what + ': ' if self.what else ''}{fmt_exact(self._value)}"
        if self.toolTip() != tip:
            self.setToolTip(tip)

    def _on_edited(self) -> None:
        text = self.text()
        if text == self._fmt(self._value):
            return
        try:
            value = parse_quantity(text, self._parse_kind)
        except ValueError as exc:
            self.setValue(self._value)
            self.rejected.emit(str(exc))
            return
        value = snap_to_limit(value, self.lo, self.hi, self._fmt)
        if not self.lo <= value <= self.hi:
            self.setValue(self._value)
            self.rejected.emit(f"{text.strip()} is outside {self._fmt(self.lo)} to {self._fmt(self.hi)}"
                               + (f" ({self.what})" if self.what else ""))  # fmt: skip
            return
        self.setValue(value)
        self.valueEdited.emit(value)


class Section(QWidget):
    """A titled group whose body folds away (the header is a flat arrow button)."""

    toggled = Signal(bool)

    def __init__(self, title: str, body: QWidget, *, expanded: bool = True, name: str = "",
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.header = QToolButton()
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setChecked(expanded)
        self.header.setAutoRaise(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.header.setStyleSheet("QToolButton { font-weight: 600; border: none; text-align: left; }")
        if name:
            self.header.setObjectName(name + "Header")
            self.setObjectName(name)
        self.body = body
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.header)
        lay.addWidget(body)
        self.header.toggled.connect(self.setExpanded)
        self.setExpanded(expanded)

    def isExpanded(self) -> bool:
        return self.header.isChecked()

    def setExpanded(self, on: bool) -> None:
        if self.header.isChecked() != on:
            self.header.setChecked(on)
            return  # toggled calls back
        self.header.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)
        self.toggled.emit(on)
