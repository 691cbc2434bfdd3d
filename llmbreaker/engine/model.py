"""MicroGPT: the tiny character-level GPT of the design document (docs/design.md §Model).

Token + position embeddings, pre-LayerNorm blocks of multi-head causal self-attention and a 4x ReLU
feed-forward, a final LayerNorm, and an output head tied to the token embedding.

Training uses PyTorch's fused attention (`scaled_dot_product_attention`), which never builds the
attention matrix. The pictures need that matrix, so `forward(..., return_attention=True)` computes
the same attention explicitly (scores, causal mask, softmax) and returns its weights. Both paths
share the weights, so the pictures are the real attention of the model being trained.

Every part can be switched off or swapped (the Architecture Lab and the modern variants of
docs/design.md §Lab, §Modern): positions learned, rotary or none; LayerNorm, residual connections, weight tying,
attention itself and the causal mask on or off; grouped-query attention (`n_kv_head`); and a
mixture of experts in place of the feed-forward. The defaults are the spec's GPT, and with them the
model, its weights' names and its forward are exactly the spec's.
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

from llmbreaker.engine.rope import rope_angles, rotate_pairs

POSITIONS = ("learned", "rope", "none")
ROPE_BASE = 10_000.0  # the RoFormer paper's base (Su et al. 2021), as in LLaMA


def rope_tables(T: int, head_size: int, base: float = ROPE_BASE) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of the rotation angles, (T, head_size / 2): position t turns pair i by
    t * base^(-2i / head_size) (the frequencies the RoPE page draws, from `rope.py`)."""
    angles = torch.as_tensor(rope_angles(range(T), head_size, base), dtype=torch.float32)
    return angles.cos(), angles.sin()


