"""Atomic writes: the target is always the old or the new content, even under SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from planner.files.atomic import atomic_write_bytes, atomic_write_text
from planner.presets.load import load_preset_file

REPO = Path(__file__).resolve().parents[2]


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "one\n")
    assert target.read_text() == "one\n"
    atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary file left


def test_keeps_mode_of_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("x")
    os.chmod(target, 0o600)
    atomic_write_bytes(target, b"y")
    assert os.stat(target).st_mode & 0o777 == 0o600


def test_failure_leaves_target_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")

    def boom(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_missing_folder_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "nope" / "a.txt", "x")


_CHILD = textwrap.dedent(
    """
    import sys
    from planner.files.atomic import atomic_write_text
    base = open(sys.argv[2], encoding="utf-8").read()
    pad = "# " + "x" * 98 + "\\n"
    i = 0
    while True:
        i += 1
        # ~200 KB preset: the law plus comment padding, a different name every time
        text = base.replace('name = "', f'name = "iteration {i} ', 1) + pad * (1900 + i % 50)
        atomic_write_text(sys.argv[1], text)
    """
)


@pytest.mark.slow
def test_sigkill_mid_save_leaves_a_readable_preset(tmp_path: Path) -> None:
    base = REPO / "presets" / "epoch-2024.toml"
    target = tmp_path / "big.toml"
    target.write_text(base.read_text(encoding="utf-8"), encoding="utf-8")
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    kills = 0
    for attempt in range(12):
        proc = subprocess.Popen([sys.executable, str(script), str(target), str(base)], cwd=REPO)
        # let it get through imports and a few writes, at a different phase each time
        deadline = time.monotonic() + 30
        start_size = target.stat().st_size
        while target.stat().st_size == start_size and time.monotonic() < deadline and attempt == 0:
            time.sleep(0.01)
        time.sleep(0.3 + 0.037 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        kills += 1
        preset = load_preset_file(target)  # must always parse and validate
        assert preset.id == "epoch-2024"
        assert target.stat().st_size > 1000
    assert kills == 12
    assert "iteration" in load_preset_file(target).law.info.title  # the child really wrote


# ---------------------------------------------------------------------------------------------
# autosave: the plan inputs survive a crash or a kill

from planner.files import autosave

INPUTS = {
    "preset": "epoch-2024",
    "budget": {"flops": 1e24, "context": 8192},
    "hardware": {"gpu": "h100", "n_gpus": 512, "mfu": 0.38},
    "sliders": {"log_flops": 24.0, "vocab_size": 32000, "optimal_vocab": True, "mode": "flops"},
}


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANNER_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def test_autosave_round_trip(state: Path) -> None:
    assert autosave.restore().inputs is None and autosave.restore().error is None
    assert autosave.save(INPUTS) is True
    assert autosave.autosave_path() == state / "autosave.json"
    assert autosave.save(INPUTS) is False  # unchanged: not rewritten
    got = autosave.restore()
    assert got.error is None and got.saved_at
    assert got.inputs == {**INPUTS, "hardware": {"gpu": "H100 SXM", "n_gpus": 512, "mfu": 0.38}}
    autosave.clear()
    assert not (state / "autosave.json").exists()


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"budget": {"flops": float("nan")}}, "inputs.budget.flops: is nan"),
        ({"budget": {"flops": 1.0}}, "inputs.budget.flops: 1 is out of range"),
        ({"hardware": {"mfu": 2}}, "inputs.hardware.mfu: 2 is out of range"),
        ({"sliders": {"x": float("inf")}}, "inputs.sliders.x: is inf"),
        ({"sliders": {"x": [1]}}, "inputs.sliders.x: is a list"),
        ({"colour": 1}, "inputs.colour: unknown key"),
        ({"preset": ""}, "inputs.preset: is not a preset id or path"),
    ],
)
def test_autosave_refuses_bad_inputs(state: Path, inputs: dict, message: str) -> None:
    with pytest.raises(autosave.PresetError, match=message.replace(".", r"\.")):
        autosave.save(inputs)
    assert not (state / "autosave.json").exists()


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1]", b'{"autosave_version": 99, "inputs": {}}', b"\xff\xfe",
     b'{"autosave_version": 1, "inputs": {"budget": {"flops": NaN}}}'],
)
def test_corrupt_autosave_is_reported_and_moved_aside(state: Path, content: bytes) -> None:
    state.mkdir(parents=True)
    (state / "autosave.json").write_bytes(content)
    got = autosave.restore()
    assert got.inputs is None and got.error and got.error.startswith(str(state / "autosave.json"))
    assert (state / "autosave.json.corrupt").read_bytes() == content
    assert autosave.restore().error is None  # next start is clean


_SAVER = textwrap.dedent(
    """
    import sys
    from planner.files import autosave
    i = 0
    while True:
        i += 1
        autosave.save({"preset": "epoch-2024", "budget": {"flops": 1e20 * (1 + i % 1000)},
                       "sliders": {"i": i, "pad": "x" * 4000}})
    """
)


@pytest.mark.slow
def test_autosave_survives_sigkill(state: Path, tmp_path: Path) -> None:
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    env = {**os.environ, "PLANNER_STATE_DIR": str(state)}
    for attempt in range(6):
        proc = subprocess.Popen([sys.executable, str(script)], cwd=REPO, env=env)
        deadline = time.monotonic() + 30
        while not (state / "autosave.json").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2 + 0.05 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        got = autosave.restore()
        assert got.error is None, got.error
        assert got.inputs is not None and got.inputs["sliders"]["i"] >= 1
