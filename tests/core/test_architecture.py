"""Shapes: exact counts against published models, the shape rule's proposal, config.json reading.

Oracles are the models' published parameter counts (sources in tests/data/README.md); the configs
in tests/data/hf_configs hold the public config.json values.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.costs.architecture import Architecture
from planner.costs.hf_config import ConfigError, load_hf_config, parse_hf_config
from planner.costs.proposal import (
    DEEPSEEK_LAW_SEQ,
    DEFAULT_RULE,
    TOLERANCE,
    ArchitecturePlan,
    MoESpec,
    ShapeRule,
    _context,
    _first_pass,
    _search,
    describe,
    law_target,
    propose,
    rule_width,
)
from planner.presets.load import builtin_presets

CONFIGS = Path(__file__).resolve().parents[1] / "data" / "hf_configs"


def arch(name: str) -> Architecture:
    return load_hf_config(CONFIGS / f"{name}.json").architecture


# (config, published total, published active or None, relative tolerance, source)
PUBLISHED = [
    ("llama-2-7b", 6.74e9, None, 0.005, "Llama 2 paper/model card: 6.74B (HF count 6,738,415,616)"),
    ("llama-2-70b", 68.98e9, None, 0.005, "model card 68.98B"),
    ("llama-3-8b", 8.03e9, None, 0.005, "model card 8.03B"),
    ("llama-3-70b", 70.55e9, None, 0.005, "model card 70.55B"),
    ("mixtral-8x7b", 46.7e9, 12.9e9, 0.005, "Mistral AI: 46.7B total, 12.9B per token"),
    ("deepseek-v3", 671e9, 37e9, 0.02, "DeepSeek-V3 report: 671B total (main model), 37B activated"),
    ("qwen2-7b", 7.61e9, None, 0.005, "Qwen2.5-7B card (same config values): 7.61B"),
    ("qwen2-57b-a14b", 57e9, 14e9, 0.02, "name: 57B total, 14B activated (whole billions)"),
]


@pytest.mark.parametrize(("name", "total", "active", "tol", "source"), PUBLISHED)
def test_parameter_counts_match_published_models(name: str, total: float, active: float | None, tol: float,
                                                 source: str) -> None:  # fmt: skip
    a = arch(name)
    assert a.params_total == pytest.approx(total, rel=tol), source
    assert a.params_active == pytest.approx(active if active else total, rel=tol), source
    assert a.params_total == a.params_embedding + a.params_non_embedding


def test_qwen2_7b_non_embedding_count() -> None:
    # Qwen2.5-7B model card (identical config values): 6.53B non-embedding parameters
    assert arch("qwen2-7b").params_non_embedding == pytest.approx(6.53e9, rel=0.005)


def test_kv_cache_bytes_per_token_match_laws_oracles() -> None:
    # LAWS.md §5, BF16: Llama-2-70B (80, 8, 128) 327,680; DeepSeek-V3 MLA (61 layers, 512 + 64) 70,272;
    # Llama-3.1-405B (126 layers, 8 KV heads, 128) 516,096
    assert arch("llama-2-70b").kv_bytes_per_token(2) == 327_680
    assert arch("deepseek-v3").kv_bytes_per_token(2) == 70_272
    llama405 = Architecture(126, 16384, 128, 8, 128, 53248, 128256)
    assert llama405.kv_bytes_per_token(2) == 516_096
    assert llama405.params_total == pytest.approx(405e9, rel=0.01)  # Llama 3 paper: 405B


def test_mla_attention_count_follows_deepseek_v2_projections() -> None:
    a = arch("deepseek-v3")
    d, h, r_q, r_kv, nope, rope, v = 7168, 128, 1536, 512, 128, 64, 128
    q = d * r_q + r_q + r_q * h * (nope + rope)  # W^DQ, its norm, W^UQ (with W^QR)
    kv = d * (r_kv + rope) + r_kv + r_kv * h * (nope + v)  # W^DKV with W^KR, its norm, W^UK and W^UV
    assert a.attention_params() == q + kv + h * v * d
    assert a.is_mla and a.qk_head_dim == 192 and a.value_head_dim == 128
    # without q compression (DeepSeek-V2-Lite style) q is a plain d × heads·(nope + rope) projection
    assert a.with_(q_lora_rank=0).attention_params() == d * h * (nope + rope) + kv + h * v * d


def test_moe_counts_split_experts_from_the_rest() -> None:
    a = arch("mixtral-8x7b")
    expert = 3 * 4096 * 14336
    assert a.params_total - a.params_active == 32 * (8 - 2) * expert
    assert a.expert_params() == 32 * 8 * expert


def test_deepseek_m_matches_eq2_ratios_for_standard_blocks() -> None:
    # DeepSeek LLM (arXiv 2401.02954) Table 3, l_seq 4096: 6N1/M = 0.43 for (8 layers, d 512) and
    # 0.92 for (80, 8192), N1 = 12·n_layer·d²; a GELU block with 4d FFN and one KV head per head
    for (L, d, hd), ratio in (((8, 512, 64), 0.43), ((80, 8192, 128), 0.92)):
        a = Architecture(L, d, d // hd, d // hd, hd, 4 * d, 102400, ffn_kind="gelu")
        assert 6 * 12 * L * d * d / a.deepseek_m(4096) == pytest.approx(ratio, abs=0.006)


def test_flops_per_token_are_6n_plus_attention() -> None:
    a = arch("llama-2-70b")
    n = a.params_non_embedding + a.vocab_size * a.d_model  # matmul parameters (output head included)
    d_attn = a.n_heads * a.head_dim
    # LAWS.md §4.5: training 6N + 12·L·s·d_attn; §5: inference 2N + 4·L·ctx·d_attn
    assert a.train_flops_per_token(4096) == pytest.approx(6 * n + 12 * a.n_layers * 4096 * d_attn, rel=1e-12)
    assert a.inference_flops_per_token(8192) == pytest.approx(2 * n + 4 * a.n_layers * 8192 * d_attn, rel=1e-12)
    assert a.train_flops_per_token(8192) > a.train_flops_per_token(4096) > 6 * n


# --------------------------------------------------------------------------------------------
# config.json reading


def test_unknown_fields_are_ignored_with_a_note(tmp_path: Path) -> None:
    cfg = json.loads((CONFIGS / "llama-2-7b.json").read_text())
    cfg["my_new_knob"] = 3
    loaded = parse_hf_config(cfg, "x.json")
    assert loaded.architecture == arch("llama-2-7b").with_(name="x")
    assert any("my_new_knob" in n for n in loaded.notes)
    assert load_hf_config(CONFIGS / "llama-2-7b.json").notes == ()  # known fields: no note


@pytest.mark.parametrize("key", ["hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size",
                                 "intermediate_size"])  # fmt: skip
def test_missing_required_key_is_one_line_naming_it(tmp_path: Path, key: str) -> None:
    cfg = json.loads((CONFIGS / "llama-2-7b.json").read_text())
    del cfg[key]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    with pytest.raises(ConfigError) as err:
        load_hf_config(path)
    msg = str(err.value)
    assert f"'{key}'" in msg and str(path) in msg and "\n" not in msg


@pytest.mark.parametrize(("text", "what"), [("{not json", "not valid JSON"), ("[1, 2]", "expected a JSON object"),
                                            ('"llama"', "expected a JSON object"), ("", "not valid JSON")])  # fmt: skip
def test_bad_files_give_one_line_naming_the_file(tmp_path: Path, text: str, what: str) -> None:
    path = tmp_path / "weird.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_hf_config(path)
    assert what in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_wrong_type_and_missing_file_are_one_line(tmp_path: Path) -> None:
    cfg = json.loads((CONFIGS / "llama-2-7b.json").read_text())
    cfg["num_hidden_layers"] = "thirty-two"
    with pytest.raises(ConfigError, match="'num_hidden_layers'"):
        parse_hf_config(cfg, "c.json")
    with pytest.raises(ConfigError, match="cannot read"):
        load_hf_config(tmp_path / "absent.json")


def test_nested_text_config_and_mtp_note() -> None:
    inner = json.loads((CONFIGS / "llama-3-8b.json").read_text())
    loaded = parse_hf_config({"model_type": "wrapper", "text_config": inner}, "mm.json")
    assert loaded.architecture.params_total == arch("llama-3-8b").params_total
    assert any("text_config" in n for n in loaded.notes)
    assert any("multi-token" in n for n in load_hf_config(CONFIGS / "deepseek-v3.json").notes)


# --------------------------------------------------------------------------------------------
# the shape rule and its proposal


def _check_shape(a: Architecture) -> None:
    assert a.d_model % 128 == 0 and a.d_ff % 128 == 0 and a.head_dim in (64, 128)
    assert a.n_heads * a.head_dim == a.d_model and a.n_heads % a.n_kv_heads == 0


# vocabulary each preset's tokens refer to (LAWS.md §0.3, §2.6; planner.solve.plan.REFERENCE_VOCAB)
REFERENCE_VOCAB = {"kaplan-2020": 50_257, "deepseek-2024": 102_400}


@pytest.mark.parametrize("preset", [p.id for p in builtin_presets()])
def test_proposal_matches_every_preset_within_1_percent_from_1e19(preset: str) -> None:
    law = next(p.law for p in builtin_presets() if p.id == preset)
    for vocab in {32_000, REFERENCE_VOCAB.get(preset, 32_000)}:
        for c in np.logspace(19, 27, 33):
            n, _ = law.allocate_scalar(float(c))
            _check_proposal(describe(n, law.info.n_meaning, vocab_size=vocab), law.info.n_meaning, preset, c)


def _check_proposal(plan: ArchitecturePlan, meaning: str, preset: str, c: float) -> None:
    assert abs(plan.mismatch) <= TOLERANCE, (preset, c, plan.notes)
    assert plan.shape_n == pytest.approx(plan.architecture.measure(meaning), rel=1e-12)  # type: ignore[arg-type]
    _check_shape(plan.architecture)


def test_deepseek_target_is_the_laws_own_m() -> None:
    law = next(p.law for p in builtin_presets() if p.id == "deepseek-2024")
    for c in (1e19, 1e22, 1e25):
        n, _ = law.allocate_scalar(c)
        assert describe(n, "flops_per_token").law_n == pytest.approx(law.n_coef * c**law.n_exp, rel=1e-9)


def test_rule_reproduces_its_anchor_llama_2_70b() -> None:
    a = describe(arch("llama-2-70b").params_total, "total").architecture
    assert (a.n_layers, a.d_model, a.n_heads, a.n_kv_heads, a.head_dim, a.d_ff) == (80, 8192, 64, 8, 128, 28672)
    assert [rule_width(L) for L in (32, 80, 126)] == pytest.approx([4096, 8192, 16384], rel=1e-12)
    assert DEFAULT_RULE.d_ff(4096) == 14336 and DEFAULT_RULE.d_ff(8192) == 28672  # Llama 3's FFN rule


@given(n=st.floats(3e8, 3e13), layers=st.integers(8, 200))
@settings(max_examples=60, deadline=None)
def test_fixed_layers_are_kept_and_n_is_met_when_possible(n: float, layers: int) -> None:
    a, mis, notes = propose(n, "total", n_layers=layers)
    assert a.n_layers == layers
    _check_shape(a)
    assert abs(mis) <= TOLERANCE or any("no shape within" in x for x in notes)


def test_fixed_width_and_head_size_are_kept() -> None:
    a = describe(7e10, "total", d_model=6144).architecture
    assert a.d_model == 6144 and abs(describe(7e10, "total", d_model=6144).mismatch) <= TOLERANCE
    b = describe(7e10, "total", head_dim=64).architecture
    assert b.head_dim == 64 and b.n_heads * 64 == b.d_model


def test_impossible_fixed_shape_reports_the_mismatch() -> None:
    plan = describe(1e11, "total", n_layers=2, d_model=512)
    assert not plan.within_tolerance and plan.mismatch < -0.5
    assert any("no shape within" in n for n in plan.notes)


def test_below_the_smallest_sensible_shape_says_how_far() -> None:
    plan = describe(2e6, "total")
    assert (plan.architecture.n_layers, plan.architecture.d_model) == (2, 256)
    assert plan.mismatch > 1.0
    factor = plan.shape_n / 2e6
    assert any(f"{factor:.3g}×" in n for n in plan.notes)


def test_known_shape_is_compared_with_the_law() -> None:
    a = arch("llama-3-8b")
    plan = describe(8e9, "total", arch=a, source="config")
    assert plan.architecture is a and plan.source == "config"
    assert plan.mismatch == pytest.approx(a.params_total / 8e9 - 1)
    d = plan.to_dict()
    for key in ("n_layers", "d_model", "n_heads", "n_kv_heads", "d_ff", "vocab_size", "params_total",
                "params_active", "flops_per_token"):  # fmt: skip
        assert key in d
    assert d["flops_per_token"] == a.train_flops_per_token(4096)


def test_moe_proposal_follows_ling_activation_and_granularity() -> None:
    plan = describe(2e10, "total", moe=MoESpec(activation=0.078, granularity=2.0))
    a = plan.architecture
    assert a.is_moe and a.n_shared_experts == 1
    activation = (a.experts_per_token + 1) / (a.n_experts + 1)
    assert activation == pytest.approx(0.078, rel=0.2)
    assert 2 * a.d_model / a.d_expert == pytest.approx(2.0, rel=0.25)
    assert abs(plan.mismatch) < 0.03  # the active count stays near the law's N
    assert a.params_total > 5 * a.params_active


def test_proposals_grow_with_n_and_keep_a_sensible_aspect_ratio() -> None:
    shapes = [describe(float(n), "total").architecture for n in np.logspace(9, 13, 30)]
    assert all(b.d_model >= a.d_model and b.params_total > a.params_total for a, b in itertools.pairwise(shapes))
    # widths move in steps that keep 8 KV heads (1,024 at head size 128), so depth absorbs the steps;
    # the aspect ratio stays within a few times the rule's 102-130
    assert all(50 <= a.d_model / a.n_layers <= 300 for a in shapes)
    assert math.isclose(shapes[-1].d_model / shapes[-1].n_layers, 130, rel_tol=0.1)


RULES = [DEFAULT_RULE, ShapeRule(ffn_kind="gelu"), ShapeRule(tied_embeddings=True, max_kv_heads=4)]


@given(n=st.floats(1e7, 3e13), meaning=st.sampled_from(["total", "non_embedding", "flops_per_token"]),
       vocab=st.sampled_from([32_000, 50_257, 102_400]), hd=st.sampled_from([None, 64, 128]),
       rule=st.sampled_from(RULES))  # fmt: skip
@settings(max_examples=300, deadline=None)
def test_the_plans_first_pass_is_the_full_searchs_first_pass(n: float, meaning: str, vocab: int, hd: int | None,
                                                             rule: ShapeRule) -> None:  # fmt: skip
    # describe() runs the search's first pass written out flat; it must pick what the full
    # multi-pass search picks whenever it picks anything
    target = law_target(n, meaning)
    ctx = _context(vocab, meaning, DEEPSEEK_LAW_SEQ, rule, hd)
    first = _first_pass(target, ctx)
    (_, mis, L, d, h, f), notes = _search(target, ctx, None, None)
    if first is not None:
        assert first[:5] == (mis, L, d, h, f) and notes == ()
        assert first[5] == rule.d_ff(d)
        a = describe(n, meaning, vocab_size=vocab, head_dim=hd, rule=rule).architecture
        if target >= ctx.s_n * (1 - TOLERANCE):
            assert (a.n_layers, a.d_model, a.head_dim, a.d_ff) == (L, d, h, f)
            assert a == Architecture(**a.shape_dict())  # built without the checks, yet valid
            assert a.measure(meaning) / target - 1 == pytest.approx(mis, abs=1e-12)  # type: ignore[arg-type]


@given(n=st.floats(1e5, 3e14), meaning=st.sampled_from(["total", "non_embedding", "flops_per_token"]),
       vocab=st.sampled_from([32_000, 50_257, 102_400]), rule=st.sampled_from(RULES),
       moe=st.sampled_from([None, MoESpec(0.1)]))  # fmt: skip
@settings(max_examples=200, deadline=None)
def test_counts_a_plan_reuses_are_the_shapes_exact_counts(n: float, meaning: str, vocab: int, rule: ShapeRule,
                                                          moe: MoESpec | None) -> None:  # fmt: skip
    # the proposal hands its integers to the shape's count memo; a copy (another object) recounts
    a = describe(n, meaning, vocab_size=vocab, rule=rule, moe=moe).architecture
    b = Architecture(**a.shape_dict())
    assert a == b and a is not b
    assert a.param_counts() == b.param_counts()
    assert a.params_total == b.params_total == b.params_embedding + b.params_non_embedding
    assert a.params_active == b.params_active


def test_a_context_starting_with_part_of_the_rule_table_proposes_the_same_shapes(monkeypatch) -> None:
    """A context builds the first 512 layers of the rule table and the rest only when a target
    is past them: every proposal equals the one made with the whole table from the start."""
    from planner.costs import proposal

    targets = np.geomspace(1e6, 1e17, 240)

    def shapes() -> list:
        proposal._CONTEXTS.clear()
        out = [proposal.propose(float(t)) for t in targets]
        out += [proposal.propose(float(t), "flops_per_token", vocab_size=128_256) for t in targets[::4]]
        return [(a.n_layers, a.d_model, a.d_ff, a.n_heads, mis) for a, mis, _notes in out]

    lazy = shapes()
    monkeypatch.setattr(proposal, "_TABLE_FIRST_LAYERS", proposal._TABLE_MAX_LAYERS)
    assert shapes() == lazy
    proposal._CONTEXTS.clear()
