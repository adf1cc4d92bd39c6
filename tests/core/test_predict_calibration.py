"""Issue #13: predict(), calibrated extrapolation intervals, identification, compact samples.

Real runs are the vendored copies in tests/data/real_runs (Porian et al. 2024, arXiv 2406.19146;
Gadre et al. 2024, arXiv 2403.08540); provenance in tests/data/README.md.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np
import pytest

from planner.fitting.calibration import Calibration, calibrate, extrapolation_decades, fold_origins
from planner.fitting.fitter import bootstrap, check_memory, fit, identification_issues, used_runs
from planner.fitting.predict import (
    NO_INTERVAL,
    NO_INTERVAL_SE,
    interval_kind,
    loss_prediction_interval,
    predict,
)
from planner.fitting.preset import fitted_law, write_fitted_preset
from planner.fitting.runs import Runs, load_runs
from planner.presets.load import PresetError, get_law, load_preset_file, load_preset_text
from planner.presets.write import bootstrap_table, dumps_preset

REAL = Path(__file__).resolve().parents[1] / "data" / "real_runs"
EPOCH_DATA = Path(__file__).resolve().parents[1] / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"


@pytest.fixture(scope="module")
def porian() -> Runs:
    return load_runs(REAL / "porian2024_owt2_cosine.csv", columns={"flops": "isoflop_budget"})


@pytest.fixture(scope="module")
def porian_law(porian: Runs):
    train = porian.subset(porian.flops <= 1.6e18)
    result = fit(train)
    boot = bootstrap(train, n=300, base=result)
    cal = calibrate(used_runs(train, result), {})
    return fitted_law(boot, train, preset_id="porian-small", name="Porian small runs", calibration=cal)


def test_porian_intervals_cover_the_larger_runs(porian: Runs, porian_law) -> None:
    """Fitted on budgets up to 1.6e18 FLOPs, predicting 2x to 16x: the bootstrap-only interval
    covered 4 of the 18 runs at 4x-16x; the calibrated one covers >= 80% at <= 5% half-width."""
    test = porian.subset((porian.flops > 1.6e18) & (porian.flops <= 16 * 1.6e18))
    assert len(test) == 26
    pred = predict(porian_law, test.n_params, test.n_tokens)
    lo, hi = pred.loss_interval
    inside = (test.loss >= lo) & (test.loss <= hi)
    assert inside.mean() >= 0.8
    assert np.median((hi - lo) / 2 / pred.loss) <= 0.05
    assert np.mean(np.abs(pred.loss / test.loss - 1)) <= 0.03
    assert pred.interval_kind.startswith("95% prediction interval: bootstrap + extrapolation error from")
    assert re.search(r"from \d rolling folds$", pred.interval_kind)
    # the interval widens with distance past the fitted range, the point does not move
    width = (hi - lo) / pred.loss
    order = np.argsort(pred.decades)
    assert width[order][-1] > 1.5 * width[order][0]
    np.testing.assert_allclose(pred.loss, porian_law.loss(test.n_params, test.n_tokens))


def test_gadre_large_runs_with_the_residual_filter() -> None:
    """Fitted below 1B parameters with --drop-residual-outliers, the 1.4B and 6.9B runs (up to
    17.5x the compute) are covered, at <= 5% median half-width and <= 3% mean error; without
    the filter the point errs by 3.4% (7.9% at 6.9B) and the interval is wider, not narrower."""
    runs = load_runs(REAL / "gadre2024_c4.csv")
    train, test = runs.subset(runs.n_params < 1e9), runs.subset(runs.n_params >= 1e9)
    result = fit(train, drop_residual=3.0)
    assert result.dropped and all("residual outlier" in d.reason for d in result.dropped)
    boot = bootstrap(train, n=300, base=result, drop_residual=3.0)
    cal = calibrate(used_runs(train, result), {"drop_residual": 3.0})
    law = fitted_law(boot, train, preset_id="g", name="g", calibration=cal)
    pred = predict(law, test.n_params, test.n_tokens)
    lo, hi = pred.loss_interval
    assert np.all((test.loss >= lo) & (test.loss <= hi))
    assert np.median((hi - lo) / 2 / pred.loss) <= 0.05
    assert np.mean(np.abs(pred.loss / test.loss - 1)) <= 0.03


def test_calibration_table_and_distance(porian: Runs) -> None:
    train = porian.subset(porian.flops <= 1.6e18)
    cuts = fold_origins(train)
    lc = np.log10(train.flops)
    assert len(cuts) >= 2 and np.all(cuts > lc.min() + 0.5 * (lc.max() - lc.min()))
    cal = calibrate(train, {}, max_folds=2)
    assert cal is not None and cal.folds == 2 and cal.growth_sd > 0
    assert Calibration.from_table(cal.to_table()) == cal
    assert cal.sd(1.0) > cal.sd(0.0) == pytest.approx(cal.near_sd)
    # decades past the range: the largest over C, N and D; zero inside
    u = extrapolation_decades([1e9, 1e8], [1e10, 1e9], [6e19, 6e17], max_n=1e8, max_d=1e10, max_c=6e18)
    np.testing.assert_allclose(u, [1.0, 0.0])
    # too few compute levels: no calibration, and intervals say they are bootstrap only
    tiny = Runs.from_arrays(train.n_params[:12], train.loss[:12], n_tokens=train.n_tokens[:12])
    assert calibrate(tiny, {}) is None


def test_interval_kinds_never_silent() -> None:
    epoch = get_law("epoch-2024")
    assert interval_kind(epoch) == "95% prediction interval: bootstrap + extrapolation error from 6 rolling folds"
    assert interval_kind(get_law("chinchilla-2022-a3")) == NO_INTERVAL
    se_only = load_preset_text(_SE_ONLY, "se.toml").law
    assert interval_kind(se_only) == NO_INTERVAL_SE == "no interval: the paper gives standard errors only"
    pred = predict(se_only, 1e9, 2e10)
    assert math.isnan(pred.loss_interval[0][0]) and pred.interval_kind == NO_INTERVAL_SE
    assert pred.point(0)["loss_interval"] == [None, None]


def test_predict_vectorised_with_tokens_or_flops_and_warnings() -> None:
    law = get_law("epoch-2024")
    a = predict(law, [1e9, 7e10], [2e10, 1.4e12])
    b = predict(law, [1e9, 7e10], flops=[6 * 1e9 * 2e10, 6 * 7e10 * 1.4e12])
    np.testing.assert_allclose(a.loss, b.loss)
    np.testing.assert_allclose(a.loss[0], 2.53005, atol=1e-5)  # LAWS.md §2.3 oracle L(1e9, 2e10)
    lo, hi = a.loss_interval
    assert np.all(lo < a.loss) and np.all(a.loss < hi)
    assert a.point_warnings[0] == ()  # inside Epoch's range
    far = a.point_warnings[1]
    assert far[0].startswith("Far extrapolation: C = 5.88e23 FLOPs is 45.2\u00d7 above the largest value epoch-2024")
    assert any("error model was measured up to" in w for w in far)
    assert a.point(1)["decades_past_fitted_range"] == pytest.approx(math.log10(5.88e23 / 1.3e22))
    scalar = predict(law, 1e9, 2e10)
    assert len(scalar) == 1
    lo2, hi2, kind = loss_prediction_interval(law, 1e9, 2e10)
    assert (float(lo2), float(hi2)) == (lo[0], hi[0]) and kind == a.interval_kind
    with pytest.raises(ValueError, match="tokens D or the training FLOPs C"):
        predict(law, 1e9)
    with pytest.raises(ValueError, match="must be positive"):
        predict(law, [1e9, -1.0], [1e10, 1e10])
    with pytest.raises(ValueError, match="gives no loss"):
        predict(get_law("porian-2024"), 1e9, 1e10)


def test_gadre_fit_flags_an_unidentified_floor() -> None:
    runs = load_runs(REAL / "gadre2024_c4.csv")
    train = runs.subset(runs.n_params < 1e9)
    boot = bootstrap(train, n=300)
    issues = boot.fit.identification
    assert any(i.startswith("E is not determined by these runs") and "--pin E=" in i for i in issues), issues
    assert any("long-range predictions, are unreliable" in i for i in issues)
    law = fitted_law(boot, train, preset_id="g", name="g")
    assert any(w.startswith("Not identified: E is not determined") for w in law.info.warnings)


def test_identification_sentences_for_bounds_single_start_and_wide_intervals() -> None:
    n = np.repeat(np.logspace(7.5, 9.5, 6), 8)
    d = np.tile(np.logspace(9, 11, 8), 6)
    runs = Runs.from_arrays(n, 1.9 + 400 / n**0.34 + 1800 / d**0.36, n_tokens=d)
    result = fit(runs)
    assert identification_issues(result, min_loss=float(runs.loss.min())) == []
    fake = result.__class__(**{**result.__dict__, "params": {**result.params, "E": 1e-13, "alpha": 4.0},
                               "n_at_best": 1})
    text = identification_issues(fake, {"B": (10.0, 1e5)}, min_loss=2.0)
    assert any(t.startswith("E is not determined") for t in text)
    assert any(t.startswith("alpha = 4 is at a limit") for t in text)
    assert any(t.startswith("only one of 8 refined starts") for t in text)
    assert any(t.startswith("B's 95% interval spans 4.0 orders of magnitude") for t in text)


def test_screened_fit_of_many_runs_recovers_the_law_and_memory_is_checked() -> None:
    rng = np.random.default_rng(1)
    n = 10 ** rng.uniform(7, 10, 30_000)
    d = n * 10 ** rng.uniform(0, 2.5, 30_000)
    runs = Runs.from_arrays(n, 1.8172 + 482.01 / n**0.3478 + 2085.43 / d**0.3658, n_tokens=d)
    result = fit(runs)
    assert "starts screened on 20,000 of 30,000 runs" in result.message
    assert result.params["alpha"] == pytest.approx(0.3478, rel=1e-6)
    with pytest.raises(ValueError, match=r"runs need about .* GB of memory to fit, more than the"):
        check_memory(10**12)


def test_pins_outside_the_search_box_and_all_pinned() -> None:
    runs = Runs.from_arrays([1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9], [3.1, 2.9, 2.7, 2.55, 2.45, 2.38],
                            n_tokens=[2e9, 4e9, 8e9, 1.6e10, 3.2e10, 6.4e10])
    with pytest.raises(ValueError, match="pinned alpha = 1e\\+300 is outside what a fit can use"):
        fit(runs, pin={"alpha": 1e300})
    pins = {"E": 1.7, "A": 400.0, "B": 400.0, "alpha": 0.3, "beta": 0.3}
    boot = bootstrap(runs, n=20, pin=pins)
    assert boot.n_ok == 20 and np.ptp(boot.samples, axis=0).max() == 0.0


def test_huge_loss_does_not_crash_the_fitter_api() -> None:
    runs = Runs.from_arrays([1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9], [3.1, 2.9, 1e300, 2.55, 2.45, 2.38],
                            n_tokens=[2e9, 4e9, 8e9, 1.6e10, 3.2e10, 6.4e10])
    with np.errstate(all="raise"):  # no floating-point warning escapes either
        result = fit(runs)
    assert np.isfinite(result.objective)


# ------------------------------------------------------------------------------ preset format
_SE_ONLY = """schema_version = 1
[meta]
id = "se"
name = "se"
[law]
form = "chinchilla"
[law.citation]
text = "a paper with standard errors only"
[law.coefficients]
E = 1.8
A = 480.0
B = 2100.0
alpha = 0.35
beta = 0.37
[law.uncertainty]
E = 0.03
"""


def test_epoch_preset_ships_encoded_samples_with_provenance() -> None:
    text = (Path(__file__).resolve().parents[2] / "presets" / "epoch-2024.toml").read_text(encoding="utf-8")
    assert 'encoding = "f64le-base64"' in text and "\ndata = '" in text  # a literal string: fast to parse
    law = get_law("epoch-2024")
    assert law.info.bootstrap_samples.shape == (1000, 5) and law.info.bootstrap_level == 0.95
    assert law.info.calibration["folds"] == 6 and law.info.calibration["method"] == "rolling-origin"
    sha = hashlib.sha256(EPOCH_DATA.read_bytes()).hexdigest()
    assert f'data_sha256 = "{sha}"' in text and "seed = 0" in text
    med = np.median(law.info.bootstrap_samples, axis=0)
    np.testing.assert_allclose(med[[0, 3, 4]], [1.8172, 0.3478, 0.3658], atol=0.03)  # around Epoch's refit


def test_encoded_and_row_samples_load_the_same_and_tampering_is_caught(tmp_path: Path) -> None:
    law = get_law("epoch-2024")
    encoded = dumps_preset(law)
    assert "f64le-base64" in encoded
    a = load_preset_text(encoded, "a.toml").law
    np.testing.assert_array_equal(a.info.bootstrap_samples, law.info.bootstrap_samples)
    assert dict(a.info.calibration) == dict(law.info.calibration)
    rows = bootstrap_table(law, rows=True)
    assert "samples" in rows and "data" not in rows and len(rows["samples"]) == 1000
    old = encoded.split("[law.bootstrap]")[0] + "[law.bootstrap]\nlevel = 0.95\n" + \
        'names = ["E", "A", "B", "alpha", "beta"]\nsamples = [[1.8, 480.0, 2100.0, 0.35, 0.37]]\n'
    assert load_preset_text(old, "old.toml").law.info.bootstrap_samples.shape == (1, 5)
    tampered = re.sub(r"data = '(.)", lambda m: "data = '" + ("B" if m.group(1) != "B" else "C"), encoded, count=1)
    with pytest.raises(PresetError, match=r"law.bootstrap.sha256: does not match the decoded samples"):
        load_preset_text(tampered, "t.toml")
    for old_s, new_s, msg in ((r'shape = \[\s*1000,\s*5,?\s*\]', "shape = [999, 5]", "law.bootstrap.data: holds 40000 bytes"),
                              (r'encoding = "f64le-base64"', 'encoding = "f32"', "law.bootstrap.encoding: 'f32' is not known"),
                              (r"folds = 6", "folds = 0", "law.bootstrap.extrapolation.folds: 0 is out of range")):
        bad = re.sub(old_s, new_s, encoded, count=1)
        assert bad != encoded, old_s
        with pytest.raises(PresetError, match=re.escape(msg)):
            load_preset_text(bad, "b.toml")


def test_fitted_preset_round_trips_calibration(tmp_path: Path, porian: Runs, porian_law) -> None:
    train = porian.subset(porian.flops <= 1.6e18)
    result = fit(train)
    boot = bootstrap(train, n=100, base=result)
    cal = calibrate(train, {})
    path = tmp_path / "p.toml"
    preset = write_fitted_preset(path, boot, train, preset_id="p", name="p", calibration=cal, n_meaning="non_embedding",
                                 loss_unit="nats/token (converted from bits per token)")
    again = load_preset_file(path).law
    assert Calibration.from_table(again.info.calibration) == cal
    assert again.info.n_meaning == "non_embedding" and "converted from bits" in again.info.loss_unit
    assert preset.law.info.calibration == again.info.calibration
    p1, p2 = predict(preset.law, 1e9, 2e10), predict(again, 1e9, 2e10)
    assert p1.loss_interval[0][0] == p2.loss_interval[0][0]


def test_default_plan_loss_interval_is_the_calibrated_prediction_interval() -> None:
    """epoch-2024 carries a calibration: a plan's loss interval is the same prediction interval as
    predict() at the plan's N* and D*, and the plan says which kind each interval is."""
    from planner.solve.plan import plan

    law = get_law("epoch-2024")
    p = plan(law, 1e21)
    pred = predict(law, p.n_params, p.n_tokens)
    assert p.intervals["loss"] == pytest.approx((pred.loss_interval[0][0], pred.loss_interval[1][0]), rel=1e-12)
    assert "loss: 95% prediction interval: bootstrap + extrapolation error from 6 rolling folds" in p.interval_note
    assert p.intervals["n_params"][0] < p.n_params < p.intervals["n_params"][1]


@pytest.mark.parametrize("level", [0.5, 0.68, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995])
def test_two_sided_z_matches_the_standard_library(level: float) -> None:
    """The z of a two-sided interval, by Newton on erf (no `statistics` import on the window's
    first plan), equals NormalDist's inverse CDF."""
    from statistics import NormalDist

    from planner.fitting.calibration import two_sided_z

    assert two_sided_z(level) == pytest.approx(NormalDist().inv_cdf(0.5 + level / 2.0), rel=1e-13)
    with pytest.raises(ValueError, match="between 0 and 1"):
        two_sided_z(1.0)
