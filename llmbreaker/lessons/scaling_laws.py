"""The Chinchilla scaling law (Hoffmann et al. 2022, "Training Compute-Optimal Large Language
Models", section 3.3, approach 3) and the compute-optimal frontier it implies (docs/design.md §Scaling).

    L(N, D) = E + A / N^alpha + B / D^beta       N parameters, D training tokens
    C ~= 6 N D                                     training FLOPs (Kaplan et al. 2020)

Minimising L under a fixed C gives (the paper's equation 4)
    N_opt(C) = G (C/6)^a,  D_opt(C) = G^-1 (C/6)^b,  G = (alpha A / (beta B))^(1/(alpha+beta)),
    a = beta / (alpha + beta),  b = alpha / (alpha + beta).

The loss is in nats per token of the paper's MassiveText tokenizer: it is not comparable with the
character-level loss of our MicroGPT, and it was fitted on dense models (for a mixture of experts
we place the active parameters, a rough stand-in).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from llmbreaker.lessons import arch_math
from llmbreaker.lessons.registry import MODELS, Arch, Source

CHINCHILLA = Source("Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, eq. 10 (approach 3)",
                    "https://arxiv.org/abs/2203.15556")


@dataclass(frozen=True)
class Fit:
    E: float = 1.69
    A: float = 406.4
    B: float = 410.7
    alpha: float = 0.34
    beta: float = 0.28

    def loss(self, N, D):
        N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
        return self.E + self.A / N ** self.alpha + self.B / D ** self.beta

    @property
    def a(self) -> float:
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    def n_opt(self, C):
        return self.G * (np.asarray(C, dtype=float) / 6.0) ** self.a

    def d_opt(self, C):
        return (np.asarray(C, dtype=float) / 6.0) ** self.b / self.G

    def loss_opt(self, C):
        return self.loss(self.n_opt(C), self.d_opt(C))


CHINCHILLA_FIT = Fit()


def compute(N, D):
    """Training FLOPs, C ~= 6 N D: 2 per weight forward, 4 backward, for every token."""
    return 6.0 * np.asarray(N, dtype=float) * np.asarray(D, dtype=float)


def frontier(c_min: float = 1e18, c_max: float = 1e26, points: int = 81, fit: Fit = CHINCHILLA_FIT) -> list[dict]:
    """The compute-optimal curve: for each budget C, N_opt, D_opt and the loss they reach."""
    out = []
    for C in np.logspace(math.log10(c_min), math.log10(c_max), points):
        out.append({"compute": float(C), "n_opt": float(fit.n_opt(C)), "d_opt": float(fit.d_opt(C)),
                    "loss": float(fit.loss_opt(C))})
    return out


def format_ratio(x: float) -> str:
    """A ratio as a person reads it: one decimal below 10 (GPT-3's 300 B tokens / 175 B parameters
    is 1.7, not "2"), whole numbers above ("20", "1,875")."""
    return f"{x:,.1f}" if abs(x) < 10 else f"{x:,.0f}"


def model_points(models: tuple[Arch, ...] = MODELS, fit: Fit = CHINCHILLA_FIT) -> tuple[list[dict], list[str]]:
    """Registry models whose training tokens are published, placed by the fit: (points, the names
    of the models skipped and why)."""
    points, skipped = [], []
    for m in models:
        if not m.published or m.key == "microgpt":  # a character-level loss: not on this fit's scale
            continue
        if m.training_tokens is None:
            skipped.append(m.name)
            continue
        n = arch_math.active_params(m) if m.is_moe else arch_math.total_params(m)
        D = m.training_tokens
        C = float(compute(n, D))
        points.append({"model": m.name, "params": float(n), "tokens": float(D), "compute": C,
                       "loss": float(fit.loss(n, D)), "loss_opt": float(fit.loss_opt(C)),
                       "tokens_per_param": D / n, "tokens_per_param_label": format_ratio(D / n), "moe": m.is_moe,
                       "source": m.tokens_source.title if m.tokens_source else ""})
    return points, skipped
