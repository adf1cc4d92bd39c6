"""The fitter inside the planner: fitted laws carry their bootstrap, plans carry intervals.

Synthetic law -> runs -> fit -> bootstrap -> written preset -> plan intervals that cover the
true compute-optimal N*, D* and loss; exact round trips of fitted presets (TOML and JSON,
Chinchilla and loss-only Kaplan); validation of the ``[law.bootstrap]`` table.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from planner import frontier_intervals, plan
from planner.fitting import (
    bootstrap,
    fit,
    fitted_law,
    leave_largest_out,
    plan_intervals,
    write_fitted_preset,
)
from planner.fitting.runs import Runs, load_runs
from planner.laws import KaplanLaw
from planner.presets.load import (
    MAX_BOOTSTRAP_ROWS,
    PresetError,
    get_law,
    load_preset_file,
    load_preset_text,
)

TRUE = {"E": 1.8, "A": 480.0, "B": 2100.0, "alpha": 0.35, "beta": 0.37}


def true_optimum(flops: float) -> tuple[float, float, float]:
    """Closed form of LAWS.md §1 for the true law."""
    E, A, B, al, be = (TRUE[k] for k in ("E", "A", "B", "alpha", "beta"))
    G = (al * A / (be * B)) ** (1 / (al + be))
    n = G * (flops / 6) ** (be / (al + be))
    d = (flops / 6) ** (al / (al + be)) / G
    return n, d, E + A / n**al + B / d**be


def synthetic_runs(seed: int, noise: float = 0.01) -> Runs:
    """An isoFLOP-like grid of 72 runs of the true law with log-normal noise."""
    rng = np.random.default_rng(seed)
    n = np.repeat(np.logspace(7.5, 9.5, 8), 9)
    d = np.tile(np.logspace(9, 11, 9), 8)
    loss = (TRUE["E"] + TRUE["A"] / n ** TRUE["alpha"] + TRUE["B"] / d ** TRUE["beta"]) * np.exp(
        rng.normal(0.0, noise, n.size))
    return Runs.from_arrays(n, loss, n_tokens=d)


def write_csv(path: Path, runs: Runs, extra_rows: str = "") -> Path:
    lines = ["n_params,n_tokens,loss"] + [f"{float(n)!r},{float(d)!r},{float(l)!r}" for n, d, l in
                                          zip(runs.n_params, runs.n_tokens, runs.loss, strict=True)]
    path.write_text("\n".join(lines) + "\n" + extra_rows)
    return path


@pytest.fixture(scope="module")
def runs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("fit") / "team_runs.csv", synthetic_runs(0),
                     "3e8,not-a-number,2.5\n")


@pytest.fixture(scope="module")
def team_runs(runs_file: Path) -> Runs:
    return load_runs(runs_file)


@pytest.fixture(scope="module")
def team_boot(team_runs: Runs):
    return bootstrap(team_runs, n=400, seed=3)


def flat(intervals) -> dict[str, float]:
    """{name: (lo, hi)} -> {name_lo: lo, name_hi: hi} for pytest.approx."""
    return {f"{k}_{side}": float(v[i]) for k, v in intervals.items() for i, side in enumerate(("lo", "hi"))}


def assert_same_law(a, b) -> None:
    assert type(a) is type(b)
    assert a.coefficients() == b.coefficients()
    for key in ("id", "title", "citation", "n_meaning", "loss_unit", "compute", "fitted_range", "notes",
                "warnings", "bootstrap_level"):  # fmt: skip
        assert getattr(a.info, key) == getattr(b.info, key), key
    assert dict(a.info.uncertainty) == dict(b.info.uncertainty)
    sa, sb = a.info.bootstrap_samples, b.info.bootstrap_samples
    assert (sa is None) == (sb is None)
    if sa is not None:
        np.testing.assert_array_equal(sa, sb)


# --- the full pipeline ----------------------------------------------------------------------------


def test_synthetic_law_fit_bootstrap_preset_plan_intervals_cover_truth(tmp_path: Path) -> None:
    """Coverage on synthetic data: over 12 independent data sets, the written preset's 95%
    plan intervals at 1e20 FLOP (inside the data) contain the true N*, D* and loss in at least
    9 of 12 (the expected count is ~11.4; P(< 9) is below 0.3% for a calibrated interval)."""
    budget = 1e20
    n_true, d_true, loss_true = true_optimum(budget)
    hits = {"n_params": 0, "n_tokens": 0, "loss": 0}
    widths = []
    for seed in range(12):
        runs = synthetic_runs(100 + seed)
        boot = bootstrap(runs, n=300, seed=seed)
        assert boot.fit.converged
        preset = write_fitted_preset(tmp_path / f"fit{seed}.toml", boot, runs, preset_id=f"fit{seed}", name="fit")
        law = load_preset_file(preset.path).law
        p = plan(law, budget)
        iv = p.intervals
        assert iv is not None and set(iv) == {"n_params", "n_tokens", "tokens_per_param", "loss"}
        for key, truth in (("n_params", n_true), ("n_tokens", d_true), ("loss", loss_true)):
            lo, hi = iv[key]
            assert lo <= getattr(p, key) <= hi  # the point estimate lies inside its interval
            hits[key] += lo <= truth <= hi
        widths.append(iv["n_params"][1] / iv["n_params"][0])
    assert all(h >= 9 for h in hits.values()), hits
    assert 1.0 < np.median(widths) < 3.0  # informative, not degenerate


def test_round_trip_toml_and_json_load_equal_laws_and_identical_plans(tmp_path: Path, team_runs: Runs,
                                                                       team_boot) -> None:  # fmt: skip
    holdout = leave_largest_out(team_runs, frac=0.2)
    law = fitted_law(team_boot, team_runs, preset_id="team-fit", name="Team fit", holdout=holdout)
    for suffix in (".toml", ".json"):
        written = write_fitted_preset(tmp_path / f"team{suffix}", team_boot, team_runs, preset_id="team-fit",
                                      name="Team fit", holdout=holdout, author="Planning team")  # fmt: skip
        loaded = load_preset_file(tmp_path / f"team{suffix}")
        assert_same_law(law, loaded.law)
        assert_same_law(written.law, loaded.law)
        for budget in (1e19, 1e21, 3e23):
            assert plan(law, budget).to_dict() == plan(loaded.law, budget).to_dict()
        fit_meta = loaded.fit
        assert fit_meta["n_points"] == 72 and fit_meta["n_dropped"] == 0 and fit_meta["n_skipped"] == 1
        assert fit_meta["data_file"] == "team_runs.csv" and fit_meta["data_sha256"] == team_runs.sha256
        assert fit_meta["form"] == "chinchilla" and fit_meta["loss_fn"] == "huber" and fit_meta["delta"] == 1e-3
        assert fit_meta["n_bootstrap"] == 400 and fit_meta["level"] == 0.95 and fit_meta["converged"] is True
        assert fit_meta["holdout_n"] == len(holdout.rows)
        assert fit_meta["holdout_mean_abs_rel_error"] == pytest.approx(holdout.mean_abs_rel_error)
        assert flat(loaded.intervals) == pytest.approx(flat(team_boot.ci))
        assert loaded.meta["author"] == "Planning team"


def test_fitted_law_metadata(team_runs: Runs, team_boot) -> None:
    law = fitted_law(team_boot, team_runs, preset_id="team-fit", name="Team fit")
    info = law.info
    assert info.citation.status == "FITTED"
    assert info.citation.text == f"Fitted to team_runs.csv (72 runs, sha256 {team_runs.sha256[:12]})"
    assert info.fitted_range.flops == pytest.approx((float(team_runs.flops.min()), float(team_runs.flops.max())))
    assert info.fitted_range.n_params == pytest.approx((10**7.5, 10**9.5))
    assert dict(info.uncertainty) == pytest.approx(team_boot.se)
    assert info.bootstrap_level == 0.95
    s = info.bootstrap_samples
    assert s.shape == (400, 5) and not s.flags.writeable
    with pytest.raises(ValueError):
        s[0, 0] = 1.0
    assert law.coefficients() == pytest.approx(team_boot.fit.params)
    # without a bootstrap: no samples, no intervals, no uncertainty
    plain = fitted_law(team_boot.fit, team_runs, preset_id="plain", name="Plain")
    assert plain.info.bootstrap_samples is None and not plain.info.uncertainty
    assert plan(plain, 1e21).intervals is None


def test_bootstrap_rows_are_capped(team_runs: Runs) -> None:
    boot = bootstrap(team_runs, n=MAX_BOOTSTRAP_ROWS + 50, seed=1)
    law = fitted_law(boot, team_runs, preset_id="cap", name="Cap")
    assert law.info.bootstrap_samples.shape == (MAX_BOOTSTRAP_ROWS, 5)


def test_written_file_of_1000_samples_stays_under_the_loader_limit(tmp_path: Path, team_runs: Runs) -> None:
    boot = bootstrap(team_runs, n=1000, seed=2)
    for suffix in (".toml", ".json"):
        path = tmp_path / f"big{suffix}"
        write_fitted_preset(path, boot, team_runs, preset_id="big", name="Big")
        assert load_preset_file(path).law.info.bootstrap_samples.shape == (1000, 5)


# --- plans and frontiers ---------------------------------------------------------------------------


def test_plan_intervals_match_plan_intervals_function(team_runs: Runs, team_boot) -> None:
    law = fitted_law(team_boot, team_runs, preset_id="t", name="t")
    direct = plan_intervals(law.info.bootstrap_samples, 1e21)
    assert flat(plan(law, 1e21).intervals) == pytest.approx(flat(direct))
    # the vectorised path agrees with numpy's percentile on the raw samples
    ref = plan_intervals(np.array(law.info.bootstrap_samples), 1e21)  # writeable copy: not cached
    assert flat(ref) == pytest.approx(flat(direct))
    s = law.info.bootstrap_samples
    _, A, B, al, be = s.T
    G = (al * A / (be * B)) ** (1 / (al + be))
    n = G * (1e21 / 6) ** (be / (al + be))
    assert direct["n_params"] == pytest.approx(tuple(np.percentile(n, [2.5, 97.5])), rel=1e-12)


def test_frontier_intervals(team_runs: Runs, team_boot) -> None:
    assert frontier_intervals(get_law("chinchilla-2022-a3"), np.logspace(18, 24, 5)) is None  # no samples
    assert frontier_intervals(get_law("epoch-2024"), np.logspace(18, 24, 5)) is not None  # ships samples (#13)
    law = fitted_law(team_boot, team_runs, preset_id="t", name="t")
    budgets = np.logspace(18, 25, 50)
    bands = frontier_intervals(law, budgets)
    assert set(bands) == {"n_params", "n_tokens", "tokens_per_param", "loss"}
    for lo, hi in bands.values():
        assert lo.shape == hi.shape == budgets.shape
        assert np.all(lo <= hi) and np.all(np.isfinite(lo)) and np.all(lo > 0)
    assert np.all(np.diff(bands["n_params"][0]) > 0)  # bands grow with the budget
    at = plan(law, float(budgets[20])).intervals
    assert (bands["loss"][0][20], bands["loss"][1][20]) == pytest.approx(at["loss"])
    # bands widen away from the data
    width = bands["n_params"][1] / bands["n_params"][0]
    assert width[-1] > width[len(width) // 3]


def test_fixed_size_plans_get_a_loss_interval_only_and_moe_none(team_runs: Runs, team_boot) -> None:
    law = fitted_law(team_boot, team_runs, preset_id="t", name="t")
    p = plan(law, 1e21, n_params=1e9)
    assert set(p.intervals) == {"loss"}
    lo, hi = p.intervals["loss"]
    assert lo < p.loss < hi
    assert plan(law, 1e21, moe_activation=0.25).intervals is None


def test_far_extrapolation_warning_past_ten_times_the_data(team_runs: Runs, team_boot) -> None:
    law = fitted_law(team_boot, team_runs, preset_id="t", name="t")
    top = law.info.fitted_range.flops[1]
    near = plan(law, 5 * top).warnings
    assert not any("Far extrapolation" in w for w in near)
    far = plan(law, 50 * top).warnings
    msgs = [w for w in far if "Far extrapolation" in w]
    assert len(msgs) == 1 and "is 50.0\u00d7 above the largest value it was fitted on" in msgs[0] and "untested" in msgs[0]
    assert not any(w.startswith("Extrapolation: Budget") for w in far)  # one message, not two


# --- Kaplan ------------------------------------------------------------------------------------------


def test_kaplan_loss_only_round_trip(tmp_path: Path, team_runs: Runs) -> None:
    boot = bootstrap(team_runs, n=200, seed=0, form="kaplan")
    assert boot.fit.converged
    law = fitted_law(boot, team_runs, preset_id="team-kaplan", name="Team Kaplan")
    assert isinstance(law, KaplanLaw) and law.loss_only
    assert set(law.coefficients()) == {"N_c", "D_c", "alpha_N", "alpha_D"}
    path = tmp_path / "kaplan.toml"
    write_fitted_preset(path, boot, team_runs, preset_id="team-kaplan", name="Team Kaplan")
    text = path.read_text()
    assert "n_coef" not in text and 'names = [\n    "N_c",' in text
    loaded = load_preset_file(path).law
    assert_same_law(law, loaded)
    c = 3e21
    n, d = loaded.allocate_scalar(c)
    assert (n, d) == pytest.approx(tuple(map(float, loaded.surface_optimum(c))), rel=1e-12)
    assert 6 * n * d == pytest.approx(c, rel=1e-12)
    p, num = plan(loaded, c), plan(loaded, c, method="numerical")
    assert num.n_params == pytest.approx(p.n_params, rel=1e-8)  # the surface's own minimum
    assert p.loss == pytest.approx(float(loaded.loss(n, d)), rel=1e-12)
    assert plan(law, c).to_dict() == p.to_dict()
    for key in ("n_params", "n_tokens", "loss"):
        lo, hi = p.intervals[key]
        assert lo <= getattr(p, key) <= hi
    n_true, _, _ = true_optimum(c)  # the data are Chinchilla-form: Kaplan lands in the right decade
    assert 0.1 < p.n_params / n_true < 10


def test_kaplan_partial_allocation_coefficients_are_rejected() -> None:
    text = """schema_version = 1
