"""PresetLibrary: grouped entries, live re-reading of watched folders, combo filling."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from planner.files.atomic import atomic_write_text
from planner.presets.library import BUILTIN, MINE, RECENT, TEAM
from ui.preset_library import PresetLibrary, fill_combo

DATA = Path(__file__).resolve().parents[1] / "data" / "presets"
TEAM_H100 = (DATA / "team" / "team-h100.toml").read_text()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("PLANNER_PRESET_PATH", raising=False)
    team = tmp_path / "team"
    team.mkdir()
    return {"team": team, "mine": tmp_path / "user" / "presets", "tmp": tmp_path}


@pytest.fixture
def lib(qtbot, env: dict[str, Path]) -> PresetLibrary:
    shutil.copy(DATA / "team" / "epoch-2024.toml", env["team"])
    return PresetLibrary([env["team"]], delay_ms=10)


def test_groups_and_shadowing(lib: PresetLibrary, env: dict[str, Path]) -> None:
    assert env["mine"].is_dir()  # created so later saves are watched
    groups = lib.as_groups()
    assert [g for g, _ in groups] == [BUILTIN, TEAM]
    team_entries = dict(groups)[TEAM]
    key, label, tip = team_entries[0]
    assert key == str(env["team"] / "epoch-2024.toml") and label == "epoch-2024"
    assert "Shadows " in tip and "(Built-in)" in tip
    assert "epoch-2024" not in [k for k, _, _ in dict(groups)[BUILTIN]]
    assert [s.id for s in lib.shadowed] == ["epoch-2024"]
    assert lib.resolve(key).hardware["usd_per_gpu_hour"] == 1.10
    assert str(env["team"]) in lib.watched_paths() and key in lib.watched_paths()


def test_new_file_in_team_folder_is_picked_up(qtbot, lib: PresetLibrary, env: dict[str, Path]) -> None:
    with qtbot.waitSignal(lib.changed, timeout=5000):
        (env["team"] / "team-h100.toml").write_text(TEAM_H100)
    assert lib.library.get("team-h100").group == TEAM


def test_edit_in_place_atomic_replace_and_delete(qtbot, lib: PresetLibrary, env: dict[str, Path]) -> None:
    f = env["team"] / "team-h100.toml"
    with qtbot.waitSignal(lib.changed, timeout=5000):
        f.write_text(TEAM_H100)
    with qtbot.waitSignal(lib.changed, timeout=5000):
        with f.open("w") as fh:  # in place, same folder listing
            fh.write(TEAM_H100.replace("n_gpus = 4096", "n_gpus = 16"))
    assert lib.resolve("team-h100").hardware["n_gpus"] == 16
    with qtbot.waitSignal(lib.changed, timeout=5000):
        atomic_write_text(f, TEAM_H100.replace("n_gpus = 4096", "n_gpus = 32"))
    assert lib.resolve("team-h100").hardware["n_gpus"] == 32
    with qtbot.waitSignal(lib.changed, timeout=5000):
        f.unlink()
    assert lib.library.get("team-h100") is None


def test_broken_file_is_an_error_not_a_crash(qtbot, lib: PresetLibrary, env: dict[str, Path]) -> None:
    with qtbot.waitSignal(lib.changed, timeout=5000):
        shutil.copy(DATA / "broken" / "nan-alpha.toml", env["team"])
    (err,) = lib.errors
    assert err.path.name == "nan-alpha.toml" and "law.coefficients.alpha: is nan" in err.message
    assert lib.library.get("epoch-2024").group == TEAM  # the rest still works


def test_mine_beats_team_and_recent_listed(qtbot, lib: PresetLibrary, env: dict[str, Path]) -> None:
    with qtbot.waitSignal(lib.changed, timeout=5000):
        (env["mine"] / "mine.toml").write_text(TEAM_H100.replace('"team-h100"', '"epoch-2024"'))
    assert lib.library.get("epoch-2024").group == MINE
    assert {s.loser.group for s in lib.shadowed} == {TEAM, BUILTIN}
    other = env["tmp"] / "elsewhere.toml"
    other.write_text(TEAM_H100.replace('"team-h100"', '"elsewhere"'))
    with qtbot.waitSignal(lib.changed, timeout=1000):
        lib.add_recent(other)
    assert [e.id for e in lib.groups()[RECENT]] == ["elsewhere"]


def test_burst_of_changes_gives_one_reread(qtbot, lib: PresetLibrary, env: dict[str, Path]) -> None:
    lib._timer.setInterval(300)
    emitted: list[int] = []
    lib.changed.connect(lambda: emitted.append(1))
    for i in range(5):
        (env["team"] / f"p{i}.toml").write_text(TEAM_H100.replace('"team-h100"', f'"p{i}"'))
    qtbot.waitUntil(lambda: len(emitted) >= 1, timeout=5000)
    qtbot.waitUntil(lambda: all(lib.library.get(f"p{i}") for i in range(5)), timeout=5000)
    assert len(emitted) <= 2


def test_rescan_without_change_is_silent(qtbot, lib: PresetLibrary) -> None:
    with qtbot.assertNotEmitted(lib.changed):
        assert lib.rescan() is False


def test_missing_team_folder_is_reported(qtbot, env: dict[str, Path]) -> None:
    lib = PresetLibrary([env["tmp"] / "not-mounted"], delay_ms=0)
    assert [e.message.endswith("team folder not found") for e in lib.errors] == [True]


def test_fill_combo_headers_and_keys(qtbot, lib: PresetLibrary, env: dict[str, Path], tmp_path: Path) -> None:
    combo = QComboBox()
    qtbot.addWidget(combo)
    team_key = str(env["team"] / "epoch-2024.toml")
    with qtbot.assertNotEmitted(combo.currentIndexChanged):
        fill_combo(combo, lib.library, current=team_key)
    model = combo.model()
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[0] == BUILTIN and TEAM in texts
    header = model.item(texts.index(TEAM))
    assert not header.isEnabled() and not header.isSelectable()
    assert combo.currentData() == team_key
    keys = [combo.itemData(i, Qt.ItemDataRole.UserRole) for i in range(combo.count())]
    assert keys[0] is None and "kaplan-2020" in keys and team_key in keys
    fill_combo(combo, lib.library, current="no-such-key")
    assert combo.currentIndex() == 1 and combo.currentData() is not None  # first entry, not a header
    combo.resize(420, 30)
    combo.grab().save(str(tmp_path / "combo.png"))
