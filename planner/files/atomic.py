"""Atomic file writing: a reader sees the old file or the new one, never half of either.

:func:`atomic_write_bytes` writes to a temporary file in the *same folder* as the target
(so :func:`os.replace` is a rename within one file system), flushes and ``fsync``\\ s it,
then renames it over the target and (on POSIX) ``fsync``\\ s the folder so the rename itself
survives a power cut. If anything fails, the temporary file is removed and the target is
left exactly as it was. A process killed mid-write leaves at most a stray
``.<name>.*.tmp`` file beside the target, never a truncated target.

Qt code uses ``QSaveFile`` instead (same guarantee, Qt's error reporting).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> Path:
    """Replace ``path`` with ``data`` atomically; returns the resolved target path.

    ``mode`` sets the file permissions (default: keep the existing file's mode, or 0o644
    less the umask for a new file). Raises ``OSError`` (the target untouched) on failure.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if mode is None:
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):  # some file systems refuse chmod
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(folder)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8",
                      mode: int | None = None) -> Path:
    """:func:`atomic_write_bytes` for text (UTF-8 by default, ``\\n`` line ends kept)."""
    return atomic_write_bytes(path, text.encode(encoding), mode=mode)


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
