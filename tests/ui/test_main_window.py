"""The real window, driven through its widgets (offscreen)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QSlider

import ui.controller
from planner.costs.hardware import CATALOGUE
from planner.presets.load import load_preset_file
from tests.ui.helpers import DATA, MessageBoxes
from ui import settings
from ui.main_window import MainWindow


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> MessageBoxes:
    return MessageBoxes().patch(monkeypatch)


@pytest.fixture
def win(qtbot, boxes: MessageBoxes) -> MainWindow:
    w = MainWindow(restore=False)
    qtbot.addWidget(w)
    return w


@pytest.fixture
def plan_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Record the inputs of every question the controller asks planner.plan (defaults left out)."""
    calls: list[dict] = []
    real = ui.controller.plan

    def spy(question):
        calls.append(question.inputs())
        return real(question)

    monkeypatch.setattr(ui.controller, "plan", spy)
    return calls


def value(win: MainWindow, name: str) -> str:
    return win.findChild(QLabel, name).text()


def slider(win: MainWindow, name: str) -> QSlider:
    s = win.findChild(QSlider, name)
    assert s is not None, name
    return s


def test_object_names_exist(win: MainWindow) -> None:
    for name in (
        "flopsSlider",
        "gpuHoursSlider",
        "vocabSlider",
        "moeSlider",
        "inferenceTokensSlider",
    ):
        slider(win, name)
    for name in ("nParamsValue", "nTokensValue", "lossValue", "inferenceCostValue"):
        assert win.findChild(QLabel, name) is not None
    assert win.findChild(type(win.law_panel.combo), "presetCombo") is win.law_panel.combo


def test_flops_slider_changes_the_results(win: MainWindow) -> None:
    before = (
        value(win, "nParamsValue"),
        value(win, "nTokensValue"),
        value(win, "lossValue"),
        value(win, "inferenceCostValue"),
    )
    slider(win, "flopsSlider").setValue(slider(win, "flopsSlider").value() + 50)
    after = (
        value(win, "nParamsValue"),
        value(win, "nTokensValue"),
        value(win, "lossValue"),
        value(win, "inferenceCostValue"),
    )
    assert all(a != b for a, b in zip(before, after, strict=True))
    p = win.current_plan()
    assert p.flops == pytest.approx(10 ** (24 + 50 * 9 / 900))
    from planner.summary import result_rows

    rows = {r.key: r.value for r in result_rows(p)}
    assert win.result_cards.value_text("n_params") == rows["n_params"].split(" [")[0]


def test_linked_budget_controls_agree_both_ways_without_loops(qtbot, win: MainWindow) -> None:
    panel = win.budget_panel
    fph = win.state.inputs.hardware().flops_per_gpu_hour
    # FLOPs -> GPU-hours
    slider(win, "flopsSlider").setValue(700)
    assert win.state.inputs.budget_kind == "flops"
    assert panel.gpu_hours.value() == pytest.approx(win.state.inputs.flops / fph)
    # GPU-hours -> FLOPs: the budget is now held in GPU-hours (it stays so when the MFU changes)
    with qtbot.assertNotEmitted(panel.inputEdited):  # the echo never comes back as an edit
        slider(win, "gpuHoursSlider").setValue(800)
    gh = panel.gpu_hours.value()
    assert win.state.inputs.budget_kind == "gpu_hours"
    assert win.state.inputs.budget_value == pytest.approx(gh)
    assert win.current_plan().flops == pytest.approx(gh * fph)
    assert panel.flops.value() == pytest.approx(gh * fph)
    assert panel.usd.value() == pytest.approx(win.current_plan().cost_usd)
    # state -> widgets is silent
    with qtbot.assertNotEmitted(panel.inputEdited), qtbot.assertNotEmitted(panel.budgetEdited):
        win.controller.set_inputs(flops=3e23)
    assert win.state.inputs.budget_kind == "flops"
    assert panel.flops.field.text() == "3.00e23"


