"""Light and dark palettes that follow the system colour scheme (Qt 6.5+).

:func:`system_is_dark` reads ``QGuiApplication.styleHints().colorScheme()``;
:func:`apply_palette` sets the Fusion style with a matching palette and the small style sheet
of the cards; the main window connects ``colorSchemeChanged`` and re-themes its plots.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

_LIGHT_SHEET = """
QFrame#resultCard, QFrame#lawCard { background: #ffffff; border: 1px solid #dadce0; border-radius: 6px; }
QLabel#cardTitle, QLabel#cardUnit { color: #5f6368; }
QLabel#cardExtra { color: #a0467f; }
QLabel#warningsLabel { background: #fff4e0; color: #7a4b00; border: 1px solid #f0c36d; border-radius: 4px; padding: 2px 8px; }
QLabel#warningsLabel[severity="serious"] { background: #fde7e7; color: #8a1c1c; border-color: #e8a0a0; }
QLabel#warningsLabel[severity="note"], QLabel#warningsLabel[severity="none"] { background: transparent; color: #5f6368; border-color: #dadce0; }
QFrame#warningsList { background: #ffffff; border: 1px solid #f0c36d; border-radius: 4px; }
"""
_DARK_SHEET = """
QFrame#resultCard, QFrame#lawCard { background: #26282c; border: 1px solid #3c4043; border-radius: 6px; }
QLabel#cardTitle, QLabel#cardUnit { color: #9aa0a6; }
QLabel#cardExtra { color: #e78ac3; }
QLabel#warningsLabel { background: #3a2f12; color: #fdd58a; border: 1px solid #7a5c12; border-radius: 4px; padding: 2px 8px; }
QLabel#warningsLabel[severity="serious"] { background: #4a1f1f; color: #f6b0b0; border-color: #8a3a3a; }
QLabel#warningsLabel[severity="note"], QLabel#warningsLabel[severity="none"] { background: transparent; color: #9aa0a6; border-color: #3c4043; }
QFrame#warningsList { background: #26282c; border: 1px solid #7a5c12; border-radius: 4px; }
"""


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
    """Fusion style with a light or dark palette and the cards' style sheet."""
    app.setStyle(PlannerStyle(dark))
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(_DARK_SHEET if dark else _LIGHT_SHEET)
