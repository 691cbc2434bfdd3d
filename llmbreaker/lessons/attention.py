"""Attention over training: blends between checkpoints, sharpness, head patterns, plain words.

The engine of the "Attention Evolution Cinema" page. Every function takes the attention recorded in
the checkpoints (`Checkpoint.attention`: (n_layer, n_head, T, T) on the probe text, row i = query
i, column j = key j, rows sum to 1, zeros above the diagonal) and returns plain numbers, rows or
sentences. Pure numpy: no page code, so it is tested on matrices built to have known answers.

Entropy is in nats (natural logarithm) everywhere: uniform attention over n keys has entropy ln n.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

# -- blending between checkpoints -------------------------------------------------------------


def interpolate(checkpoints_steps: Sequence[int], matrices: Sequence[np.ndarray], step: float) -> np.ndarray:
    """The attention at any training step, for a smooth film between checkpoints.

    At a checkpoint's step: exactly its matrix. Between two checkpoints: (1 - w) * before + w * after
    with w the share of the way from one step to the next. Before the first / after the last
    checkpoint: the first / last matrix (we know nothing outside the recorded run). Any shape
    works. A blend of two row-stochastic matrices is row-stochastic: (1 - w) + w = 1.
    """
    if len(checkpoints_steps) != len(matrices):
        raise ValueError(f"{len(checkpoints_steps)} steps but {len(matrices)} matrices")
    if not matrices:
        raise ValueError("no checkpoints to interpolate")
    steps = np.asarray(checkpoints_steps, dtype=np.float64)
    if np.any(np.diff(steps) < 0):
        raise ValueError("checkpoint steps must be in increasing order")
    # Copies, so a page that draws on the result cannot change the recorded history.
    if step <= steps[0]:
        return np.array(matrices[0])
    if step >= steps[-1]:
        return np.array(matrices[-1])
    hi = int(np.searchsorted(steps, step, side="left"))  # first checkpoint at or after `step`
    if steps[hi] == step:
        return np.array(matrices[hi])  # exact, not a blend that could differ in the last bit
    lo = hi - 1
    a, b = np.asarray(matrices[lo]), np.asarray(matrices[hi])
    if a.shape != b.shape:
        raise ValueError(f"checkpoint matrices differ in shape: {a.shape} and {b.shape}")
    w = (step - steps[lo]) / (steps[hi] - steps[lo])
    # Keep float32 input float32: the page draws it, it need not grow to float64.
    dtype = np.result_type(a.dtype, b.dtype, np.float32)
    return ((1.0 - w) * a + w * b).astype(dtype, copy=False)


# -- entropy: how spread out attention is ----------------------------------------------------


def row_entropy(matrix: np.ndarray) -> np.ndarray:
    """Entropy in nats of each row (each query): shape matrix.shape[:-1].

    Zero entries (the causal mask above the diagonal) add nothing: 0 * ln 0 is taken as 0, so
    a row that looks at one key has entropy 0 whatever the size of the matrix.
    """
    p = np.asarray(matrix, dtype=np.float64)
    safe = np.where(p > 0, p, 1.0)  # ln(1) = 0 where p is 0; avoids log(0) warnings
    return -(np.where(p > 0, p, 0.0) * np.log(safe)).sum(axis=-1)


def entropy(matrix: np.ndarray) -> np.ndarray | float:
    """Mean row entropy in nats over the queries: a float for (T, T), (L, H) for (L, H, T, T)."""
    result = row_entropy(matrix).mean(axis=-1)
    return float(result) if np.ndim(result) == 0 else result


def head_entropies(attention: np.ndarray) -> np.ndarray:
    """Mean attention entropy (nats) of every head of one checkpoint: (L, H, T, T) -> (L, H)."""
    attention = np.asarray(attention)
    if attention.ndim != 4:
        raise ValueError(f"expected (layers, heads, T, T), got shape {attention.shape}")
    return entropy(attention)


def max_entropy(T: int) -> float:
    """Entropy of uniform causal attention, averaged over the rows of a T-token probe.

    Row i may look at i + 1 keys, so the most spread-out row i has entropy ln(i + 1). It is the
    "fully blurred" end of the scale; 0 (every row on one key) is the "fully sharp" end.
    """
    if T < 1:
        raise ValueError("a probe has at least one token")
    return float(np.mean(np.log(np.arange(1, T + 1))))


def sharpness(entropy_nats: float, T: int) -> float:
    """Share of the way from uniform (0.0) to one key per row (1.0), for "x % of the way"."""
    top = max_entropy(T)
    if top == 0:  # a one-token probe: nothing to choose between, so nothing to sharpen
        return 1.0
    return float(min(1.0, max(0.0, 1.0 - entropy_nats / top)))


# -- what a head looks at ----------------------------------------------------------------------


@dataclass(frozen=True)
class HeadMeasures:
    """Shares (0..1) of one head's attention that go to each kind of key, averaged over queries.

    Row 0 is left out of every share: the first query can only look at itself, so it says
    nothing about what the head prefers. A share whose rows do not exist on this probe (no
    repeated character, no space) is 0.0: no evidence for that pattern.
    """
    previous: float  # on the key just before the query (j = i - 1)
    same_position: float  # on the query itself (the diagonal)
    same_character: float  # on earlier keys with the query's character, rows that have one
    last_space: float  # on the last space/newline before the query, rows where it is 2+ keys back
    first_token: float  # on key 0 (an "attention sink")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def head_measures(matrix: np.ndarray, probe_tokens: Sequence[str]) -> HeadMeasures:
    """The pattern shares of one head's (T, T) attention on the probe."""
    a = np.asarray(matrix, dtype=np.float64)
    T = len(probe_tokens)
    if a.shape != (T, T):
        raise ValueError(f"attention of shape {a.shape} does not fit a probe of {T} tokens")
    if T < 2:
        return HeadMeasures(0.0, 0.0, 0.0, 0.0, 0.0)
    rows = np.arange(1, T)
    tokens = np.asarray(list(probe_tokens), dtype=object)

    # Same character: earlier keys (j < i) whose character equals the query's.
    same = (tokens[:, None] == tokens[None, :]) & np.tri(T, k=-1, dtype=bool)
    has_same = same[rows].any(axis=1)
    same_share = (a * same).sum(axis=1)[rows][has_same]

    # Last space: for each query, the newest whitespace key at or before it (-1 if none yet).
    # It marks where the current word began, which a head can use to know "where in the word am I".
    # Only rows where that space is further back than the key just before: where it is the query
    # itself or the previous key, a self or previous-character head would count as a space head too
    # and tie with itself (a clear previous-character diagonal read "no single clear pattern";
    # docs/design.md §Consistency).
    is_space = np.array([t.isspace() for t in probe_tokens])
    last = np.maximum.accumulate(np.where(is_space, np.arange(T), -1))
    with_space = rows[(last[rows] >= 0) & (last[rows] < rows - 1)]
    space_share = a[with_space, last[with_space]]

    def mean(values: np.ndarray) -> float:
        return float(values.mean()) if values.size else 0.0

    return HeadMeasures(
        previous=mean(a[rows, rows - 1]),
        same_position=mean(a[rows, rows]),
        same_character=mean(same_share),
        last_space=mean(space_share),
        first_token=mean(a[rows, 0]),
    )


