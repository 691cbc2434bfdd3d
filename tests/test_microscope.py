"""The component microscope: its step-by-step tensors are the model's own forward pass.

Each step is recomputed by hand from the model's weights (float64); these tests check that the
result is what the model itself computes, for random models, random prompts and the bundled model."""
import copy
import dataclasses
import random

import numpy as np
import pytest
import torch

from llmbreaker.lessons.journey import default_source
from llmbreaker.lessons.microscope import STEPS, max_difference, model_logits, shape_with_numbers, trace, unsupported_reason
from llmbreaker.engine.model import MicroGPT, ModelConfig
from llmbreaker.engine.model_io import load_model


def random_model(seed: int) -> MicroGPT:
    """A model of a random shape whose every weight (LayerNorm gains and biases too) is random, not
    the initial zeros and ones a bug could hide behind."""
    rng = random.Random(seed)
    n_head = rng.choice([1, 2, 4])
    cfg = ModelConfig(vocab_size=rng.randint(5, 80), n_embd=n_head * rng.choice([4, 8, 12]),
                      n_layer=rng.randint(1, 3), n_head=n_head, block_size=rng.choice([8, 16, 64]))
    torch.manual_seed(seed)
    model = MicroGPT(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model.eval()


def random_prompt(model: MicroGPT, seed: int) -> list[int]:
    rng = random.Random(seed + 1000)
    T = rng.randint(1, model.config.block_size)
    return [rng.randrange(model.config.vocab_size) for _ in range(T)]


@pytest.mark.parametrize("seed", range(12))
def test_the_step_by_step_logits_are_the_models_own_to_1e_5(seed):
    model = random_model(seed)
    ids = random_prompt(model, seed)
    t = trace(model, ids)
    assert t.logits.shape == (len(ids), model.config.vocab_size)
    assert np.abs(t.logits - model_logits(model, ids)).max() < 1e-5


@pytest.mark.parametrize("seed", range(4))
def test_every_intermediate_tensor_is_the_one_inside_the_model(seed):
    """Hooks on the model's own modules record what its forward pass computes at each stage."""
    model = random_model(seed)
    ids = random_prompt(model, seed)
    seen = {}

    def keep(name):
        def hook(module, inputs, output):
            seen[name] = (output[0] if isinstance(output, tuple) else output)[0].detach().double().numpy()
        return hook

    for i, block in enumerate(model.blocks):
        for part in ("ln1", "ln2", "ffn"):
            getattr(block, part).register_forward_hook(keep(f"{i}.{part}"))
        block.attn.register_forward_hook(keep(f"{i}.attn"))
        block.attn.qkv.register_forward_hook(keep(f"{i}.qkv"))
        block.ffn.up.register_forward_hook(keep(f"{i}.up"))
        block.register_forward_hook(keep(f"{i}.out"))
    model.ln_f.register_forward_hook(keep("ln_f"))
    model_logits(model, ids)
    attention = model.attention(torch.tensor(ids)).double().numpy()

    t = trace(model, ids)
    C = model.config.n_embd
    close = lambda a, b: np.abs(a - b).max() < 1e-5  # noqa: E731
    for i, layer in enumerate(t.layers):
        assert close(layer.ln1, seen[f"{i}.ln1"]) and close(layer.ln2, seen[f"{i}.ln2"])
        qkv = seen[f"{i}.qkv"]
        for which, tensor in enumerate((layer.q, layer.k, layer.v)):  # heads side by side, as the model splits
            assert close(tensor.transpose(1, 0, 2).reshape(len(ids), C), qkv[:, which * C:(which + 1) * C])
        assert close(layer.weights, attention[i])
        assert close(layer.attn_out, seen[f"{i}.attn"])
        assert close(layer.ffn_up, seen[f"{i}.up"])
        assert close(layer.ffn_out, seen[f"{i}.ffn"])
        assert close(layer.x_out, seen[f"{i}.out"])
    assert close(t.ln_f, seen["ln_f"])


def test_in_double_precision_the_trace_and_the_model_agree_to_rounding():
    """With the model itself in float64, the only difference left is rounding: the equations are exact."""
    model = random_model(7)
    ids = random_prompt(model, 7)
    double = copy.deepcopy(model).double()
    with torch.no_grad():
        logits = double(torch.tensor([ids]))[0][0].numpy()
    assert np.abs(trace(model, ids).logits - logits).max() < 1e-9


def test_attention_is_causal_and_each_row_sums_to_one():
    model = random_model(3)
    t = trace(model, list(range(min(8, model.config.vocab_size))))
    for layer in t.layers:
        assert np.allclose(layer.weights.sum(-1), 1.0)
        assert np.all(np.triu(layer.weights, k=1) == 0)
        assert np.all(np.isneginf(layer.masked[:, 0, 1:]))
        assert np.all(layer.ffn_relu >= 0) and np.array_equal(layer.ffn_relu, np.maximum(layer.ffn_up, 0))
        assert np.allclose(layer.x_mid, layer.x_in + layer.attn_out)
        assert np.allclose(layer.concat.reshape(t.T, model.config.n_head, -1).transpose(1, 0, 2), layer.heads)
    assert np.allclose(t.x0, t.tok + t.pos)
    assert np.allclose(t.probs.sum(-1), 1.0)


def test_the_bundled_default_model_is_traced_exactly():
    model, tokenizer = load_model(default_source().data)
    ids = tokenizer.encode("KING:\nI will speak with th")
    assert unsupported_reason(model) is None
    assert max_difference(model, ids) < 1e-5
    # The trained model has learned to spell: after "with th" it expects a vowel.
    best = tokenizer.chars[int(trace(model, ids).probs[-1].argmax())]
    assert best in "aeiou"


def test_a_prompt_longer_than_the_block_is_refused():
    model = random_model(1)
    with pytest.raises(ValueError):
        trace(model, [0] * (model.config.block_size + 1))
    with pytest.raises(ValueError):
        trace(model, [])


@dataclasses.dataclass(frozen=True)
class ConfigWithOptions(ModelConfig):
    """A config as the architecture options will make it: new fields whose default is today's model."""
    rope: bool = False
    n_kv_head: int = 0


def test_options_at_their_default_are_the_standard_model_and_others_are_refused_with_a_message():
    model = random_model(2)
    model.config = ConfigWithOptions(**model.config.to_dict())
    assert unsupported_reason(model) is None
    model.config = ConfigWithOptions(**{**model.config.to_dict(), "rope": True})
    reason = unsupported_reason(model)
    assert reason and "rope = True" in reason and "standard" in reason
    with pytest.raises(ValueError):
        trace(model, [0, 1])


def test_a_model_without_layernorm_is_refused():
    model = random_model(2)
    model.blocks[0].ln1 = torch.nn.Identity()
    assert unsupported_reason(model)


def test_every_step_names_its_shape_with_the_models_sizes():
    cfg = ModelConfig(vocab_size=65, n_embd=32, n_head=2)
    assert shape_with_numbers("qkv", cfg, 12) == "T × d = 12 × 16 each"
    assert shape_with_numbers("up", cfg, 12) == "T × 4C = 12 × 128"
    assert shape_with_numbers("logits", cfg, 12) == "T × V = 12 × 65"
    for step in STEPS:
        shape_with_numbers(step, cfg, 5)


@pytest.mark.parametrize("option", [{"position": "rope"}, {"position": "none"}, {"layer_norm": False},
                                    {"residual": False}, {"n_kv_head": 1}, {"n_expert": 2}, {"causal": False},
                                    {"tie_weights": False}, {"attention": False}])
def test_each_architecture_option_of_the_model_is_refused_with_its_name(option):
    torch.manual_seed(0)
    model = MicroGPT(ModelConfig(vocab_size=20, n_embd=16, n_head=2, **option))
    reason = unsupported_reason(model)
    name, value = next(iter(option.items()))
    assert reason and f"{name} = {value!r}" in reason
    with pytest.raises(ValueError):
        trace(model, [1, 2, 3])


def test_the_default_config_of_todays_model_is_the_standard_one():
    torch.manual_seed(0)
    model = MicroGPT(ModelConfig(vocab_size=20, n_embd=16, n_head=2))
    assert unsupported_reason(model) is None
    assert max_difference(model, [1, 2, 3, 4]) < 1e-5
