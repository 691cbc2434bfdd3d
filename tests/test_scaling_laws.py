"""The Chinchilla fit: its constants, C = 6ND, and the compute-optimal frontier."""
import numpy as np
import pytest

from llmbreaker.lessons.scaling_laws import CHINCHILLA_FIT, compute, frontier, model_points


def test_the_published_constants_and_chinchilla_itself():
    f = CHINCHILLA_FIT
    assert (f.E, f.A, f.B, f.alpha, f.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)
    # Chinchilla: 70B parameters on 1.4T tokens
    assert f.loss(70e9, 1.4e12) == pytest.approx(1.69 + 406.4 / 70e9 ** 0.34 + 410.7 / 1.4e12 ** 0.28)
    assert compute(70e9, 1.4e12) == pytest.approx(5.88e23)
    # the paper reports a = 0.46, b = 0.54 for approach 3; the rounded constants give 0.45 / 0.55
    assert abs(f.a - 0.46) < 0.01 and abs(f.b - 0.54) < 0.01 and f.a + f.b == pytest.approx(1)


@pytest.mark.parametrize("C", [1e20, 5.76e23, 1e25])
def test_the_optimal_split_beats_every_other_split_of_the_same_compute(C):
    f = CHINCHILLA_FIT
    n_opt, d_opt = f.n_opt(C), f.d_opt(C)
    assert compute(n_opt, d_opt) == pytest.approx(C)
    Ns = np.logspace(np.log10(n_opt) - 2, np.log10(n_opt) + 2, 2001)
    losses = f.loss(Ns, C / (6 * Ns))
    assert Ns[np.argmin(losses)] == pytest.approx(n_opt, rel=0.01)
    assert f.loss_opt(C) <= losses.min() + 1e-9


def test_the_frontier_falls_with_compute_and_models_sit_on_or_above_it():
    fr = frontier(1e20, 1e25, 11)
    losses = [p["loss"] for p in fr]
    assert all(a > b for a, b in zip(losses, losses[1:]))
    assert all(p["loss"] > CHINCHILLA_FIT.E for p in fr)
    points, skipped = model_points()
    names = {p["model"] for p in points}
    assert {"GPT-3 175B", "LLaMA-2 70B", "LLaMA-3 8B", "DeepSeek-V3"} <= names
    assert "Mistral 7B" in skipped  # its training tokens are not published
    for p in points:
        assert p["loss"] >= p["loss_opt"] - 1e-9
    llama3 = next(p for p in points if p["model"] == "LLaMA-3 8B")
    assert llama3["tokens_per_param"] > 1000  # far past the ~20 tokens per parameter of Chinchilla


def test_small_ratios_keep_one_decimal():
    from llmbreaker.lessons.scaling_laws import format_ratio, model_points
    assert format_ratio(300e9 / 175e9) == "1.7"
    assert format_ratio(20.0) == "20" and format_ratio(1875.4) == "1,875" and format_ratio(9.94) == "9.9"
    gpt3 = next(p for p in model_points()[0] if p["model"] == "GPT-3 175B")
    assert gpt3["tokens_per_param_label"] == "1.7"
