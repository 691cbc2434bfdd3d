"""The calculators of the compare page on cases worked out by hand."""
import pytest

from llmbreaker.lessons import arch_math as am
from llmbreaker.lessons.registry import BY_KEY, Arch


def test_kv_cache_per_token_hand_computed():
    # LLaMA-2 7B, MHA: 2 (K and V) x 32 layers x 32 heads x 128 dims x 2 bytes = 524,288 B = 512 KiB
    assert am.kv_cache_bytes_per_token(BY_KEY["llama2-7b"], 2) == 2 * 32 * 32 * 128 * 2 == 524_288
    # LLaMA-2 70B, GQA with 8 KV heads: 2 x 80 x 8 x 128 x 2 = 327,680 B
    assert am.kv_cache_bytes_per_token(BY_KEY["llama2-70b"], 2) == 327_680
    # DeepSeek-V3, MLA: 61 layers x (512 latent + 64 rotary key) x 2 bytes = 70,272 B
    assert am.kv_cache_bytes_per_token(BY_KEY["deepseek-v3"], 2) == 61 * 576 * 2 == 70_272


def test_gqa_saves_exactly_heads_over_kv_heads_and_mqa_keeps_one_head():
    m = BY_KEY["llama2-70b"]
    mha = am.as_mha(m)
    assert mha.attention == "MHA" and mha.n_kv_head == 64
    assert am.kv_cache_bytes_per_token(mha) / am.kv_cache_bytes_per_token(m) == 8
    from dataclasses import replace
    mqa = replace(m, attention="MQA", n_kv_head=1)
    assert am.kv_cache_bytes_per_token(mha) / am.kv_cache_bytes_per_token(mqa) == 64


def test_kv_cache_for_a_context_grows_linearly_and_stops_at_a_sliding_window():
    m = BY_KEY["llama2-70b"]
    assert am.kv_cache_bytes(m, 4096, 2) == 4096 * 327_680 == 1.25 * 2**30  # 1.25 GiB
    assert am.kv_cache_bytes(m, 4096, 1, batch=8) == 8 * 4096 * 163_840
    mistral = BY_KEY["mistral-7b"]
    assert am.kv_cache_bytes(mistral, 32768) == am.kv_cache_bytes(mistral, 4096)  # the rolling buffer
    assert am.kv_cache_bytes(mistral, 2048) == am.kv_cache_bytes(mistral, 4096) / 2


def test_gpt2_small_counts_every_weight_like_the_released_checkpoint():
    b = am.breakdown(BY_KEY["gpt2-small"])
    assert b["Embeddings"] == 50257 * 768 + 1024 * 768
    assert b["Output head"] == 0  # tied
    assert b["Attention"] == 12 * (768 * 3 * 768 + 3 * 768 + 768 * 768 + 768)
    assert b["Feed-forward"] == 12 * (2 * 768 * 3072 + 3072 + 768)
    assert am.total_params(BY_KEY["gpt2-small"]) == 124_439_808  # the count of the released weights


def test_moe_active_parameters_count_only_the_routed_and_shared_experts():
    m = BY_KEY["mixtral-8x7b"]
    expert = 3 * 4096 * 14336
    b = am.breakdown(m)
    assert b["Experts"] == 32 * 8 * expert
    assert am.total_params(m) - am.active_params(m) == 32 * 6 * expert  # 6 of 8 experts idle per token
    ds = BY_KEY["deepseek-v3"]
    assert am.breakdown(ds)["Feed-forward"] == 3 * 3 * 7168 * 18432  # the 3 dense layers


