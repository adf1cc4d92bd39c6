"""What every subcommand shares: the one-line user error, the command registry, argument types."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, NoReturn, TextIO

from planner.text import printable
from planner.units import parse_number


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes a formatter for every argument it adds (to check its metavar), and a
        # formatter without a width imports shutil for the terminal's: ~1.5 ms of every start.
        return self.formatter_class(prog=self.prog, width=terminal_columns() - 2)

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        # Python before 3.13 drops the value of "--flag=--" (it strips every "--") and gives the
        # option an empty list, which failed later with a TypeError (exit 1). Hand "--" to the
        # type function instead, which refuses it in one line like any other bad value (exit 2).
        if action.option_strings and action.nargs in (None, argparse.OPTIONAL) and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` (``$COLUMNS``, else the terminal of stdout, else 80)
    without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Command(NamedTuple):
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


_COMMANDS: dict[str, Command] = {}


def register(command: Command) -> None:
    """Add a subcommand (used by plug-ins such as the report writer)."""
    _COMMANDS[command.name] = command



def _number(lo: float, hi: float, what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = parse_number(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value:g} is out of range (expected {lo:g} to {hi:g})")
        return value

    parse.__name__ = what
    return parse


def _int(lo: int, hi: int, what: str) -> Callable[[str], int]:
    inner = _number(lo, hi, what)

    def parse(text: str) -> int:
        value = inner(text)
        if value != int(value):
            raise argparse.ArgumentTypeError(f"{value:g} is not a whole number")
        return int(value)

    parse.__name__ = what
    return parse


def _unique_tokens(text: str) -> float:
    if text.strip().lower() in ("inf", "infinity", "none"):
        return math.inf
    return _number(1.0, 1e30, "--unique-tokens")(text)


def output_path(text: str) -> str:
    """Argument type for ``-o/--output``: refuse, before any work, a path no writer would accept.

    An empty path, a path ending in a separator and an existing target that is not a regular
    file (``/dev/full``, a FIFO, a folder, a socket) are errors (exit 2, one line), not a silent
    success or a replaced device; the writers (:func:`planner.files.atomic.atomic_write_bytes`)
    check again when they write.
    """
    from planner.files.atomic import WriteError, check_target

    try:
        check_target(text)
    except WriteError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def print_error(message: object, *, internal: bool = False) -> None:
    """Print ``planner: error: <message>`` as one line, terminal control characters escaped."""
    print(f"planner: {'internal error' if internal else 'error'}: {printable(message)}", file=sys.stderr)


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Show each warning as one line (``planner: warning: ...``), never with file names and source.

    numpy reports overflow or invalid values as a ``RuntimeWarning`` whose default display
    includes the library file and the source line, which means nothing to a user.
    """
    previous = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:  # fmt: skip
        print(f"planner: warning: {printable(message)}", file=sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous

