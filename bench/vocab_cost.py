"""What a bigger vocabulary costs: ms per training step, the step's peak memory, and the time to
generate the Style page's 400 characters, for the app's Small model and a ~2 M-parameter base
model of the kind the Style page fine-tunes (192 dims, 6 layers, block 128).

The cap on distinct characters (corpus.MAX_VOCAB) is chosen from these figures: the output layer
and the softmax grow with the vocabulary, so past a few thousand characters a step of even the
Small model costs many times a normal one.

    python bench/vocab_cost.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from llmbreaker.engine.model import MicroGPT, ModelConfig  # noqa: E402

MODELS = {
    "small (32/2/2, block 64, batch 32)": (ModelConfig(n_embd=32, n_layer=2, n_head=2), 32),
    "base (192/6/6, block 128, batch 16)": (ModelConfig(n_embd=192, n_layer=6, n_head=6, block_size=128), 16),
}
VOCABS = (65, 256, 512, 1024, 2048, 4096, 30000)


def step_ms(cfg: ModelConfig, batch: int, rounds: int) -> tuple[float, int]:
    model = MicroGPT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(cfg.vocab_size, (batch, cfg.block_size))
    y = torch.randint(cfg.vocab_size, (batch, cfg.block_size))
    times = []
    for i in range(rounds + 2):
        t = time.perf_counter()
        _, loss, _ = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i >= 2:
            times.append((time.perf_counter() - t) * 1000)
    params = sum(p.numel() for p in model.parameters())
    return statistics.median(times), params


def generate_s(cfg: ModelConfig) -> float:
    model = MicroGPT(cfg).eval()
    t = time.perf_counter()
    with torch.no_grad():
        model.generate(torch.tensor([0]), 400, 0.8, generator=torch.Generator().manual_seed(0))
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)  # as the app's trainers run
    print(f"torch {torch.__version__}, 1 thread, median of {args.rounds} steps\n")
    print(f"{'model':38} {'vocab':>6} {'params':>10} {'ms/step':>8} {'x V=65':>7} {'gen 400 s':>9}")
    for name, (base, batch) in MODELS.items():
        ref = None
        for v in VOCABS:
            cfg = ModelConfig(**{**base.to_dict(), "vocab_size": v})
            if v == 30000 and cfg.n_embd > 32:
                continue  # minutes per round; the small model's figure makes the point
            ms, params = step_ms(cfg, batch, args.rounds)
            ref = ref or ms
            gen = generate_s(cfg)
            print(f"{name:38} {v:>6} {params:>10,} {ms:>8.1f} {ms / ref:>6.1f}x {gen:>9.2f}")
    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
