"""MicroGPT: shapes, the parameter budget (docs/design.md §Parameters), the causal mask, weight tying."""
import torch

from llmbreaker.engine.model import MicroGPT, ModelConfig, parameter_table

SPEC = ModelConfig()  # the spec's model: vocab 65, 16 dims, 2 layers, 2 heads, block 64


def make(cfg=SPEC, seed=0):
    torch.manual_seed(seed)
    return MicroGPT(cfg)


def test_config_defaults_are_the_specs():
    assert (SPEC.vocab_size, SPEC.n_embd, SPEC.n_layer, SPEC.n_head, SPEC.block_size, SPEC.dropout) == (65, 16, 2, 2, 64, 0.0)


def test_forward_shapes_and_loss_at_init_is_near_uniform():
    model = make()
    idx = torch.randint(0, 65, (4, 64))
    targets = torch.randint(0, 65, (4, 64))
    logits, loss, attn = model(idx, targets)
    assert logits.shape == (4, 64, 65)
    assert attn is None
    # An untrained model guesses uniformly: loss close to ln(65) = 4.17.
    assert abs(loss.item() - torch.log(torch.tensor(65.0)).item()) < 0.1


def test_parameter_table_matches_the_model_and_the_spec_rows():
    model = make()
    rows = {r["component"]: r["params"] for r in parameter_table(model)}
    assert rows["Token embeddings (tied with the output head)"] == 65 * 16
    assert rows["Position embeddings"] == 64 * 16
    assert rows["Layer 1: attention head 1 (Q, K, V)"] == 3 * 16 * 8  # 384 as in the spec's table
    assert rows["Layer 1: attention head 2 (Q, K, V)"] == 384
    assert rows["Layer 1: attention output projection"] == 16 * 16 + 16  # bias included
    assert rows["Layer 1: feed-forward up"] == 16 * 64 + 64
    assert rows["Layer 1: feed-forward down"] == 64 * 16 + 16
    assert rows["Layer 1: layer norm 1"] == 32
    assert rows["Output head"] == 0
    assert rows["Total"] == sum(p.numel() for p in model.parameters()) == 8560


def test_parameter_table_follows_other_shapes():
    model = make(ModelConfig(vocab_size=50, n_embd=24, n_layer=3, n_head=4))
    rows = parameter_table(model)
    assert rows[-1]["params"] == sum(p.numel() for p in model.parameters())
    assert sum(1 for r in rows if "attention head" in r["component"]) == 3 * 4


def test_output_head_is_tied_to_the_token_embedding():
    model = make()
    idx = torch.randint(0, 65, (1, 10))
    logits, _, _ = model(idx)
    x = model.tok_emb(idx) + model.pos_emb.weight[:10]
    for block in model.blocks:
        x, _ = block(x)
    expected = model.ln_f(x) @ model.tok_emb.weight.T
    assert torch.allclose(logits, expected, atol=1e-5)


def test_attention_is_causal_and_rows_sum_to_one():
    model = make(ModelConfig(n_embd=32, n_layer=2, n_head=4))
    weights = model.attention(torch.randint(0, 65, (40,)))
    assert weights.shape == (2, 4, 40, 40)
    future = torch.ones(40, 40, dtype=torch.bool).triu(diagonal=1)
    assert torch.all(weights[..., future] == 0), "a token attended to a later token"
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, 40), atol=1e-5)
    assert torch.all(weights[..., 0, 0] == 1.0)  # the first token can only attend to itself


def test_future_tokens_do_not_change_earlier_predictions():
    model = make()
    a = torch.randint(0, 65, (1, 30))
    b = a.clone()
    b[0, 20:] = (b[0, 20:] + 1) % 65
    la, _, _ = model(a)
    lb, _, _ = model(b)
    assert torch.allclose(la[0, :20], lb[0, :20], atol=1e-5)
    assert not torch.allclose(la[0, 20:], lb[0, 20:])


def test_explicit_attention_path_gives_the_same_logits_as_the_fused_one():
    model = make(ModelConfig(n_embd=32, n_head=4))
    idx = torch.randint(0, 65, (3, 64))
    fused, _, _ = model(idx)
    explicit, _, attn = model(idx, return_attention=True)
    assert torch.allclose(fused, explicit, atol=1e-5)
    assert len(attn) == 2 and attn[0].shape == (3, 4, 64, 64)


def test_generate_returns_tokens_and_their_probabilities():
    model = make()
    gen = torch.Generator().manual_seed(1)
    ids, probs = model.generate(torch.tensor([0, 1, 2]), 70, generator=gen)  # crosses the block of 64
    assert len(ids) == 70 and len(probs) == 70
    assert all(0 <= i < 65 for i in ids)
    assert all(0 < p <= 1 for p in probs)
