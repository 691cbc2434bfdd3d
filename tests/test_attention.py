"""Attention engine: blends, entropy, head patterns and sentences, on matrices with known answers."""
import json
import math

import numpy as np
import pytest
import torch

from llmbreaker.lessons import attention as att
from llmbreaker.engine.model import MicroGPT, ModelConfig

PROBE = list("the cat sat")  # 11 tokens, spaces at 3 and 7


# -- matrices built to have one known pattern ------------------------------------------------


def uniform(T):
    """Every query spreads evenly over all the keys it may see."""
    m = np.tril(np.ones((T, T)))
    return (m / m.sum(axis=1, keepdims=True)).astype(np.float32)


def previous_token(T):
    m = np.zeros((T, T), dtype=np.float32)
    m[0, 0] = 1.0
    m[np.arange(1, T), np.arange(T - 1)] = 1.0
    return m


def first_token(T):
    m = np.zeros((T, T), dtype=np.float32)
    m[:, 0] = 1.0
    return m


def with_previous_share(T, share):
    """`share` on the previous key in every row i >= 1, the rest spread over the other keys."""
    m = np.zeros((T, T))
    m[0, 0] = 1.0
    for i in range(1, T):
        others = [j for j in range(i + 1) if j != i - 1]
        m[i, others] = (1 - share) / len(others)
        m[i, i - 1] = share
    return m.astype(np.float32)


def same_character(tokens):
    """Each query on its earlier copies (evenly); a query without one stays on itself."""
    T = len(tokens)
    m = np.zeros((T, T), dtype=np.float32)
    for i, ch in enumerate(tokens):
        copies = [j for j in range(i) if tokens[j] == ch]
        m[i, copies or [i]] = 1.0 / len(copies or [i])
    return m


def last_space(tokens):
    """Each query on the newest space at or before it; before the first space, on token 0."""
    T = len(tokens)
    m = np.zeros((T, T), dtype=np.float32)
    last = 0
    for i, ch in enumerate(tokens):
        if ch.isspace():
            last = i
        m[i, last] = 1.0
    return m


def stack(*heads_per_layer):
    """(L, H, T, T) from lists of (T, T) heads, one list per layer."""
    return np.stack([np.stack(layer) for layer in heads_per_layer])


def label_of(matrix, tokens):
    return att.classify_head(att.head_measures(matrix, tokens))


# -- interpolate -----------------------------------------------------------------------------


def test_interpolate_is_exact_at_checkpoints_blends_between_and_clamps_outside():
    a, b, c = (stack([m, m], [m, m]) for m in (uniform(11), previous_token(11), first_token(11)))
    steps = [0, 100, 300]
    for s, m in zip(steps, (a, b, c)):
        assert np.array_equal(att.interpolate(steps, [a, b, c], s), m)
    np.testing.assert_allclose(att.interpolate(steps, [a, b, c], 50), (a + b) / 2, atol=1e-7)
    # Weighted by distance: step 150 is a quarter of the way from 100 to 300.
    np.testing.assert_allclose(att.interpolate(steps, [a, b, c], 150), 0.75 * b + 0.25 * c, atol=1e-7)
    assert np.array_equal(att.interpolate(steps, [a, b, c], -20), a)
    assert np.array_equal(att.interpolate(steps, [a, b, c], 10_000), c)


def test_a_blend_is_still_attention_rows_sum_to_one_and_stay_causal():
    T = 11
    a, b = uniform(T), with_previous_share(T, 0.63)
    for step in (1, 17.5, 33, 99):
        m = att.interpolate([0, 100], [a, b], step)
        assert m.shape == (T, T) and m.dtype == np.float32
        np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)
        assert np.all(np.triu(m, k=1) == 0)


def test_interpolate_result_is_a_copy_and_bad_input_is_refused():
    a, b = uniform(4), previous_token(4)
    out = att.interpolate([0, 10], [a, b], 0)
    out[:] = 7
    assert a[0, 0] == 1.0
    with pytest.raises(ValueError):
        att.interpolate([0, 10], [a], 5)
    with pytest.raises(ValueError):
        att.interpolate([], [], 5)
    with pytest.raises(ValueError):
        att.interpolate([10, 0], [a, b], 5)


# -- entropy ---------------------------------------------------------------------------------


