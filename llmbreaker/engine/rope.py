"""Rotary position embedding (RoPE; Su et al. 2021, RoFormer), and how it is stretched past the
context a model was trained on (docs/design.md §RoPE). Pure numpy / torch, no streamlit, so the model can
use `apply_rope` as it is.

RoPE splits each head's vector into pairs of dimensions (0, 1), (2, 3), ... and turns pair i by
the angle position x theta_i, with theta_i = base^(-2i / head_size): the first pairs spin fast,
the last ones slowly. A query at position m and a key at position n are both turned, so their dot
product depends on the angle between them, (m - n) x theta_i: on how far apart they are, not where.

Stretching to `scale` x the trained context:
- "pi", position interpolation (Chen et al. 2023): positions are divided by `scale`, so every
  angle stays inside the range seen in training; neighbouring tokens end up closer together.
- "ntk", NTK-aware scaling (proposed by bloc97 in 2023; discussed in Peng et al. 2023, YaRN,
  arXiv:2309.00071): the base grows to base x scale^(head_size / (head_size - 2)), so the fast pairs barely
  change and the slowest pair is slowed by exactly `scale`.
"""
from __future__ import annotations

import numpy as np
import torch

METHODS = ("none", "pi", "ntk")


def rope_frequencies(head_size: int, base: float = 10000.0, scale: float = 1.0, method: str = "none") -> np.ndarray:
    """theta_i, the angle (radians) pair i turns per position, for i = 0 .. head_size/2 - 1.

    `scale` > 1 with method "pi" or "ntk" stretches the trained context `scale` times; with
    "none" (plain RoPE) `scale` is ignored."""
    if head_size < 2 or head_size % 2:
        raise ValueError(f"head_size must be even and at least 2, not {head_size}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    i = np.arange(head_size // 2, dtype=np.float64)
    if method == "ntk" and scale != 1.0:
        base = base * scale ** (head_size / (head_size - 2))
    theta = base ** (-2.0 * i / head_size)
    if method == "pi":
        theta = theta / scale
    return theta


def rope_angles(positions, head_size: int, base: float = 10000.0, scale: float = 1.0, method: str = "none") -> np.ndarray:
    """Angles (T, head_size/2): position x theta_i for every position and pair."""
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 1)
    return pos * rope_frequencies(head_size, base, scale, method)[None, :]


def wavelengths(head_size: int, base: float = 10000.0, scale: float = 1.0, method: str = "none") -> np.ndarray:
    """Positions each pair needs to turn a full circle: 2 pi / theta_i."""
    return 2 * np.pi / rope_frequencies(head_size, base, scale, method)


def apply_rope(x: torch.Tensor, positions: torch.Tensor | None = None, base: float = 10000.0, scale: float = 1.0,
               method: str = "none") -> torch.Tensor:
    """Rotate the vectors x of shape (..., T, head_size): pair (2i, 2i+1) of the vector at position
    p is turned by p x theta_i. `positions` (T,) defaults to 0 .. T-1. Returns a new tensor of the
    same shape and dtype; lengths of every pair are kept."""
    T, hs = x.shape[-2], x.shape[-1]
    if positions is None:
        positions = torch.arange(T, device=x.device)
    positions = torch.as_tensor(positions, device=x.device)
    if positions.shape != (T,):
        raise ValueError(f"positions must have shape ({T},), not {tuple(positions.shape)}")
    theta = torch.as_tensor(rope_frequencies(hs, base, scale, method), dtype=torch.float32, device=x.device)
    angles = positions.to(torch.float32)[:, None] * theta[None, :]  # (T, hs/2)
    return rotate_pairs(x.float(), angles.cos(), angles.sin()).to(x.dtype)


def rotate_pairs(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Turn pair (2i, 2i+1) of each vector of x (..., T, head_size) by the angle whose cos and sin
    are given, shape (T, head_size/2). The model calls this with tables computed once."""
    pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    a, b = pairs[..., 0], pairs[..., 1]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).reshape(x.shape)


def rotated_dot(q: np.ndarray, k: np.ndarray, m: int, n: int, base: float = 10000.0, scale: float = 1.0,
                method: str = "none") -> float:
    """q at position m, k at position n, both rotated, then their dot product (one head)."""
    qt = torch.as_tensor(np.asarray(q, dtype=np.float32)).view(1, -1)
    kt = torch.as_tensor(np.asarray(k, dtype=np.float32)).view(1, -1)
    qr = apply_rope(qt, torch.tensor([m]), base, scale, method)
    kr = apply_rope(kt, torch.tensor([n]), base, scale, method)
    return float((qr * kr).sum())


def score_matrix(q: np.ndarray, k: np.ndarray, n_positions: int, base: float = 10000.0) -> np.ndarray:
    """The same q and k placed at every pair of positions (m, n): scores[m, n] = R_m q · R_n k.
    Every diagonal (fixed m - n) holds a single value: RoPE sees only the distance."""
    T, hs = n_positions, len(q)
    qs = apply_rope(torch.as_tensor(np.tile(np.asarray(q, dtype=np.float32), (T, 1))), base=base)
    ks = apply_rope(torch.as_tensor(np.tile(np.asarray(k, dtype=np.float32), (T, 1))), base=base)
    assert qs.shape == (T, hs)
    return (qs.double() @ ks.double().T).numpy()


def max_trained_angle(head_size: int, trained_context: int, base: float = 10000.0) -> np.ndarray:
    """The largest angle each pair reached during training (positions 0 .. trained_context - 1)."""
    return (trained_context - 1) * rope_frequencies(head_size, base)
