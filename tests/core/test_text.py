"""Numbers as the field reads them: no Python reprs ("1e+22", "8.93e+09", "np.float64(...)")
anywhere a user reads a plan: the headline, every result row, warnings, messages and notes."""

from __future__ import annotations

import itertools
import re

import pytest

from planner import get_law, plan
from planner.presets.load import builtin_ids
from planner.summary import headline, result_rows, text_table

REPR = re.compile(r"\de\+|e[+-]0\d|np\.|float64|\b(nan|inf|None)\b|\(\)|\[\]")

QUESTIONS = [
    {}, {"moe_activation": 0.25}, {"moe_activation": 0.05, "moe_granularity": 8, "moe_law": "krajewski"},
    {"optimal_vocab": True}, {"vocab_size": 256_000}, {"unique_tokens": 1e9}, {"inference_tokens": 1e14},
    {"serve_on": "1xH100 SXM"}, {"n_params": 7e9}, {"target_loss": 2.2, "inference_tokens": 1e12},
    {"n_tokens": 1e12}, {"usd": 5e6}, {"days": 60, "n_gpus": 2048},
]  # fmt: skip


def _texts(p) -> list[str]:
    out = [headline(p), p.message, p.interval_note, *p.warnings, text_table(p) if p.success else ""]
    for r in result_rows(p) if p.success else ():
        out += [r.label, r.value, r.unit]
    return out


@pytest.mark.parametrize("preset", builtin_ids())
def test_no_python_reprs_in_what_a_user_reads(preset: str) -> None:
    law = get_law(preset)
    found = []
    for budget, extra in itertools.product((1e16, 1e19, 1e22, 1e25, 1e28), QUESTIONS):
        kw = dict(extra)
        if not any(k in kw for k in ("usd", "days", "n_params", "n_tokens")) and "target_loss" not in kw:
            kw["flops"] = budget
        elif "usd" not in kw and "days" not in kw and "target_loss" not in kw:
            kw["flops"] = budget
        try:
            p = plan(law, **kw)
        except ValueError:
            continue
        for text in _texts(p):
            if text and REPR.search(text):
                found.append(f"{kw}: {REPR.search(text).group(0)!r} in {text[:160]!r}")
    assert found == [], "\n".join(sorted(set(found))[:30])
