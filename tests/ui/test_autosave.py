"""The window autosaves its inputs (debounced) and restores them at start-up (issue #15, item 2).

Before, ``planner.files.autosave`` existed but nothing in ``ui/`` called it: inputs were saved only
on close. ``test_autosave_kill.py`` checks the user's case end to end (SIGKILL after an edit);
these tests check the pieces in-process.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path

import pytest

from planner.files import autosave
from tests.ui.helpers import MessageBoxes
from ui.autosave import (
    DEBOUNCE_MS,
    MAX_WAIT_MS,
    WindowAutosave,
    inputs_from_autosave,
    inputs_to_autosave,
)
from ui.main_window import MainWindow
from ui.state import InputsState, PlanInputs

CHANGED = PlanInputs(
    preset="kaplan-2020", flops=3.5e25, budget_kind="usd", budget_value=4.5e6, gpu="H200 SXM", n_gpus=2048,
    mfu=0.47, usd_per_gpu_hour=3.25, precision="fp8", fixed_n_enabled=True, fixed_n=1.3e10, fixed_d_enabled=True,
    fixed_d=2e12, serve_enabled=True, serve_on="4xB200", serve_precision="fp8", context=8192, decode_batch=16,
    vocab_enabled=True, vocab_size=65536.0, optimal_vocab=True, moe_activation=0.125, moe_granularity=4.0,
    moe_law="krajewski", inference_enabled=True, inference_tokens=2e14, unique_enabled=True, unique_tokens=5e12,
    n_layers=40, d_model=5120, head_dim=64, seq_len=8192, optimizer="adamw8bit", zero_stage=3, recompute="full",
    compare=True, compare_preset="deepseek-2024",
)  # fmt: skip


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> MessageBoxes:
    return MessageBoxes().patch(monkeypatch)


def state_dir() -> Path:
    return Path(os.environ["PLANNER_STATE_DIR"])


def saved() -> dict:
    return json.loads((state_dir() / "autosave.json").read_text())["inputs"]


def test_the_adapter_round_trips_every_field() -> None:
    """The one place that knows the inputs' fields: a field it forgets fails here."""
    assert all(getattr(CHANGED, f.name) != getattr(PlanInputs(), f.name) for f in fields(PlanInputs))
    doc = inputs_to_autosave(CHANGED)
    json.dumps(doc, allow_nan=False)  # JSON-able
    assert autosave.save(doc) is True
    got = autosave.restore()
    assert got.error is None and got.inputs is not None
    assert inputs_from_autosave(got.inputs) == CHANGED


def test_changes_are_saved_once_after_they_settle(qtbot) -> None:
    state = InputsState()
    saver = WindowAutosave(state, delay_ms=150, max_wait_ms=5000)
    for i in range(10):
        state.update(flops=1e24 * (i + 2))
    assert saver.pending() and not (state_dir() / "autosave.json").exists()
    qtbot.waitUntil(lambda: not saver.pending(), timeout=3000)
    assert saver.saves == 1
    assert saved()["budget"]["flops"] == 1.1e25


def test_a_long_drag_is_saved_within_the_maximum_wait(qtbot) -> None:
    state = InputsState()
    saver = WindowAutosave(state, delay_ms=400, max_wait_ms=600)
    flops = 1e24
    for _ in range(30):  # a change every 50 ms for 1.5 s: the debounce alone would never fire
        flops *= 1.01
        state.update(flops=flops)
        qtbot.wait(50)
    assert saver.saves >= 1
    assert 1e24 < saved()["budget"]["flops"] < flops


def test_debounce_is_at_most_two_seconds() -> None:
    assert DEBOUNCE_MS <= MAX_WAIT_MS <= 2000


def test_window_restores_the_autosave_without_a_prompt(qtbot, boxes: MessageBoxes) -> None:
    autosave.save(inputs_to_autosave(CHANGED))
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.state.inputs == CHANGED
    assert boxes.calls == []
    assert win.current_plan().cost_usd == pytest.approx(4.5e6)  # the budget was restored in dollars


def test_window_edits_are_autosaved_and_closing_saves_a_pending_one(qtbot, boxes: MessageBoxes) -> None:
    win = MainWindow()
    qtbot.addWidget(win)
    win.budget_panel.n_gpus.setValue(4096)  # a user edit through the widget
    assert win.autosave is not None and win.autosave.pending()
    qtbot.waitUntil(lambda: not win.autosave.pending(), timeout=MAX_WAIT_MS + 2000)
    assert saved()["hardware"]["n_gpus"] == 4096
    win.budget_panel.n_gpus.setValue(8192)
    win.close()  # before the debounce fires
    assert saved()["hardware"]["n_gpus"] == 8192


def test_no_restore_ignores_the_autosave(qtbot, boxes: MessageBoxes) -> None:
    autosave.save(inputs_to_autosave(CHANGED))
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    assert win.state.inputs == PlanInputs()


def test_a_corrupt_autosave_is_moved_aside_and_named(qtbot, boxes: MessageBoxes) -> None:
    state_dir().mkdir(parents=True)
    (state_dir() / "autosave.json").write_text('{"autosave_version": 1, "inputs": {"budget": {"flops": "x"}}}')
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.state.inputs == PlanInputs() and boxes.calls == []
    message = win.statusBar().currentMessage()
    assert "could not be restored" in message and "autosave.json: inputs.budget.flops" in message
    assert (state_dir() / "autosave.json.corrupt").exists()


def test_a_failing_autosave_is_reported_once_and_the_window_keeps_working(qtbot, boxes: MessageBoxes) -> None:
    state_dir().mkdir(parents=True)
    (state_dir() / "autosave.json").mkdir()  # cannot be replaced by a file
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.autosave is not None
    reports: list[str] = []
    win.autosave.failed.connect(reports.append)
    for n in (100, 200, 300):
        win.budget_panel.n_gpus.setValue(n)
        assert win.autosave.save_now() is False
    assert len(reports) == 1 and "autosave.json: is a folder" in reports[0]
    assert win.statusBar().currentMessage() == reports[0]
    assert win.state.inputs.n_gpus == 300 and win.current_plan().success
