"""The Architecture Lab's switches and the modern variants really change the model (docs/design.md §Lab, §Modern)."""
import math

import pytest
import torch

from llmbreaker.engine.model import MicroGPT, ModelConfig, active_parameters, parameter_table, rope_tables
from llmbreaker.engine.rope import apply_rope, rotate_pairs
from llmbreaker.engine.model_io import load_model, save_model
from llmbreaker.engine.corpus import CharTokenizer

BASE = dict(vocab_size=30, n_embd=16, n_layer=2, n_head=2, block_size=16)


def make(seed=0, **switches):
    torch.manual_seed(seed)
    model = MicroGPT(ModelConfig(**{**BASE, **switches}))
    return model.eval()


def sharpen(model):
    """At initialisation every attention score is near 0, so attention is near uniform and hardly
    depends on order; larger Q and K weights make it pick, like a trained model's."""
    with torch.no_grad():
        for block in model.blocks:
            block.attn.qkv.weight.mul_(30)
    return model


def last_logits(model, idx):
    return model(idx.view(1, -1))[0][0, -1]


def test_without_positions_the_order_of_earlier_characters_does_not_matter():
    idx = torch.randint(0, 30, (12,))
    shuffled = torch.cat([idx[:-1][torch.randperm(11)], idx[-1:]])
    # One layer: the last character sees the earlier ones as a set once positions are gone.
    no_pos = sharpen(make(n_layer=1, position="none"))
    assert torch.allclose(last_logits(no_pos, idx), last_logits(no_pos, shuffled), atol=1e-5)
    learned = sharpen(make(n_layer=1))
    assert not torch.allclose(last_logits(learned, idx), last_logits(learned, shuffled), atol=1e-3)
    rope = sharpen(make(n_layer=1, position="rope"))
    assert not torch.allclose(last_logits(rope, idx), last_logits(rope, shuffled), atol=1e-3)


@pytest.mark.parametrize("causal", [True, False])
def test_the_causal_mask_keeps_later_characters_out_of_earlier_predictions(causal):
    model = make(causal=causal)
    idx = torch.randint(0, 30, (1, 10))
    changed = idx.clone()
    changed[0, -1] = (changed[0, -1] + 1) % 30
    early, early_changed = model(idx)[0][0, :-1], model(changed)[0][0, :-1]
    assert torch.allclose(early, early_changed, atol=1e-6) == causal


@pytest.mark.parametrize("switches", [
    {}, {"position": "rope"}, {"position": "none"}, {"layer_norm": False}, {"residual": False},
    {"tie_weights": False}, {"attention": False}, {"causal": False}, {"n_head": 4, "n_kv_head": 1},
    {"n_head": 4, "n_kv_head": 2}, {"n_expert": 4}, {"n_expert": 3, "expert_top_k": 1},
])
def test_parameter_table_adds_up_to_the_model_and_both_attention_paths_agree(switches):
    model = make(**switches)
    rows = parameter_table(model)
    assert rows[-1]["component"] == "Total"
    assert rows[-1]["params"] == sum(p.numel() for p in model.parameters())
    idx = torch.randint(0, 30, (2, 16))
    fused = model(idx)[0]
    explicit = model(idx, return_attention=True)[0]
    assert torch.allclose(fused, explicit, atol=1e-5)


def test_each_switch_changes_the_count_by_what_it_removes_or_adds():
    C, V, T, L = 16, 30, 16, 2
    base = sum(r["params"] for r in parameter_table(make())[-1:])
    count = lambda **s: parameter_table(make(**s))[-1]["params"]
    assert count(position="none") == count(position="rope") == base - T * C
    assert count(tie_weights=False) == base + C * V
    assert count(layer_norm=False) == base - (2 * L + 1) * 2 * C
    attention = 3 * C * C + (C * C + C) + 2 * C  # Q, K, V, output projection, layer norm 1
    assert count(attention=False) == base - L * attention
    # 4 heads of size 4 sharing 1 key/value head: K and V shrink from C x C to C x 4 each.
    assert count(n_head=4, n_kv_head=1) == base - L * 2 * (C * C - C * 4)
    assert count(residual=False) == count(causal=False) == base


def test_grouped_query_attention_is_multi_head_attention_with_shared_keys_and_values():
    gqa = make(n_head=4, n_kv_head=1)
    mha = make(n_head=4)
    state = gqa.state_dict()
    for i in range(2):
        w = state[f"blocks.{i}.attn.qkv.weight"]  # rows: Q (16), K (4), V (4)
        q, k, v = w[:16], w[16:20], w[20:24]
        state[f"blocks.{i}.attn.qkv.weight"] = torch.cat([q, k.repeat(4, 1), v.repeat(4, 1)])
    mha.load_state_dict(state)
    idx = torch.randint(0, 30, (2, 16))
    assert torch.allclose(gqa(idx)[0], mha(idx)[0], atol=1e-5)
    # As many key/value heads as heads is plain multi-head attention, weights and all.
    full = make(n_head=4, n_kv_head=4)
    full.load_state_dict(mha.state_dict())
    assert torch.allclose(full(idx)[0], mha(idx)[0], atol=1e-6)


