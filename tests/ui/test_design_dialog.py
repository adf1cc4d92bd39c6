"""The "Design experiment..." dialog: proposal, simulation with progress, cancel, plots, export, menu."""

from __future__ import annotations

import json
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QGuiApplication

from planner import Question, get_law
from planner.fitting.runs import load_runs
from tests.ui.helpers import MessageBoxes
from ui.design_dialog import DesignDialog, open_design_dialog, run_designs
from ui.main_window import MainWindow

EPOCH = get_law("epoch-2024")


@pytest.fixture
def dialog(qtbot) -> DesignDialog:
    d = DesignDialog(question=Question(law=EPOCH, flops=1e24), synchronous=True)
    qtbot.addWidget(d)
    return d


def points(plot) -> list[int]:
    """Numbers of points of the plot's data items (what is drawn)."""
    out = []
    for item in plot.getPlotItem().items:
        if isinstance(item, pg.PlotDataItem):
            x, _y = item.getData()
            out.append(0 if x is None else len(x))
    return out


def test_opens_with_run_lists_and_fits_the_screen(dialog: DesignDialog) -> None:
    avail = (dialog.screen() or QGuiApplication.primaryScreen()).availableGeometry()
    assert dialog.width() <= avail.width() and dialog.height() <= avail.height()
    assert dialog.compare_table.rowCount() == 3  # "Compare all three" is the default
    assert [d.kind for d in dialog.designs] == ["isoflop", "ladder", "overtrained"]
    assert dialog.runs_table.rowCount() == 35  # the selected (first) design's runs
    assert 35 in points(dialog.iso_plot) and 35 in points(dialog.loss_plot)
    assert "N* 9.586e10" in dialog.target_label.text()
    assert "IsoFLOP grid: 5 budgets" in dialog.rule_label.text()
    dialog.compare_table.selectRow(1)
    assert dialog.runs_table.rowCount() == 8 and dialog.selected()[0].kind == "ladder"


def test_simulation_reports_progress_and_fills_table_and_plots(dialog: DesignDialog) -> None:
    dialog.set_target(flops=1e23, fraction_percent=2.0, kind="all", reps=30)
    seen: list[tuple[int, int]] = []
    dialog.runner.progress.connect(lambda done, total, _text: seen.append((done, total)))
    assert dialog.start()
    out = dialog.outcome
    assert out is not None and len(out.precisions) == 3 and out.comparison is not None
    assert seen[-1] == (90, 90) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert dialog.progress.value() == dialog.progress.maximum() and "90 simulated fits" in dialog.progress.format()
    table = dialog.compare_table
    pick = out.comparison.pick  # with 30 fits each, the IsoFLOP grid and the over-trained set are close
    row = [d.kind for d in out.designs].index(pick)
    assert pick in ("isoflop", "overtrained") and table.item(row, 7).text() == "1"
    assert table.item(1, 4).text() == "undetermined"  # a one-ratio ladder cannot place N*
    title = out.designs[row].title
    assert f"Most precision per dollar: {title[0].upper() + title[1:]}" in dialog.message.text()
    assert "prediction interval" in dialog.message.text()
    iso = points(dialog.iso_plot)
    assert iso.count(2) >= 2  # the N* range and the loss interval at the target
    fills = [i for i in dialog.loss_plot.getPlotItem().items if isinstance(i, pg.FillBetweenItem)]
    assert len(fills) == 1  # the predicted loss band from the runs to the target
    dialog.compare_table.selectRow(2)
    assert "Over-trained small models" in dialog.message.text()


def test_cancel_applies_nothing(dialog: DesignDialog) -> None:
    dialog.set_target(kind="isoflop", reps=100)
    dialog.runner.progress.connect(lambda *_a: dialog.cancel())  # cancel at the first progress report
    cancelled: list[bool] = []
    dialog.runner.cancelled.connect(lambda: cancelled.append(True))
    dialog.start()
    assert cancelled and dialog.outcome is None
    assert dialog.progress.format() == "Cancelled" and "cancelled" in dialog.message.text()
    assert dialog.simulate_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert dialog.compare_table.item(0, 3).text() == "—"  # no precision shown


def test_threaded_simulation_finishes(qtbot) -> None:
    d = DesignDialog(question=Question(law=EPOCH, flops=1e22))
    qtbot.addWidget(d)
    d.set_target(kind="overtrained", reps=20)
    with qtbot.waitSignal(d.designFinished, timeout=60_000):
        assert d.start()
        assert d.cancel_button.isEnabled() or d.outcome is not None
    assert d.outcome is not None and d.outcome.precisions[0].reps == 20
    d.runner.shutdown()


def test_export_csv_and_json(dialog: DesignDialog, tmp_path: Path) -> None:
    dialog.set_target(kind="overtrained", reps=20)
    assert dialog.start()
    assert dialog.export(tmp_path / "runs.csv") and "planner fit" in dialog.message.text()
    text = (tmp_path / "runs.csv").read_text()
    assert text.startswith("run,design,params,tokens,loss,")
    with pytest.raises(ValueError, match="no usable rows"):  # nothing filled in yet
        load_runs(tmp_path / "runs.csv")
    assert dialog.export(tmp_path / "runs.json")
    doc = json.loads((tmp_path / "runs.json").read_text())
    assert doc["design"] == "overtrained" and doc["simulation"]["reps"] == 20 and len(doc["runs"]) == 12
    assert not dialog.export(tmp_path / "missing-folder" / "x.csv")
    assert "Cannot export" in dialog.message.text()


def test_bad_budget_is_refused_with_a_message(dialog: DesignDialog) -> None:
    dialog.flops_edit.setText("lots")
    dialog.flops_edit.editingFinished.emit()
    assert dialog.designs == [] and "budget" in dialog.message.text()
    assert not dialog.start() and dialog.outcome is None


def test_pipeline_without_qt_widgets() -> None:
    calls: list[int] = []
    out = run_designs(Question(law=EPOCH, flops=1e22), ("isoflop",), 0.02, 25, 0.0123, 0,
                      report=lambda done, total, text: calls.append(done))  # fmt: skip
    assert calls == [25] and out.precisions[0].n_ok == 25 and out.comparison is None


def test_menu_action_opens_the_dialog_on_the_windows_question(qtbot, monkeypatch) -> None:
    MessageBoxes().patch(monkeypatch)
    w = MainWindow(restore=False, autosave=False)
    qtbot.addWidget(w)
    act = w.findChild(type(w.fit_action), "actionDesign")
    assert act is not None and act.text() == "&Design experiment…"
    act.trigger()
    dlg = w.findChild(DesignDialog, "designDialog")
    assert dlg is not None and dlg.isVisible()
    plan = w.current_plan()
    assert dlg.designs[0].target.flops == pytest.approx(plan.flops, rel=1e-4)
    assert dlg.law_combo.currentText().startswith("current: ")
    assert open_design_dialog(w) is dlg  # a second call raises the open dialog
    dlg.close()