def test_a_budget_step_re_shows_only_what_the_budget_touches(win: MainWindow, monkeypatch) -> None:
    panel = win.budget_panel
    win.controller.set_inputs(vocab_enabled=True, optimal_vocab=True)
    rest = []
    real = panel._show_rest
    monkeypatch.setattr(panel, "_show_rest", lambda *a: rest.append(a) or real(*a))
    slider(win, "flopsSlider").setValue(300)
    slider(win, "flopsSlider").setValue(800)
    assert rest == []  # the thirty other widgets are left as they are
    assert panel.gpu_hours.value() == pytest.approx(win.current_plan().gpu_hours)
    assert panel.usd.value() == pytest.approx(win.current_plan().cost_usd)
    assert panel.vocab.value() == pytest.approx(win.current_plan().optimal_vocab_size)  # follows the budget
    win.controller.set_inputs(n_gpus=512)  # any other input: every widget
    assert len(rest) == 1 and panel.n_gpus.value() == 512


def test_gpu_type_mfu_count_and_price_feed_the_link(win: MainWindow) -> None:
    panel = win.budget_panel
    flops = win.state.inputs.flops
    panel.gpu.setCurrentText("A100 80GB SXM")
    assert win.state.inputs.gpu == "A100 80GB SXM"
    assert win.state.inputs.flops == flops  # the budget stays, GPU-hours follow
    assert win.state.inputs.usd_per_gpu_hour is None  # unset: the plan uses the catalogue's price
    assert win.current_plan().usd_per_gpu_hour == CATALOGUE["A100 80GB SXM"].usd_per_hour
    assert panel.gpu_hours.value() == pytest.approx(flops / (3600 * 312e12 * 0.40))
    panel.mfu.setValue(50.0)
    assert win.state.inputs.mfu == pytest.approx(0.5)
    assert panel.gpu_hours.value() == pytest.approx(flops / (3600 * 312e12 * 0.50))
    days = win.current_plan().wall_clock_days
    panel.n_gpus.setValue(2048)
    assert win.current_plan().wall_clock_days == pytest.approx(days / 2)
    panel.price.setValue(3.0)
    assert win.current_plan().cost_usd == pytest.approx(win.current_plan().gpu_hours * 3.0)


def test_typed_scientific_notation_sets_the_budget(qtbot, win: MainWindow) -> None:
    field = win.budget_panel.flops.field
    field.selectAll()
    qtbot.keyClicks(field, "3.8e25")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert win.current_plan().flops == 3.8e25
    field.setText("lots")
    field.editingFinished.emit()
    assert win.current_plan().flops == 3.8e25
    assert "not a number" in win.statusBar().currentMessage()