def all_head_measures(attention: np.ndarray, probe_tokens: Sequence[str]) -> list[list[HeadMeasures]]:
    """head_measures for every head of one checkpoint: result[layer][head], numbered from 0."""
    attention = np.asarray(attention)
    if attention.ndim != 4:
        raise ValueError(f"expected (layers, heads, T, T), got shape {attention.shape}")
    return [[head_measures(head, probe_tokens) for head in layer] for layer in attention]


# Labels, and what each means in words, keyed by the HeadMeasures field they come from.
LABELS = {
    "local": "local head",  # the diagonal band: itself and the character before, neither alone
    "previous": "previous-character head",
    "same_position": "self head",
    "same_character": "same-character head",
    "last_space": "look-back-to-space head",
    "first_token": "first-token head",
}
MEANINGS = {
    "local": "goes to the character itself or the one just before (the diagonal)",
    "previous": "goes to the character just before",
    "same_position": "stays on the character itself",
    "same_character": "goes to earlier copies of the same character",
    "last_space": "goes back to the last space or line break, where the current word began",
    "first_token": "goes to the very first character of the text",
}

# A head gets a label when one pattern takes at least MIN_SHARE of its attention and beats every
# other pattern by MIN_MARGIN. The share alone is not enough: on a short probe, uniform attention
# already puts 1/2 of row 1 on the previous key (which is also the first key), and patterns
# overlap (after a space, the previous key is the space); the margin keeps such ties unlabeled.
# On the 64-character probe, uniform attention gives about 0.05 to the previous key, so 0.4 is
# eight times chance.
# 0.3 is five times chance there (it was 0.4: a head with 39 % on the previous character, a clear
# diagonal on the heatmap, went unnamed).
MIN_SHARE = 0.3
MIN_MARGIN = 0.15
# A diagonal band, split between the character itself and the one before (neither alone beats the
# other by the margin): a "local head" when the two together take MIN_LOCAL_SHARE and beat every
# other pattern by the margin. Uniform attention on the 64-character probe gives the pair ~0.12.
MIN_LOCAL_SHARE = 0.5