def test_one_key_per_row_has_entropy_zero_and_uniform_has_the_maximum():
    T = 11
    assert att.entropy(previous_token(T)) == pytest.approx(0.0, abs=1e-9)
    assert att.entropy(uniform(T)) == pytest.approx(att.max_entropy(T), rel=1e-6)
    # Row i of uniform causal attention has i + 1 keys: entropy ln(i + 1), in nats.
    assert att.max_entropy(T) == pytest.approx(sum(math.log(i + 1) for i in range(T)) / T)
    assert att.max_entropy(1) == 0.0
    assert att.sharpness(att.entropy(uniform(T)), T) == pytest.approx(0.0, abs=1e-6)
    assert att.sharpness(att.entropy(previous_token(T)), T) == pytest.approx(1.0)


def test_head_entropies_give_one_number_per_head():
    T = 11
    ent = att.head_entropies(stack([uniform(T), previous_token(T), first_token(T)], [uniform(T)] * 3))
    assert ent.shape == (2, 3)
    np.testing.assert_allclose(ent, [[att.max_entropy(T), 0, 0], [att.max_entropy(T)] * 3], atol=1e-6)
    # Half on one key, half on another in every row i >= 1: ln 2 per row, 0 for row 0.
    m = (previous_token(T) + first_token(T)) / 2
    m[1] = 0
    m[1, 0] = 1.0  # row 1: previous and first are the same key
    expected = (T - 2) * math.log(2) / T
    assert att.entropy(m) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        att.head_entropies(uniform(T))


# -- head patterns ---------------------------------------------------------------------------


def test_previous_token_head():
    m = att.head_measures(previous_token(11), PROBE)
    assert m.previous == 1.0 and m.same_position == 0.0
    assert att.classify_head(m) == "previous-character head"


def test_self_head_and_first_token_head():
    T = len(PROBE)
    m = att.head_measures(np.eye(T), PROBE)
    assert m.same_position == 1.0 and m.previous == 0.0
    assert att.classify_head(m) == "self head"
    m = att.head_measures(first_token(T), PROBE)
    assert m.first_token == 1.0
    assert att.classify_head(m) == "first-token head"


def test_same_character_head():
    tokens = list("abcabcabc")
    m = att.head_measures(same_character(tokens), tokens)
    assert m.same_character == pytest.approx(1.0)
    assert m.same_position == pytest.approx(2 / 8)  # rows 1 and 2 have no earlier copy
    assert label_of(same_character(tokens), tokens) == "same-character head"


def test_look_back_to_space_head_on_the_cat_sat():
    m = att.head_measures(last_space(PROBE), PROBE)
    assert m.last_space == 1.0  # rows 3..10 each on the newest space
    assert m.previous == pytest.approx(3 / 10)  # rows 1, 4 and 8: the space is just before
    assert att.classify_head(m) == "look-back-to-space head"


def test_uniform_and_mixed_heads_get_no_label():
    T = len(PROBE)
    assert label_of(uniform(T), PROBE) is None
    # Half previous, half itself: neither alone is "the" pattern, but together they are the diagonal
    # band a person sees on the heatmap (docs/design.md §Consistency): a local head.
    half = (previous_token(T) + np.eye(T)) / 2
    half[0, 0] = 1.0
    m = att.head_measures(half, PROBE)
    assert m.previous == pytest.approx(0.5) and m.same_position == pytest.approx(0.5)
    assert att.classify_head(m) == "local head"
    # Half on the previous character, half on the first: mixed, no label.
    mixed = (previous_token(T) + first_token(T)) / 2
    assert label_of(mixed, PROBE) is None


def test_label_needs_the_share_threshold():
    T = len(PROBE)
    assert label_of(with_previous_share(T, att.MIN_SHARE + 0.05), PROBE) == "previous-character head"
    assert label_of(with_previous_share(T, att.MIN_SHARE - 0.05), PROBE) is None


def test_probe_without_spaces_or_repeats_gives_zero_for_those_patterns():
    tokens = list("abcd")
    m = att.head_measures(uniform(4), tokens)
    assert m.last_space == 0.0 and m.same_character == 0.0
    with pytest.raises(ValueError):
        att.head_measures(uniform(5), tokens)


# -- over the run ----------------------------------------------------------------------------


def run_with_previous_head():
    """Step 0: all uniform. Step 500: Layer 1 · Head 2 puts 0.63 on the previous character."""
    T = len(PROBE)
    start = stack([uniform(T), uniform(T)], [uniform(T), uniform(T)])
    end = stack([uniform(T), with_previous_share(T, 0.63)], [uniform(T), uniform(T)])
    return [0, 250, 500], [start, att.interpolate([0, 1], [start, end], 0.5), end]


