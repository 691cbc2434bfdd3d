"""The architecture registry: every published row is complete and sourced, the counter reproduces
each published total within 2 %, and unpublished models carry no invented numbers."""
import pytest

from llmbreaker.lessons import arch_math
from llmbreaker.lessons.registry import BY_KEY, MODELS, published_models

PUBLISHED_TOTALS = [m for m in MODELS if m.published_total is not None and m.published]
SHAPE_FIELDS = ("n_layer", "d_model", "n_head", "n_kv_head", "head_dim", "ffn_type", "vocab_size", "context",
                "position", "attention", "norm", "tied_embeddings")


def test_the_issue_asks_for_these_models():
    for key in ("microgpt", "gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl", "gpt3-175b", "llama2-7b",
                "llama2-70b", "llama3-8b", "llama3-70b", "mistral-7b", "mixtral-8x7b", "qwen2.5-7b", "qwen2.5-72b",
                "deepseek-v3", "gpt4", "claude", "gemini"):
        assert key in BY_KEY
    assert len({m.name for m in MODELS}) == len(MODELS)


@pytest.mark.parametrize("m", PUBLISHED_TOTALS, ids=lambda m: m.key)
def test_our_counter_reproduces_the_published_total_within_2_percent(m):
    ours, published, diff = arch_math.check_total(m)
    assert abs(diff) < 0.02, f"{m.name}: ours {ours:,} vs published {published:,.0f} ({diff:+.2%})"


@pytest.mark.parametrize("m", [m for m in MODELS if m.published_active], ids=lambda m: m.key)
def test_active_parameters_of_mixtures_of_experts_match_the_published_figure(m):
    ours = arch_math.active_params(m)
    assert abs(ours - m.published_active) / m.published_active < 0.02
    assert ours < arch_math.total_params(m) / 3  # most experts sit idle for any one token


@pytest.mark.parametrize("m", published_models(), ids=lambda m: m.key)
def test_every_published_row_has_its_shape_and_sources(m):
    for f in SHAPE_FIELDS:
        assert getattr(m, f) is not None, f"{m.name}: {f} missing"
    assert m.config_source and m.config_source.url and m.config_source.title
    assert m.published_total is not None and m.total_source and m.total_source.url
    assert (m.training_tokens is None) == (m.tokens_source is None)
    if m.attention != "MLA":
        assert m.n_head * m.head_dim == m.d_model
        assert m.n_head % m.n_kv_head == 0
    assert m.attention in ("MHA", "MQA", "GQA", "MLA")
    assert (m.attention == "GQA") == (m.attention != "MLA" and 1 < m.n_kv_head < m.n_head)


@pytest.mark.parametrize("key", ["gpt4", "claude", "gemini"])
def test_unpublished_models_say_so_and_carry_no_numbers(key):
    m = BY_KEY[key]
    assert not m.published and "not published" in m.notes.lower()
    numbers = [v for f, v in m.to_dict().items() if isinstance(v, (int, float)) and not isinstance(v, bool)
               and f not in ("year",)]
    assert all(v in (0, None) for v in numbers), numbers
    assert m.published_total is None and m.training_tokens is None and m.n_layer is None
    with pytest.raises(ValueError):
        arch_math.total_params(m)


def test_the_microgpt_row_is_the_model_this_app_trains():
    from llmbreaker.engine.model import MicroGPT
    from llmbreaker.engine.presets import MODEL_SIZES
    from dataclasses import replace
    m = BY_KEY["microgpt"]
    cfg = replace(MODEL_SIZES["small"], vocab_size=m.vocab_size)
    assert (cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.block_size) == (m.n_layer, m.d_model, m.n_head, m.context)
    real = sum(p.numel() for p in MicroGPT(cfg).parameters())
    assert real == m.published_total == arch_math.total_params(m)
