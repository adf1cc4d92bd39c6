"""The inputs state emits only on real change; plan arguments only for enabled science."""

from __future__ import annotations

import pytest

from planner import Question, get_law
from planner.question import LIMITS
from ui.state import InputsState, PlanInputs


def test_defaults_ask_the_dense_question_with_the_core_defaults() -> None:
    law = get_law()
    q = PlanInputs().question(law)
    assert q.inputs() == {"flops": PlanInputs().flops}  # nothing restated: every other input is a default
    assert q == Question(law=law, flops=PlanInputs().flops)


def test_enabled_science_is_asked() -> None:
    law = get_law()
    inp = PlanInputs(vocab_enabled=True, vocab_size=65536, moe_activation=0.125, moe_granularity=4,
                     inference_enabled=True, inference_tokens=1e14, unique_enabled=True, unique_tokens=5e11)  # fmt: skip
    assert inp.question(law).inputs() == {"flops": inp.flops, "vocab_size": 65536, "moe_activation": 0.125,
                                          "moe_granularity": 4, "inference_tokens": 1e14, "unique_tokens": 5e11}
    assert PlanInputs(vocab_enabled=True, optimal_vocab=True).question(law).optimal_vocab
    # values set but switched off are not asked; an MoE without a granularity keeps the law's default
    off = PlanInputs(inference_tokens=1e15, unique_tokens=1e10, vocab_size=8192).question(law)
    assert off.inputs() == {"flops": off.flops}
    assert PlanInputs(moe_activation=0.25).question(law).moe_granularity is None


def test_update_emits_only_on_change(qtbot) -> None:
    state = InputsState()
    with qtbot.waitSignal(state.changed) as blocker:
        state.update(flops=2e24)
    assert blocker.args[0] == frozenset({"flops"})
    with qtbot.assertNotEmitted(state.changed):
        assert state.update(flops=2e24) == frozenset()


def test_bad_hardware_is_refused_and_state_kept(qtbot) -> None:
    state = InputsState()
    with qtbot.assertNotEmitted(state.changed), pytest.raises(KeyError):
        state.update(gpu="Z9000")
    assert state.inputs == PlanInputs()


def test_values_beyond_a_slider_are_kept_and_values_beyond_the_limits_refused() -> None:
    """The window asks the CLI's question: a typed 1e30 FLOPs is planned as 1e30 (the slider pins at
    its end), and a value outside planner.question.LIMITS is refused with the field named."""
    state = InputsState()
    state.update(flops=1e30, moe_activation=1 / 1024)
    assert state.inputs.flops == 1e30
    assert state.inputs.moe_activation == 1 / 1024
    hi = LIMITS["flops"].hi
    with pytest.raises(ValueError, match="flops"):
        state.update(flops=hi * 10)
    assert state.inputs.flops == 1e30


def test_saved_inputs_round_trip_and_bad_data_is_ignored() -> None:
    inp = PlanInputs(flops=3e23, n_gpus=64, gpu="A100 80GB SXM", compare=True)
    assert PlanInputs.from_json_dict(inp.to_json_dict()) == inp
    assert PlanInputs.from_json_dict({"flops": "lots", "n_gpus": -3, "gpu": "nope"}) == PlanInputs()
    assert PlanInputs.from_json_dict(None) == PlanInputs()