def test_rotary_scores_depend_only_on_the_distance_between_positions():
    torch.manual_seed(0)
    q, k = torch.randn(32), torch.randn(32)
    cos, sin = rope_tables(64, 32)

    def score(m, n):
        return float(rotate_pairs(q.view(1, -1), cos[m:m + 1], sin[m:m + 1])
                     @ rotate_pairs(k.view(1, -1), cos[n:n + 1], sin[n:n + 1]).T)

    assert score(5, 2) == pytest.approx(score(40, 37), abs=1e-4)
    assert score(5, 2) != pytest.approx(score(5, 4), abs=1e-3)
    # The model's tables turn vectors exactly as the RoPE page's apply_rope does.
    x = torch.randn(3, 64, 32)
    assert torch.allclose(rotate_pairs(x, cos, sin), apply_rope(x), atol=1e-5)
    # A rotation keeps lengths.
    rotated = rotate_pairs(q.view(1, -1), cos[7:8], sin[7:8])
    assert rotated.norm().item() == pytest.approx(q.norm().item(), rel=1e-5)


def test_each_token_goes_to_exactly_k_experts_whose_gates_sum_to_one():
    model = make(n_expert=4, expert_top_k=2)
    moe = model.blocks[0].ffn
    x = torch.randn(50, 16)
    _, chosen, gates = moe.route(x)
    assert chosen.shape == (50, 2)
    assert all(len(set(row)) == 2 for row in chosen.tolist())
    assert torch.allclose(gates.sum(-1), torch.ones(50))
    routing = model.expert_routing(torch.randint(0, 30, (4, 16)))
    assert routing["share"].shape == (2, 4)
    assert torch.allclose(routing["share"].sum(-1), torch.ones(2))
    assert routing["top"].shape == (2, 4, 16)
    # Balanced work gives a balancing loss of 1 per layer; more means some experts idle.
    assert routing["balance"] >= 2 * 0.99


def test_active_parameters_count_only_the_chosen_experts():
    model = make(n_expert=4, expert_top_k=1)
    expert = 16 * 64 + 64 + 64 * 16 + 16
    total = sum(p.numel() for p in model.parameters())
    assert active_parameters(model) == total - 2 * 3 * expert
    assert active_parameters(make()) == sum(p.numel() for p in make().parameters())


def test_the_balancing_loss_pushes_the_router_towards_even_work():
    """Gradient of the balancing loss alone, on a router that favours expert 0: a step against it
    lowers expert 0's share."""
    model = make(n_expert=4, expert_top_k=1)
    moe = model.blocks[0].ffn
    with torch.no_grad():
        moe.router.weight.zero_()
        moe.router.weight[0] += 0.5
    x = torch.randn(200, 16).abs()
    opt = torch.optim.SGD(moe.router.parameters(), lr=1.0)
    before = moe.route(x)[0].mean(0)[0].item()
    for _ in range(20):
        moe(x.view(1, 200, 16))
        opt.zero_grad()
        moe.balance.backward()
        opt.step()
    after = moe.route(x)[0].mean(0)[0].item()
    assert after < before


def test_feed_forward_only_model_has_no_attention_to_show():
    model = make(attention=False)
    assert model.attention(torch.randint(0, 30, (8,))).shape == (2, 0, 8, 8)


@pytest.mark.parametrize("switches", [{"position": "rope", "n_head": 4, "n_kv_head": 2},
                                      {"n_expert": 4, "tie_weights": False, "layer_norm": False}])
def test_switched_models_save_and_load(switches):
    model = make(**switches)
    chars = [chr(ord("a") + i) for i in range(26)] + [" ", ".", ",", "\n"]
    chars.sort()
    loaded, tok = load_model(save_model(model, chars))
    assert loaded.config == model.config
    idx = torch.randint(0, 30, (1, 12))
    assert torch.allclose(loaded.eval()(idx)[0], model(idx)[0], atol=1e-6)


@pytest.mark.parametrize("bad, words", [
    ({"n_head": 4, "n_kv_head": 3}, "multiple of n_kv_head"),
    ({"position": "sinusoid"}, "position must be one of"),
    ({"n_expert": 1}, "at least 2 experts"),
    ({"n_expert": 2, "expert_top_k": 3}, "1 to 2 experts"),
    ({"n_embd": 15, "n_head": 3, "position": "rope"}, "even head size"),
])
def test_impossible_switch_combinations_are_refused_with_a_reason(bad, words):
    with pytest.raises(ValueError, match=words):
        ModelConfig(**{**BASE, **bad})


def test_the_pages_parameter_budget_is_the_real_models_and_draws_no_random_numbers():
    from llmbreaker.engine.model import parameter_budget
    cfg = ModelConfig(**{**BASE, "n_expert": 4, "position": "rope"})
    torch.manual_seed(7)
    expected_next = torch.rand(1)
    torch.manual_seed(7)
    rows, active = parameter_budget(cfg)
    assert torch.equal(torch.rand(1), expected_next)  # a training thread's seeded init is undisturbed
    model = make(n_expert=4, position="rope")
    assert rows == parameter_table(model) and active == active_parameters(model)


