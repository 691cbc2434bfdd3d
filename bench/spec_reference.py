"""A literal implementation of the spec's model and loop (docs/design.md §Model), as the reference the
engine is measured against. Not used by the app.

The model is the spec's code (one Linear per head for Q, K and V, an explicit masked softmax, the
weights copied to `last_attention` on every forward, a Python loop over heads); the loop is the
classic character-GPT loop the spec describes: a batch from a Python list of slices, forward,
backward, AdamW, and at every eval_interval the train/val loss over `eval_iters` random batches,
the attention of all layers and a generated 100-character sample.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn as nn
from torch.nn import functional as F


class Head(nn.Module):
    def __init__(self, n_embd, head_size, block_size, dropout):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)
        self.last_attention = None

    def forward(self, x):
        B, T, C = x.shape
        k, q, v = self.key(x), self.query(x), self.value(x)
        scores = q @ k.transpose(-2, -1) * (k.shape[-1] ** -0.5)
        scores = scores.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        attn = F.softmax(scores, dim=-1)
        self.last_attention = attn.detach().cpu()  # captured on every forward, as in the spec
        attn = self.dropout(attn)
        return attn @ v


class MultiHeadAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout):
        super().__init__()
        self.heads = nn.ModuleList([Head(n_embd, n_embd // n_head, block_size, dropout) for _ in range(n_head)])
        self.proj = nn.Linear(n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.proj(torch.cat([h(x) for h in self.heads], dim=-1)))


class FeedForward(nn.Module):
    def __init__(self, n_embd, dropout):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(), nn.Linear(4 * n_embd, n_embd), nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)


class TransformerBlock(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout):
        super().__init__()
        self.sa = MultiHeadAttention(n_embd, n_head, block_size, dropout)
        self.ffwd = FeedForward(n_embd, dropout)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        return x + self.ffwd(self.ln2(x))


class SpecMicroGPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.token_embedding_table = nn.Embedding(config["vocab_size"], config["n_embd"])
        self.position_embedding_table = nn.Embedding(config["block_size"], config["n_embd"])
        self.blocks = nn.Sequential(*[TransformerBlock(config["n_embd"], config["n_head"], config["block_size"], config["dropout"])
                                      for _ in range(config["n_layer"])])
        self.ln_f = nn.LayerNorm(config["n_embd"])

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.token_embedding_table(idx) + self.position_embedding_table(torch.arange(T))
        x = self.ln_f(self.blocks(x))
        logits = F.linear(x, self.token_embedding_table.weight)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss

    def generate(self, idx, max_new_tokens, temperature=1.0):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.config["block_size"]:])
            probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
        return idx

    def extract_attention_weights(self):
        return [{"layer": l, "head": h, "matrix": head.last_attention[0].numpy().tolist()}
                for l, block in enumerate(self.blocks) for h, head in enumerate(block.sa.heads)
                if head.last_attention is not None]


def run_spec_loop(text: str, n_embd: int, n_layer: int, n_head: int, block_size: int, batch_size: int,
                  max_iters: int, learning_rate: float, eval_interval: int, warmup: int = 100,
                  eval_iters: int = 8, seed: int = 1337, min_lr_ratio: float = 0.1,
                  deadline_s: float | None = None) -> dict:
    """Train like the spec's loop. Returns seconds, steps, steps/s, the final validation loss and
    the last sample. With `deadline_s`, training stops when that much wall time has passed and
    the model is measured then, wherever its schedule is."""
    torch.manual_seed(seed)
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]
    model = SpecMicroGPT(dict(vocab_size=len(chars), n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                              block_size=block_size, dropout=0.0))
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)

    def get_batch(split):
        d = train_data if split == "train" else val_data
        ix = torch.randint(len(d) - block_size, (batch_size,))
        x = torch.stack([d[i:i + block_size] for i in ix])
        y = torch.stack([d[i + 1:i + block_size + 1] for i in ix])
        return x, y

    @torch.no_grad()
    def estimate_loss():
        out = {}
        model.eval()
        for split in ("train", "val"):
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split)
                losses[k] = model(X, Y)[1].item()
            out[split] = losses.mean().item()
        model.train()
        return out

    def lr_at(it):
        if it < warmup:
            return learning_rate * (it + 1) / warmup
        p = min(1.0, (it - warmup) / max(1, max_iters - warmup))
        floor = learning_rate * min_lr_ratio
        return floor + 0.5 * (learning_rate - floor) * (1 + math.cos(math.pi * p))

    t0 = time.perf_counter()
    losses, sample = {}, ""
    for it in range(max_iters + 1):
        if deadline_s is not None and time.perf_counter() - t0 >= deadline_s:
            max_iters = it  # out of time: measure now
        if it % eval_interval == 0 or it == max_iters:
            losses = estimate_loss()
            model.extract_attention_weights()
            out = model.generate(torch.zeros((1, 1), dtype=torch.long), 100)
            sample = "".join(chars[i] for i in out[0, 1:].tolist())
        if it == max_iters:
            break
        for g in optimizer.param_groups:
            g["lr"] = lr_at(it)
        xb, yb = get_batch("train")
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "steps": max_iters, "steps_per_s": max_iters / seconds, "val_loss": losses["val"], "sample": sample}
