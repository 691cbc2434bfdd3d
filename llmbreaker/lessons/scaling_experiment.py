"""The scaling playground's live experiment: several model sizes, each trained on Shakespeare for the
same short time budget, one after another (a session's queue), and their final losses against size.

With the time fixed, a bigger model takes fewer steps and sees fewer characters. That is close to the
set-up of Chinchilla's "IsoFLOP" profiles (Hoffmann et al. 2022, approach 2), which fit a parabola to
loss against log(parameters) at fixed compute and read the best model size at its bottom; we do the
same with our few points. It is the time that is fixed, not the compute: on a CPU a tiny model's step
is mostly overhead, so in the same seconds it does several times fewer FLOPs (6ND) than the biggest
(measured on a loaded 2-core machine, 5 s each: 7.5e9 for 8.5 K parameters against 6.8e10 for 207 K),
and the page says by how much (`compute_note`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.session import History, TrainingRequest
from llmbreaker.engine.trainer import TrainConfig

# From the spec's 8 K-parameter model to ~210 K: a 25x range, each still trainable in seconds.
EXPERIMENT_SIZES = (
    ModelConfig(n_embd=16, n_layer=2, n_head=2),
    ModelConfig(n_embd=32, n_layer=2, n_head=2),
    ModelConfig(n_embd=48, n_layer=3, n_head=4),
    ModelConfig(n_embd=64, n_layer=4, n_head=4),
)
BUDGETS = (10, 20, 40)  # seconds of training per model
DEFAULT_BUDGET = 20


def experiment_requests(text: str, label: str, budget: float) -> list[TrainingRequest]:
    # max_steps is only a ceiling (the budget ends each run); checkpoints every 100 steps draw the curves.
    train = TrainConfig(max_steps=10_000, eval_interval=100, time_budget=float(budget))
    return [TrainingRequest(text, model, train, label=label) for model in EXPERIMENT_SIZES]


@dataclass(frozen=True)
class Point:
    name: str
    parameters: int
    steps: int
    tokens: int  # characters seen in training: steps x batch x block
    compute: float  # C ~ 6 N D
    val_loss: float
    seconds: float


def result(history: History) -> Point | None:
    """A finished run's point (None while it has no checkpoint)."""
    if not history.checkpoints or history.request is None:
        return None
    m, t = history.request.model, history.request.train
    last = history.checkpoints[-1]
    tokens = history.step * t.batch_size * m.block_size
    n = history.parameters
    return Point(f"{m.n_layer} layers × {m.n_embd} dims", n, history.step, tokens, 6.0 * n * tokens,
                 last.val_loss, last.elapsed)


def compute_note(points: list[Point]) -> str:
    """What the page says about the compute of its points: the same seconds, and how far apart their
    6ND compute ended up (within 10 %: "about the same compute")."""
    if not points:
        return ""
    lo, hi = min(p.compute for p in points), max(p.compute for p in points)
    if lo <= 0:
        return "Here each model had the same seconds of training."
    if hi / lo <= 1.1:
        return f"Here each model had the same seconds and about the same compute ({lo:.1e}-{hi:.1e} FLOPs)."
    return (f"Here each model had the same seconds, not the same compute: from {lo:.1e} to {hi:.1e} FLOPs "
            f"(6ND), {hi / lo:.1f}x apart, so this is an equal-time profile, close to an IsoFLOP one.")


def isoflop_fit(points: list[Point]) -> tuple[float, float, float] | None:
    """Least-squares parabola loss = a·x² + b·x + c in x = log10(parameters) (3 points or more)."""
    if len(points) < 3:
        return None
    x = np.log10([p.parameters for p in points])
    y = np.array([p.val_loss for p in points])
    a, b, c = np.polyfit(x, y, 2)
    return float(a), float(b), float(c)


def best_size(fit: tuple[float, float, float] | None, points: list[Point]) -> float | None:
    """The parameter count at the parabola's bottom, if it curves up and the bottom lies within the
    sizes tried (outside them it is a guess we do not make)."""
    if fit is None or fit[0] <= 0:
        return None
    x = -fit[1] / (2 * fit[0])
    lo, hi = (math.log10(min(p.parameters for p in points)), math.log10(max(p.parameters for p in points)))
    return 10 ** x if lo <= x <= hi else None
