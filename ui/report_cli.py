"""``planner report``: write the PDF planning report from the command line, headless.

A plug-in of :mod:`planner.cli` (entry-point group ``planner.cli``, name ``report``); the
frozen app imports this module and calls :func:`register` itself, so registering twice is
harmless. Qt is imported only when the command runs, so ``planner plan`` stays fast.

    planner report -o plan.pdf --flops 3.8e25 [every ``planner plan`` flag]
                   [--page-size A4|Letter] [--compare PRESET_ID] [--open]

Exit status 0, or 2 with one line on stderr for bad input (flags, preset, unwritable path).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from planner.cli import CliError, Command
from planner.cli import register as _register
from planner.cli.plan import add_plan_arguments, plan_from_args
from planner.summary import plan_json

PAGE_SIZE_CHOICES = ("A4", "Letter")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_plan_arguments(p)
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="PDF file to write")
    p.add_argument(
        "--page-size",
        default="A4",
        type=_page_size,
        metavar="A4|Letter",
        help="paper size (default A4)",
    )
    p.add_argument(
        "--compare",
        default=None,
        metavar="PRESET_ID",
        help="a second built-in law, shown side by side on the same budget",
    )
    p.add_argument("--open", action="store_true", help="open the report when written")


def _page_size(text: str) -> str:
    for name in PAGE_SIZE_CHOICES:
        if text.strip().lower() == name.lower():
            return name
    raise argparse.ArgumentTypeError(f"{text!r} is not a page size (expected A4 or Letter)")


def _check_output(path: str) -> Path:
    target = Path(path).expanduser()
    if not target.name or target.is_dir():
        raise CliError(f"{path}: is a folder (expected a .pdf file name)")
    if not target.parent.is_dir():
        raise CliError(f"{path}: folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise CliError(f"{path}: folder {target.parent} is not writable")
    return target


def ensure_qapplication() -> object:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    if sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["planner report"])


def run(args: argparse.Namespace) -> int:
    target = _check_output(args.output)
    question, plan = plan_from_args(args)
    if not plan.success:
        raise CliError(f"no plan: {plan.message}")
    law, compare_law, compare_plan = question.law, None, None
    if args.compare:
        other = argparse.Namespace(**{**vars(args), "preset": args.compare, "preset_file": None})
        compare_question, compare_plan = plan_from_args(other)
        compare_law = compare_question.law
    ensure_qapplication()
    from ui.report import ReportError, write_report

    try:
        result = write_report(
            target, law, plan, compare_law, compare_plan, page_size=args.page_size
        )
    except ReportError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(
            json.dumps(
                {
                    "output": str(result.path),
                    "pages": result.pages,
                    "page_size": result.page_size,
                    "plan": plan_json(plan),
                },
                indent=2,
            )
        )
    else:
        print(f"wrote {result.path} ({result.pages} pages, {result.page_size})")
    if args.open:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(result.path.resolve()))):
            print(f"planner: note: could not open {result.path} (no viewer found)", file=sys.stderr)
    return 0


COMMAND = Command(
    "report", "write a PDF planning report (every 'plan' flag, plus -o PATH)", add_arguments, run
)


def register() -> None:
    """Add ``report`` to the ``planner`` CLI (idempotent)."""
    _register(COMMAND)
