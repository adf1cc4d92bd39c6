"""What the fit and the design dialogs share.

* :class:`JobDialog` — a dialog that runs one background job (:class:`ui.workers.JobRunner`)
  with a progress bar, a message line and Cancel; the worker is stopped when the dialog or the
  application closes. A subclass builds its body, its buttons and ``_on_finished``.
* :class:`ResultsTable` — a read-only table of text rows, numbers right-aligned.
* :func:`log_x_plot` — a plot over a log x axis with a grid, in the window's colours.
* :func:`show_once` — bring a window's open dialog forward, or make and show a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ui import theme
from ui.plots import DARK, LIGHT, _Axis, _Plot
from ui.workers import JobRunner

ERROR_STYLE = "color: #c5221f; font-weight: bold;"
MUTED = QColor("#9aa0a6")


class JobDialog(QDialog):
    """A dialog with one background job, its progress bar and its message line.

    Subclasses call :meth:`_progress_bar` and :meth:`_message_label` while building, and
    implement ``_on_finished(outcome)`` and ``_sync_buttons()``; :attr:`FAILED` and
    :attr:`CANCELLED` are what the message line says when the job fails or is cancelled.
    """

    FAILED = "{message}"
    CANCELLED = "Cancelled."

    def __init__(self, parent: QWidget | None, *, name: str, title: str, synchronous: bool) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setSizeGripEnabled(True)
        self._dark = theme.system_is_dark()
        self._colors = DARK if self._dark else LIGHT
        self.runner = JobRunner(self, synchronous=synchronous)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.runningChanged.connect(self._sync_buttons)
        app = QApplication.instance()
        if app is not None:  # never leave a worker running into interpreter shutdown
            app.aboutToQuit.connect(self.runner.shutdown)

    # ---------------------------------------------------------------- parts
    def _progress_bar(self, name: str) -> QProgressBar:
        self.progress = QProgressBar()
        self.progress.setObjectName(name)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        return self.progress

    def _message_label(self, name: str, text: str = "") -> QLabel:
        self.message = QLabel(text)
        self.message.setObjectName(name)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return self.message

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    # ---------------------------------------------------------------- the job
    def cancel(self) -> None:
        """Stop the running job; whatever it still produces is dropped."""
        if self.runner.is_running():
            self.runner.cancel()

    def _begin_progress(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")

    def _end_progress(self, text: str, *, done: bool) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if done else 0)
        self.progress.setFormat(text)

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{text}  %p%" if text else "%p%")

    def _on_finished(self, outcome: Any) -> None:
        raise NotImplementedError

    def _on_failed(self, message: str) -> None:
        self._end_progress("Failed", done=False)
        self._say(self.FAILED.format(message=message), error=True)
        self._sync_buttons()

    def _on_cancelled(self) -> None:
        self._end_progress("Cancelled", done=False)
        self._say(self.CANCELLED)
        self._sync_buttons()

    def _sync_buttons(self, *_args: object) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- closing
    def done(self, result: int) -> None:
        self.runner.shutdown()
        super().done(result)

    def closeEvent(self, event) -> None:
        self.runner.shutdown()
        super().closeEvent(event)


class ResultsTable(QTableWidget):
    """Read-only rows of text selected by row, numbers (every column but the first)
    right-aligned; rows in ``muted`` are greyed."""

    def __init__(self, columns: list[str], name: str) -> None:
        super().__init__(0, len(columns))
        self.setObjectName(name)
        self.setHorizontalHeaderLabels(columns)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)

    def fill(self, rows: list[list[str]], muted: set[int] = frozenset()) -> None:  # type: ignore[assignment]
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r in muted:
                    item.setForeground(MUTED)
                self.setItem(r, c, item)


def log_x_plot(title: str, xlabel: str, ylabel: str, colors: dict[str, str], axis: type[_Axis] = _Axis) -> _Plot:
    """A plot over a log x axis (``axis``: the bottom axis' class), grid on, in ``colors``."""
    plot = _Plot(title, xlabel, ylabel, True, False)
    pi = plot.getPlotItem()
    bottom = axis("bottom")
    pi.setAxisItems({"bottom": bottom})
    bottom.setLogMode(x=True, y=False)
    pi.setLabel("bottom", xlabel)
    pi.showGrid(x=True, y=True, alpha=1.0)
    plot.apply_colors(colors)
    return plot


D = TypeVar("D", bound=QDialog)


def show_once(window: Any, cls: type[D], name: str, make: Callable[[], D],
              reuse: Callable[[D], None] | None = None) -> D:  # fmt: skip
    """The window's visible dialog of class ``cls`` named ``name``, brought forward (after
    ``reuse``), or a new non-modal one from ``make`` that deletes itself when closed."""
    existing = window.findChild(cls, name) if window is not None else None
    if existing is not None and existing.isVisible():
        if reuse is not None:
            reuse(existing)
        if QGuiApplication.platformName() != "offscreen":  # offscreen warns on raise()
            existing.raise_()
        existing.activateWindow()
        return existing
    dialog = make()
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.show()
    return dialog