def strongest_pattern(measures: HeadMeasures) -> tuple[str, float, float]:
    """(field, its share, the runner-up's share) of the pattern taking the most attention."""
    ranked = sorted(measures.as_dict().items(), key=lambda kv: kv[1], reverse=True)
    return ranked[0][0], ranked[0][1], ranked[1][1]


def head_pattern(measures: HeadMeasures) -> tuple[str, float] | None:
    """(the LABELS key, its share) of the head's pattern, or None when it is diffuse or mixed."""
    field_name, share, runner_up = strongest_pattern(measures)
    if share >= MIN_SHARE and share - runner_up >= MIN_MARGIN:
        return field_name, share
    local = measures.previous + measures.same_position
    others = max(measures.same_character, measures.last_space, measures.first_token)
    if local >= MIN_LOCAL_SHARE and local - others >= MIN_MARGIN:
        return "local", local
    return None


def classify_head(measures: HeadMeasures) -> str | None:
    """The head's label ("previous-character head", ...) or None when it is diffuse or mixed."""
    pattern = head_pattern(measures)
    return LABELS[pattern[0]] if pattern else None


# -- over the whole run ------------------------------------------------------------------------


def head_name(layer: int, head: int) -> str:
    """People count from 1: layer 0, head 1 is "Layer 1 · Head 2"."""
    return f"Layer {layer + 1} · Head {head + 1}"


def entropy_history(steps: Sequence[int], attentions: Sequence[np.ndarray]) -> list[dict]:
    """Rows {"step", "layer", "head", "head_label", "entropy"} for a line chart of every head's
    entropy (nats) over training. Layers and heads are numbered from 1, as on the page."""
    if len(steps) != len(attentions):
        raise ValueError(f"{len(steps)} steps but {len(attentions)} attention arrays")
    rows = []
    for step, attention in zip(steps, attentions):
        ent = head_entropies(attention)
        for layer in range(ent.shape[0]):
            for head in range(ent.shape[1]):
                rows.append({"step": int(step), "layer": layer + 1, "head": head + 1,
                             "head_label": head_name(layer, head), "entropy": float(ent[layer, head])})
    return rows


def _percent(share: float) -> str:
    return f"{round(100 * share)} %"


def _change(now: float, before: float, first_step: int) -> str:
    # One decimal, as the entropies are shown; a change that rounds to 0.0 is "about the same".
    delta = now - before
    if abs(delta) < 0.05:
        return f"about the same as at step {first_step}"
    return f"{'down' if delta < 0 else 'up'} {abs(delta):.1f} since step {first_step}"


def describe(steps: Sequence[int], attentions: Sequence[np.ndarray], probe_tokens: Sequence[str]) -> list[str]:
    """Plain sentences about how attention changed from the first to the last checkpoint.

    The first says whether attention got sharper overall; then one per head: its label (or that
    it has none), the share behind the label, its entropy now and its change. Every number is
    computed from the matrices.
    """
    if len(steps) != len(attentions):
        raise ValueError(f"{len(steps)} steps but {len(attentions)} attention arrays")
    if not attentions:
        return []
    first, last = np.asarray(attentions[0]), np.asarray(attentions[-1])
    first_step, last_step = int(steps[0]), int(steps[-1])
    T = len(probe_tokens)
    uniform = max_entropy(T)
    ent_first, ent_last = head_entropies(first), head_entropies(last)
    mean_first, mean_last = float(ent_first.mean()), float(ent_last.mean())

    if len(attentions) == 1:
        overall = (f"Mean attention entropy is {mean_last:.1f} nats at step {last_step} "
                   f"(uniform would be {uniform:.1f}).")
    elif f"{mean_first:.1f}" == f"{mean_last:.1f}":
        overall = (f"Attention has not sharpened yet: mean entropy is still about {mean_last:.1f} nats, "
                   f"as at step {first_step} (uniform would be {uniform:.1f}).")
    elif mean_last < mean_first:
        overall = (f"Attention got sharper: mean entropy fell from {mean_first:.1f} to {mean_last:.1f} nats "
                   f"since step {first_step} (uniform would be {uniform:.1f}).")
    else:
        overall = (f"Attention got more spread out: mean entropy rose from {mean_first:.1f} to "
                   f"{mean_last:.1f} nats since step {first_step} (uniform would be {uniform:.1f}).")
    sentences = [overall + f" That is {_percent(sharpness(mean_last, T))} of the way from evenly spread "
                           f"to fully focused (lower entropy = sharper)."]

    measures_first = all_head_measures(first, probe_tokens)
    measures_last = all_head_measures(last, probe_tokens)
    for layer in range(last.shape[0]):
        for head in range(last.shape[1]):
            name = head_name(layer, head)
            now = measures_last[layer][head]
            label, label_before = classify_head(now), classify_head(measures_first[layer][head])
            entropy_now = float(ent_last[layer, head])
            numbers = f"entropy {entropy_now:.1f} nats"
            if len(attentions) > 1:
                numbers += f", {_change(entropy_now, float(ent_first[layer, head]), first_step)}"
            if label is not None:
                field_name, share = head_pattern(now)
                verb = "is" if (label == label_before or len(attentions) == 1) else "became"
                sentences.append(f"{name} {verb} a {label}: {_percent(share)} of its attention "
                                 f"{MEANINGS[field_name]} ({numbers}).")
                continue
            # No label: say whether it is blurred or focused on something the patterns miss.
            if sharpness(entropy_now, T) < 0.5:
                how = "its attention is spread over many characters"
            else:
                how = "its attention is focused, but not on one of the patterns we look for"
            lost = ""
            if label_before is not None and len(attentions) > 1:
                lost = f" (it was a {label_before} at step {first_step})"
            sentences.append(f"{name} has no single clear pattern{lost}: {how} ({numbers}).")
    return sentences


