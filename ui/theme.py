"""Light and dark palettes that follow the system colour scheme (Qt 6.5+).

:func:`system_is_dark` reads ``QGuiApplication.styleHints().colorScheme()``;
:func:`apply_palette` sets the Fusion style with a matching palette; the cards and the warnings
strip paint their frames in :data:`CARD_COLORS` and :data:`WARNING_COLORS` (no style sheet); the
main window connects ``colorSchemeChanged`` and re-themes its plots.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

# Cards, the warnings strip and its list paint their frames themselves (QPainter), in these
# colours: no application style sheet, so every other widget paints as plain Fusion and a
# palette set on a widget reaches it (a style sheet style would restore its own).
CARD_COLORS = {
    False: {"background": "#ffffff", "border": "#dadce0", "muted": "#5f6368", "extra": "#a0467f"},
    True: {"background": "#26282c", "border": "#3c4043", "muted": "#9aa0a6", "extra": "#e78ac3"},
}
# warnings strip by the most serious warning's severity: (background or None, text, border)
WARNING_COLORS = {
    False: {"caution": ("#fff4e0", "#7a4b00", "#f0c36d"), "serious": ("#fde7e7", "#8a1c1c", "#e8a0a0"),
            "note": (None, "#5f6368", "#dadce0"), "none": (None, "#5f6368", "#dadce0"),
            "list": ("#ffffff", "", "#f0c36d")},
    True: {"caution": ("#3a2f12", "#fdd58a", "#7a5c12"), "serious": ("#4a1f1f", "#f6b0b0", "#8a3a3a"),
           "note": (None, "#9aa0a6", "#3c4043"), "none": (None, "#9aa0a6", "#3c4043"),
           "list": ("#26282c", "", "#7a5c12")},
}  # fmt: skip
_CARD_QCOLORS = {dark: {k: QColor(v) for k, v in c.items()} for dark, c in CARD_COLORS.items()}


_WINDOW_TEXT = QPalette.ColorRole.WindowText  # (a PySide enum lookup per card repaint adds up)


def is_dark(palette: QPalette) -> bool:
    """Whether a palette is the dark one (light text)."""
    return palette.color(_WINDOW_TEXT).lightness() > 128


def card_colors(palette: QPalette) -> dict[str, QColor]:
    """The cards' colours for a palette."""
    return _CARD_QCOLORS[is_dark(palette)]


def warning_colors(palette: QPalette, severity: str) -> tuple[QColor | None, QColor | None, QColor]:
    """(background or None, text or None, border) of the warnings strip for a severity name."""
    table = WARNING_COLORS[is_dark(palette)]
    fill, text, border = table.get(severity, table["caution"])
    return (QColor(fill) if fill else None, QColor(text) if text else None, QColor(border))


def draw_frame(painter: QPainter, rect: QRect, fill: QColor | None, border: QColor, radius: float) -> None:
    """A filled frame with a 1-px rounded border inside ``rect`` (what a style sheet's
    ``background; border: 1px solid; border-radius`` drew), from a cached pixmap: an
    antialiased rounded rectangle as wide as the warnings strip costs ~0.2 ms to rasterise,
    and the strip repaints at every slider step."""
    dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    key = (rect.width(), rect.height(), dpr, fill.rgba() if fill is not None else None, border.rgba(), radius)
    painter.drawPixmap(rect.topLeft(), _frame_pixmap(*key))


@lru_cache(maxsize=64)
def _frame_pixmap(w: int, h: int, dpr: float, fill: int | None, border: int, radius: float) -> QPixmap:
    pixmap = QPixmap(max(round(w * dpr), 1), max(round(h * dpr), 1))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(QColor.fromRgba(border), 1.0))
    painter.setBrush(QColor.fromRgba(fill) if fill is not None else Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(0, 0, w, h).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
    painter.end()
    return pixmap


def system_is_dark() -> bool:
    """True when the platform reports a dark colour scheme (Unknown counts as light)."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#1f2023"), QColor("#16171a"), QColor("#e8eaed")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, window)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#2b2d31"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#2b2d31"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Highlight, QColor("#3d7bd9"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#80868b"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#80868b"))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f75"))
    # a disabled slider's filled groove and a disabled field look disabled, not live
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor("#4a4d52"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, QColor("#1f2023"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, QColor("#242529"))
    return p


INDICATOR_OUTLINE = {True: QColor("#9aa0a6"), False: QColor("#5f6368")}  # enabled, disabled


class PlannerStyle(QProxyStyle):
    """Fusion, with check boxes and radio buttons outlined in dark mode (Fusion draws their frame
    a shade darker than the window: on a dark window an unchecked box all but disappears)."""

    def __init__(self, dark: bool) -> None:
        super().__init__("Fusion")
        self.dark = dark

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802 (Qt API)
        super().drawPrimitive(element, option, painter, widget)
        if self.dark and element in (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
                                     QStyle.PrimitiveElement.PE_IndicatorRadioButton):  # fmt: skip
            enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
            painter.save()
            painter.setRenderHint(painter.RenderHint.Antialiasing, True)
            painter.setPen(INDICATOR_OUTLINE[enabled])
            painter.setBrush(Qt.BrushStyle.NoBrush)
            r = option.rect.adjusted(0, 0, -1, -1)
            if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
                painter.drawEllipse(r)
            else:
                painter.drawRoundedRect(r, 2, 2)
            painter.restore()


def apply_palette(app: QApplication, dark: bool) -> None:
    """Fusion style with a light or dark palette (cards and strips pick their colours from it)."""
    # (light: Fusion itself; a Python proxy would route every frame and panel of every repaint
    # through Python, ~0.1 ms per slider step, for a change only the dark palette needs)
    app.setStyle(PlannerStyle(dark) if dark else QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
