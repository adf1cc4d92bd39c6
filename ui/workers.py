"""One background job at a time, with progress, cancel and stale-result dropping.

:class:`JobRunner` runs a plain Python function in a worker thread (a private
``QThreadPool`` with one thread) and reports back on the GUI thread through Qt signals::

    runner = JobRunner(parent, synchronous=False)
    runner.progress.connect(lambda done, total, text: ...)
    runner.finished.connect(lambda result: ...)
    runner.failed.connect(lambda message: ...)     # one line, never a traceback
    runner.cancelled.connect(lambda: ...)
    runner.start(fn)       # fn(report, is_cancelled) -> result
    runner.cancel()        # sets the flag; fn stops at its next check (raise Cancelled)

``fn`` receives ``report(done, total, text)`` and ``is_cancelled() -> bool``; it should
check ``is_cancelled`` (or call :func:`check_cancelled`) between chunks of work and raise
:class:`Cancelled` to stop. Every ``start`` bumps a generation counter; signals from an
older job (superseded or cancelled) are dropped, so a late result never overwrites a newer
one. ``synchronous=True`` runs ``fn`` inside ``start`` (tests, scripts) and emits the same
signals. Expected errors (``ValueError``, ``OSError``) become ``failed(str(exc))``; anything
else becomes ``failed("TypeName: message")`` — no traceback reaches the user.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

Report = Callable[[int, int, str], None]
IsCancelled = Callable[[], bool]
JobFn = Callable[[Report, IsCancelled], Any]


class Cancelled(Exception):
    """Raised by a job function to stop early after a cancel request."""


def check_cancelled(is_cancelled: IsCancelled) -> None:
    """Raise :class:`Cancelled` when a cancel was requested."""
    if is_cancelled():
        raise Cancelled


def error_text(exc: BaseException) -> str:
    """A one-line message for ``exc`` (expected errors keep their own message)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, ValueError | OSError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits through it (queued to the GUI thread)."""

    progress = Signal(int, int, int, str)  # generation, done, total, text
    done = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)


class _Job(QRunnable):
    def __init__(self, fn: JobFn, generation: int, flag: threading.Event, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.fn, self.generation, self.flag, self.relay = fn, generation, flag, relay

    def run(self) -> None:
        _execute(self.fn, self.generation, self.flag, self.relay)


def _execute(fn: JobFn, gen: int, flag: threading.Event, relay: _Relay) -> None:
    def report(done: int, total: int, text: str = "") -> None:
        relay.progress.emit(gen, int(done), int(total), str(text))

    try:
        result = fn(report, flag.is_set)
    except Cancelled:
        relay.cancelled.emit(gen)
    except Exception as exc:  # every error becomes a message, never a crash
        if flag.is_set():
            relay.cancelled.emit(gen)
        else:
            relay.failed.emit(gen, error_text(exc))
    else:
        if flag.is_set():
            relay.cancelled.emit(gen)
        else:
            relay.done.emit(gen, result)


class JobRunner(QObject):
    """Runs one job at a time off the GUI thread; see the module docstring."""

    progress = Signal(int, int, str)  # done, total, text (current job only)
    finished = Signal(object)  # the job's result (current job only)
    failed = Signal(str)  # one-line message (current job only)
    cancelled = Signal()  # the current job stopped after cancel()
    runningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, synchronous: bool = False) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # a new job queues behind a cancelled one
        self._generation = 0
        self._flags: dict[int, threading.Event] = {}
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)
        self._relay.cancelled.connect(self._on_cancelled)
        self._running = False

    # ---------------------------------------------------------------- public API
    @property
    def generation(self) -> int:
        """Counter bumped by every :meth:`start` and :meth:`cancel`."""
        return self._generation

    def is_running(self) -> bool:
        """True from :meth:`start` until the current job's terminal signal."""
        return self._running

    def is_busy(self) -> bool:
        """True while any job (also a cancelled one still winding down) occupies the thread."""
        return bool(self._flags) or self._pool.activeThreadCount() > 0

    def start(self, fn: JobFn) -> int:
        """Cancel any running job and start ``fn``; returns the new generation."""
        for flag in self._flags.values():
            flag.set()
        self._generation += 1
        gen = self._generation
        flag = threading.Event()
        self._flags[gen] = flag
        self._set_running(True)
        if self.synchronous:
            _execute(fn, gen, flag, self._relay)  # direct connections: delivered at once
        else:
            self._pool.start(_Job(fn, gen, flag, self._relay))
        return gen

    def cancel(self) -> None:
        """Ask the current job to stop; its result, if it still arrives, is dropped."""
        if not self._running:
            return
        for flag in self._flags.values():
            flag.set()
        self._generation += 1  # anything still in flight is now stale
        self._set_running(False)
        self.cancelled.emit()

    def wait(self, msecs: int = -1) -> bool:
        """Block until the worker thread is idle (True) or ``msecs`` pass (False)."""
        return self._pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 10000) -> bool:
        """Cancel and wait (call before the owner is destroyed)."""
        self.cancel()
        for flag in self._flags.values():
            flag.set()
        return self.wait(msecs)

    # ---------------------------------------------------------------- relay slots (GUI thread)
    def _set_running(self, on: bool) -> None:
        if self._running != on:
            self._running = on
            self.runningChanged.emit(on)

    def _on_progress(self, gen: int, done: int, total: int, text: str) -> None:
        if gen == self._generation and self._running:
            self.progress.emit(done, total, text)

    def _finish(self, gen: int) -> bool:
        self._flags.pop(gen, None)
        current = gen == self._generation and self._running
        if current:
            self._set_running(False)
        return current

    def _on_done(self, gen: int, result: object) -> None:
        if self._finish(gen):
            self.finished.emit(result)

    def _on_failed(self, gen: int, message: str) -> None:
        if self._finish(gen):
            self.failed.emit(message)

    def _on_cancelled(self, gen: int) -> None:
        if self._finish(gen):
            self.cancelled.emit()