BALANCE_WEIGHT = 0.01  # the experts' balancing loss: the Switch Transformer's coefficient (Fedus et al. 2021)


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 65
    n_embd: int = 16
    n_layer: int = 2
    n_head: int = 2
    block_size: int = 64
    dropout: float = 0.0
    # -- switches (defaults: the spec's GPT) -------------------------------------------------
    position: str = "learned"  # "learned" embeddings, "rope" (rotary, no weights) or "none"
    layer_norm: bool = True
    residual: bool = True
    tie_weights: bool = True  # the output head shares the token embedding's weights
    attention: bool = True  # False: blocks are feed-forward only, no token sees another
    causal: bool = True  # False: a token may look at later tokens, so training loss "cheats"
    n_kv_head: int = 0  # key/value heads; 0 = n_head (multi-head), 1 = multi-query, else grouped-query
    n_expert: int = 0  # 0: one feed-forward per block; 2 or more: a mixture of experts
    expert_top_k: int = 2  # experts each token is routed to
    balance_loss: float = BALANCE_WEIGHT  # weight of the experts' load-balancing loss in training (0: off)

    def __post_init__(self):
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if self.position not in POSITIONS:
            raise ValueError(f"position must be one of {', '.join(POSITIONS)}; got {self.position!r}")
        if self.n_kv_head < 0 or (self.n_kv_head and self.n_head % self.n_kv_head):
            raise ValueError(f"n_head ({self.n_head}) must be a multiple of n_kv_head ({self.n_kv_head})")
        if self.position == "rope" and self.head_size % 2:
            raise ValueError(f"rotary positions need an even head size; {self.n_embd} / {self.n_head} = {self.head_size}")
        if self.n_expert == 1 or self.n_expert < 0:
            raise ValueError("a mixture needs at least 2 experts (0 for one plain feed-forward)")
        if self.n_expert and not (1 <= self.expert_top_k <= self.n_expert):
            raise ValueError(f"each token goes to 1 to {self.n_expert} experts; got {self.expert_top_k}")

    @property
    def head_size(self) -> int:
        return self.n_embd // self.n_head

    @property
    def kv_heads(self) -> int:
        return self.n_kv_head or self.n_head

    def to_dict(self) -> dict:
        return asdict(self)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_head, self.n_kv = cfg.n_head, cfg.kv_heads
        self.head_size = cfg.head_size
        self.causal = cfg.causal
        self.rope = cfg.position == "rope"
        # Q of all heads and K, V of all key/value heads in one matrix (no bias, as in the spec's
        # per-head Linear layers): one matmul instead of many small ones. With grouped-query
        # attention fewer K, V heads are made, and each serves n_head / n_kv_head query heads.
        self.qkv = nn.Linear(cfg.n_embd, cfg.n_embd + 2 * self.n_kv * cfg.head_size, bias=False)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.dropout = cfg.dropout
        self.resid_dropout = nn.Dropout(cfg.dropout)
        self.block_size = cfg.block_size
        if self.rope:
            self.compute_fixed_buffers()

    def compute_fixed_buffers(self) -> None:
        """The rotary tables: computed, not learned, so not saved with the weights."""
        if self.rope:
            cos, sin = rope_tables(self.block_size, self.head_size)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        B, T, C = x.shape
        hs, kv = self.head_size, self.n_kv * self.head_size
        q, k, v = self.qkv(x).split([C, kv, kv], dim=2)
        # (B, T, heads * hs) -> (B, heads, T, hs)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)
        k, v = (t.view(B, T, self.n_kv, hs).transpose(1, 2) for t in (k, v))
        if self.rope:
            cos, sin = self.rope_cos[:T], self.rope_sin[:T]
            q, k = rotate_pairs(q, cos, sin), rotate_pairs(k, cos, sin)
        if self.n_kv != self.n_head:  # each K, V head serves a group of query heads
            k, v = (t.repeat_interleave(self.n_head // self.n_kv, dim=1) for t in (k, v))
        weights = None
        if return_attention:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
            if self.causal:
                causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
                scores = scores.masked_fill(~causal, float("-inf"))
            weights = scores.softmax(dim=-1)
            y = weights @ v
        else:
            y = F.scaled_dot_product_attention(
                q, k, v, is_causal=self.causal, dropout_p=self.dropout if self.training else 0.0
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


def _grouped_mm_available() -> bool:
    """torch's grouped matmul (`F.grouped_mm`: rows sorted by group times each group's matrix, in
    one call) runs float32 on the CPU in the pinned torch, but its own backward does not (a stride
    error), so `_ExpertFeedForward` has its own. Checked once on a tiny case."""
    if not hasattr(F, "grouped_mm"):
        return False
    try:
        a, b = torch.ones(3, 4), torch.ones(2, 4, 4)
        offs = torch.tensor([1, 3], dtype=torch.int32)
        out = F.grouped_mm(a, b, offs=offs)
        grad_b = F.grouped_mm(a.t(), out, offs=offs)
        return bool(torch.equal(out, torch.full((3, 4), 4.0)) and torch.equal(grad_b[1], torch.full((4, 4), 8.0)))
    except (RuntimeError, NotImplementedError, TypeError):
        return False


GROUPED_MM = _grouped_mm_available()


def _add_group_bias_(out: torch.Tensor, bias: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """out's rows are sorted by group, counts[e] of group e: add group e's bias to its rows, in place."""
    start = 0
    for e, n in enumerate(counts):
        if n:
            out[start:start + n] += bias[e]
        start += n
    return out


class _ExpertFeedForward(torch.autograd.Function):
    """Every expert's feed-forward on its own rows at once: rows (M, C) sorted by expert, counts[e]
    of them for expert e (offs: the running totals), relu(rows @ up_w[e] + up_b[e]) @ down_w[e] +
    down_b[e]. Four grouped matmuls forward and backward instead of a loop over experts, and the
    wide hidden layer (M, 4C) is made once forward and once backward (in place after that)."""

    @staticmethod
    def forward(ctx, rows, up_w, up_b, down_w, down_b, offs, counts):
        h = _add_group_bias_(F.grouped_mm(rows, up_w, offs=offs), up_b, counts).relu_()
        out = _add_group_bias_(F.grouped_mm(h, down_w, offs=offs), down_b, counts)
        ctx.save_for_backward(rows, up_w, down_w, h, offs)
        return out

    @staticmethod
    def backward(ctx, grad):
        rows, up_w, down_w, h, offs = ctx.saved_tensors
        grad = grad.contiguous()
        # The biases' gradients are per-expert sums of rows: a grouped matmul of a row of ones.
        ones = grad.new_ones(4, grad.shape[0])  # 4 rows: its kernel wants 16-byte strides
        grad_down_w = F.grouped_mm(h.t(), grad, offs=offs)
        grad_down_b = F.grouped_mm(ones, grad, offs=offs)[:, 0]
        grad_h = F.grouped_mm(grad, down_w.transpose(1, 2), offs=offs)
        torch.ops.aten.threshold_backward.grad_input(grad_h, h, 0.0, grad_input=grad_h)  # relu's
        grad_up_w = F.grouped_mm(rows.t(), grad_h, offs=offs)
        grad_up_b = F.grouped_mm(ones, grad_h, offs=offs)[:, 0]
        grad_rows = F.grouped_mm(grad_h, up_w.transpose(1, 2), offs=offs) if ctx.needs_input_grad[0] else None
        return grad_rows, grad_up_w, grad_up_b, grad_down_w, grad_down_b, None, None


def expert_feed_forward(rows, up_w, up_b, down_w, down_b, counts: list[int]) -> torch.Tensor:
    """`_ExpertFeedForward` where torch's grouped matmul can run it (float32, rows a multiple of
    4 floats wide: n_embd 32 has them, 18 not); else the same maths with one matmul per expert
    over its slice of the sorted rows."""
    C, H = up_w.shape[1], up_w.shape[2]
    if GROUPED_MM and rows.dtype == up_w.dtype == torch.float32 and not C % 4 and not H % 4:
        offs = torch.tensor(counts, dtype=torch.int64).cumsum(0).to(torch.int32)
        return _ExpertFeedForward.apply(rows.contiguous(), up_w, up_b, down_w, down_b, offs, counts)
    parts, start = [], 0
    for e, n in enumerate(counts):
        if n:
            x = rows[start:start + n]
            parts.append(F.relu(x @ up_w[e] + up_b[e]) @ down_w[e] + down_b[e])
        start += n
    return torch.cat(parts) if parts else rows.new_zeros(0, C)


class MixtureOfExperts(nn.Module):
    """n_expert feed-forwards and a router that sends each token to its top-k of them; the
    token's output is their outputs weighted by the softmax of the chosen router scores, so the
    weights of a token sum to 1. `balance` is the Switch Transformer's load-balancing loss
    (Fedus et al. 2021): n_expert x sum_i (share of tokens sent to i) x (mean router probability of i),
    1.0 when the work is spread evenly, up to n_expert when one expert gets everything.

    Each expert computes only the tokens routed to it, and all experts at once: the token slots are
    sorted by expert and go through one grouped matmul per layer of the experts (the experts'
    weights are stacked, (n_expert, in, out)), so a step costs about top_k / n_expert of running
    every expert on every token, in a fixed handful of operations whatever the number of experts
    (a Python loop over the experts made an 8-expert top-1 step 1.8-1.9x a dense one;
    bench/moe_cost.py). `reference_forward` is that loop, kept to test against."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        E, C = cfg.n_expert, cfg.n_embd
        self.n_expert, self.top_k = E, cfg.expert_top_k
        self.router = nn.Linear(C, E, bias=False)
        self.up_w = nn.Parameter(torch.randn(E, C, 4 * C) * 0.02)
        self.up_b = nn.Parameter(torch.zeros(E, 4 * C))
        self.down_w = nn.Parameter(torch.randn(E, 4 * C, C) * 0.02)
        self.down_b = nn.Parameter(torch.zeros(E, C))
        self.dropout = nn.Dropout(cfg.dropout)
        self.balance: torch.Tensor | None = None  # set by each forward
        self.chosen: torch.Tensor | None = None  # (B, T, top_k) expert ids of the last forward

    def route(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Router probabilities (N, E), the chosen experts (N, k) and their gates (N, k)."""
        logits = self.router(x)
        # Softmax over the experts taken on the transposed view: the same numbers, and 3x faster
        # on the CPU than along a last dimension of 8 (forward and backward, measured).
        probs = logits.t().softmax(0).t()
        if self.top_k == 1:  # the gate of a single choice is exactly 1 (a softmax of one score)
            top_logits, chosen = logits.max(-1, keepdim=True)
            return probs, chosen, torch.ones_like(top_logits)
        top_logits, chosen = logits.topk(self.top_k, dim=-1)
        return probs, chosen, top_logits.softmax(-1)

    def _finish(self, y: torch.Tensor, probs: torch.Tensor, chosen: torch.Tensor, shape,
                counts: torch.Tensor | None = None) -> torch.Tensor:
        """The balancing loss and the routing record of this forward; the output in shape."""
        B, T, C = shape
        if counts is None:
            counts = torch.bincount(chosen.reshape(-1), minlength=self.n_expert)
        share = counts.to(probs.dtype) / chosen.numel()  # of the token slots (a constant: no gradient)
        self.balance = self.n_expert * (share * probs.mean(0)).sum()
        self.chosen = chosen.detach().view(B, T, self.top_k)
        return self.dropout(y.view(B, T, C))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        N, k = B * T, self.top_k
        flat = x.reshape(N, C)
        probs, chosen, gates = self.route(flat)
        slot_expert = chosen.reshape(-1)  # slot j is token j // k's (j % k)-th choice
        # The slots grouped by expert (in any order within an expert: each row is computed alone,
        # and a token's k outputs are still added in the order of their experts).
        order = torch.argsort(slot_expert)
        counts_t = torch.bincount(slot_expert, minlength=self.n_expert)
        rows = order // k if k > 1 else order  # the token of each sorted slot
        out = expert_feed_forward(flat.index_select(0, rows), self.up_w, self.up_b, self.down_w,
                                  self.down_b, counts_t.tolist())
        if k == 1:  # a single choice's gate is 1, and each token has exactly one row: put it back
            y = torch.empty_like(flat).index_copy(0, rows, out)
        else:
            y = flat.new_zeros(N, C).index_add(0, rows, out * gates.reshape(-1)[order].unsqueeze(1))
        return self._finish(y, probs, chosen, (B, T, C), counts_t)

    def reference_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The same layer as a plain loop over the experts (what `forward` computes, in the
        straightforward way), for the tests."""
        B, T, C = x.shape
        flat = x.reshape(B * T, C)
        probs, chosen, gates = self.route(flat)
        y = torch.zeros_like(flat)
        for e in range(self.n_expert):
            rows, slot = (chosen == e).nonzero(as_tuple=True)
            if rows.numel():
                h = F.relu(flat[rows] @ self.up_w[e] + self.up_b[e])
                out = h @ self.down_w[e] + self.down_b[e]
                y = y.index_add(0, rows, out * gates[rows, slot].unsqueeze(1))
        return self._finish(y, probs, chosen, (B, T, C))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        norm = (lambda: nn.LayerNorm(cfg.n_embd)) if cfg.layer_norm else nn.Identity
        self.residual = cfg.residual
        if cfg.attention:
            self.ln1 = norm()
            self.attn = CausalSelfAttention(cfg)
        else:
            self.attn = None
        self.ln2 = norm()
        self.ffn = MixtureOfExperts(cfg) if cfg.n_expert else FeedForward(cfg)

    def forward(self, x, return_attention: bool = False):
        weights = None
        if self.attn is not None:
            a, weights = self.attn(self.ln1(x), return_attention)
            x = x + a if self.residual else a
        f = self.ffn(self.ln2(x))
        x = x + f if self.residual else f
        return x, weights


class MicroGPT(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.config = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.pos_emb = nn.Embedding(cfg.block_size, cfg.n_embd) if cfg.position == "learned" else None
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd) if cfg.layer_norm else nn.Identity()
        self.head = None if cfg.tie_weights else nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.apply(self._init_weights)
        # GPT-2's scaled init of the projections into the residual stream keeps the early loss
        # close to ln(vocab) however many layers there are.
        for name, p in self.named_parameters():
            if name.endswith(("proj.weight", "down.weight", "down_w")):
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
        x = self.tok_emb(idx)
        if self.pos_emb is not None:
            x = x + self.pos_emb.weight[:T]
        x = self.drop(x)
        attentions = [] if return_attention else None
        for block in self.blocks:
            x, weights = block(x, return_attention)
            if return_attention and weights is not None:
                attentions.append(weights)
        head = self.tok_emb.weight if self.head is None else self.head.weight  # weight tying
        logits = F.linear(self.ln_f(x), head)
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
        if not attentions:  # a feed-forward-only model: no token looks at another
            return torch.zeros(self.config.n_layer, 0, len(idx), len(idx))
        return torch.stack([a[0] for a in attentions])

    def compute_fixed_buffers(self) -> None:
        """Recompute what is derived, not learned (after building on the meta device)."""
        for block in self.blocks:
            if block.attn is not None:
                block.attn.compute_fixed_buffers()

    def balance_loss(self) -> torch.Tensor | None:
        """The experts' load-balancing loss of the last forward, summed over layers (None
        without experts)."""
        if not self.config.n_expert:
            return None
        return sum(block.ffn.balance for block in self.blocks)

    @torch.inference_mode()
    def expert_routing(self, idx: torch.Tensor) -> dict:
        """How a batch of token ids (B, T) is shared among the experts: "share" (n_layer, n_expert),
        the share of token slots each expert got; "top" (n_layer, B, T), each token's first-choice
        expert; "balance", the load-balancing loss summed over layers."""
        was_training = self.training
        self.eval()
        self(idx if idx.dim() == 2 else idx.view(1, -1))
        self.train(was_training)
        share, top = [], []
        E = self.config.n_expert
        for block in self.blocks:
            chosen = block.ffn.chosen
            share.append(torch.bincount(chosen.reshape(-1), minlength=E).float() / chosen.numel())
            top.append(chosen[..., 0])
        return {"share": torch.stack(share), "top": torch.stack(top), "balance": float(self.balance_loss())}

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


def _count(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def parameter_table(model: MicroGPT) -> list[dict]:
    """The parameter budget per component, (docs/design.md §Parameters), with the real counts
    (biases included), for whatever switches the model has. Rows: {"component", "calculation",
    "params"}; the last row is the total."""
    cfg = model.config
    C, H, hs, V = cfg.n_embd, cfg.n_head, cfg.head_size, cfg.vocab_size
    tied = " (tied with the output head)" if cfg.tie_weights else ""
    rows = [{"component": f"Token embeddings{tied}", "calculation": f"{V} x {C}",
             "params": model.tok_emb.weight.numel()}]
    if cfg.position == "learned":
        rows.append({"component": "Position embeddings", "calculation": f"{cfg.block_size} x {C}",
                     "params": model.pos_emb.weight.numel()})
    else:
        rows.append({"component": "Position embeddings", "params": 0,
                     "calculation": "rotary: computed, not learned" if cfg.position == "rope" else "off"})
    ln = "2 x {}".format(C) if cfg.layer_norm else "off"
    for i, block in enumerate(model.blocks):
        if block.attn is not None:
            rows.append({"component": f"Layer {i + 1}: layer norm 1", "calculation": ln, "params": _count(block.ln1)})
            if cfg.kv_heads == H:
                per_head = block.attn.qkv.weight.numel() // H
                for h in range(H):
                    rows.append({"component": f"Layer {i + 1}: attention head {h + 1} (Q, K, V)",
                                 "calculation": f"3 x {C} x {hs}", "params": per_head})
            else:
                for h in range(H):
                    rows.append({"component": f"Layer {i + 1}: attention head {h + 1} (Q)",
                                 "calculation": f"{C} x {hs}", "params": C * hs})
                for g in range(cfg.kv_heads):
                    rows.append({"component": f"Layer {i + 1}: key/value head {g + 1} (K, V), shared by {H // cfg.kv_heads} heads",
                                 "calculation": f"2 x {C} x {hs}", "params": 2 * C * hs})
            rows.append({"component": f"Layer {i + 1}: attention output projection",
                         "calculation": f"{C} x {C} + {C}", "params": _count(block.attn.proj)})
        rows.append({"component": f"Layer {i + 1}: layer norm 2", "calculation": ln, "params": _count(block.ln2)})
        if cfg.n_expert:
            E = cfg.n_expert
            rows.append({"component": f"Layer {i + 1}: router", "calculation": f"{C} x {E}",
                         "params": block.ffn.router.weight.numel()})
            per_expert = (_count(block.ffn) - block.ffn.router.weight.numel()) // E
            rows.append({"component": f"Layer {i + 1}: {E} experts (each up + down)",
                         "calculation": f"{E} x ({C} x {4 * C} + {4 * C} + {4 * C} x {C} + {C})",
                         "params": E * per_expert})
        else:
            rows.append({"component": f"Layer {i + 1}: feed-forward up", "calculation": f"{C} x {4 * C} + {4 * C}",
                         "params": _count(block.ffn.up)})
            rows.append({"component": f"Layer {i + 1}: feed-forward down", "calculation": f"{4 * C} x {C} + {C}",
                         "params": _count(block.ffn.down)})
    rows.append({"component": "Final layer norm", "calculation": ln, "params": _count(model.ln_f)})
    rows.append({"component": "Output head", "calculation": "tied" if cfg.tie_weights else f"{C} x {V}",
                 "params": _count(model.head)})
    rows.append({"component": "Total", "calculation": "", "params": sum(r["params"] for r in rows)})
    return rows


def active_parameters(model: MicroGPT) -> int:
    """Parameters one token goes through: with a mixture of experts, only its top-k experts count."""
    total = sum(p.numel() for p in model.parameters())
    cfg = model.config
    if not cfg.n_expert:
        return total
    per_layer_experts = sum(_count(b.ffn) - b.ffn.router.weight.numel() for b in model.blocks)
    return total - per_layer_experts * (cfg.n_expert - cfg.expert_top_k) // cfg.n_expert


@functools.lru_cache(maxsize=64)
def parameter_budget(cfg: ModelConfig) -> tuple[list[dict], int]:
    """`parameter_table` and `active_parameters` of a configuration, for pages that show them as
    settings change. Built on the meta device: shapes only, no memory, and no draws from torch's
    global random generator, which training threads seed for reproducible models."""
    with torch.device("meta"):
        model = MicroGPT(cfg)
    return parameter_table(model), active_parameters(model)
