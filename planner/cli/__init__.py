"""The ``planner`` command line: one module per subcommand.

``planner plan``, ``presets``, ``gpus`` and ``fit`` live here; other packages add commands
(``report`` from the window package) through the ``planner.cli`` entry-point group, so this core
never imports Qt. Bad input exits with status 2 and one line on stderr; no traceback reaches a
user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from planner import __version__
from planner.cli import fit, gpus, plan, predict, presets
from planner.cli.common import _COMMANDS, CliError, Command, _Parser, register
from planner.cli.plan import add_plan_arguments, plan_from_args, plan_json
from planner.presets.load import PresetError

__all__ = ["CliError", "Command", "add_plan_arguments", "build_parser", "main", "plan_from_args", "plan_json",
           "register"]


for _module in (plan, presets, fit, predict, gpus):  # the order of `planner --help`
    register(_module.COMMAND)


def _load_plugins() -> None:
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
    _load_plugins()
    try:
        args = build_parser().parse_args(argv)
        return int(args._run(args))
    except CliError as exc:
        print(f"planner: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `planner plan --json | head`: the reader left; say nothing
        sys.stderr.close()
        return 0
    except (PresetError, ValueError, KeyError, OSError) as exc:
        print(f"planner: error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"planner: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
