"""The crash handler: dialog + log file, app keeps running, no recursion, threads queued."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from ui import crash


class Shown:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Path | None]] = []

    def __call__(self, message: str, details: str, log: Path | None) -> None:
        self.calls.append((message, details, log))


@pytest.fixture
def handler(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PLANNER_LOG_DIR", str(tmp_path / "logs"))
    shown = Shown()
    h = crash.install_excepthook(show=shown)
    h.shown = shown
    yield h
    h.uninstall()


def _raise(exc: BaseException) -> tuple:
    try:
        raise exc
    except BaseException:
        return sys.exc_info()


def test_exception_shows_dialog_and_writes_log(handler, tmp_path: Path, capsys) -> None:
    assert sys.excepthook == handler.excepthook
    sys.excepthook(*_raise(ZeroDivisionError("division by zero in the cost card")))
    (message, details, log), = handler.shown.calls
    assert message == "ZeroDivisionError: division by zero in the cost card"
    assert "Traceback (most recent call last)" in details and "_raise" in details
    assert log is not None and log.parent == tmp_path / "logs" and log.name.startswith("crash-")
    text = log.read_text()
    assert "ZeroDivisionError" in text and "Compute Budget Planner" in text and "python:" in text
    assert "unexpected error: ZeroDivisionError" in capsys.readouterr().err


class Emitter(QObject):
    fired = Signal()


def test_exception_in_a_slot_reaches_the_handler_and_app_continues(handler, qtbot) -> None:
    em = Emitter()
    em.fired.connect(lambda: 1 / 0)
    em.fired.emit()
    assert len(handler.shown.calls) == 1 and "ZeroDivisionError" in handler.shown.calls[0][0]
    em.fired.emit()  # still alive, still handled
    assert len(handler.shown.calls) == 2


def test_worker_thread_exception_is_queued_to_gui_thread(handler, qtbot) -> None:
    main = threading.main_thread()
    seen_in: list[threading.Thread] = []
    handler.shown.calls.clear()
    original = handler._show_override

    def record(*args) -> None:
        seen_in.append(threading.current_thread())
        original(*args)

    handler._show_override = record
    t = threading.Thread(target=lambda: [][1], name="fit-worker")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: len(handler.shown.calls) == 1)
    assert seen_in == [main]
    assert handler.shown.calls[0][0].startswith("in thread 'fit-worker': IndexError")


def test_no_recursion_when_the_dialog_fails(handler, capsys) -> None:
    def broken(*_a) -> None:
        handler.shown.calls.append(("inner", "", None))
        sys.excepthook(*_raise(RuntimeError("raised while the dialog is open")))
        raise RuntimeError("the dialog itself failed")

    handler._show_override = broken
    sys.excepthook(*_raise(ValueError("first")))
    assert [c[0] for c in handler.shown.calls] == ["inner"]  # one dialog only
    err = capsys.readouterr().err
    assert "RuntimeError: raised while the dialog is open" in err and "the dialog itself failed" in err
    assert handler.handled == 2  # both logged
    assert len(list(handler.last_log.parent.glob("crash-*.log"))) == 2


def test_keyboard_interrupt_goes_to_previous_hook(handler, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[type] = []
    monkeypatch.setattr(handler, "_prev_sys", lambda t, v, tb: seen.append(t))
    sys.excepthook(*_raise(KeyboardInterrupt()))
    assert seen == [KeyboardInterrupt] and handler.shown.calls == []


def test_uninstall_restores_hooks(qtbot, tmp_path: Path) -> None:
    before_sys, before_thread = sys.excepthook, threading.excepthook
    h = crash.install_excepthook(log_folder=tmp_path, show=Shown())
    assert sys.excepthook == h.excepthook and threading.excepthook == h.thread_excepthook
    h.uninstall()
    assert sys.excepthook == before_sys and threading.excepthook == before_thread


def test_old_logs_are_pruned(handler) -> None:
    for i in range(crash.KEEP_LOGS + 5):
        sys.excepthook(*_raise(ValueError(f"error {i}")))
    assert len(list(handler.last_log.parent.glob("crash-*.log"))) == crash.KEEP_LOGS


def test_unwritable_log_folder_still_shows(qtbot, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    shown = Shown()
    h = crash.install_excepthook(log_folder=blocker / "logs", show=shown)
    try:
        sys.excepthook(*_raise(ValueError("x")))
    finally:
        h.uninstall()
    assert shown.calls[0][0] == "ValueError: x" and shown.calls[0][2] is None


def test_dialog_copy_button(qtbot, tmp_path: Path) -> None:
    exc_info = _raise(KeyError("gpu"))
    import traceback

    details = "".join(traceback.format_exception(*exc_info))
    dlg = crash.CrashDialog("KeyError: 'gpu'", details, tmp_path / "crash-1.log")
    qtbot.addWidget(dlg)
    assert dlg.details.isReadOnly() and "Traceback" in dlg.details.toPlainText()
    qtbot.mouseClick(dlg.copy_button, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
    clip = QGuiApplication.clipboard().text()
    assert clip.startswith("KeyError: 'gpu'") and "Traceback" in clip and "crash-1.log" in clip
    dlg.grab().save(str(tmp_path / "crash_dialog.png"))
    assert (tmp_path / "crash_dialog.png").stat().st_size > 0