def test_describe_names_the_head_and_numbers_from_the_data():
    steps, attentions = run_with_previous_head()
    sentences = att.describe(steps, attentions, PROBE)
    assert len(sentences) == 1 + 4
    head = [s for s in sentences if s.startswith("Layer 1 · Head 2")]
    assert len(head) == 1
    assert "became a previous-character head: 63 % of its attention goes to the character just before" in head[0]
    ent_start = att.head_entropies(attentions[0])
    ent_end = att.head_entropies(attentions[-1])
    assert f"entropy {ent_end[0, 1]:.1f} nats" in head[0]
    assert f"down {ent_start[0, 1] - ent_end[0, 1]:.1f} since step 0" in head[0]
    overall = sentences[0]
    assert overall.startswith("Attention got sharper")
    assert f"from {ent_start.mean():.1f} to {ent_end.mean():.1f} nats" in overall
    assert f"uniform would be {att.max_entropy(len(PROBE)):.1f}" in overall
    sharp = round(100 * att.sharpness(float(ent_end.mean()), len(PROBE)))
    assert f"{sharp} % of the way" in overall
    # The other heads stayed uniform: no label, no change.
    for s in sentences[1:]:
        if s is not head[0]:
            assert "no single clear pattern" in s and "spread over many characters" in s
            assert "about the same as at step 0" in s


def test_describe_a_head_that_kept_or_lost_its_label():
    T = len(PROBE)
    prev = stack([previous_token(T)])
    blur = stack([uniform(T)])
    kept = att.describe([0, 10], [prev, prev], PROBE)
    assert "Layer 1 · Head 1 is a previous-character head: 100 %" in kept[1]
    assert "has not sharpened yet" in kept[0]
    lost = att.describe([0, 10], [prev, blur], PROBE)
    assert "Attention got more spread out" in lost[0]
    assert "(it was a previous-character head at step 0)" in lost[1]
    assert att.describe([], [], PROBE) == []
    one = att.describe([7], [prev], PROBE)
    assert "at step 7" in one[0] and "since step" not in " ".join(one)


def test_entropy_history_rows_for_the_chart():
    steps, attentions = run_with_previous_head()
    rows = att.entropy_history(steps, attentions)
    assert len(rows) == 3 * 2 * 2
    assert set(rows[0]) == {"step", "layer", "head", "head_label", "entropy"}
    row = next(r for r in rows if r["step"] == 500 and r["layer"] == 1 and r["head"] == 2)
    assert row["head_label"] == "Layer 1 · Head 2"
    assert row["entropy"] == pytest.approx(att.entropy(attentions[-1][0, 1]))
    assert [r["step"] for r in rows if r["head_label"] == "Layer 2 · Head 1"] == steps


def test_export_json_round_trips_with_the_right_shapes():
    steps, attentions = run_with_previous_head()
    text = att.export_json(steps, attentions, PROBE, {"run_id": 3, "label": "Poems"})
    doc = json.loads(text)
    assert doc["probe_tokens"] == PROBE and doc["layers"] == 2 and doc["heads"] == 2
    assert doc["run_id"] == 3 and doc["label"] == "Poems"
    assert [c["step"] for c in doc["checkpoints"]] == steps
    for c, a in zip(doc["checkpoints"], attentions):
        back = np.array(c["attention"])
        assert back.shape == (2, 2, len(PROBE), len(PROBE))
        np.testing.assert_allclose(back, a, atol=5e-5)
        assert np.array_equal(back, np.round(back, 4))
    assert att.export_json([], [], PROBE, {}) and json.loads(att.export_json([], [], PROBE))["checkpoints"] == []
    with pytest.raises(ValueError):
        att.export_json(steps, attentions, PROBE, {"layers": 9})
    with pytest.raises(ValueError):
        att.export_json(steps, attentions, PROBE[:-1])


# -- a real model ----------------------------------------------------------------------------


