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

from planner.atomic import atomic_write_bytes, atomic_write_text
from planner.presets import load_preset_file

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
    from planner.atomic import atomic_write_text
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
