"""RoPE: frequencies, rotation, the relative-position property, and context stretching."""
import math

import numpy as np
import pytest
import torch

from llmbreaker.engine.rope import apply_rope, rope_angles, rope_frequencies, rotated_dot, score_matrix, wavelengths


def test_frequencies_follow_base_to_the_minus_2i_over_d():
    th = rope_frequencies(8, base=10000.0)
    assert np.allclose(th, [1.0, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75])
    assert np.all(np.diff(th) < 0)  # the first pairs spin fastest
    assert rope_angles([0, 3], 8)[1, 0] == pytest.approx(3.0)
    assert wavelengths(8)[0] == pytest.approx(2 * math.pi)


@pytest.mark.parametrize("bad", [0, 3, 7])
def test_head_size_must_be_even(bad):
    with pytest.raises(ValueError):
        rope_frequencies(bad)


def test_apply_rope_turns_each_pair_by_position_times_its_frequency_and_keeps_lengths():
    x = torch.zeros(1, 3, 4)
    x[..., 0] = 1.0  # pair 0 = (1, 0), pair 1 = (0, 0)
    y = apply_rope(x)
    assert torch.allclose(y[0, 2, :2], torch.tensor([math.cos(2.0), math.sin(2.0)]), atol=1e-6)
    assert torch.allclose(y[0, 0], x[0, 0])  # position 0 is not turned
    z = torch.randn(2, 4, 16, 32)
    assert apply_rope(z).shape == z.shape
    pair_len = lambda t: t.reshape(*t.shape[:-1], 16, 2).norm(dim=-1)
    assert torch.allclose(pair_len(apply_rope(z)), pair_len(z), atol=1e-5)


def test_positions_can_be_given_and_must_match_the_sequence():
    x = torch.randn(5, 8)
    assert torch.allclose(apply_rope(x, torch.arange(5)), apply_rope(x))
    assert not torch.allclose(apply_rope(x, torch.arange(5) + 10), apply_rope(x))
    with pytest.raises(ValueError):
        apply_rope(x, torch.arange(4))


def test_the_rotated_dot_product_depends_only_on_the_distance():
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=64), rng.normal(size=64)
    same_distance = [rotated_dot(q, k, m, m - 5) for m in (5, 17, 60, 120)]
    assert np.ptp(same_distance) < 1e-3 * max(1.0, abs(same_distance[0]))
    assert abs(rotated_dot(q, k, 10, 5) - rotated_dot(q, k, 10, 2)) > 1e-3  # other distance, other score
    s = score_matrix(q, k, 32)
    for d in range(-31, 32):
        diag = np.diagonal(s, offset=-d)
        assert np.ptp(diag) < 1e-4 * max(1.0, np.abs(diag).max())


def test_position_interpolation_keeps_every_angle_inside_the_trained_range():
    hs, trained, scale = 64, 2048, 4
    long = np.arange(trained * scale)
    plain = rope_angles(long, hs)
    pi = rope_angles(long, hs, scale=scale, method="pi")
    seen = rope_angles([trained], hs)[0]  # positions 0 .. trained map onto [0, trained)
    assert np.all(pi.max(axis=0) <= seen + 1e-9)
    assert plain[-1, -1] > seen[-1] * (scale - 0.1)  # plain RoPE goes far beyond for the slow pairs


def test_ntk_scaling_keeps_the_fast_pairs_and_slows_the_slowest_by_the_scale():
    hs, scale = 128, 8
    ratio = rope_frequencies(hs, scale=scale, method="ntk") / rope_frequencies(hs)
    assert ratio[0] == pytest.approx(1.0)
    assert ratio[-1] == pytest.approx(1 / scale)
    assert np.all(np.diff(ratio) < 0)
    assert np.allclose(rope_frequencies(hs, scale=scale, method="pi") / rope_frequencies(hs), 1 / scale)