[meta]
id = "k"
name = "k"
[law]
form = "kaplan"
[law.citation]
text = "x"
[law.coefficients]
alpha_N = 0.076
alpha_D = 0.095
N_c = 8.8e13
D_c = 5.4e13
alpha_C = 0.05
"""
    with pytest.raises(PresetError, match=r"law\.coefficients\.C_c: missing \(expected all six"):
        load_preset_text(text, "k.toml")
    loss_only = load_preset_text(text.replace("alpha_C = 0.05\n", ""), "k.toml").law
    assert loss_only.loss_only and math.isfinite(loss_only.frontier_loss(1e22))
    assert not get_law("kaplan-2020").loss_only  # the published law keeps its Table 6 allocation


# --- [law.bootstrap] validation ----------------------------------------------------------------------

BASE = """schema_version = 1
[meta]
id = "b"
name = "b"
[law]
form = "chinchilla"
[law.citation]
text = "x"
status = "FITTED"
[law.coefficients]
E = 1.8
A = 480.0
B = 2100.0
alpha = 0.35
beta = 0.37
[law.bootstrap]
level = 0.95
names = ["E", "A", "B", "alpha", "beta"]
samples = [[1.8, 480.0, 2100.0, 0.35, 0.37], [1.7, 500.0, 2000.0, 0.34, 0.38]]
"""


@pytest.mark.parametrize(("old", "new", "message"), [
    ("level = 0.95", "level = 1.0", "law.bootstrap.level: 1 is out of range"),
    ("level = 0.95\n", "", "law.bootstrap.level: missing"),
    ('names = ["E", "A", "B", "alpha", "beta"]', 'names = ["E", "A", "B", "beta", "alpha"]',
     r"law.bootstrap.names: is \['E', 'A', 'B', 'beta', 'alpha'\]"),
    ("[1.7, 500.0, 2000.0, 0.34, 0.38]", "[1.7, 500.0, 2000.0, 0.34]", r"law.bootstrap.samples.1: is a list of 4"),
    ("[1.7, 500.0, 2000.0, 0.34, 0.38]", "[1.7, 500.0, nan, 0.34, 0.38]", r"law.bootstrap.samples.1.2: is nan"),
    ("[1.7, 500.0, 2000.0, 0.34, 0.38]", "[1.7, -500.0, 2000.0, 0.34, 0.38]",
     r"law.bootstrap.samples.1.1: -500 \(A\) is out of range"),
    ("[1.7, 500.0, 2000.0, 0.34, 0.38]", '[1.7, "500", 2000.0, 0.34, 0.38]', r"law.bootstrap.samples.1.1: is a string"),
    ("samples = [", "samplez = [", r"law.bootstrap.samplez: unknown key"),
    ("samples = [[1.8, 480.0, 2100.0, 0.35, 0.37], [1.7, 500.0, 2000.0, 0.34, 0.38]]", "samples = []",
     r"law.bootstrap.samples: has 0 rows \(expected 1 to 1000 rows\)"),
])  # fmt: skip
def test_bootstrap_table_validation(old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(PresetError, match=re.escape("b.toml: ") + message):
        load_preset_text(BASE.replace(old, new), "b.toml")


def test_bootstrap_table_loads_read_only_and_limits_rows() -> None:
    law = load_preset_text(BASE, "b.toml").law
    assert law.info.bootstrap_samples.shape == (2, 5) and law.info.bootstrap_level == 0.95
    assert not law.info.bootstrap_samples.flags.writeable
    rows = ", ".join(["[1.8, 480.0, 2100.0, 0.35, 0.37]"] * (MAX_BOOTSTRAP_ROWS + 1))
    too_many = BASE.replace("samples = [[1.8, 480.0, 2100.0, 0.35, 0.37], [1.7, 500.0, 2000.0, 0.34, 0.38]]",
                            f"samples = [{rows}]")  # fmt: skip
    with pytest.raises(PresetError, match=r"law.bootstrap.samples: has 1001 rows"):
        load_preset_text(too_many, "b.toml")
    power = BASE.replace('form = "chinchilla"', 'form = "power_law"').split("[law.coefficients]")[0] + (
        "[law.coefficients]\nn_coef = 0.1\nn_exp = 0.5\nd_coef = 1.0\nd_exp = 0.5\n"
        + "[law.bootstrap]" + BASE.split("[law.bootstrap]")[1])
    with pytest.raises(PresetError, match=r"law.bootstrap: bootstrap samples are not supported for form 'power_law'"):
        load_preset_text(power, "b.toml")


def test_fitted_law_rejects_coefficients_a_preset_cannot_hold(team_runs: Runs) -> None:
    from dataclasses import replace

    bad = replace(fit(team_runs), params={**TRUE, "alpha": 4.0})  # exponents are limited to (0, 3]
    with pytest.raises(PresetError, match=r"law.coefficients.alpha: 4 is out of range"):
        fitted_law(bad, team_runs, preset_id="bad", name="bad")