@pytest.mark.parametrize(
    ("check", "name", "kwarg"),
    [
        ("vocab_check", "vocabSlider", "vocab_size"),
        (None, "moeSlider", "moe_activation"),
        ("inference_check", "inferenceTokensSlider", "inference_tokens"),
        ("unique_check", "uniqueDataSlider", "unique_tokens"),
    ],
)
def test_science_sliders_pass_their_argument_only_when_enabled(
    win: MainWindow, plan_calls: list[dict], check: str | None, name: str, kwarg: str
) -> None:
    s = slider(win, name)
    if check is not None:
        s.setValue(s.value() - 20)  # disabled: the plan is the dense one
        assert plan_calls and kwarg not in plan_calls[-1]
        getattr(win.budget_panel, check).setChecked(True)
    s.setValue(s.maximum() // 3)
    assert kwarg in plan_calls[-1]
    before = plan_calls[-1][kwarg]
    s.setValue(s.maximum() // 3 + 10)
    assert plan_calls[-1][kwarg] != before
    # either the science answered (the plan carries the value) or the refusal is shown
    p = win.current_plan()
    field = {"vocab_size": p.vocab_size, "moe_activation": p.moe_activation, "inference_tokens": p.inference_tokens,
             "unique_tokens": p.unique_tokens}[kwarg]  # fmt: skip
    assert field or win.result_cards.warnings.text()


def test_moe_at_one_is_the_dense_plan(win: MainWindow, plan_calls: list[dict]) -> None:
    s = slider(win, "moeSlider")
    s.setValue(s.maximum() - 30)
    assert "moe_activation" in plan_calls[-1]
    s.setValue(s.maximum())
    assert "moe_activation" not in plan_calls[-1]
    assert set(plan_calls[-1]) == {"flops"}  # the dense question, every other input a default


def test_switching_presets_updates_card_and_plan(win: MainWindow) -> None:
    combo = win.law_panel.combo
    idx = combo.findData("kaplan-2020", ui.widgets.law_card.KEY_ROLE)
    combo.setCurrentIndex(idx)
    assert win.current_plan().preset == "kaplan-2020"
    assert "Kaplan" in win.law_panel.card.title.text()
    assert "L(N, D)" in win.law_panel.card.toolTip()
    idx = combo.findData("llama3-2024", ui.widgets.law_card.KEY_ROLE)
    combo.setCurrentIndex(idx)
    assert win.current_plan().loss is None
    assert "allocation-only" in value(win, "lossValue") or value(win, "lossValue") == "—"


def test_compare_mode_overlays_the_second_preset(win: MainWindow) -> None:
    win.law_panel.compare_check.setChecked(True)
    assert win.current_compare_plan() is not None
    from planner.summary import result_rows

    cmp_n = next(r.value for r in result_rows(win.current_compare_plan()) if r.key == "n_params")
    assert win.result_cards.cards["n_params"]._texts[2].endswith(f"vs {cmp_n}")  # after epoch-2024's CI
    assert len(win.plot_panel._iso_cmp_own.getData()[0]) > 0
    assert win.compare_action.isChecked()
    idx = win.law_panel.compare_combo.findData("kaplan-2020", ui.widgets.law_card.KEY_ROLE)
    win.law_panel.compare_combo.setCurrentIndex(idx)
    assert win.current_compare_plan().preset == "kaplan-2020"
    win.compare_action.trigger()
    assert win.current_compare_plan() is None
    assert not win.law_panel.compare_check.isChecked()


def test_good_preset_file_loads_with_its_hardware_and_budget(
    win: MainWindow, boxes: MessageBoxes
) -> None:
    assert win.open_preset_file(DATA / "team" / "team-h100.toml")
    assert not boxes.calls
    inp = win.state.inputs
    assert win.current_plan().preset == "team-h100"
    assert (inp.n_gpus, inp.mfu, inp.usd_per_gpu_hour) == (4096, 0.38, 1.85)
    assert inp.gpu_hours() == pytest.approx(2.0e6)
    assert win.law_panel.combo.current_key() == inp.preset


@pytest.mark.parametrize("name", ["bad-syntax.toml", "nan-alpha.toml", "unknown-gpu.toml"])
def test_bad_preset_file_keeps_state_and_shows_error(
    win: MainWindow, boxes: MessageBoxes, name: str
) -> None:
    win.controller.set_inputs(flops=2e23)
    before, plan_before = win.state.inputs, win.current_plan()
    assert not win.open_preset_file(DATA / "broken" / name)
    assert len(boxes.calls) == 1
    kind, _title, text = boxes.calls[0]
    assert kind == "warning" and name in text and "\n" not in text
    assert win.state.inputs == before
    assert win.current_plan() == plan_before


def test_missing_file_is_a_clear_error(
    win: MainWindow, boxes: MessageBoxes, tmp_path: Path
) -> None:
    assert not win.open_preset_file(tmp_path / "nope.toml")
    assert "nope.toml" in boxes.calls[0][2]


def test_save_preset_round_trips(win: MainWindow, tmp_path: Path) -> None:
    win.controller.set_inputs(flops=4e23, n_gpus=512, mfu=0.45, usd_per_gpu_hour=2.25)
    out = tmp_path / "out"
    out.mkdir()
    path = out / "mine.toml"
    assert win.save_preset(path)
    preset = load_preset_file(path)
    assert preset.id == "epoch-2024"
    assert dict(preset.hardware) == {  # what the user set; the GPU is the question's default
        "n_gpus": 512,
        "mfu": 0.45,
        "usd_per_gpu_hour": 2.25,
    }
    assert preset.budget["flops"] == 4e23
    assert preset.law.coefficients() == win.current_law().coefficients()
    assert [p.name for p in out.iterdir()] == ["mine.toml"]


def test_drop_a_preset_file_on_the_window(win: MainWindow) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(DATA / "team" / "team-h100.toml"))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(event)
    assert win.current_plan().preset == "team-h100"


def test_copy_results_as_markdown_and_json(win: MainWindow) -> None:
    win.copy_markdown()
    md = QApplication.clipboard().text()
    assert "| Model size N* |" in md and win.result_cards.value_text("n_params") in md
    win.copy_json()
    data = json.loads(QApplication.clipboard().text())
    assert data["n_params"] == pytest.approx(win.current_plan().n_params)
    assert data["formatted"]["n_params"].startswith(win.result_cards.value_text("n_params"))


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_export_plot(win: MainWindow, tmp_path: Path, suffix: str) -> None:
    win.show()
    out = tmp_path / "out"
    out.mkdir()
    path = out / f"frontier{suffix}"
    assert win.export_plot("frontier", path)
    data = path.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG")
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg")
        assert b"<path" in data or b"<polyline" in data
    assert sorted(p.name for p in out.iterdir()) == [path.name]  # no temporary file left


def test_export_plot_to_bad_place_shows_error(
    win: MainWindow, boxes: MessageBoxes, tmp_path: Path
) -> None:
    assert not win.export_plot("loss", tmp_path / "no-such-dir" / "x.png")
    assert not win.export_plot("loss", tmp_path / "x.gif")
    assert len(boxes.calls) == 2


def test_about_lists_versions(win: MainWindow, boxes: MessageBoxes) -> None:
    win.show_about()
    text = boxes.calls[0][2]
    for word in ("Python", "Qt", "PySide6", "pyqtgraph", "numpy", "scipy"):
        assert word in text


def test_settings_remember_the_last_plan_and_geometry(qtbot, boxes: MessageBoxes) -> None:
    w = MainWindow(restore=True)
    qtbot.addWidget(w)
    w.controller.set_inputs(flops=5e22, n_gpus=256, compare=True)
    w.show()
    qtbot.waitExposed(w)
    w.resize(1000, 760)
    w.close()
    w2 = MainWindow(restore=True)
    qtbot.addWidget(w2)
    assert (
        w2.state.inputs.flops == 5e22 and w2.state.inputs.n_gpus == 256 and w2.state.inputs.compare
    )
    # the offscreen screen is 800 px wide, so only the height survives the screen clamp
    assert settings.load_bytes("geometry")
    assert w2.height() == 760


def test_theme_follows_request(win: MainWindow) -> None:
    win.apply_theme(True)
    assert win.plot_panel.iso.backgroundBrush().color().lightness() < 60
    win.apply_theme(False)
    assert win.plot_panel.iso.backgroundBrush().color().lightness() > 200


def test_export_report_action_matches_module(win: MainWindow) -> None:
    import importlib.util

    assert win.report_action.isEnabled() == (importlib.util.find_spec("ui.report") is not None)


def test_set_law_makes_a_fitted_law_active(win: MainWindow) -> None:
    from planner.presets.load import get_law

    law = get_law("chinchilla-2022-a3")
    key = win.set_law(law)
    assert win.current_law() is law
    assert win.law_panel.combo.current_key() == key


def test_ten_thousand_signals_through_the_window(win: MainWindow) -> None:
    """PySide6 6.12 on Python 3.11 aborted after ~2,000 emits (STYLE.md §7a)."""
    s = slider(win, "flopsSlider")
    for i in range(
        1000
    ):  # each step emits >= 5 signals: slider, log slider, panel, state, planUpdated (+ plots)
        s.setValue(300 + (i % 300))
    for _ in range(10_000):
        win.budget_panel.sliderDragging.emit(False)
    s.setValue(650)
    assert win.current_plan().flops == pytest.approx(10 ** (18 + 6.5))


def test_end_to_end_launch_to_changed_plan(qtbot, boxes: MessageBoxes) -> None:
    from ui.__main__ import _app

    app = _app()
    w = MainWindow(restore=True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    first = w.current_plan()
    s = slider(w, "flopsSlider")
    s.setFocus()
    qtbot.keyClick(s, Qt.Key.Key_PageUp)
    second = w.current_plan()
    assert second.flops > first.flops and second.n_params > first.n_params
    assert math.isclose(second.n_params * second.n_tokens * 6, second.flops, rel_tol=1e-9)
    assert app is QApplication.instance()


def test_window_and_cli_give_the_same_plan_field_for_field(win: MainWindow, qtbot) -> None:
    """The core issue's check: one question, whether asked in the window or by ``planner plan``,
    with every default left unset (an MoE at A = 1/4, no granularity, the window's budget)."""
    import contextlib
    import io

    from planner.cli import main
    from planner.summary import plan_json

    field = win.budget_panel.moe.field
    field.selectAll()
    qtbot.keyClicks(field, "0.25")
    field.editingFinished.emit()
    window = plan_json(win.current_plan())
    assert window["moe_activation"] == 0.25 and window["moe_granularity"] == 2.0  # Ling's default G
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["plan", "--flops", repr(win.state.inputs.flops), "--moe-activation", "0.25", "--json"])
    assert code == 0
    cli = json.loads(out.getvalue())
    assert cli == json.loads(json.dumps(window))