def test_measures_accept_the_attention_of_a_real_microgpt():
    torch.manual_seed(0)
    tokens = list("the cat sat on a mat")  # 20 characters
    weights = MicroGPT(ModelConfig()).attention(torch.randint(0, 65, (20,))).numpy()
    assert weights.shape == (2, 2, 20, 20)
    ent = att.head_entropies(weights)
    assert ent.shape == (2, 2) and np.all(np.isfinite(ent)) and np.all(ent <= att.max_entropy(20) + 1e-6)
    for layer in att.all_head_measures(weights, tokens):
        for m in layer:
            assert all(math.isfinite(v) and 0 <= v <= 1 for v in m.as_dict().values())
            # An untrained model attends almost uniformly: no pattern yet.
            assert att.classify_head(m) is None
    assert all(isinstance(s, str) and s for s in att.describe([0], [weights], tokens))
    assert json.loads(att.export_json([0], [weights], tokens))["layers"] == 2


# -- a clear diagonal is named (docs/design.md §Consistency) ---------------------------------------

LONG_PROBE = list("First Citizen:\nBefore we proceed any further, hear me speak.\nAll:\nSp")[:64]


def diagonal_band(T, previous, itself, rng_seed=0):
    """`previous` on the key before, `itself` on the query, the rest spread unevenly over the others."""
    rng = np.random.default_rng(rng_seed)
    m = np.zeros((T, T))
    m[0, 0] = 1.0
    for i in range(1, T):
        rest = [j for j in range(i + 1) if j not in (i, i - 1)]
        m[i, i - 1], m[i, i] = previous, itself
        if rest:
            w = rng.random(len(rest))
            m[i, rest] = (1 - previous - itself) * w / w.sum()
        else:
            m[i, i - 1], m[i, i] = previous / (previous + itself), itself / (previous + itself)
    return m.astype(np.float32)


def test_a_trained_previous_character_diagonal_is_named_not_no_clear_pattern():
    T = len(LONG_PROBE)
    assert T == 64
    # As measured on a real Small model after 1,500 steps: 39 % before, 20 % itself, a clear diagonal.
    m = diagonal_band(T, 0.39, 0.20)
    measures = att.head_measures(m, LONG_PROBE)
    assert measures.last_space < 0.1  # the space just before is the previous key: not counted twice
    assert att.classify_head(measures) == "previous-character head"
    sentences = att.describe([0, 1500], [stack([uniform(T)]), stack([m])], LONG_PROBE)
    assert "Layer 1 · Head 1 became a previous-character head" in sentences[1]
    assert "no single clear pattern" not in sentences[1]


def test_a_diagonal_band_split_between_itself_and_the_one_before_is_a_local_head():
    T = len(LONG_PROBE)
    m = diagonal_band(T, 0.3, 0.3)
    assert label_of(m, LONG_PROBE) == "local head"
    s = att.describe([0], [stack([m])], LONG_PROBE)[1]
    assert "is a local head: 61 % of its attention goes to the character itself or the one just before" in s


def test_faint_or_off_diagonal_heads_stay_unnamed():
    T = len(LONG_PROBE)
    assert label_of(uniform(T), LONG_PROBE) is None
    assert label_of(diagonal_band(T, 0.15, 0.1), LONG_PROBE) is None  # a faint diagonal: 2-3x chance
    two_back = np.zeros((T, T), dtype=np.float32)
    for i in range(T):
        two_back[i, max(0, i - 2)] = 1.0
    assert label_of(two_back, LONG_PROBE) is None  # a pattern we do not look for: no wrong name


def test_a_film_is_the_checkpoints_attention_read_as_the_cinema_reads_it():
    from types import SimpleNamespace

    from llmbreaker.lessons.attention import Film
    even = np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]
    sharp = np.eye(3)
    cps = [SimpleNamespace(step=0, attention=even[None, None]), SimpleNamespace(step=100, attention=sharp[None, None])]
    film = Film.of(cps, list("abc"))
    assert film.steps == [0, 100] and film.tokens == ["a", "b", "c"]
    np.testing.assert_allclose(film.frame(50)[0, 0], (even + sharp) / 2)
    np.testing.assert_allclose(film.frame(100)[0, 0], sharp)
    early = film.until(40)  # only what was known at step 40: the first checkpoint
    assert early.steps == [0] and len(early.matrices) == 1
    assert film.until(-5).steps == [0]  # never empty: the first checkpoint is always there
    doc = json.loads(film.export_json({"dataset": "x"}))
    assert [c["step"] for c in doc["checkpoints"]] == [0, 100] and doc["dataset"] == "x"
    assert [r["step"] for r in film.entropy_history()] == [0, 100]
