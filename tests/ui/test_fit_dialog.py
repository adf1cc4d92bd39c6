"""The "Fit from runs..." dialog and the uncertainty bands, driven through their widgets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

import ui.plots
from planner import frontier_intervals
from planner.presets.load import load_preset_file
from tests.ui.helpers import MessageBoxes
from ui.fit_dialog import FitDialog, FitOptions, isoflop_groups, open_fit_dialog
from ui.main_window import MainWindow

# Besiroglu et al. 2024 (arXiv 2404.10102), Epoch's refit of Chinchilla Approach 3: estimate, SE
EPOCH = {
    "E": (1.8172, 0.03),
    "A": (482.01, 124.58),
    "B": (2085.43, 1293.23),
    "alpha": (0.3478, 0.02),
    "beta": (0.3658, 0.02),
}
FITTED_KEY = "fitted:fit-svg_extracted_data"


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> MessageBoxes:
    return MessageBoxes().patch(monkeypatch)


@pytest.fixture
def dialog(qtbot) -> FitDialog:
    d = FitDialog(synchronous=True)
    qtbot.addWidget(d)
    return d


@pytest.fixture
def win(qtbot, boxes: MessageBoxes) -> MainWindow:
    w = MainWindow(restore=False)
    qtbot.addWidget(w)
    return w


def close(dialog: FitDialog) -> None:
    dialog.close()  # WA_DeleteOnClose dialogs from open_fit_dialog delete themselves


def epoch_fit(dialog: FitDialog, path: Path, n_bootstrap: int = 1000) -> None:
    assert dialog.load_file(path)
    dialog.set_options(FitOptions(drop_highest=5, n_bootstrap=n_bootstrap))
    dialog.fit_button.click()


# ------------------------------------------------------------------------------ the fit
def test_epoch_fit_in_the_dialog_matches_published_estimates(dialog, chinchilla_csv) -> None:
    epoch_fit(dialog, chinchilla_csv)
    out = dialog.outcome
    assert out is not None and out.fit.converged
    assert (out.fit.n_points, out.fit.n_dropped) == (240, 5)
    for name, (value, se) in EPOCH.items():
        assert abs(out.fit.params[name] - value) <= se, name
    # bootstrap SEs of the same order as Epoch's (their B SE is the loosest)
    assert out.boot is not None and out.boot.n_ok >= 990
    for name in ("E", "alpha", "beta"):
        assert 0.5 * EPOCH[name][1] <= out.fit.se[name] <= 1.5 * EPOCH[name][1], name
    # the table shows value, SE and interval for every coefficient
    table = dialog.coef_table
    assert table.rowCount() == 5
    assert table.item(0, 0).text() == "E"
    assert table.item(0, 1).text().startswith("1.817")
    lo, hi = out.fit.ci["E"]
    assert lo < out.fit.params["E"] < hi
    assert "–" in table.item(0, 3).text()
    summary = dialog.summary.text()
    assert "240 used" in summary and "5 dropped" in summary
    assert "Leave-largest-out" in summary and "converged" in summary.lower()
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.use_button.isEnabled() and dialog.save_button.isEnabled()


def test_preview_lists_mapping_and_every_unused_row(dialog, tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    rows = ["params,tokens,val_loss"]
    rng = np.random.default_rng(0)
    for n in np.logspace(7, 9, 12):
        for d in (1e9, 3e9, 1e10):
            loss = 1.7 + 400 / n**0.34 + 2000 / d**0.36
            rows.append(f"{n:.6g},{d:.6g},{loss * (1 + 0.003 * rng.standard_normal()):.6g}")
    rows.insert(3, "1e8,2e9,abc")
    rows.insert(5, "1e8,,3.1")
    path.write_text("\n".join(rows) + "\n")
    assert dialog.load_file(path)
    headers = [dialog.preview.horizontalHeaderItem(i).text() for i in range(5)]
    assert headers[1:] == ["N ← params", "D ← tokens", "C = 6ND", "loss ← val_loss"]
    text = dialog.skipped.toPlainText()
    assert "row 3" in text and "non-numeric value 'abc'" in text
    assert "row 5" in text and "missing value" in text
    assert "2 skipped" in dialog.skipped_title.text()
    # the outlier filter's choice is listed before fitting, and greys the rows in the preview
    dialog.drop_check.setChecked(True)
    assert dialog.skipped.toPlainText().count("dropped row") == 5
    assert "5 dropped" in dialog.skipped_title.text()
    dialog.set_options(FitOptions(drop_highest=5, n_bootstrap=100))
    dialog.fit_button.click()
    out = dialog.outcome
    assert out is not None and out.fit.n_points == 36 - 5
    assert out.fit.params["alpha"] == pytest.approx(0.34, abs=0.05)


def test_isoflop_groups_split_epochs_budgets(chinchilla_csv) -> None:
    from planner.fitting.runs import load_runs

    runs = load_runs(chinchilla_csv)
    groups = isoflop_groups(runs.flops)
    assert sum(len(g) for g in groups) == len(runs)
    big = [g for g in groups if len(g) >= 10]
    assert len(big) >= 7  # Chinchilla's isoFLOP budgets, 6e18 ... 3e21
    for g in big:
        spread = np.ptp(np.log10(runs.flops[g]))
        assert spread <= 0.25


# ------------------------------------------------------------------------------ bad input
def test_bad_files_show_a_message_and_the_dialog_stays_usable(
    dialog, tmp_path: Path, chinchilla_csv
) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("width,depth,score\n1,2,3\n")
    binary = tmp_path / "garbage.parquet"
    binary.write_bytes(b"PAR1\x00\xff\xfe" * 50)
    for path, reason in (
        (wrong, "cannot map columns"),
        (tmp_path / "missing.csv", "cannot read file"),
        (binary, "Parquet"),
    ):
        assert not dialog.load_file(path)
        msg = dialog.message.text()
        assert str(path) in msg and reason in msg, msg
        assert "Traceback" not in msg and "\n" not in msg
        assert not dialog.fit_button.isEnabled()
        assert dialog.preview.rowCount() == 0
    # still usable: a good file loads and fits
    epoch_fit(dialog, chinchilla_csv, n_bootstrap=0)
    assert dialog.outcome is not None and dialog.outcome.boot is None
    assert "Bootstrap: off" in dialog.summary.text()


def test_bad_options_are_refused_with_a_reason(dialog, chinchilla_csv) -> None:
    assert dialog.load_file(chinchilla_csv)
    dialog.pin_combo.setCurrentIndex(dialog.pin_combo.findData("E"))
    dialog.pin_value.setText("lots")
    assert not dialog.start_fit()
    assert "pinned E" in dialog.message.text()
    assert dialog.outcome is None
    dialog.pin_value.setText("1.8172")
    dialog.boot_spin.setValue(0)
    assert dialog.start_fit()
    out = dialog.outcome
    assert out is not None and out.fit.params["E"] == 1.8172
    assert dialog.coef_table.item(0, 2).text() == "pinned"


def test_too_few_runs_fail_cleanly(dialog, tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("n_params,n_tokens,loss\n1e8,2e9,3.0\n2e8,4e9,2.9\n")
    assert dialog.load_file(path)
    dialog.boot_spin.setValue(10)
    dialog.fit_button.click()
    assert dialog.outcome is None
    assert "Fit failed" in dialog.message.text() and "2 runs" in dialog.message.text()
    assert dialog.fit_button.isEnabled()


def test_browse_uses_the_file_dialog(dialog, chinchilla_csv, monkeypatch) -> None:
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(chinchilla_csv), ""))
    )
    dialog.browse_button.click()
    assert dialog.runs is not None and len(dialog.runs) == 245
    assert dialog.path_edit.text() == str(chinchilla_csv)


def test_kaplan_form_fits_and_gives_a_law(dialog, chinchilla_csv) -> None:
    assert dialog.load_file(chinchilla_csv)
    dialog.set_options(FitOptions(form="kaplan", drop_highest=5, n_bootstrap=100))
    dialog.fit_button.click()
    out = dialog.outcome
    assert out is not None and out.fit.form == "kaplan"
    assert dialog.coef_table.rowCount() == 4
    assert (out.law is not None) == dialog.use_button.isEnabled()
    dialog.view_combo.setCurrentIndex(1)  # the frontier view draws for Kaplan too


# ------------------------------------------------------------------------------ threads
def test_cancel_in_the_gui_applies_nothing_and_the_window_stays_live(
    qtbot, win: MainWindow, chinchilla_csv
) -> None:
    before = win.state.inputs.preset
    dialog = open_fit_dialog(win, chinchilla_csv)
    assert not dialog.runner.synchronous
    dialog.set_options(FitOptions(drop_highest=5, n_bootstrap=1_000_000))
    with qtbot.waitSignal(
        dialog.runner.progress,
        timeout=60000,
        check_params_cb=lambda done, total, text: text.startswith("Bootstrap"),
    ):
        dialog.fit_button.click()
    assert dialog.runner.is_running() and dialog.cancel_button.isEnabled()
    # the window answers while the worker runs
    with qtbot.waitSignal(win.controller.planUpdated, timeout=5000):
        win.controller.set_inputs(flops=3e23)
    assert win.current_plan().flops == 3e23
    with qtbot.assertNotEmitted(dialog.fitFinished, wait=0):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.runner.is_busy(), timeout=30000)
    assert dialog.outcome is None
    assert dialog.progress.format() == "Cancelled"
    assert dialog.fit_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert win.state.inputs.preset == before
    close(dialog)


def test_a_newer_fit_supersedes_a_running_one(qtbot, chinchilla_csv) -> None:
    dialog = FitDialog(path=chinchilla_csv)
    qtbot.addWidget(dialog)
    finished: list = []
    dialog.fitFinished.connect(finished.append)
    dialog.set_options(FitOptions(drop_highest=5, n_bootstrap=1_000_000))
    with qtbot.waitSignal(dialog.runner.progress, timeout=60000):
        assert dialog.start_fit()
    dialog.set_options(FitOptions(drop_highest=0, n_bootstrap=0))
    first_generation = dialog.runner.generation
    with qtbot.waitSignal(dialog.fitFinished, timeout=60000):
        assert dialog.start_fit()
    assert dialog.runner.generation == first_generation + 1
    qtbot.waitUntil(lambda: not dialog.runner.is_busy(), timeout=30000)
    assert len(finished) == 1 and finished[0].options.n_bootstrap == 0
    assert dialog.outcome is finished[0] and dialog.outcome.fit.n_dropped == 0


def test_threaded_fit_reports_progress_and_finishes(qtbot, chinchilla_csv) -> None:
    dialog = FitDialog(path=chinchilla_csv)
    qtbot.addWidget(dialog)
    steps: list[tuple[int, int]] = []
    dialog.runner.progress.connect(lambda d, t, _text: steps.append((d, t)))
    dialog.set_options(FitOptions(drop_highest=5, n_bootstrap=1000))
    with qtbot.waitSignal(dialog.fitFinished, timeout=60000):
        dialog.fit_button.click()
    assert steps[-1] == (18, 18)  # fit, hold-out, 10 bootstrap chunks, at most 6 rolling folds
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    assert dialog.outcome is not None and dialog.outcome.boot.n_requested == 1000


# ------------------------------------------------------------------------------ window
def test_use_this_law_makes_it_active_with_intervals_and_bands(
    qtbot, win: MainWindow, chinchilla_csv, monkeypatch
) -> None:
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    assert win.fit_action.isEnabled()
    dialog = open_fit_dialog(win, chinchilla_csv, synchronous=True)
    epoch_fit(dialog, chinchilla_csv)
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert win.state.inputs.preset == FITTED_KEY
    law = win.current_law()
    assert law is dialog.outcome.law and law.info.bootstrap_samples is not None
    plan = win.current_plan()
    assert plan.intervals and set(plan.intervals) >= {"n_params", "n_tokens", "loss"}
    lo, hi = plan.intervals["n_params"]
    assert lo < plan.n_params < hi
    # cards: a compact "CI lo – hi" line, drawn in full (not elided)
    for key in ("n_params", "n_tokens", "tokens_per_param", "loss"):
        card = win.result_cards.cards[key]
        assert card._texts[2].startswith("CI "), key
        assert card.extra.text() == card._texts[2], f"{key} interval is clipped"
        assert "bootstrap interval [" in card.toolTip()
    # bands: the frontier_intervals of the law on the plot's band grid (the frontier's range)
    panel = win.plot_panel
    grid = panel.band_grid()
    assert grid[0] == panel._frontier_grid[0] and grid[-1] == pytest.approx(panel._frontier_grid[-1])
    want = frontier_intervals(law, grid)
    for key in ("n_params", "n_tokens", "loss"):
        edge_lo, edge_hi, fill = panel._band_items[key]
        assert fill.isVisible() and edge_lo.isVisible()
        x, y = edge_lo.getOriginalDataset()
        np.testing.assert_allclose(y, want[key][0], rtol=1e-12)
        np.testing.assert_allclose(x, grid)
        assert np.all(edge_hi.getOriginalDataset()[1] >= y)
    # slider steps do not recompute the bands (once per law)
    calls = []
    real = ui.plots.frontier_bands
    monkeypatch.setattr(ui.plots, "frontier_bands", lambda *a: calls.append(a) or real(*a))
    for flops in (1e22, 1e23, 3e24):
        win.controller.set_inputs(flops=flops)
    assert calls == []
    # a published law without bootstrap samples: bands and card intervals go away
    # (epoch-2024 ships samples since issue #13; Hoffmann's Approach 3 publishes none)
    win.controller.set_inputs(preset="chinchilla-2022-a3")
    assert win.current_plan().intervals in (None, {})
    assert panel.bands is None
    for _lo, _hi, fill in panel._band_items.values():
        assert not fill.isVisible()
    assert win.result_cards.cards["n_params"]._texts[2] == ""
    # and back: the fitted law's bands return
    win.controller.set_inputs(preset=FITTED_KEY)
    assert panel._band_items["n_params"][2].isVisible()
    close(dialog)


def test_save_preset_writes_a_loadable_fitted_preset(
    dialog, chinchilla_csv, tmp_path: Path, monkeypatch
) -> None:
    epoch_fit(dialog, chinchilla_csv, n_bootstrap=200)
    target = tmp_path / "ours.toml"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    dialog.save_button.click()
    assert target.is_file(), dialog.message.text()
    preset = load_preset_file(target)
    coef = preset.law.coefficients()
    for name, value in dialog.outcome.fit.params.items():
        assert coef[name] == pytest.approx(value, rel=1e-9)
    assert preset.intervals and "E" in preset.intervals
    assert preset.law.info.bootstrap_samples is not None
    # an unwritable place: a message, nothing raised, the dialog still works
    bad = tmp_path / "no-such-folder" / "x.toml"
    assert not dialog.save_preset(bad)
    assert "Cannot save preset" in dialog.message.text()
    assert dialog.save_button.isEnabled()


def test_fit_menu_action_opens_one_dialog(qtbot, win: MainWindow) -> None:
    win.fit_action.trigger()
    dialog = win.findChild(FitDialog, "fitDialog")
    assert dialog is not None and dialog.isVisible()
    win.fit_action.trigger()  # raises the same dialog
    assert len(win.findChildren(FitDialog)) == 1
    dialog.close()
    assert not dialog.isVisible()


# ------------------------------------------------------------------------------ issue #13
def test_column_drop_downs_change_the_mapping(dialog, tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    n = np.repeat(np.logspace(7.5, 9.5, 5), 6)
    d = np.tile(np.logspace(9, 11, 6), 5)
    loss = 1.9 + 400 / n**0.34 + 1800 / d**0.36
    path.write_text("params,data,tokens,other,loss\n" + "\n".join(
        f"{a!r},c4,{b!r},{2 * b!r},{x!r}" for a, b, x in zip(n.tolist(), d.tolist(), loss.tolist(), strict=True)))
    assert dialog.load_file(path)
    combo = dialog.column_combos["n_tokens"]
    assert combo.currentData() == "tokens"  # the text column 'data' is not taken as tokens
    assert combo.itemText(combo.findData("data")) == "data (text)"
    assert dialog.set_column("n_tokens", "other")
    assert dialog.runs.columns["n_tokens"] == "other"
    np.testing.assert_allclose(dialog.runs.n_tokens, 2 * d)
    assert "D (tokens) ← column 'other'" in dialog.mapping_label.text()
    assert not dialog.set_column("n_tokens", "data")  # text: every row is reported, the dialog stays usable
    assert dialog.runs is None and "non-numeric value 'c4'" in dialog.message.text()
    assert dialog.set_column("n_tokens", None)
    assert dialog.runs is not None and dialog.runs.columns["n_tokens"] == "tokens"


def test_loss_unit_identification_and_what_would_this_run_give(dialog, tmp_path: Path) -> None:
    from tests.core.test_predict_calibration import REAL

    assert dialog.load_file(REAL / "gadre2024_c4.csv")
    dialog.set_options(FitOptions(n_bootstrap=200))
    assert dialog.ask() is False and "Fit first" in dialog.ask_result.text()
    dialog.fit_button.click()
    out = dialog.outcome
    assert out is not None and out.calibration is not None and out.law is not None
    summary = dialog.summary.text()
    assert "⚠ Not identified: E is not determined by these runs" not in summary or "--pin E=" in summary
    assert "Loss intervals: 95% prediction intervals, bootstrap + extrapolation error" in summary
    dialog.ask_n.setText("6.9e9")
    dialog.ask_value.setText("1.4e11")
    assert dialog.ask()
    text = dialog.ask_result.text()
    assert "→ loss 2.3" in text and "95% prediction interval: bootstrap + extrapolation error from" in text
    dialog.ask_kind.setCurrentIndex(dialog.ask_kind.findData("flops"))
    dialog.ask_value.setText("abc")
    assert not dialog.ask() and dialog.ask_result.text().startswith("Cannot predict:")
    # loss in bits: read as nats (x ln 2) and said so
    dialog.set_options(FitOptions(n_bootstrap=0, loss_unit="bits"))
    assert dialog.runs.loss_unit == "bits"
    np.testing.assert_allclose(dialog.runs.loss[0], 5.974923739894816 * np.log(2))
