"""Several plans' warnings are said once each, most serious first (issue #14, defect 4)."""

from __future__ import annotations

from planner import plan
from planner.presets.load import builtin_presets
from planner.solve.warnings import CAUTION, NOTE, SERIOUS, merge_warnings, severity, warning_line

LAWS = {p.id: p.law for p in builtin_presets()}
BUSY = {"vocab_size": 32768, "moe_activation": 0.25, "inference_tokens": 1e14, "unique_tokens": 1e12, "n_gpus": 64}


def test_severity_of_known_wordings() -> None:
    assert severity("64 × H100 SXM cannot hold the run: it needs 152.7 GiB per GPU") == SERIOUS
    assert severity("Far extrapolation: budget = 1e25 FLOPs is 2139× above ...") == SERIOUS
    assert severity("Extrapolation: D = 6.38e11 tokens is 27.7× above ...") == CAUTION
    assert severity("MoE EL: C = 1.00e25 FLOPs is outside Ling's fitted 1e18–3e20") == CAUTION
    assert severity("Shape: MoE: 15 routed experts, 3 per token + 1 shared") == NOTE


def test_two_laws_share_a_warning_once_and_the_serious_come_first() -> None:
    a, b = (plan(LAWS[k], 1e25, **BUSY) for k in ("epoch-2024", "chinchilla-2022-a3"))
    merged = merge_warnings([("epoch-2024", a.warnings), ("chinchilla-2022-a3", b.warnings)])
    lines = [warning_line(w, 2) for w in merged]
    assert len(lines) < len(a.warnings) + len(b.warnings)  # something was said once
    shared = [ln for ln in lines if ln.startswith("both laws: ")]
    assert any("outside Ling's fitted" in ln for ln in shared)
    assert sum("outside Ling's fitted" in ln for ln in lines) == 1
    # each far extrapolation names its own law (their numbers differ)
    far = [ln for ln in lines if "Far extrapolation" in ln]
    assert {ln.split(":")[0] for ln in far} == {"epoch-2024", "chinchilla-2022-a3"}
    levels = [w.severity for w in merged]
    assert levels == sorted(levels, reverse=True) and levels[0] == SERIOUS
    # nothing is lost: every warning of either plan is in some merged line
    for law_id, plan_ in (("epoch-2024", a), ("chinchilla-2022-a3", b)):
        for text in plan_.warnings:
            key = text.replace(law_id, "{law}")
            assert any(w.text == key and law_id in w.laws for w in merged), text


def test_one_law_lines_are_its_warnings_reordered() -> None:
    p = plan(LAWS["kaplan-2020"], 1e25, **BUSY)
    lines = [warning_line(w) for w in merge_warnings([("kaplan-2020", p.warnings)])]
    assert sorted(lines) == sorted(set(p.warnings))
    serious = [ln for ln in lines if severity(ln) == SERIOUS]
    assert lines[: len(serious)] == serious and any("cannot hold" in ln for ln in serious)
