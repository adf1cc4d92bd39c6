"""The ``planner`` command line: one module per subcommand.

``planner plan``, ``presets``, ``gpus``, ``fit``, ``predict`` and ``design`` live here; other packages add commands
(``report`` from the window package) through the ``planner.cli`` entry-point group, so this core
never imports Qt. Bad input exits with status 2 and one line on stderr; no traceback reaches a
user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from planner import __version__
from planner.cli.common import (
    _COMMANDS,
    CliError,
    Command,
    _Parser,
    one_line_warnings,
    print_error,
    register,
)

__all__ = ["CliError", "Command", "build_parser", "main", "register"]

BUILTIN = ("plan", "presets", "fit", "predict", "design", "gpus")
"""Built-in subcommands, one module each, in the order of ``planner --help``."""


def _load_commands(wanted: str | None) -> None:
    """Register the command ``wanted`` (imported alone, for a fast start), or every built-in
    command and the plug-ins of the ``planner.cli`` entry-point group (e.g. ``report``)."""
    import importlib

    for name in (wanted,) if wanted in BUILTIN else BUILTIN:
        if name not in _COMMANDS:
            register(importlib.import_module(f"planner.cli.{name}").COMMAND)
    if wanted in BUILTIN:
        return
    from importlib.metadata import entry_points

    for ep in entry_points(group="planner.cli"):
        if ep.name in _COMMANDS:
            continue
        try:
            ep.load()()
        except Exception:
            continue


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="planner", description="Compute budget planner for language-model training.")
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for cmd in _COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``planner`` console script; returns the exit status."""
    from planner.presets.load import PresetError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _load_commands(argv[0] if argv and not argv[0].startswith("-") else None)
        with one_line_warnings():
            args = build_parser().parse_args(argv)
            return int(args._run(args))
    except CliError as exc:
        print_error(exc)
        return 2
    except BrokenPipeError:  # e.g. `planner plan --json | head`: the reader left; say nothing
        sys.stderr.close()
        return 0
    except (PresetError, ValueError, KeyError, OSError) as exc:
        print_error(exc.args[0] if isinstance(exc, KeyError) else exc)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print_error(f"{type(exc).__name__}: {exc}", internal=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
