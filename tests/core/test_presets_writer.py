"""Writing presets: everything the loader reads comes back unchanged; bad content writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.costs.hardware import CATALOGUE, Hardware
from planner.presets.load import (
    PresetError,
    builtin_presets,
    get_law,
    load_preset_file,
    load_preset_text,
)
from planner.presets.write import dumps_preset, preset_document, write_preset

SHA = "ab" * 32


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("preset", builtin_presets(), ids=lambda p: p.id)
def test_every_builtin_round_trips(tmp_path: Path, preset, suffix: str) -> None:
    path = tmp_path / f"{preset.id}{suffix}"
    written = write_preset(path, preset.law, meta_extra={"author": "test", "date": dt.date(2025, 1, 2)})
    back = load_preset_file(path)
    assert back.law.coefficients() == preset.law.coefficients()  # exact: floats round-trip
    for field in ("id", "title", "n_meaning", "loss_unit", "compute", "fitted_range", "notes", "warnings",
                  "citation"):
        assert getattr(back.law.info, field) == getattr(preset.law.info, field), field
    assert dict(back.law.info.uncertainty) == dict(preset.law.info.uncertainty)
    assert back.law.form == preset.law.form and getattr(back.law, "rule", None) == getattr(preset.law, "rule", None)
    assert back.meta["author"] == "test" and back.meta["date"] == "2025-01-02"
    assert written.path == path and written.id == back.id


def test_fitted_preset_with_intervals_and_fit_provenance(tmp_path: Path) -> None:
    law = get_law("epoch-2024")
    fit = {
        "objective": np.float64(0.0123), "n_points": np.int64(240), "n_dropped": 5, "data_sha256": SHA,
        "data_file": "runs.csv", "date": dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC), "form": "chinchilla",
        "loss_fn": "huber", "delta": 1e-3, "pinned": {"E": 1.8}, "se": {"alpha": 0.02}, "n_bootstrap": 1000,
        "level": 0.95, "converged": True, "message": "ok", "grad_norm": None,
    }
    intervals = {"alpha": (np.float64(0.31), 0.39), "B": (800.0, 4000.0)}
    hw = Hardware(CATALOGUE["B200"], n_gpus=512, mfu=0.35, usd_per_gpu_hour=3.1)
    path = tmp_path / "fitted.toml"
    write_preset(path, law, hardware=hw, budget={"flops": 1e24, "context": 8192}, fit=fit, intervals=intervals,
                 meta_extra={"id": "our-fit", "name": "Our fit"}, header="Fitted by planner fit\nfrom runs.csv")
    text = path.read_text()
    assert text.startswith("# Fitted by planner fit\n# from runs.csv\n")
    back = load_preset_file(path)
    assert back.id == "our-fit"
    assert back.intervals == {"alpha": (0.31, 0.39), "B": (800.0, 4000.0)}
    assert back.fit["n_points"] == 240 and back.fit["pinned"] == {"E": 1.8} and "grad_norm" not in back.fit
    assert back.fit["date"] == "2025-03-01T12:00:00+00:00"
    assert back.hardware == {"gpu": "B200", "n_gpus": 512, "mfu": 0.35, "usd_per_gpu_hour": 3.1,
                             "precision": "bf16"}
    assert back.budget == {"flops": 1e24, "context": 8192}


def test_hardware_alias_is_written_canonically(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    write_preset(path, get_law(), hardware={"gpu": "h100", "n_gpus": 8})
    assert 'gpu = "H100 SXM"' in path.read_text()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fit": {"delta": float("inf")}}, "meta.fit.delta: is inf"),
        ({"fit": {"n_points": 0}}, "meta.fit.n_points: 0 is out of range"),
        ({"intervals": {"alpha": (0.5, 0.1)}}, "law.intervals.alpha: low 0.5 is above high 0.1"),
        ({"intervals": {"gamma": (0.1, 0.5)}}, "law.intervals.gamma: unknown key"),
        ({"hardware": {"gpu": "Z9000"}}, "hardware.gpu: 'Z9000' is not in the GPU catalogue"),
        ({"budget": {"flops": float("nan")}}, "budget.flops: is nan"),
        ({"meta_extra": {"id": "bad id"}}, "meta.id: 'bad id' is not a valid id"),
    ],
)
def test_invalid_content_writes_nothing(tmp_path: Path, kwargs: dict, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text("old")
    with pytest.raises(PresetError) as info:
        write_preset(path, get_law(), **kwargs)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.toml"]


def test_document_and_dumps() -> None:
    doc = preset_document(get_law("llama3-2024"))
    assert doc["schema_version"] == 1 and doc["law"]["rule"] == "tokens_only"
    assert set(doc["law"]["coefficients"]) == {"d_coef", "d_exp"}
    text = dumps_preset(get_law("llama3-2024"), fmt="json")
    assert load_preset_text(text, "x.json", "json").law.coefficients() == get_law("llama3-2024").coefficients()


_coef = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
_exp = st.floats(min_value=0.05, max_value=0.95, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(E=st.floats(0.0, 10.0), A=_coef, B=_coef, alpha=_exp, beta=_exp)
def test_hypothesis_chinchilla_round_trip(E: float, A: float, B: float, alpha: float, beta: float) -> None:
    from dataclasses import replace

    from planner.laws import ChinchillaLaw

    info = replace(get_law().info, bootstrap_samples=None, bootstrap_level=None, calibration=None)
    law = ChinchillaLaw(info, E=E, A=A, B=B, alpha=alpha, beta=beta)
    try:
        text = dumps_preset(law)
    except PresetError as exc:  # degenerate combinations are refused by the checker, with a key path
        assert "law.coefficients" in str(exc)
        return
    back = load_preset_text(text, "x.toml")
    assert back.law.coefficients() == law.coefficients()
