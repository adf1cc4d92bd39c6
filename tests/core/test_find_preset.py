"""find_preset reads one built-in file for a built-in id and answers what a full scan answers."""

from __future__ import annotations

import os

import pytest

from planner.files.resources import resource_dir
from planner.presets import library
from planner.presets.library import find_preset, scan
from planner.presets.load import builtin_presets, load_preset_file

BUILTIN_IDS = [p.id for p in builtin_presets()]


def test_every_builtin_lives_in_a_file_named_after_its_id() -> None:
    """find_preset opens ``<id>.toml`` for a built-in id: that file must be the one with the id."""
    for path in sorted(resource_dir("presets").glob("*.toml")):
        assert load_preset_file(path).id == path.stem


@pytest.mark.parametrize("preset_id", BUILTIN_IDS)
def test_a_builtin_id_reads_no_other_file(preset_id: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Its own file only (from the index of validated built-ins while it is unchanged)."""
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("PLANNER_PRESET_PATH", raising=False)
    library._CACHE.clear()
    read: list[str] = []
    real = library.load_preset_file
    monkeypatch.setattr(library, "load_preset_file", lambda path: read.append(str(path)) or real(path))
    found = find_preset(preset_id)
    assert read == []
    monkeypatch.setattr(library, "load_builtin", lambda preset_id: None)  # as if the index were stale
    assert find_preset(preset_id).id == preset_id
    assert [p.split("/")[-1] for p in read] == [f"{preset_id}.toml"]
    _same_preset(found, scan().resolve(preset_id))


def _write(folder, name: str, preset_id: str) -> None:
    """A copy of a built-in preset under another id, in ``folder/name``."""
    text = (resource_dir("presets") / "chinchilla-2022-a3.toml").read_text()
    assert 'id = "chinchilla-2022-a3"' in text
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text.replace('id = "chinchilla-2022-a3"', f'id = "{preset_id}"', 1))


@pytest.mark.parametrize("key", [*BUILTIN_IDS, "team-only", "mine-only", "no-such-preset", "a/b.toml", "x.toml"])
def test_find_preset_answers_what_a_full_scan_answers(key: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Mine shadows Team, Team shadows Built-in; files named anything; broken files skipped."""
    mine, team1, team2 = tmp_path / "user" / "presets", tmp_path / "team1", tmp_path / "team2"
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("PLANNER_PRESET_PATH", os.pathsep.join((str(team1), str(team2))))
    _write(mine, "zz.toml", "epoch-2024")  # shadows the built-in
    _write(mine, "a.toml", "mine-only")
    _write(team1, "b.toml", "kaplan-2020")  # shadows the built-in and team two's
    _write(team2, "a.toml", "kaplan-2020")
    _write(team2, "c.toml", "team-only")
    (team1 / "broken.toml").write_text("schema_version = 1\n[meta\n")
    library._CACHE.clear()
    try:
        expected = scan().resolve(key)
    except (KeyError, ValueError) as exc:
        with pytest.raises(type(exc)) as got:
            find_preset(key)
        assert str(got.value) == str(exc)
        return
    _same_preset(find_preset(key), expected)


# ---------------------------------------------------------------------------------------------
# the index of validated built-ins


def _same_preset(a, b) -> None:
    """Every field of two presets equal, the law's too (its object is new on every load)."""
    import numpy as np

    assert type(a.law) is type(b.law) and a.law.coefficients() == b.law.coefficients()
    assert getattr(a.law, "rule", None) == getattr(b.law, "rule", None)
    assert a.law.info == b.law.info  # LawInfo: every field but the samples and the calibration
    sa, sb = a.law.info.bootstrap_samples, b.law.info.bootstrap_samples
    assert (sa is None) == (sb is None) and (sa is None or (np.array_equal(sa, sb) and not sa.flags.writeable))
    assert a.law.info.calibration == b.law.info.calibration
    for name in ("path", "default", "extra", "hardware", "budget", "meta", "intervals", "fit", "schema_version"):
        assert getattr(a, name) == getattr(b, name), name
    assert repr(dict(a.extra)) == repr(dict(b.extra))  # the same types and order too


def test_the_index_of_builtins_is_in_step_with_the_files() -> None:
    """Regenerate it with `python -m planner.presets --write` after changing a built-in preset."""
    from planner.presets.load import BUILTIN_INDEX_FILE, builtin_index_source

    assert BUILTIN_INDEX_FILE.read_text(encoding="utf-8") == builtin_index_source()


@pytest.mark.parametrize("preset_id", BUILTIN_IDS)
def test_a_builtin_from_the_index_is_the_preset_its_file_gives(preset_id: str) -> None:
    from planner.presets.load import load_builtin

    from_index = load_builtin(preset_id)
    assert from_index is not None
    _same_preset(from_index, load_preset_file(resource_dir("presets") / f"{preset_id}.toml"))


def test_a_changed_builtin_file_is_read_in_full(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from planner.presets import load
    from planner.presets.load import load_builtin

    folder = tmp_path / "presets"
    folder.mkdir()
    for path in resource_dir("presets").glob("*.toml"):
        (folder / path.name).write_bytes(path.read_bytes())
    text = (folder / "chinchilla-2022-a3.toml").read_text()
    (folder / "chinchilla-2022-a3.toml").write_text(text.replace("[meta]", "[meta]\n# an edit", 1))
    (folder / "kaplan-2020.toml").write_text("schema_version = 1\n")  # broken now
    monkeypatch.setattr(load, "resource_dir", lambda name: folder)
    monkeypatch.setattr(library, "resource_dir", lambda name: folder)
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("PLANNER_PRESET_PATH", raising=False)
    library._CACHE.clear()
    assert load_builtin("chinchilla-2022-a3") is None and load_builtin("kaplan-2020") is None
    assert load_builtin("epoch-2024") is not None  # unchanged
    _same_preset(find_preset("chinchilla-2022-a3"), load_preset_file(folder / "chinchilla-2022-a3.toml"))
    with pytest.raises(KeyError, match="unknown preset 'kaplan-2020'"):
        find_preset("kaplan-2020")  # what the full scan says of a broken file


def test_builtin_presets_are_the_files_presets() -> None:
    """builtin_presets() reads the index too: the same presets, in the same order, as the files."""
    from planner.presets.load import builtin_presets

    folder = resource_dir("presets")
    from_files = sorted((load_preset_file(p) for p in sorted(folder.glob("*.toml"))), key=lambda p: not p.default)
    assert [p.id for p in builtin_presets()] == [p.id for p in from_files]
    for a, b in zip(builtin_presets(), from_files, strict=True):
        _same_preset(a, b)
