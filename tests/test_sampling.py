"""Temperature, top-k and top-p on distributions whose answers are known by hand."""
import numpy as np
import pytest

from llmbreaker.lessons.journey import default_source
from llmbreaker.engine.model_io import load_model
from llmbreaker.lessons.sampling import entropy_bits, generate, next_logits, reshape, top_k_mask, top_p_mask, with_temperature

P = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625])  # logits log(P) give back P at temperature 1


def test_temperature_one_is_the_models_own_distribution():
    assert np.allclose(with_temperature(np.log(P), 1.0), P)


def test_temperature_two_takes_square_roots_and_one_half_squares():
    # softmax(log p / T) is proportional to p^(1/T)
    half = P ** 2 / (P ** 2).sum()
    root = np.sqrt(P) / np.sqrt(P).sum()
    assert np.allclose(with_temperature(np.log(P), 0.5), half)
    assert np.allclose(with_temperature(np.log(P), 2.0), root)


def test_low_temperature_is_almost_always_the_best_and_high_almost_uniform():
    assert with_temperature(np.log(P), 0.05)[0] > 0.999
    assert np.allclose(with_temperature(np.log(P), 1000.0), 0.2, atol=1e-3)
    assert entropy_bits(with_temperature(np.log(P), 0.5)) < entropy_bits(P) < entropy_bits(with_temperature(np.log(P), 2))
    with pytest.raises(ValueError):
        with_temperature(np.log(P), 0)


def test_top_k_keeps_exactly_the_k_most_likely():
    assert top_k_mask(P, 2).tolist() == [True, True, False, False, False]
    assert top_k_mask(P, 4).tolist() == [True, True, True, True, False]  # a tie at the cut: by position
    assert top_k_mask(P, 0).all() and top_k_mask(P, 99).all()
    shuffled = np.array([0.1, 0.6, 0.3])
    assert top_k_mask(shuffled, 1).tolist() == [False, True, False]


def test_top_p_keeps_the_smallest_set_that_reaches_p():
    assert top_p_mask(P, 0.5).tolist() == [True, False, False, False, False]  # 0.5 alone reaches 0.5
    assert top_p_mask(P, 0.6).tolist() == [True, True, False, False, False]  # 0.75
    assert top_p_mask(P, 0.8).tolist() == [True, True, True, False, False]  # 0.875
    assert top_p_mask(P, 1.0).all()
    assert top_p_mask(P, 0.01).tolist() == [True, False, False, False, False]  # never empty


def test_reshape_renormalises_what_is_kept_and_zeroes_the_rest():
    probs, keep = reshape(np.log(P), temperature=1.0, top_k=3)
    assert keep.tolist() == [True, True, True, False, False]
    assert np.allclose(probs, [0.5 / 0.875, 0.25 / 0.875, 0.125 / 0.875, 0, 0])
    probs, keep = reshape(np.log(P), temperature=1.0, top_k=3, top_p=0.6)
    # top-p is taken on the top-3 renormalised: 0.571, then 0.857 >= 0.6
    assert keep.tolist() == [True, True, False, False, False]
    assert np.allclose(probs, [2 / 3, 1 / 3, 0, 0, 0])
    probs, _ = reshape(np.log(P))
    assert np.allclose(probs, P)


def test_generation_draws_from_the_shown_distribution_and_is_seeded():
    model, tok = load_model(default_source().data)
    ids = tok.encode("KING:\nI will speak with th")
    a = generate(model, ids, 40, temperature=0.8, seed=1)
    assert a == generate(model, ids, 40, temperature=0.8, seed=1)
    assert a != generate(model, ids, 40, temperature=0.8, seed=2)
    # top-k 1 is greedy: always the most likely character
    greedy = generate(model, ids, 5, top_k=1, seed=3)
    assert greedy[0] == int(np.argmax(next_logits(model, ids)))
    assert greedy == generate(model, ids, 5, top_k=1, seed=99)
    # with top-k 3 every character written is one of the 3 most likely at its place
    out = generate(model, ids, 30, top_k=3, seed=4)
    ctx = list(ids)
    for nxt in out:
        assert nxt in np.argsort(-next_logits(model, ctx))[:3]
        ctx.append(nxt)