# -- export ------------------------------------------------------------------------------------

RESERVED_KEYS = ("probe_tokens", "layers", "heads", "checkpoints")


def _rounded(matrix: np.ndarray) -> list:
    # float64 before rounding, so 0.1234 is written as 0.1234 and not as float32's 0.12340000271...
    a = np.round(np.asarray(matrix, dtype=np.float64), 4)
    if np.isfinite(a).all():
        return a.tolist()
    return np.where(np.isfinite(a), a, None).tolist()  # NaN/inf -> null: the file stays valid JSON


def export_json(steps: Sequence[int], attentions: Sequence[np.ndarray], probe_tokens: Sequence[str],
                meta: dict | None = None) -> str:
    """The recorded attention history as JSON, for a download:
    {"probe_tokens": [...], "layers": L, "heads": H,
     "checkpoints": [{"step": s, "attention": L x H x T x T nested lists, 4 decimals}], **meta}.
    Compact separators: 201 checkpoints of 4 heads on 64 characters are already ~15 MB."""
    meta = dict(meta or {})
    clash = [k for k in RESERVED_KEYS if k in meta]
    if clash:
        raise ValueError(f"meta may not replace {', '.join(clash)}")
    if len(steps) != len(attentions):
        raise ValueError(f"{len(steps)} steps but {len(attentions)} attention arrays")
    shapes = {np.shape(a) for a in attentions}
    if len(shapes) > 1:
        raise ValueError(f"checkpoints differ in shape: {sorted(shapes)}")
    shape = shapes.pop() if shapes else (0, 0, len(probe_tokens), len(probe_tokens))
    if len(shape) != 4 or shape[2:] != (len(probe_tokens), len(probe_tokens)):
        raise ValueError(f"attention of shape {shape} does not fit a probe of {len(probe_tokens)} tokens")
    doc = {
        "probe_tokens": list(probe_tokens),
        "layers": int(shape[0]),
        "heads": int(shape[1]),
        "checkpoints": [{"step": int(s), "attention": _rounded(a)} for s, a in zip(steps, attentions)],
        **meta,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


# -- the film: what the Cinema shows, in one object ---------------------------------------------
@dataclass(frozen=True)
class Film:
    """A run's attention over training, as the Cinema shows it: each checkpoint's step and its
    attention on the probe text ((n_layer, n_head, T, T), see the module's docstring), and the
    probe's characters. The functions above, on this one film."""
    steps: list[int]
    matrices: list[np.ndarray]
    tokens: list[str]

    @classmethod
    def of(cls, checkpoints: Sequence, tokens: Sequence[str]) -> Film:
        """From a run's checkpoints (anything with `.step` and `.attention`), in their order."""
        return cls([c.step for c in checkpoints], [c.attention for c in checkpoints], list(tokens))

    def frame(self, step: float) -> np.ndarray:
        """The attention at `step`, blended between the checkpoints around it (interpolate)."""
        return interpolate(self.steps, self.matrices, step)

    def until(self, step: float) -> Film:
        """The film up to `step` (at least its first checkpoint): what was known by then."""
        upto = [i for i, s in enumerate(self.steps) if s <= step] or [0]
        return Film([self.steps[i] for i in upto], [self.matrices[i] for i in upto], self.tokens)

    def describe(self) -> list[str]:
        return describe(self.steps, self.matrices, self.tokens)

    def entropy_history(self) -> list[dict]:
        return entropy_history(self.steps, self.matrices)

    def export_json(self, meta: dict | None = None) -> str:
        return export_json(self.steps, self.matrices, self.tokens, meta)
