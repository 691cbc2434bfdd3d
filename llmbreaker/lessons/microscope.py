"""The component microscope: one forward pass of MicroGPT written out step by step.

`trace(model, ids)` recomputes the model's forward pass for one sequence with plain matrix
arithmetic on the model's own weights (`tok_emb`, `pos_emb`, each block's `ln1`, `attn.qkv`,
`attn.proj`, `ln2`, `ffn.up`, `ffn.down`, and `ln_f`) and keeps every intermediate tensor: the
embedding rows, Q, K and V of every head, the scores Q·Kᵀ/√d, the causal mask, softmax, the weighted
sum of V, the concatenated heads, the output projection, the residual adds, both LayerNorms, and the
feed-forward expand → ReLU → compress. The pages draw these tensors; the tests check that they give
the model's own logits (to 1e-5), so every number shown is the model's.

It covers today's standard architecture (learned positions, pre-LayerNorm, multi-head attention,
4x ReLU feed-forward, final LayerNorm, tied head). `unsupported_reason(model)` says when a model is
built otherwise, so a page shows that instead of wrong numbers. Pure numpy/torch, no streamlit.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields

import numpy as np
import torch
import torch.nn as nn

from llmbreaker.engine.model import MicroGPT

# The config fields the microscope knows. Any other field a newer model has must be at its default
# (= today's architecture) for the microscope to be right.
KNOWN_FIELDS = {"vocab_size", "n_embd", "n_layer", "n_head", "block_size", "dropout"}


def _default(f):
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return object()  # no default: never "at its default"


def unsupported_reason(model) -> str | None:
    """None when the microscope can trace this model exactly; else a sentence saying why not."""
    cfg = getattr(model, "config", None)
    if cfg is None:
        return "This model has no configuration the microscope can read."
    try:
        cfg_fields = fields(cfg)
    except TypeError:
        return "This model has no configuration the microscope can read."
    # Options beyond the known ones count as standard only at their default (today's architecture).
    changed = [f.name for f in cfg_fields if f.name not in KNOWN_FIELDS and getattr(cfg, f.name) != _default(f)]
    if changed:
        options = ", ".join(f"{n} = {getattr(cfg, n)!r}" for n in changed)
        return (f"This model uses options beyond the standard architecture ({options}). The microscope "
                "shows the standard GPT (learned positions, LayerNorm, multi-head attention, ReLU "
                "feed-forward) only, so it does not draw this one rather than show numbers that are not its own.")
    C = cfg.n_embd
    try:
        ok = (isinstance(model.tok_emb, nn.Embedding) and isinstance(model.pos_emb, nn.Embedding)
              and isinstance(model.ln_f, nn.LayerNorm) and len(model.blocks) == cfg.n_layer)
        for b in model.blocks:
            ok = ok and isinstance(b.ln1, nn.LayerNorm) and isinstance(b.ln2, nn.LayerNorm)
            ok = ok and tuple(b.attn.qkv.weight.shape) == (3 * C, C) and b.attn.qkv.bias is None
            ok = ok and tuple(b.attn.proj.weight.shape) == (C, C)
            ok = ok and tuple(b.ffn.up.weight.shape) == (4 * C, C) and tuple(b.ffn.down.weight.shape) == (C, 4 * C)
    except (AttributeError, TypeError):
        ok = False
    if not ok:
        return ("This model's layers are not those of the standard architecture, so the microscope does not "
                "draw it rather than show numbers that are not its own.")
    return None


@dataclass
class LayerTrace:
    """One block, for one sequence of T tokens (C = model width, H heads of size d = C / H)."""
    x_in: np.ndarray  # (T, C) the residual stream entering the block
    ln1: np.ndarray  # (T, C) LayerNorm 1
    q: np.ndarray  # (H, T, d)
    k: np.ndarray  # (H, T, d)
    v: np.ndarray  # (H, T, d)
    scores: np.ndarray  # (H, T, T) Q·Kᵀ/√d, before the mask
    masked: np.ndarray  # (H, T, T) scores with -inf above the diagonal
    weights: np.ndarray  # (H, T, T) softmax of each row
    heads: np.ndarray  # (H, T, d) weights @ V
    concat: np.ndarray  # (T, C) the heads side by side
    attn_out: np.ndarray  # (T, C) after the output projection
    x_mid: np.ndarray  # (T, C) x_in + attn_out
    ln2: np.ndarray  # (T, C) LayerNorm 2
    ffn_up: np.ndarray  # (T, 4C) expand, before ReLU
    ffn_relu: np.ndarray  # (T, 4C) after ReLU
    ffn_out: np.ndarray  # (T, C) compress
    x_out: np.ndarray  # (T, C) x_mid + ffn_out


@dataclass
class Trace:
    ids: list[int]
    tok: np.ndarray  # (T, C) token embedding rows
    pos: np.ndarray  # (T, C) position embedding rows
    x0: np.ndarray  # (T, C) their sum, the input of block 1
    layers: list[LayerTrace]
    ln_f: np.ndarray  # (T, C) the final LayerNorm
    logits: np.ndarray  # (T, V) ln_f @ tok_embᵀ (the tied head)
    probs: np.ndarray  # (T, V) softmax of the logits

    @property
    def T(self) -> int:
        return len(self.ids)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy().copy()


def layer_norm(x: np.ndarray, ln: nn.LayerNorm) -> np.ndarray:
    """(x - mean) / √(var + ε) · γ + β over the last axis (var without Bessel's correction, as torch)."""
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + ln.eps) * _np(ln.weight) + _np(ln.bias)


