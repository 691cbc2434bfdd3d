"""How the next character is picked: temperature, top-k and top-p (nucleus) sampling.

Pure numpy on one distribution at a time, so each function is tested on distributions with known
answers; `generate` uses the same functions with the model, so the text written on the Sampling lab
page is drawn from exactly the bars it shows.
"""
from __future__ import annotations

import numpy as np
import torch

MIN_TEMPERATURE = 0.05


def with_temperature(logits, temperature: float) -> np.ndarray:
    """softmax(logits / T). T = 1 is the model's own distribution; T < 1 sharpens it (towards always
    the most likely), T > 1 flattens it (towards uniform)."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    z = np.asarray(logits, dtype=np.float64) / max(temperature, MIN_TEMPERATURE)
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def top_k_mask(probs, k: int) -> np.ndarray:
    """True for the k most likely entries (k <= 0 or k >= size: all). Ties at the cut are broken by
    position, so exactly k are kept."""
    p = np.asarray(probs, dtype=np.float64)
    if k <= 0 or k >= p.size:
        return np.ones(p.size, dtype=bool)
    keep = np.zeros(p.size, dtype=bool)
    keep[np.argsort(-p, kind="stable")[:k]] = True
    return keep


def top_p_mask(probs, top_p: float) -> np.ndarray:
    """True for the smallest set of most likely entries whose probabilities add up to at least top_p
    (the "nucleus"). top_p >= 1 keeps all; the most likely entry is always kept."""
    p = np.asarray(probs, dtype=np.float64)
    if top_p >= 1.0:
        return np.ones(p.size, dtype=bool)
    order = np.argsort(-p, kind="stable")
    before = np.cumsum(p[order]) - p[order]  # probability of the entries ranked above each one
    keep = np.zeros(p.size, dtype=bool)
    keep[order[before < top_p - 1e-12]] = True
    keep[order[0]] = True
    return keep


def reshape(logits, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The distribution the next character is drawn from: temperature first, then top-k, then top-p
    on what is left, renormalised. Returns (probabilities, kept mask); cut entries have probability 0."""
    p = with_temperature(logits, temperature)
    keep = top_k_mask(p, top_k)
    kept = np.where(keep, p, 0.0)
    keep &= top_p_mask(kept / kept.sum(), top_p)
    final = np.where(keep, p, 0.0)
    return final / final.sum(), keep


@torch.no_grad()
def next_logits(model, ids: list[int]) -> np.ndarray:
    """The model's logits for the character after `ids` (its last block_size ids)."""
    ctx = torch.tensor([ids[-model.config.block_size:]], dtype=torch.long)
    logits, _, _ = model(ctx)
    return logits[0, -1].double().numpy()


def generate(model, ids: list[int], n: int, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
             seed: int = 0) -> list[int]:
    """n new ids after `ids`, each drawn from `reshape` of the model's logits. Seeded: the same
    settings and seed write the same text."""
    if not ids:
        raise ValueError("generation needs at least one character to start from")
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    out = list(ids)
    for _ in range(n):
        probs, _ = reshape(next_logits(model, out), temperature, top_k, top_p)
        out.append(int(rng.choice(probs.size, p=probs)))
    model.train(was_training)
    return out[len(ids):]


def entropy_bits(probs) -> float:
    """How spread out a distribution is, in bits: 0 = sure of one character."""
    p = np.asarray(probs, dtype=np.float64)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())
