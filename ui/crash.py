"""Never crash: unhandled exceptions become a dialog and a log file; the app keeps running.

API (for the main window)::

    from ui.crash import install_excepthook
    handler = install_excepthook(parent=window)   # once, after the QApplication exists
    ...
    handler.uninstall()                            # optional; restores the previous hooks

``install_excepthook(parent=None, *, log_folder=None, show=None) -> CrashHandler`` sets
``sys.excepthook`` and ``threading.excepthook``. For each unhandled exception it

1. writes ``crash-YYYYmmdd-HHMMSS-<pid>-<n>.log`` (message, traceback, versions) to the log
   folder: ``platformdirs.user_log_dir("compute-budget-planner")``, or ``PLANNER_LOG_DIR``
   (tests), or ``log_folder``; written atomically, the newest 20 kept;
2. shows :class:`CrashDialog` (the message, a read-only details box with the traceback and
   the log path, a "Copy" button that puts all of it on the clipboard, and "Close") on the
   GUI thread; exceptions in worker threads are queued to the GUI thread;
3. returns, so the Qt event loop carries on.

It never recurses: an exception raised while the dialog is open (or by the dialog itself)
is logged and printed to stderr, not shown in a second dialog. ``KeyboardInterrupt`` and
``SystemExit`` go to the previous hook. ``show`` replaces the dialog (tests pass a function
that records the call, so nothing blocks); ``CrashHandler.last_log`` is the newest log path.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from planner.files.atomic import atomic_write_text

APP_NAME = "compute-budget-planner"
ENV_LOG_DIR = "PLANNER_LOG_DIR"
KEEP_LOGS = 20

__all__ = ["CrashDialog", "CrashHandler", "install_excepthook", "log_dir"]


def log_dir() -> Path:
    """The crash-log folder (``PLANNER_LOG_DIR`` if set, else platformdirs' user log dir)."""
    env = os.environ.get(ENV_LOG_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


class CrashDialog(QDialog):
    """"Something went wrong": message, traceback details, Copy and Close."""

    def __init__(self, message: str, details: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compute Budget Planner: unexpected error")
        self.setObjectName("crashDialog")
        self._report = f"{message}\n\n{details}" + (f"\nLog: {log_path}" if log_path else "")
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(32, 32))
        text = QLabel(
            f"<b>Something went wrong, but the planner is still running.</b><br>{_escape(message)}"
            + (f"<br><small>Details were saved to {_escape(str(log_path))}</small>" if log_path else "")
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(text, 1)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setObjectName("crashDetails")
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the message and traceback to the clipboard, to paste into a bug report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def report(self) -> str:
        return self._report

    @Slot()
    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._report)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


class _Bridge(QObject):
    """Carries a worker thread's exception to the GUI thread (queued connection)."""

    report = Signal(str, str, str)  # message, details, log path


class CrashHandler:
    """Installed by :func:`install_excepthook`; see the module docstring."""

    def __init__(self, parent: QWidget | None, folder: Path | None,
                 show: Callable[[str, str, Path | None], None] | None) -> None:  # fmt: skip
        self.parent = parent
        self.folder = folder
        self._show_override = show
        self._busy = False
        self._active = True
        self._count = 0
        self.last_log: Path | None = None
        self.handled = 0
        self._prev_sys = sys.excepthook
        self._prev_thread = threading.excepthook
        self._bridge = _Bridge()
        self._bridge.report.connect(self._on_report, Qt.ConnectionType.QueuedConnection)
        self._lock = threading.Lock()

    # -- hooks -------------------------------------------------------------------------------
    def excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            self._prev_sys(exc_type, exc, tb)
            return
        self._handle(exc_type, exc, tb, thread_name=None)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "worker"
        self._handle(args.exc_type, args.exc_value, args.exc_traceback, thread_name=name)

    def uninstall(self) -> None:
        if sys.excepthook == self.excepthook:
            sys.excepthook = self._prev_sys
        if threading.excepthook == self.thread_excepthook:
            threading.excepthook = self._prev_thread
        self._active = False  # queued reports arriving later are dropped

    # -- work --------------------------------------------------------------------------------
    def _handle(self, exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None,
                thread_name: str | None) -> None:  # fmt: skip
        try:
            message = "".join(traceback.format_exception_only(exc_type, exc)).strip() or exc_type.__name__
            if thread_name:
                message = f"in thread {thread_name!r}: {message}"
            details = "".join(traceback.format_exception(exc_type, exc, tb))
            log = self._write_log(message, details)
            self.handled += 1
            if threading.current_thread() is threading.main_thread():
                self._on_report(message, details, str(log) if log else "")
            else:
                self._bridge.report.emit(message, details, str(log) if log else "")
        except Exception:
            with contextlib.suppress(Exception):
                sys.__excepthook__(exc_type, exc or exc_type(), tb)

    def _write_log(self, message: str, details: str) -> Path | None:
        try:
            folder = self.folder or log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            with self._lock:
                self._count += 1
                n = self._count
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            path = folder / f"crash-{stamp}-{os.getpid()}-{n}.log"
            from planner import __version__

            header = (
                f"Compute Budget Planner {__version__} crash report\n"
                f"time: {_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}\n"
                f"python: {sys.version.split()[0]}  platform: {platform.platform()}\n"
                f"qt: {_qt_version()}\n\n"
            )
            atomic_write_text(path, header + message + "\n\n" + details)
            self.last_log = path
            self._prune(folder)
            return path
        except Exception as exc:
            with contextlib.suppress(Exception):
                print(f"planner: could not write crash log: {exc}", file=sys.stderr)
            return None

    @staticmethod
    def _prune(folder: Path) -> None:
        logs = sorted(folder.glob("crash-*.log"), key=lambda p: p.stat().st_mtime)
        for old in logs[:-KEEP_LOGS]:
            with contextlib.suppress(OSError):
                old.unlink()

    @Slot(str, str, str)
    def _on_report(self, message: str, details: str, log: str) -> None:
        print(f"planner: unexpected error: {message}" + (f" (log: {log})" if log else ""), file=sys.stderr)
        if self._busy or not self._active:  # an error while the dialog is up: logged and printed, no second dialog
            return
        self._busy = True
        try:
            log_path = Path(log) if log else None
            if self._show_override is not None:
                self._show_override(message, details, log_path)
            elif QApplication.instance() is not None:
                dialog = CrashDialog(message, details, log_path, self.parent)
                dialog.exec()
                dialog.deleteLater()
            else:
                self._prev_sys(RuntimeError, RuntimeError(message), None)
        except Exception:
            with contextlib.suppress(Exception):
                print(f"planner: the error dialog failed too:\n{traceback.format_exc()}", file=sys.stderr)
        finally:
            self._busy = False


def _qt_version() -> str:
    try:
        import PySide6
        from PySide6.QtCore import qVersion

        return f"PySide6 {PySide6.__version__}, Qt {qVersion()}"
    except Exception:
        return "unknown"


_installed: CrashHandler | None = None


def install_excepthook(parent: QWidget | None = None, *, log_folder: Path | None = None,
                       show: Callable[[str, str, Path | None], None] | None = None) -> CrashHandler:  # fmt: skip
    """Install the crash handler (replacing one installed earlier); returns it."""
    global _installed
    if _installed is not None:
        _installed.uninstall()
    handler = CrashHandler(parent, log_folder, show)
    sys.excepthook = handler.excepthook
    threading.excepthook = handler.thread_excepthook
    _installed = handler
    return handler