def _moe_by_hand(moe, x):
    """The mixture of experts written out token by token: route, then each chosen expert's
    feed-forward weighted by its gate (the layer's definition, in the most literal form)."""
    flat = x.reshape(-1, x.shape[-1])
    logits = flat @ moe.router.weight.T
    top, chosen = logits.topk(moe.top_k, dim=-1)
    gates = top.softmax(-1)
    rows = []
    for t in range(flat.shape[0]):
        y = 0
        for j in range(moe.top_k):
            e = int(chosen[t, j])
            h = torch.relu(flat[t] @ moe.up_w[e] + moe.up_b[e])
            y = y + gates[t, j] * (h @ moe.down_w[e] + moe.down_b[e])
        rows.append(y)
    return torch.stack(rows).view(x.shape)


@pytest.mark.parametrize("n_embd, n_expert, top_k, grouped", [
    (16, 4, 1, True), (16, 4, 2, True), (32, 8, 1, True), (32, 8, 2, True), (16, 3, 3, True),
    (18, 3, 1, True),  # 18 wide: torch's grouped matmul needs multiples of 4, so the per-expert path
    (16, 4, 2, False),  # without torch's grouped matmul (another torch)
])
def test_grouped_experts_compute_what_a_plain_loop_computes_forward_and_backward(
        monkeypatch, n_embd, n_expert, top_k, grouped):
    """The layer sends all routed tokens through the experts at once (grouped matmuls); on random
    weights and biases, its output, the balancing loss, the routing record and every gradient are
    the loop's, to float tolerance, including an expert that gets no token."""
    import llmbreaker.engine.model as model_module
    monkeypatch.setattr(model_module, "GROUPED_MM", grouped and model_module.GROUPED_MM)
    torch.manual_seed(3)
    cfg = ModelConfig(**{**BASE, "n_embd": n_embd, "n_expert": n_expert, "expert_top_k": top_k})
    moe = MicroGPT(cfg).blocks[0].ffn
    with torch.no_grad():
        moe.router.weight.normal_().abs_()
        moe.router.weight[-1] = -1.0  # on positive inputs the last expert is never chosen (unless all are)
        for p in (moe.up_w, moe.down_w):
            p.normal_(0, 0.3)
        for p in (moe.up_b, moe.down_b):
            p.normal_()
    x = torch.randn(3, 40, n_embd).abs()
    target = torch.randn(3, 40, n_embd)

    def run(forward, balance: bool):
        xg = x.clone().requires_grad_()
        moe.zero_grad(set_to_none=True)
        y = forward(xg)
        loss = (y - target).pow(2).mean()
        (loss + moe.balance if balance else loss).backward()
        grads = {n: p.grad.clone() if p.grad is not None else torch.zeros_like(p) for n, p in moe.named_parameters()}
        return y.detach(), xg.grad, grads

    def same(a, b):
        y, gx, grads = a
        y_ref, gx_ref, grads_ref = b
        assert torch.allclose(y, y_ref, rtol=1e-5, atol=1e-5)
        assert torch.allclose(gx, gx_ref, rtol=1e-4, atol=1e-6)
        for name in grads:
            assert torch.allclose(grads[name], grads_ref[name], rtol=1e-4, atol=1e-6), name

    grouped_run = run(moe, balance=True)
    balance, chosen = moe.balance.item(), moe.chosen.clone()
    same(grouped_run, run(moe.reference_forward, balance=True))  # the loop the layer used to run
    assert balance == pytest.approx(moe.balance.item(), rel=1e-6)
    assert torch.equal(chosen, moe.chosen)
    same(run(moe, balance=False), run(lambda xg: _moe_by_hand(moe, xg), balance=False))
    if top_k < n_expert:  # the expert no token chose: no output, no gradient
        assert (chosen != n_expert - 1).all() and grouped_run[2]["up_w"][-1].abs().max() == 0


def test_a_trained_mixture_of_experts_saves_and_loads_with_the_same_weight_names(tmp_path):
    """The experts' weights keep their names and shapes (up_w (E, C, 4C), ...), so files saved
    before the grouped layer load, and a model saved now loads with the same outputs."""
    model = make(n_expert=4, expert_top_k=1)
    names = {n: tuple(p.shape) for n, p in model.blocks[0].ffn.named_parameters()}
    assert names == {"router.weight": (4, 16), "up_w": (4, 16, 64), "up_b": (4, 64),
                     "down_w": (4, 64, 16), "down_b": (4, 16)}
    chars = [chr(97 + i) for i in range(30)]
    loaded, _ = load_model(save_model(model, chars))
    idx = torch.randint(0, 30, (2, 16))
    assert torch.allclose(loaded(idx)[0], model(idx)[0], atol=1e-6)