def linear(x: np.ndarray, layer: nn.Linear) -> np.ndarray:
    """x · Wᵀ + b"""
    y = x @ _np(layer.weight).T
    return y + _np(layer.bias) if layer.bias is not None else y


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


@torch.no_grad()
def trace(model: MicroGPT, ids) -> Trace:
    """Every intermediate tensor of the model's forward pass on one sequence of token ids, computed
    in float64 from the model's own (float32) weights."""
    reason = unsupported_reason(model)
    if reason:
        raise ValueError(reason)
    cfg = model.config
    ids = [int(i) for i in ids]
    T = len(ids)
    if not 1 <= T <= cfg.block_size:
        raise ValueError(f"the sequence must have 1 to {cfg.block_size} tokens, not {T}")
    H, C = cfg.n_head, cfg.n_embd
    d = C // H
    tok = _np(model.tok_emb.weight)[ids]
    pos = _np(model.pos_emb.weight)[:T]
    x = tok + pos
    x0 = x
    causal = np.tril(np.ones((T, T), dtype=bool))
    layers = []
    for block in model.blocks:
        x_in = x
        h1 = layer_norm(x_in, block.ln1)
        qkv = linear(h1, block.attn.qkv)  # (T, 3C): Q of all heads, then K, then V
        q, k, v = (qkv[:, i * C:(i + 1) * C].reshape(T, H, d).transpose(1, 0, 2) for i in range(3))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        masked = np.where(causal, scores, -np.inf)
        weights = softmax(masked)
        heads = weights @ v
        concat = heads.transpose(1, 0, 2).reshape(T, C)
        attn_out = linear(concat, block.attn.proj)
        x_mid = x_in + attn_out
        h2 = layer_norm(x_mid, block.ln2)
        up = linear(h2, block.ffn.up)
        relu = np.maximum(up, 0.0)
        ffn_out = linear(relu, block.ffn.down)
        x = x_mid + ffn_out
        layers.append(LayerTrace(x_in, h1, q, k, v, scores, masked, weights, heads, concat, attn_out, x_mid,
                                 h2, up, relu, ffn_out, x))
    final = layer_norm(x, model.ln_f)
    logits = final @ _np(model.tok_emb.weight).T
    return Trace(ids, tok, pos, x0, layers, final, logits, softmax(logits))


@torch.no_grad()
def model_logits(model: MicroGPT, ids) -> np.ndarray:
    """The model's own forward pass (its fused attention), for comparison: (T, V)."""
    was_training = model.training
    model.eval()
    logits, _, _ = model(torch.tensor([list(ids)], dtype=torch.long))
    model.train(was_training)
    return logits[0].to(torch.float64).numpy()


def max_difference(model: MicroGPT, ids) -> float:
    """The largest |trace logits - model logits|: what the page quotes as its check."""
    return float(np.abs(trace(model, ids).logits - model_logits(model, ids)).max())


