"""Light and dark palettes that follow the system colour scheme (Qt 6.5+).

:func:`system_is_dark` reads ``QGuiApplication.styleHints().colorScheme()``;
:func:`apply_palette` sets the Fusion style with a matching palette and the small style sheet
of the cards; the main window connects ``colorSchemeChanged`` and re-themes its plots.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

_LIGHT_SHEET = """
QFrame#resultCard, QFrame#lawCard { background: #ffffff; border: 1px solid #dadce0; border-radius: 6px; }
QLabel#cardTitle, QLabel#cardUnit { color: #5f6368; }
QLabel#cardExtra { color: #a0467f; }
QLabel#warningsLabel { background: #fff4e0; color: #7a4b00; border: 1px solid #f0c36d; border-radius: 4px; padding: 4px 8px; }
"""
_DARK_SHEET = """
QFrame#resultCard, QFrame#lawCard { background: #26282c; border: 1px solid #3c4043; border-radius: 6px; }
QLabel#cardTitle, QLabel#cardUnit { color: #9aa0a6; }
QLabel#cardExtra { color: #e78ac3; }
QLabel#warningsLabel { background: #3a2f12; color: #fdd58a; border: 1px solid #7a5c12; border-radius: 4px; padding: 4px 8px; }
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
    return p


def apply_palette(app: QApplication, dark: bool) -> None:
    """Fusion style with a light or dark palette and the cards' style sheet."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(_DARK_SHEET if dark else _LIGHT_SHEET)
