"""Atomic file writing: a reader sees the old file or the new one, never half of either.

:func:`atomic_write_bytes` writes to a temporary file in the *same folder* as the target
(so :func:`os.replace` is a rename within one file system), flushes and ``fsync``\\ s it,
then renames it over the target and (on POSIX) ``fsync``\\ s the folder so the rename itself
survives a power cut. If anything fails, the temporary file is removed and the target is
left exactly as it was.

Every writer of the planner goes through here (preset files, ``planner fit -o``, the autosave,
crash logs), so these rules hold for all of them:

* **Regular files only.** A target that exists and is not a regular file (a device such as
  ``/dev/full``, a FIFO, a socket, a folder, a symbolic link loop) is refused before anything
  is written; so is an empty path. Renaming over ``/dev/full`` would otherwise turn the device
  node into a regular file.
* **One-line errors.** Every failure is a :class:`WriteError` (an ``OSError``, ``errno`` kept)
  whose ``str()`` is one line naming the target, e.g.
  ``team/law.toml: cannot write: No space left on device``.
* **No stray temporary files.** A process killed mid-write leaves a
  ``.<name>.<host>-<pid>.<random>.tmp`` file beside the target (never a truncated target). The
  next write of the same target removes such files when the process that made them is gone
  (same host, pid no longer running; POSIX) or when they are older than
  :data:`STALE_SECONDS` (any system), so they do not pile up.

Qt code uses ``QSaveFile`` instead (same guarantees; it also refuses non-regular targets).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from planner.files.special import MISSING, REGULAR, file_kind, kind_reason

__all__ = ["STALE_SECONDS", "WriteError", "atomic_write_bytes", "atomic_write_text", "check_target", "remove_strays"]

STALE_SECONDS = 600.0
"""A temporary file this old is a leftover whatever its name says (a write takes milliseconds)."""


@functools.cache
def _host() -> str:
    """Six hex digits of this machine's name (in temporary names: strays of other machines on
    a shared folder are never touched); computed at the first write, not at import."""
    import hashlib
    import socket

    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


_STRAY = re.compile(r"\.(?P<host>[0-9a-f]{6})-(?P<pid>[0-9]{1,10})\.[^./\\]+\.tmp")
_NAME_BYTES = 180  # keep the temporary name under the usual 255-byte limit


class WriteError(OSError):
    """Writing ``filename`` failed or was refused; ``str()`` is one line naming it."""

    def __str__(self) -> str:
        name = self.filename if str(self.filename or "").strip() else f"cannot write {self.filename or ''!r}"
        return " ".join(f"{name}: {self.strerror}".splitlines())


def _short(name: str) -> str:
    raw = os.fsencode(name)
    return name if len(raw) <= _NAME_BYTES else os.fsdecode(raw[:_NAME_BYTES])


def check_target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it may be (re)written, else :class:`WriteError`.

    Refused: an empty (or blank) path, a path ending in a separator, and an existing target that
    is not a regular file (followed through symbolic links). A missing target is fine (its
    folder is checked when writing); so is a dangling symbolic link, which the write replaces.
    """
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise WriteError(errno.ENOENT, "the file name is empty", text)
    if text.endswith(("/", os.sep)) or (os.altsep and text.endswith(os.altsep)):
        raise WriteError(errno.EISDIR, "names a folder, not a file", text)
    target = Path(text)
    try:
        kind = file_kind(target)
    except OSError as exc:
        raise WriteError(exc.errno or errno.EIO, f"cannot write: {exc.strerror or exc}", text) from None
    if kind not in (REGULAR, MISSING, "broken symbolic link"):
        code = errno.EISDIR if kind == "folder" else errno.ELOOP if "loop" in kind else errno.EINVAL
        raise WriteError(code, f"{kind_reason(kind)}; refusing to replace it", text)
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> Path:
    """Replace ``path`` with ``data`` atomically; returns the target path.

    ``mode`` sets the file permissions (default: keep the existing file's mode, or 0o666 less
    the umask for a new file). Raises :class:`WriteError` (the target untouched) on failure.
    """
    target = check_target(path)
    folder = target.parent
    if mode is None:
        try:
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    remove_strays(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{_short(target.name)}.{_host()}-{os.getpid()}.", suffix=".tmp",
                                        dir=folder)  # fmt: skip
    except OSError as exc:
        raise _error(exc, target) from exc
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(OSError):  # some file systems refuse chmod
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise _error(exc, target) from exc
        raise
    _fsync_dir(folder)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8",
                      mode: int | None = None) -> Path:  # fmt: skip
    """:func:`atomic_write_bytes` for text (UTF-8 by default, ``\\n`` line ends kept)."""
    return atomic_write_bytes(path, text.encode(encoding), mode=mode)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - a write of 0 bytes to a regular file means no space
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _error(exc: OSError, target: Path) -> WriteError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return WriteError(exc.errno or errno.EIO, f"cannot write: {reason}", str(target))


def remove_strays(target: str | os.PathLike[str]) -> int:
    """Remove leftover temporary files of ``target`` from killed writes; returns how many.

    Removed: ``.<name>.<host>-<pid>.*.tmp`` files made on this host by a process that no longer
    runs (POSIX), and any ``.<name>.*.tmp`` older than :data:`STALE_SECONDS`. Never raises.
    """
    target = Path(target)
    prefix = f".{_short(target.name)}."
    removed = 0
    now = time.time()
    try:
        entries = os.scandir(target.parent)
    except OSError:
        return 0
    with entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            gone = False
            m = _STRAY.fullmatch(name, len(prefix) - 1)
            if m and m["host"] == _host():
                pid = int(m["pid"])
                gone = pid != os.getpid() and not _pid_running(pid)
            if gone or now - st.st_mtime > STALE_SECONDS:
                try:
                    os.unlink(entry.path)
                    removed += 1
                except OSError:
                    pass
    return removed


def _pid_running(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (True when unsure, e.g. on Windows)."""
    if os.name != "posix" or pid <= 0:
        return True  # os.kill(pid, 0) on Windows would terminate the process: never probe there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. EPERM: it runs, as another user
    return True


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
