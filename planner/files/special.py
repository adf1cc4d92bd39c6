"""Regular files only: read and write paths without hanging on, or replacing, special files.

A path a user gives (``--preset-file``, ``-o``, a team folder's entries) may name something that
is not a regular file: a FIFO (opening it for reading blocks until a writer appears, forever), a
device (``/dev/full``, ``/dev/zero``), a socket, a folder, a dangling symbolic link or a link
loop. Every reader and writer in the planner asks this module first.

API::

    file_kind(path) -> str              # "file", "missing", "folder", "FIFO (named pipe)", ...
    describe_special(path) -> str|None  # None for a regular (or missing) file, else the reason
    read_regular_file(path, limit) -> bytes   # at most limit + 1 bytes; never blocks
    NotRegularFileError                 # an OSError whose str() is one line naming the path

:func:`read_regular_file` checks the path with ``stat`` before opening it (so a tape or
terminal device is never opened), then opens it non-blocking and checks the open descriptor
again with ``fstat`` (so a file swapped for a FIFO in between cannot block the read).
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["NotRegularFileError", "describe_special", "file_kind", "kind_reason", "read_regular_file"]

REGULAR = "file"
MISSING = "missing"


class NotRegularFileError(OSError):
    """``filename`` exists but is not a regular file (``kind`` says what it is)."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        code = errno.EISDIR if kind == "folder" else errno.ELOOP if "loop" in kind else errno.EINVAL
        super().__init__(code, kind_reason(kind), os.fspath(path))
        self.kind = kind

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"

    def __reduce__(self) -> tuple:
        return (type(self), (self.filename, self.kind))


def kind_reason(kind: str) -> str:
    if kind == "broken symbolic link":
        return "is a broken symbolic link (its target does not exist)"
    if kind == "symbolic link loop":
        return "is a symbolic link loop"
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return f"is {article} {kind}, not a regular file"


def _kind_of_mode(mode: int) -> str:
    if stat.S_ISREG(mode):
        return REGULAR
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def file_kind(path: str | os.PathLike[str]) -> str:
    """What ``path`` is, following symbolic links.

    ``"file"`` (regular), ``"missing"``, ``"folder"``, ``"FIFO (named pipe)"``, ``"socket"``,
    ``"character device"``, ``"block device"``, ``"broken symbolic link"``,
    ``"symbolic link loop"`` or ``"special file"``. Other ``OSError``\\ s (permission denied on
    a parent folder, ...) propagate.
    """
    try:
        return _kind_of_mode(os.stat(path).st_mode)
    except ValueError:  # "embedded null byte": no file can have such a name
        raise OSError(errno.EINVAL, "the path holds a NUL character", os.fspath(path)) from None
    except FileNotFoundError:
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return "broken symbolic link"
        except OSError:
            pass
        return MISSING
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        raise


def describe_special(path: str | os.PathLike[str]) -> str | None:
    """None if ``path`` is a regular file or does not exist, else one line: why it is not usable."""
    kind = file_kind(path)
    return None if kind in (REGULAR, MISSING) else kind_reason(kind)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The first ``limit + 1`` bytes of the regular file ``path`` (compare ``len`` to ``limit``).

    Raises :class:`NotRegularFileError` for anything but a regular file (without opening a
    device, and without blocking on a FIFO), ``FileNotFoundError`` for a missing file, and
    other ``OSError``\\ s as the system reports them.
    """
    kind = file_kind(path)
    if kind == MISSING:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", os.fspath(path))
    if kind != REGULAR:
        raise NotRegularFileError(path, kind)
    fd = os.open(path, _OPEN_FLAGS | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced between the stat and the open
            raise NotRegularFileError(path, _kind_of_mode(mode))
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
