"""``python -m ui`` / ``planner-gui``: start the window.

``--smoke`` builds the window offscreen, drives a plan through the real sliders, prints one
line (``smoke ok preset=... flops=... n_params=... n_tokens=... loss=...``) and exits 0; any
failure prints ``smoke FAILED: ...`` and exits 1. Packaging and CI run it. It runs on a
throw-away settings folder: the user's saved session, geometry and presets are never read or
written.

Scripted checks (test support, see :mod:`ui.scripted`): ``--set NAME=VALUE`` (repeatable) enters
VALUE in the window's NAME input after start-up, through the widget a user would use, then
prints ``inputs <json>``; ``--print-inputs`` prints that line once the window is shown. The app
keeps running either way (``tests/ui/test_autosave_kill.py`` kills it with SIGKILL).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="planner-gui", description="Compute Budget Planner window")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="build the window offscreen, plan once, print one line, exit",
    )
    p.add_argument(
        "--no-restore", action="store_true", help="ignore the saved window state and last plan"
    )
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="test support: after start-up, enter VALUE in input NAME as a user would, "
                        "then print the inputs (see ui/scripted.py)")  # fmt: skip
    p.add_argument("--print-inputs", action="store_true",
                   help="test support: print the window's inputs as one JSON line once shown")  # fmt: skip
    p.add_argument("preset", nargs="?", help="a preset file (TOML or JSON) to open")
    return p.parse_args(argv)


def _app():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Compute Budget Planner")
    app.setOrganizationName("compute-budget-planner")
    return app


def _install_crash_handler(target: object) -> None:
    from ui.crash import install_excepthook

    install_excepthook(target)


def smoke(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    try:
        from ui import settings

        throwaway = settings.use_throwaway_folder()  # the user's session and geometry stay untouched
        app = _app()
        from ui import theme
        from ui.main_window import MainWindow

        theme.apply_palette(app, False)
        win = MainWindow(restore=False, autosave=False)
        win.show()
        app.processEvents()
        startup = time.perf_counter() - t0
        slider = win.budget_panel.flops.slider
        for value in (slider.minimum(), slider.maximum(), round(slider.maximum() * 0.72)):
            slider.setValue(value)
            app.processEvents()
        plan = win.current_plan()
        if not plan.success or plan.n_params <= 0:
            raise RuntimeError(f"plan failed: {plan.message}")
        loss = "none" if plan.loss is None else f"{plan.loss:.6g}"
        print(
            f"smoke ok preset={plan.preset} flops={plan.flops:.6g} n_params={plan.n_params:.6g} "
            f"n_tokens={plan.n_tokens:.6g} loss={loss} startup_s={startup:.2f}"
        )
        win.close()
        win.deleteLater()
        app.processEvents()
        import shutil

        shutil.rmtree(throwaway, ignore_errors=True)
        return 0
    except Exception as exc:
        print(f"smoke FAILED: {type(exc).__name__}: {exc}")
        return 1


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.smoke:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return smoke(args)
    app = _app()
    from ui import theme
    from ui.main_window import MainWindow

    theme.apply_palette(app, theme.system_is_dark())
    win = MainWindow(restore=not args.no_restore)
    _install_crash_handler(win)
    win.show()
    if args.preset:
        win.open_preset_file(args.preset)
    if args.set or args.print_inputs:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: _scripted(win, args.set))
    return app.exec()


def _scripted(win, assignments: list[str]) -> None:
    from ui import scripted

    for assignment in assignments:
        try:
            scripted.enter(win, assignment)
        except ValueError as exc:
            print(f"planner-gui: {exc}", file=sys.stderr, flush=True)
    print(scripted.inputs_line(win), flush=True)


if __name__ == "__main__":
    sys.exit(main())