# The steps as the page shows them: key -> (title, equation in LaTeX, shape with T/C/d/V/4C, sentence).
STEPS = {
    "embed": ("Embedding", r"x_0 = E_{\mathrm{tok}}[\mathrm{id}_t] + E_{\mathrm{pos}}[t]", "T × C",
              "Each character's id picks a row of the token table; its place picks a row of the position table. "
              "Their sum is the character's starting vector."),
    "ln1": ("LayerNorm 1", r"\hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\,\gamma + \beta", "T × C",
            "Each row is shifted and scaled to mean 0 and spread 1, then stretched by learned γ and β: "
            "the attention sees numbers of a steady size."),
    "qkv": ("Query, key, value", r"\begin{aligned} Q &= \hat x W_Q \\ K &= \hat x W_K \\ V &= \hat x W_V \end{aligned}", "T × d each",
            "Three learned matrices turn each row into a query (what am I looking for?), a key (what do I "
            "offer?) and a value (what do I pass on?). Each head has its own."),
    "scores": ("Scores", r"S = \frac{Q K^\top}{\sqrt{d}}", "T × T",
               "Row t, column s: how well character t's query matches character s's key. Dividing by √d keeps "
               "the numbers from growing with the head size."),
    "mask": ("Causal mask", r"S_{ts} = -\infty \text{ for } s > t", "T × T",
             "A character may not look at the characters after it: those scores become −∞ (blank here)."),
    "softmax": ("Softmax", r"A_{ts} = \frac{e^{S_{ts}}}{\sum_{s'} e^{S_{ts'}}}", "T × T",
                "Each row becomes weights that are positive and add up to 1: how much character t attends to each "
                "earlier character."),
    "weighted": ("Weighted sum of values", r"\mathrm{head} = A\,V", "T × d",
                 "Each character's head output is the average of the values it attends to, mixed by its weights."),
    "concat": ("Concatenate the heads", r"[\mathrm{head}_1, \dots, \mathrm{head}_H]", "T × C",
               "The heads' outputs are put side by side: H pieces of d numbers make C again."),
    "proj": ("Output projection", r"a = [\dots]\,W_O + b_O", "T × C",
             "One more learned matrix mixes what the heads found into one update for each character."),
    "resid1": ("Residual add", r"x' = x + a", "T × C",
               "The update is added to the character's vector instead of replacing it: the block only adds what "
               "it learned."),
    "ln2": ("LayerNorm 2", r"\hat x' = \mathrm{LN}_2(x')", "T × C",
            "The same normalising as before, with its own γ and β, before the feed-forward layer."),
    "up": ("Feed-forward: expand 4×", r"u = \hat x' W_1 + b_1", "T × 4C",
           "Each character on its own (no looking around now) is spread into four times as many numbers."),
    "relu": ("ReLU", r"r = \max(0, u)", "T × 4C",
             "Negative numbers become 0: the only bend in the whole block, what lets it learn more than straight lines."),
    "down": ("Feed-forward: compress", r"f = r W_2 + b_2", "T × C",
             "Back to C numbers per character."),
    "resid2": ("Residual add", r"x_{\mathrm{out}} = x' + f", "T × C",
               "Added to the stream again. This is the block's output, the next block's input."),
    "ln_f": ("Final LayerNorm", r"h = \mathrm{LN}_f(x_{\mathrm{out}})", "T × C",
             "After the last block, one more normalising."),
    "logits": ("Logits (tied head)", r"z = h\,E_{\mathrm{tok}}^\top", "T × V",
               "Each character's final vector is compared with every row of the token table (the same table as "
               "the embedding): one score per possible next character."),
    "probs": ("Next-character probabilities", r"p = \mathrm{softmax}(z)", "T × V",
              "Softmax turns the scores into probabilities of the next character, for every position at once."),
}


def dims(cfg, T: int) -> dict[str, int]:
    return {"T": T, "C": cfg.n_embd, "d": cfg.n_embd // cfg.n_head, "4C": 4 * cfg.n_embd, "V": cfg.vocab_size,
            "H": cfg.n_head}


def shape_with_numbers(step: str, cfg, T: int) -> str:
    """'T × d' -> 'T × d = 12 × 16' with this model's sizes."""
    symbolic = STEPS[step][2].replace(" each", "")
    sizes = dims(cfg, T)
    numbers = " × ".join(str(sizes[p.strip()]) for p in symbolic.split("×"))
    tail = " each" if STEPS[step][2].endswith(" each") else ""
    return f"{symbolic} = {numbers}{tail}"
