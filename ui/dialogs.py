"""File content in the window is plain text, never markup.

Qt guesses whether a string is rich text (``Qt::mightBeRichText``): a message that starts with a
tag is rendered as HTML. A preset's id, name or notes, a file name, or an error message quoting
them is whatever a file's author wrote, so it must never be guessed at:

* :func:`warning` shows a message box whose text is always plain text (``Qt.PlainText``);
* :func:`plain_tooltip` turns any text into a tooltip that shows it literally (tooltips have no
  text-format switch, so the text is HTML-escaped inside an explicit rich-text wrapper).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["plain_tooltip", "warning"]


def warning(parent: QWidget | None, title: str, text: str) -> None:
    """A modal warning box showing ``text`` exactly as written (no markup)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()
    box.deleteLater()


def plain_tooltip(text: str) -> str:
    """Tooltip markup that displays ``text`` literally, line breaks kept."""
    if not text:
        return ""
    return "<p style='white-space:pre-wrap'>" + html.escape(text, quote=False) + "</p>"
