"""Regenerate the window screenshots in docs/ (the README shows them).

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py``

Four window grabs, 1366x768 and 1920x1080 (less a 40 px taskbar and a 30 px title bar), light
and dark, of the same busy plan (compare mode, an MoE, inference demand), plus ``screenshot.png``
(1920 light, the README's first picture). The window runs on a throw-away settings folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SIZES = {"1366x768": (1366, 768 - 70), "1920x1080": (1920, 1080 - 70)}
INPUTS = {"compare": True, "moe_activation": 0.25, "inference_enabled": True, "inference_tokens": 2e13,
          "flops": 3e24}  # fmt: skip


def main() -> None:
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(lambda *a: None)  # the offscreen plugin's propagateSizeHints lines
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui import settings, theme

    settings.use_throwaway_folder()
    from ui.main_window import MainWindow

    for dark in (False, True):
        theme.apply_palette(app, dark)
        win = MainWindow(restore=False, autosave=False)
        win.apply_theme(dark)
        win.controller.set_inputs(**INPUTS)
        for name, (w, h) in SIZES.items():
            win.resize(w, h)
            win.show()
            for _ in range(5):
                app.processEvents()
            path = HERE / f"window-{name}-{'dark' if dark else 'light'}.png"
            win.grab().save(str(path))
            print(path.relative_to(HERE.parent))
            if name == "1920x1080" and not dark:
                win.grab().save(str(HERE / "screenshot.png"))
        win.close()
        win.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    main()