def test_qkv_shapes_for_a_sequence():
    rows = {r["matrix"]: r for r in am.qkv_shapes(BY_KEY["llama2-70b"], 1024)}
    assert list(rows) == list(am.QKV_ROLES)
    assert rows["Q"]["shape"] == "1,024 x 8,192"
    assert rows["K"]["shape"] == "1,024 x 1,024"  # 8 KV heads x 128: GQA's K is 8x narrower than Q
    assert rows["W_K"]["numbers"] == 8192 * 1024
    assert rows["Scores Q·Kᵀ"]["numbers"] == 64 * 1024 * 1024
    assert rows["Cached per token"]["numbers"] == 2 * 8 * 128
    mla = {r["matrix"]: r for r in am.qkv_shapes(BY_KEY["deepseek-v3"], 10)}
    assert mla["Cached per token"]["shape"] == "576"  # 512 latent + 64 rotary key
    assert mla["W_K"]["shape"] == "7,168 x 576 then 512 x 16,384"
    assert mla["K"]["shape"] == "10 x 24,576"  # 128 heads x 192, rebuilt from the latent


def test_flops_per_token_are_twice_the_multiplied_weights_plus_attention():
    m = BY_KEY["llama2-7b"]
    f = am.flops_per_token(m, 0)
    assert f["attention"] == 0
    assert f["total"] == 2 * (am.total_params(m) - 32000 * 4096)  # all but the embedding lookup
    with_ctx = am.flops_per_token(m, 4096)
    assert with_ctx["attention"] == 2 * 32 * 4096 * 32 * (128 + 128)
    moe = BY_KEY["mixtral-8x7b"]
    assert am.flops_per_token(moe, 0)["total"] < 2 * 14e9 < 2 * am.total_params(moe)


def test_gpt2_flops_use_the_tied_table_once_as_the_output_head():
    m = BY_KEY["gpt2-small"]
    assert am.matmul_params_per_token(m) == am.total_params(m) - 1024 * 768


def test_numbers_for_people():
    assert am.human(7.61e9) == "7.61 B"
    assert am.human(124_439_808) == "124 M"
    assert am.human(29_408) == "29.4 K"
    assert am.human(None) == "not published"
    assert am.human_bytes(327_680) == "320 KiB"
    assert am.human_bytes(1.25 * 2**30) == "1.2 GiB"


def test_unpublished_models_refuse_to_be_computed():
    with pytest.raises(ValueError, match="not published"):
        am.kv_cache_bytes_per_token(BY_KEY["gpt4"])


def test_deepseek_v3_as_mha_caches_192_wide_keys_and_128_wide_values():
    # config_671B.json: 61 layers, 128 heads, qk_nope_head_dim 128 + qk_rope_head_dim 64 = 192, v_head_dim 128.
    m = BY_KEY["deepseek-v3"]
    mha = am.as_mha(m)
    assert (mha.n_kv_head, mha.head_dim, am.v_head_dim(mha)) == (128, 192, 128)
    assert am.kv_cache_bytes_per_token(mha, 2) == 61 * 128 * (192 + 128) * 2 == 4_997_120
    assert am.human_bytes(am.kv_cache_bytes_per_token(mha, 2)) == "4.8 MiB"  # not 5.7 (192-wide values)
    shapes = {r["matrix"]: r["numbers"] for r in am.qkv_shapes(mha, 10)}
    assert shapes["V"] == 10 * 128 * 128 and shapes["K"] == 10 * 128 * 192
    assert shapes["Cached per token"] == 128 * (192 + 128)
    # a model whose values are as wide as its keys is unchanged: 2 x L x heads x d_h
    assert am.kv_cache_bytes_per_token(am.as_mha(BY_KEY["llama2-70b"]), 2) == 2 * 80 * 64 * 128 * 2


def test_the_compare_page_shows_the_what_if_formula_with_its_source():
    from llmbreaker.ui.views.compare import kv_formula_line, mha_source
    m = BY_KEY["deepseek-v3"]
    text = kv_formula_line(am.as_mha(m), 4096, 2, "bf16") + mha_source(m)
    assert "(192 key + 128 value)" in text and "4,997,120 B = 4.8 MiB" in text
    assert "config_671B.json" in text
