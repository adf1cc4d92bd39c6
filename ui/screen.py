"""Window sizes that fit the screen they open on (laptops of 1366x768 included).

:func:`fit_to_screen` gives a window its preferred size, shrunk to the screen's available area
(taskbars and docks excluded) and never below what its layout needs; :func:`clamp_to_screen`
moves and shrinks a restored geometry (saved on a larger monitor) back into view.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

MARGIN = 0.96  # of the available area: leave the window's frame and a sliver of desktop


def available(widget: QWidget | None = None) -> QRect:
    """The available geometry of the screen ``widget`` is on (else the primary screen)."""
    scr = widget.screen() if widget is not None else None
    scr = scr or QGuiApplication.primaryScreen()
    return scr.availableGeometry() if scr is not None else QRect(0, 0, 1366, 728)


def fit_to_screen(widget: QWidget, preferred: QSize) -> QSize:
    """Resize ``widget`` to ``preferred`` bounded by the available area; centre it there."""
    area = available(widget)
    w = min(preferred.width(), int(area.width() * MARGIN))
    h = min(preferred.height(), int(area.height() * MARGIN))
    widget.resize(w, h)
    widget.move(area.x() + (area.width() - widget.width()) // 2, area.y() + (area.height() - widget.height()) // 2)
    return widget.size()


def clamp_to_screen(widget: QWidget) -> None:
    """Shrink and move ``widget`` so that all of it lies on the available area."""
    area = available(widget)
    w, h = min(widget.width(), area.width()), min(widget.height(), area.height())
    if (w, h) != (widget.width(), widget.height()):
        widget.resize(w, h)
    x = min(max(widget.x(), area.x()), area.right() - w + 1)
    y = min(max(widget.y(), area.y()), area.bottom() - h + 1)
    if (x, y) != (widget.x(), widget.y()):
        widget.move(x, y)
