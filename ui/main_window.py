"""The main window: law and budget on the left, result cards and plots on the right.

Public API used by other modules (report, fit dialog, smoke test):

* ``MainWindow.current_plan() -> Plan`` and ``current_compare_plan()``;
* ``MainWindow.current_law() -> Law`` and ``set_law(law, group="Fitted")`` (make a law active);
* ``MainWindow.open_preset_file(path) -> bool`` (bad files: dialog, state kept);
* ``MainWindow.plot_panel`` (:class:`ui.plots.PlotPanel`), ``budget_panel``, ``state``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner import Plan
from planner.laws import Law
from planner.presets.load import PresetError, load_preset_file
from ui import dialogs, file_actions, screen, settings, theme
from ui.autosave import WindowAutosave, restore_inputs
from ui.controller import Controller, PresetRegistry, apply_preset_defaults
from ui.plots import PLOT_KEYS, PlotPanel
from ui.state import InputsState, PlanInputs
from ui.widgets.budget_panel import BudgetPanel
from ui.widgets.details import DetailsView
from ui.widgets.law_card import LawPanel
from ui.widgets.result_cards import ResultCards

PRESET_FILTER = "Preset files (*.toml *.json);;All files (*)"
MAX_RECENT = 8
WARM_UP_DELAY_MS = 250  # scipy's background import starts this long after the window is built


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _warm_up_scipy() -> None:
    """Import scipy.optimize in a background thread after start-up.

    The planner imports scipy lazily (fast start-up), but the first data-limited or numerical
    plan would then pause the first slider step for ~0.8 s while scipy loads.
    """
    import sys
    import threading

    if "scipy.optimize" in sys.modules:
        return

    def load() -> None:
        try:
            import scipy.optimize  # noqa: F401
        except Exception:
            pass

    threading.Thread(target=load, name="scipy-warm-up", daemon=True).start()


class MainWindow(QMainWindow):
    """Compute Budget Planner main window."""

    def __init__(self, *, restore: bool = True, autosave: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("Compute Budget Planner")
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self._dark = theme.system_is_dark()

        self.registry = PresetRegistry.with_builtins()
        inputs, autosave_note = (  # the autosave (ui.autosave) if usable, else the last plan
            restore_inputs(settings.load_json("last_plan")) if restore else (PlanInputs(), None)
        )
        self._recent: list[str] = (
            [p for p in (settings.load_json("recent_files") or []) if isinstance(p, str)]
            if restore
            else []
        )
        self.library = self._make_library()
        if self.library is None:
            self._load_recent_quietly()
        else:
            self._sync_library()
        if inputs.preset not in self.registry.laws:
            inputs = PlanInputs(**{**inputs.to_json_dict(), "preset": PlanInputs().preset})
        if inputs.compare_preset not in self.registry.laws:
            inputs = PlanInputs(
                **{**inputs.to_json_dict(), "compare_preset": PlanInputs().compare_preset}
            )
        self.state = InputsState(inputs, self)
        self.autosave = WindowAutosave(self.state, self) if autosave else None

        self.law_panel = LawPanel()
        self.budget_panel = BudgetPanel()
        self.result_cards = ResultCards()
        self.plot_panel = PlotPanel(dark=self._dark)

        left = QWidget()
        left.setObjectName("sidebar")
        llay = QVBoxLayout(left)
        llay.setContentsMargins(8, 8, 8, 8)
        llay.addWidget(self.law_panel)
        llay.addWidget(self.budget_panel, 1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # never narrower than its content: a clipped field or unit would hide a number
        scroll.setMinimumWidth(left.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(4, 8, 8, 8)
        rlay.addWidget(self.result_cards)
        self.details = DetailsView()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("resultTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.plot_panel, "Plots")
        self.tabs.addTab(self.details, "Details")
        rlay.addWidget(self.tabs, 1)
        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 1000])
        self.setCentralWidget(self.splitter)

        self.controller = Controller(self.state, self.registry, self.law_panel, self.budget_panel,
                                     self.result_cards, self.plot_panel, self.details, self)  # fmt: skip
        self.controller.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.law_panel.openRequested.connect(self.open_preset_dialog)
        self._build_menus()
        self.controller.rebuild_groups()
        self.controller.refresh()
        screen.fit_to_screen(self, QSize(1440, 900))
        if restore:
            geometry = settings.load_bytes("geometry")
            if geometry:
                self.restoreGeometry(QByteArray(geometry))
                screen.clamp_to_screen(self)  # saved on a bigger monitor: back into view
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self._on_color_scheme_changed)
        self.statusBar().showMessage(
            "Drag a slider or type a value (3.8e25, 400K, 2.5B) — the plan updates at once", 10000
        )
        if self.autosave is not None:
            self.autosave.failed.connect(lambda text: self.statusBar().showMessage(text, 10000))
        if autosave_note:
            self.statusBar().showMessage(autosave_note, 15000)
        # after the first paint: importing scipy in a thread holds the interpreter's lock in
        # turns with the window's construction and first paint (~0.1 s later on 2 cores)
        QTimer.singleShot(WARM_UP_DELAY_MS, _warm_up_scipy)

    # ---------------------------------------------------------------- public API
    def current_plan(self) -> Plan:
        assert self.controller.plan is not None
        return self.controller.plan

    def current_compare_plan(self) -> Plan | None:
        return self.controller.compare_plan

    def current_law(self) -> Law:
        return self.controller.current_law()

    def set_law(self, law: Law, group: str = "Fitted") -> str:
        """Add ``law`` to the preset list (group ``group``) and make it the active preset."""
        key = self.registry.add(group, f"{group.lower()}:{law.id}", law)
        self.controller.rebuild_groups()
        self.controller.set_inputs(preset=key)
        return key

    def open_preset_file(self, path: str | Path) -> bool:
        """Load a preset file and make it active; on error show a dialog and keep the state."""
        try:
            preset = load_preset_file(path)
            changes = apply_preset_defaults(self.state.inputs, preset)
        except PresetError as exc:
            self._error("Cannot open preset", str(exc))
            return False
        except Exception as exc:
            self._error("Cannot open preset", f"{path}: {type(exc).__name__}: {exc}")
            return False
        key = None
        if self.library is not None:
            self.library.add_recent(Path(path).resolve())
            self._sync_library()
            key = self.registry.key_for_path(path)
        if key is None:
            key = self.registry.add_file(preset)
        self.controller.rebuild_groups()
        if not self.controller.set_inputs(preset=key, **changes):
            return False
        self._remember_recent(str(Path(path).resolve()))
        self.statusBar().showMessage(f"Loaded {path}", 6000)
        return True

    # ---------------------------------------------------------------- menus
    def _action(self, menu, text: str, slot, shortcut=None, name: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        if name:
            act.setObjectName(name)
        menu.addAction(act)
        return act

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self._action(
            f,
            "&Open preset file…",
            self.open_preset_dialog,
            QKeySequence.StandardKey.Open,
            "actionOpen",
        )
        self._action(
            f, "Save preset &as…", self.save_preset_dialog, "Ctrl+Shift+S", "actionSavePreset"
        )
        f.addSeparator()
        self.fit_action = self._action(
            f, "&Fit from runs…", self.open_fit_dialog, None, "actionFit"
        )
        self.fit_action.setEnabled(_module_available("ui.fit_dialog"))
        self._action(f, "&Design experiment…", self.open_design_dialog, None, "actionDesign")
        self.report_action = self._action(
            f, "Export &report…", self.export_report, None, "actionExportReport"
        )
        self.report_action.setEnabled(_module_available("ui.report"))
        plots = f.addMenu("Export &plot")
        titles = {"isoflop": "IsoFLOP curves", "frontier": "Compute frontier", "loss": "Loss against compute",
                  "serving": "Training vs serving cost"}  # fmt: skip
        for key in PLOT_KEYS:
            self._action(
                plots,
                titles[key] + "…",
                lambda _=False, k=key: self.export_plot_dialog(k),
                None,
                f"actionExportPlot_{key}",
            )
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit, "actionQuit")

        e = mb.addMenu("&Edit")
        self._action(
            e,
            "&Copy results as Markdown",
            self.copy_markdown,
            QKeySequence.StandardKey.Copy,
            "actionCopyMarkdown",
        )
        self._action(e, "Copy results as &JSON", self.copy_json, "Ctrl+Shift+C", "actionCopyJson")

        v = mb.addMenu("&View")
        self.compare_action = QAction("&Compare with a second preset", self, checkable=True)
        self.compare_action.setObjectName("actionCompare")
        self.compare_action.toggled.connect(lambda on: self.controller.set_inputs(compare=on))
        self.controller.planUpdated.connect(self._sync_compare_action)
        v.addAction(self.compare_action)

        h = mb.addMenu("&Help")
        self._action(h, "&About", self.show_about, None, "actionAbout")

    def _sync_compare_action(self, _plan: Plan) -> None:
        on = self.state.inputs.compare
        if self.compare_action.isChecked() != on:
            blocker = self.compare_action.blockSignals(True)
            self.compare_action.setChecked(on)
            self.compare_action.blockSignals(blocker)

    # ---------------------------------------------------------------- actions
    def _last_dir(self) -> str:
        d = settings.load_json("last_dir")
        return d if isinstance(d, str) and Path(d).is_dir() else str(Path.home())

    def open_preset_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open preset file", self._last_dir(), PRESET_FILTER
        )
        if path:
            settings.save_json("last_dir", str(Path(path).parent))
            self.open_preset_file(path)

    def save_preset_dialog(self) -> None:
        law = self.current_law()
        start = str(Path(self._last_dir()) / f"{law.id}.toml")
        path, _ = QFileDialog.getSaveFileName(self, "Save preset as", start, "TOML preset (*.toml)")
        if path:
            if not path.lower().endswith(".toml"):
                path += ".toml"
            self.save_preset(path)

    def save_preset(self, path: str | Path) -> bool:
        try:
            file_actions.save_preset(path, self.current_law(), self.state.inputs)
        except (PresetError, OSError) as exc:
            self._error("Cannot save preset", str(exc))
            return False
        self.statusBar().showMessage(f"Saved {path}", 6000)
        return True

    def export_plot_dialog(self, key: str) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export plot", str(Path(self._last_dir()) / f"{key}.png"),
                                                   "PNG image (*.png);;SVG vector image (*.svg)")  # fmt: skip
        if path:
            if Path(path).suffix.lower() not in (".png", ".svg"):
                path += ".svg" if "svg" in chosen.lower() else ".png"
            self.export_plot(key, path)

    def export_plot(self, key: str, path: str | Path) -> bool:
        try:
            file_actions.export_plot(self.plot_panel.plot_widgets()[key], path)
        except OSError as exc:
            self._error("Cannot export plot", str(exc))
            return False
        self.statusBar().showMessage(f"Exported {path}", 6000)
        return True

    def export_report(self) -> None:
        try:
            from ui.report import export_report_dialog
        except ImportError as exc:
            self._error("Report export unavailable", str(exc))
            return
        export_report_dialog(self)

    def open_fit_dialog(self) -> None:
        try:
            from ui import fit_dialog
        except ImportError as exc:
            self._error("Fitting unavailable", str(exc))
            return
        opener = getattr(fit_dialog, "open_fit_dialog", None)
        if opener is not None:
            opener(self)
            return
        dialog = fit_dialog.FitDialog(self)
        signal = getattr(dialog, "lawAccepted", None)
        if signal is not None:
            signal.connect(lambda law: self.set_law(law))
        dialog.exec()

    def open_design_dialog(self) -> None:
        from ui.design_dialog import open_design_dialog

        open_design_dialog(self)

    def copy_markdown(self) -> None:
        QApplication.clipboard().setText(
            file_actions.results_markdown(self.current_plan(), self.current_compare_plan())
        )
        self.statusBar().showMessage("Results copied as Markdown", 4000)

    def copy_json(self) -> None:
        QApplication.clipboard().setText(
            file_actions.results_json(self.current_plan(), self.current_compare_plan())
        )
        self.statusBar().showMessage("Results copied as JSON", 4000)

    def show_about(self) -> None:
        QMessageBox.about(self, "About Compute Budget Planner", file_actions.about_text())

    def _error(self, title: str, text: str) -> None:
        self.statusBar().showMessage(text, 10000)
        dialogs.warning(self, title, text)  # plain text: the message may quote a file's content

    # ---------------------------------------------------------------- recent files, settings, theme
    def _make_library(self):
        """The watched preset library (Built-in / Team / Mine / Recent), when available."""
        from ui.preset_library import PresetLibrary

        team = [p for p in (settings.load_json("team_folders") or []) if isinstance(p, str)]
        lib = PresetLibrary(team_folders=team, recent=self._recent, parent=self)
        lib.changed.connect(self._on_library_changed)
        return lib

    def _sync_library(self) -> None:
        assert self.library is not None
        groups = self.library.groups()
        for group in ("Built-in", "Team", "Mine", "Recent"):
            entries = groups.get(group, [])
            self.registry.set_group(group, [(e.key, e.preset.law, e.preset) for e in entries])

    def _on_library_changed(self) -> None:
        self._sync_library()
        self.controller.rebuild_groups()
        errors = self.library.errors if self.library is not None else ()
        if errors:
            self.statusBar().showMessage(
                f"{len(errors)} preset file(s) could not be read: {errors[0].message}", 10000
            )

    def _load_recent_quietly(self) -> None:
        for path in list(self._recent):
            try:
                self.registry.add_file(load_preset_file(path))
            except (PresetError, OSError):
                self._recent.remove(path)

    def _remember_recent(self, path: str) -> None:
        self._recent = [path] + [p for p in self._recent if p != path][: MAX_RECENT - 1]
        settings.save_json("recent_files", self._recent)

    def save_settings(self) -> None:
        settings.save_bytes("geometry", bytes(self.saveGeometry().data()))
        settings.save_json("last_plan", self.state.inputs.to_json_dict())

    def closeEvent(self, event) -> None:
        self.save_settings()
        super().closeEvent(event)

    def _on_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self.apply_theme(scheme == Qt.ColorScheme.Dark)

    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_palette(app, dark)
        self.plot_panel.apply_theme(dark)

    # ---------------------------------------------------------------- drag and drop
    @staticmethod
    def _dropped_path(event: QDragEnterEvent | QDropEvent) -> str | None:
        md = event.mimeData()
        if not md.hasUrls():
            return None
        for url in md.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith((".toml", ".json")):
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_path(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped_path(event)
        if path:
            event.acceptProposedAction()
            self.open_preset_file(path)
