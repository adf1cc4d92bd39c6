"""What every subcommand shares: the one-line user error, the command registry, argument types."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from planner.units import parse_number


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


@dataclass(frozen=True)
class Command:
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

