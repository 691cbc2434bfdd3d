"""MicroGPT: the tiny character-level GPT of the spec (section 4 and 5.1).

Token + position embeddings, pre-LayerNorm blocks of multi-head causal self-attention and a 4x ReLU
feed-forward, a final LayerNorm, and an output head tied to the token embedding.

Training uses PyTorch's fused attention (`scaled_dot_product_attention`), which never builds the
attention matrix. The pictures need that matrix, so `forward(..., return_attention=True)` computes
the same attention explicitly (scores, causal mask, softmax) and returns its weights. Both paths
share the weights, so the pictures are the real attention of the model being trained.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 65
    n_embd: int = 16
    n_layer: int = 2
    n_head: int = 2
    block_size: int = 64
    dropout: float = 0.0

    def __post_init__(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")

    @property
    def head_size(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_head = cfg.n_head
        # Q, K and V of all heads in one matrix (no bias, as in the spec's per-head Linear layers):
        # one matmul instead of 3 x n_head small ones.
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=False)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.dropout = cfg.dropout
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_size)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        weights = None
        if return_attention:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            weights = scores.masked_fill(~causal, float("-inf")).softmax(dim=-1)
            y = weights @ v
        else:
            y = F.scaled_dot_product_attention(
                q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
            )
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.proj(y)), weights


class FeedForward(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.up = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.down = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.dropout(self.down(F.relu(self.up(x))))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd)
        self.ffn = FeedForward(cfg)

    def forward(self, x, return_attention: bool = False):
        a, weights = self.attn(self.ln1(x), return_attention)
        x = x + a
        x = x + self.ffn(self.ln2(x))
        return x, weights


class MicroGPT(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.config = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.pos_emb = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.apply(self._init_weights)
        # GPT-2's scaled init of the projections into the residual stream keeps the early loss
        # close to ln(vocab) however many layers there are.
        for name, p in self.named_parameters():
            if name.endswith(("proj.weight", "down.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, return_attention: bool = False):
        """Logits (B, T, vocab), the loss if targets are given, and, on request, the attention
        weights: a list with one (B, n_head, T, T) tensor per layer (else None)."""
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of {T} tokens is longer than the block ({self.config.block_size})")
        x = self.drop(self.tok_emb(idx) + self.pos_emb.weight[:T])
        attentions = [] if return_attention else None
        for block in self.blocks:
            x, weights = block(x, return_attention)
            if return_attention:
                attentions.append(weights)
        logits = F.linear(self.ln_f(x), self.tok_emb.weight)  # weight tying
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(B * T, -1), targets.reshape(B * T))
        return logits, loss, attentions

    @torch.inference_mode()
    def attention(self, idx: torch.Tensor) -> torch.Tensor:
        """Attention weights for one input sequence, shape (n_layer, n_head, T, T)."""
        was_training = self.training
        self.eval()
        _, _, attentions = self(idx.view(1, -1), return_attention=True)
        self.train(was_training)
        return torch.stack([a[0] for a in attentions])

    @torch.inference_mode()
    def next_token_probs(self, idx: torch.Tensor) -> torch.Tensor:
        """Probabilities of the next token after a context (1-D tensor of ids)."""
        ctx = idx[-self.config.block_size:].view(1, -1)
        logits, _, _ = self(ctx)
        return logits[0, -1].softmax(-1)

    @torch.inference_mode()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 generator: torch.Generator | None = None) -> tuple[list[int], list[float]]:
        """Sample tokens after a context. Returns the new ids and the probability of each choice."""
        was_training = self.training
        self.eval()
        ctx = idx.view(1, -1)
        new_ids, probs_chosen = [], []
        for _ in range(max_new_tokens):
            logits, _, _ = self(ctx[:, -self.config.block_size:])
            probs = (logits[0, -1] / max(temperature, 1e-6)).softmax(-1)
            nxt = torch.multinomial(probs, 1, generator=generator)
            new_ids.append(int(nxt))
            probs_chosen.append(float(probs[nxt]))
            ctx = torch.cat([ctx, nxt.view(1, 1)], dim=1)
        self.train(was_training)
        return new_ids, probs_chosen


def parameter_table(model: MicroGPT) -> list[dict]:
    """The parameter budget per component, like the spec's table 4.2, with the real counts
    (biases included). Rows: {"component", "calculation", "params"}; the last row is the total."""
    cfg = model.config
    C, H, hs = cfg.n_embd, cfg.n_head, cfg.head_size
    rows = [
        {"component": "Token embeddings (tied with the output head)",
         "calculation": f"{cfg.vocab_size} x {C}", "params": model.tok_emb.weight.numel()},
        {"component": "Position embeddings", "calculation": f"{cfg.block_size} x {C}",
         "params": model.pos_emb.weight.numel()},
    ]
    for i, block in enumerate(model.blocks):
        rows.append({"component": f"Block {i}: layer norm 1", "calculation": f"2 x {C}",
                     "params": sum(p.numel() for p in block.ln1.parameters())})
        per_head = block.attn.qkv.weight.numel() // H
        for h in range(H):
            rows.append({"component": f"Block {i}: attention head {h} (Q, K, V)",
                         "calculation": f"3 x {C} x {hs}", "params": per_head})
        rows.append({"component": f"Block {i}: attention output projection",
                     "calculation": f"{C} x {C} + {C}", "params": sum(p.numel() for p in block.attn.proj.parameters())})
        rows.append({"component": f"Block {i}: layer norm 2", "calculation": f"2 x {C}",
                     "params": sum(p.numel() for p in block.ln2.parameters())})
        rows.append({"component": f"Block {i}: feed-forward up", "calculation": f"{C} x {4 * C} + {4 * C}",
                     "params": sum(p.numel() for p in block.ffn.up.parameters())})
        rows.append({"component": f"Block {i}: feed-forward down", "calculation": f"{4 * C} x {C} + {C}",
                     "params": sum(p.numel() for p in block.ffn.down.parameters())})
    rows.append({"component": "Final layer norm", "calculation": f"2 x {C}",
                 "params": sum(p.numel() for p in model.ln_f.parameters())})
    rows.append({"component": "Output head", "calculation": "tied", "params": 0})
    rows.append({"component": "Total", "calculation": "",
                 "params": sum(r["params"] for r in rows)})
    return rows
